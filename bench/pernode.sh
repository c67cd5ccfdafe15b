#!/usr/bin/env bash
# Bytes per node (issue 16): the live heap each daemon grows by while the kernel comes to hold
# every entry of a tree, divided by the entries. A fresh `fsdriver serve` and `fsdriver mount`
# over a share made before the server starts; live heap = one class histogram of each JVM (a full
# collection first) less the filler objects the serial collector leaves as dead wood; measured
# before and after one walk through the mount (`ls -f` of one directory, or `find -printf %s`
# over a tree), then again after --wait seconds if given; resident memory now and at its peak
# (VmHWM: the walk and the measuring full collections included).
# Usage: bench/pernode.sh [--dir N | --tree N] [--unique-names] [--wait S] [--histogram]
#   --dir N: one directory of N empty files; --tree N: N/1000 directories of 1,000 empty files
#   (names f0..f999 in each: the mount's string deduplication shares their bytes across
#   directories; --unique-names gives every file a name of its own).
# The share is kept under /var/tmp/fsdriver-pernode (made once per shape).
set -euo pipefail
cd "$(dirname "$0")/.."
SHAPE=tree; N=200000; UNIQUE=; WAIT=; HISTO=
while [ $# -gt 0 ]; do
    case $1 in
        --dir) SHAPE=dir; N=$2; shift 2 ;;
        --tree) SHAPE=tree; N=$2; shift 2 ;;
        --unique-names) UNIQUE=1; shift ;;
        --wait) WAIT=$2; shift 2 ;;
        --histogram) HISTO=1; shift ;;
        *) echo "usage: bench/pernode.sh [--dir N | --tree N] [--unique-names] [--wait S] [--histogram]" >&2; exit 2 ;;
    esac
done
source scripts/setup.sh
[ -d fsdriver-cli/target/lib ] || mvn -B -q -ntp -DskipTests package
W=/var/tmp/fsdriver-pernode/$SHAPE-$N${UNIQUE:+-unique}; D=$W/data; M=$W/mnt
if [ ! -f "$W/made" ]; then
    rm -rf "$W"; mkdir -p "$D/big"
    python3 - "$D/big" "$SHAPE" "$N" "$UNIQUE" <<'EOF'
import os, sys
top, shape, n, unique = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
def make(path):
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o644))
if shape == 'dir':
    for i in range(n): make(f'{top}/f{i}')
else:
    for d in range(n // 1000):
        os.makedirs(f'{top}/d{d}')
        for i in range(1000): make(f'{top}/d{d}/f{d}-{i}' if unique else f'{top}/d{d}/f{i}')
EOF
    touch "$W/made"
fi
mkdir -p "$M"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
bin/fsdriver serve --listen "tcp://127.0.0.1:$PORT" --share "s=$D" > "$W/serve.log" 2>&1 & SP=$!
for _ in $(seq 300); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.05; done
bin/fsdriver mount --server "tcp://127.0.0.1:$PORT" s "$M" > "$W/mount.log" 2>&1 & MP=$!
trap 'mountpoint -q "$M" && umount -l "$M"; kill $MP $SP 2>/dev/null' EXIT
for _ in $(seq 200); do mountpoint -q "$M" && break; sleep 0.1; done
mountpoint -q "$M" || { echo "not mounted; mount log:" >&2; tail -20 "$W/mount.log" >&2; exit 1; }
live_kib() {
    "$JAVA_HOME/bin/jcmd" "$1" GC.class_histogram | awk '/^Total/ { t = $3 } /Filler/ { f += $3 } END { print int((t - f) / 1024) }'
}
S0=$(live_kib $SP); M0=$(live_kib $MP)
if [ "$SHAPE" = dir ]; then
    /usr/bin/time -f "ls -f: %e s" ls -f "$M/big" | wc -l
else
    /usr/bin/time -f "find -printf %%s: %e s" find "$M/big" -printf '%s\n' | wc -l
fi
mib() { awk -v k="$1:" '$1 == k { print int($2 / 1024) }' "/proc/$2/status"; }
report() {
    S1=$(live_kib $SP); M1=$(live_kib $MP)
    echo "$1: server $(( (S1 - S0) * 1024 / N )) B/node (live $S0 -> $S1 KiB), mount $(( (M1 - M0) * 1024 / N )) B/node (live $M0 -> $M1 KiB);" \
        "resident server $(mib VmRSS $SP) MB (peak $(mib VmHWM $SP)), mount $(mib VmRSS $MP) MB (peak $(mib VmHWM $MP))"
}
report "after the walk"
if [ -n "$WAIT" ]; then
    sleep "$WAIT"
    report "after $WAIT s more"
fi
if [ -n "$HISTO" ]; then
    echo "mount:"; "$JAVA_HOME/bin/jcmd" $MP GC.class_histogram | sed -n 1,18p
    echo "server:"; "$JAVA_HOME/bin/jcmd" $SP GC.class_histogram | sed -n 1,18p
fi
