#!/usr/bin/env bash
# fsdriver benchmark: the same workloads, in one run, on
#   native   - a directory on the local disk
#   fsdriver - an fsdriver mount of an identical copy (fsdriver serve + fsdriver mount over
#              loopback TCP; a copy, so that the server's watcher sees only its own share)
#   sshfs    - sshfs of the native directory over loopback (sshd started here, private port)
# and prints each as a ratio to native. The mounts stay up for the whole run (warmed up once,
# as long-running daemons are); every round runs every workload on every target in turn, and
# the table shows each row's median over the rounds. Absolute times on shared machines are
# noise; the ratios within one run are the figure. Results: bench/results/latest.md (paste
# into docs/benchmarks.md with the date and machine).
#
# --delays "0 100 500" runs the whole set once per one-way delay (microseconds) that
# bench/DelayRelay.java adds to every chunk between each mount and its server (fsdriver's gRPC
# and sshfs's ssh alike): the kernels here have no netem, and WSL2's link costs far more per
# call than loopback. Native is measured again at every delay (its rows do not change).
#
# fsdriver runs as installed: `bin/fsdriver install` (and the .deb) make the JDK AOT caches of
# `fsdriver aot-cache`, so this script makes them first (about 25 s), unless --no-aot-cache
# (a young JVM without them spent ~40% longer on the sqlite row: docs/benchmarks.md, 2026-12-06).
#
# Usage: bench/run.sh [--size-mib N] [--rounds R] [--delays "US ..."] [--quick] [--no-aot-cache]
#        (defaults: 1024 MiB, 5 rounds, delay 0)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
FSD_EXTRA="sshfs sshd unzip bc" source scripts/setup.sh
SIZE_MIB=1024
ROUNDS=5
DELAYS="0"
AOT=1
while [ $# -gt 0 ]; do
    case "$1" in
        --size-mib) SIZE_MIB=$2; shift 2 ;;
        --rounds) ROUNDS=$2; shift 2 ;;
        --delays) DELAYS=$2; shift 2 ;;
        --quick) SIZE_MIB=128; ROUNDS=1; shift ;;
        --no-aot-cache) AOT=0; shift ;;
        *) echo "usage: bench/run.sh [--size-mib N] [--rounds R] [--delays \"US ...\"] [--quick] [--no-aot-cache]" >&2; exit 2 ;;
    esac
done

[ -d fsdriver-cli/target/lib ] || mvn -B -q -ntp -DskipTests package
if [ "$AOT" = 1 ]; then
    echo "bench: making the AOT caches (fsdriver aot-cache), as an install does"
    bin/fsdriver aot-cache
else
    bin/fsdriver aot-cache --remove > /dev/null
fi
WORK=$(mktemp -d /var/tmp/fsdriver-bench.XXXXXX)
DATA=$WORK/data          # native, and what sshfs serves
DATA_FSD=$WORK/data-fsd  # the same content, served by fsdriver
MNT_FSD=$WORK/mnt-fsdriver
MNT_SSH=$WORK/mnt-sshfs
mkdir -p "$DATA" "$MNT_FSD" "$MNT_SSH" "$ROOT/bench/results"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
SSH_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

cleanup() {
    set +e
    for m in "$MNT_FSD" "$MNT_SSH"; do mountpoint -q "$m" && umount -l "$m"; done
    for p in "${RELAY_PIDS[@]}"; do kill "$p" 2>/dev/null; done
    [ -n "${MOUNT_PID:-}" ] && kill "$MOUNT_PID" 2>/dev/null
    [ -n "${SERVE_PID:-}" ] && kill "$SERVE_PID" 2>/dev/null
    [ -n "${SSHD_PID:-}" ] && kill "$SSHD_PID" 2>/dev/null
    wait 2>/dev/null
    [ -n "${BENCH_KEEP:-}" ] && echo "bench: kept $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT

echo "bench: preparing data in $DATA"
# ~8,000-file source tree committed into a fresh git repository (a slice of the JDK's src.zip)
mkdir -p "$DATA/repo"
unzip -q "$JAVA_HOME/lib/src.zip" 'java.base/*' 'java.desktop/*' 'java.xml/*' 'java.sql/*' -d "$DATA/repo"
find "$DATA/repo" -type f | sort | tail -n +8001 | xargs -r rm -f
NFILES=$(find "$DATA/repo" -type f | wc -l)
git -C "$DATA/repo" -c init.defaultBranch=main init -q
# no automatic gc: a commit of 8,000 loose objects starts one in the background, which packs
# them while the tree is being copied (the targets then differ by thousands of entries)
git -C "$DATA/repo" config gc.auto 0
git -C "$DATA/repo" add -A
git -C "$DATA/repo" -c user.name=bench -c user.email=bench@example.com commit -qm tree
# a separate tree to warm each daemon up on (a long-running mount has a warm JIT; the rows
# measure cold kernel caches, not a cold JVM)
mkdir -p "$DATA/warm"
unzip -q "$JAVA_HOME/lib/src.zip" 'jdk.compiler/*' -d "$DATA/warm"
# ~400 small files to untar
mkdir -p "$WORK/small" && for i in $(seq 1 400); do head -c $((RANDOM % 8192 + 100)) /dev/urandom > "$WORK/small/f$i"; done
tar -C "$WORK" -cf "$WORK/small.tar" small && rm -rf "$WORK/small"
head -c $((SIZE_MIB * 1024 * 1024)) /dev/urandom > "$DATA/big.bin"
cp -a "$DATA" "$DATA_FSD"
[ "$(find "$DATA" | wc -l)" = "$(find "$DATA_FSD" | wc -l)" ] || { echo "bench: the copy differs from the original" >&2; exit 1; }
git -C "$DATA_FSD/repo" status --porcelain > /dev/null   # its index must match its own inodes, as the original's does

echo "bench: starting fsdriver serve on 127.0.0.1:$PORT"
bin/fsdriver serve --listen "tcp://127.0.0.1:$PORT" --share "bench=$DATA_FSD" > "$WORK/serve.log" 2>&1 &
SERVE_PID=$!
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
RELAY_PIDS=()
# start_relays DELAY_US: sets FSD_VIA and SSH_VIA to the ports the mounts connect to
start_relays() {
    FSD_VIA=$PORT; SSH_VIA=$SSH_PORT
    [ "$1" = 0 ] && return 0
    FSD_VIA=$(free_port); SSH_VIA=$(free_port)
    "$JAVA_HOME/bin/java" bench/DelayRelay.java "$FSD_VIA" "127.0.0.1:$PORT" "$1" > "$WORK/relay-fsd.log" 2>&1 &
    RELAY_PIDS+=($!)
    "$JAVA_HOME/bin/java" bench/DelayRelay.java "$SSH_VIA" "127.0.0.1:$SSH_PORT" "$1" > "$WORK/relay-ssh.log" 2>&1 &
    RELAY_PIDS+=($!)
    for _ in $(seq 1 100); do grep -q listening "$WORK/relay-fsd.log" && grep -q listening "$WORK/relay-ssh.log" && return 0; sleep 0.1; done
    echo "bench: the delay relays did not start" >&2; exit 1
}
stop_relays() { for p in "${RELAY_PIDS[@]}"; do kill "$p" 2>/dev/null; done; RELAY_PIDS=(); }
mount_fsdriver() {
    bin/fsdriver mount --server "tcp://127.0.0.1:$FSD_VIA" bench "$MNT_FSD" > "$WORK/mount.log" 2>&1 &
    MOUNT_PID=$!
    for _ in $(seq 1 200); do grep -q mounted "$WORK/mount.log" && return 0; sleep 0.1; done
    cat "$WORK/mount.log"; exit 1
}
umount_fsdriver() { kill "$MOUNT_PID"; wait "$MOUNT_PID" 2>/dev/null || true; }

echo "bench: starting sshd on 127.0.0.1:$SSH_PORT for sshfs"
ssh-keygen -q -t ed25519 -N '' -f "$WORK/key"
ssh-keygen -q -t ed25519 -N '' -f "$WORK/hostkey"
mkdir -p /run/sshd
cat > "$WORK/sshd_config" <<CFG
Port $SSH_PORT
ListenAddress 127.0.0.1
HostKey $WORK/hostkey
AuthorizedKeysFile $WORK/key.pub
PermitRootLogin prohibit-password
PasswordAuthentication no
UsePAM no
StrictModes no
Subsystem sftp internal-sftp
PidFile $WORK/sshd.pid
CFG
/usr/sbin/sshd -D -f "$WORK/sshd_config" -E "$WORK/sshd.log" &
SSHD_PID=$!
sleep 1
mount_sshfs() {
    sshfs -p "$SSH_VIA" -o IdentityFile="$WORK/key",StrictHostKeyChecking=no,UserKnownHostsFile=/dev/null \
        "root@127.0.0.1:$DATA" "$MNT_SSH"
}
umount_sshfs() { umount "$MNT_SSH"; }

drop() { sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true; }
now() { date +%s.%N; }
DELAY=0
declare -A T   # T[target@delay,row] = the round's times, space-separated
declare -A FAILED   # FAILED[target@delay,row] = 1 when the command failed in a round (its time is not a result)
# time_it TARGET ROW COMMAND...: runs in the target's directory, records seconds
time_it() {
    local target=$1 row=$2; shift 2
    local dir; case $target in native) dir=$DATA ;; fsdriver) dir=$MNT_FSD ;; sshfs) dir=$MNT_SSH ;; esac
    local t0 t1 dt; t0=$(now)
    if ! (cd "$dir" && "$@") > /dev/null 2>&1; then
        echo "bench: $target/$row failed: $*" >&2
        FAILED[$target@$DELAY,$row]=1
    fi
    t1=$(now)
    dt=$(echo "$t1 - $t0" | bc -l)
    T[$target@$DELAY,$row]="${T[$target@$DELAY,$row]:-} $dt"
    printf '  %-9s %-28s %8.3f s\n' "$target" "$row" "$dt"
}
median() { tr ' ' '\n' <<< "$1" | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
target_dir() { case $1 in native) echo "$DATA" ;; fsdriver) echo "$DATA_FSD" ;; sshfs) echo "$DATA" ;; esac; }

# The same untimed warm-up on every target: metadata, small reads, creates and deletes. The
# per-file paths of a JVM daemon (create, setattr, unlink) are compiled last (a mount that has
# been in use for a while has them compiled; sshfs, in C, gains nothing), hence ten rounds of
# untar and rm -rf (4,000 files, about 10 s): the rows measure a mount in use, not one just started.
warm_up() {
    local dir; case $1 in native) dir=$DATA ;; fsdriver) dir=$MNT_FSD ;; sshfs) dir=$MNT_SSH ;; esac
    (cd "$dir" && for _ in 1 2 3; do find warm -printf '%s\n' > /dev/null; grep -r -c zzzzqqqq warm > /dev/null; done;
        for _ in 1 2 3 4 5 6 7 8 9 10; do tar -xf "$WORK/small.tar" && rm -rf small; done;
        dd if=big.bin of=/dev/null bs=1M count=64 2>/dev/null) || true
}

# Small synchronous transactions (what language servers, editors and git do all day):
# 200 sqlite inserts each in its own commit; an editor's atomic save (write a temporary file,
# fsync, rename over the original) of 100 KB, 200 times; git commit of one changed file.
SQLITE_COMMITS='import sqlite3, os
db = sqlite3.connect("bench.db")
db.execute("create table t (k integer primary key, v text)")
db.commit()
for i in range(200):
    db.execute("insert into t (v) values (?)", ("x" * 100,))
    db.commit()
db.close()
os.remove("bench.db")'
ATOMIC_SAVES='import os
data = os.urandom(100 * 1024)
for i in range(200):
    with open(".saved.txt.tmp", "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.rename(".saved.txt.tmp", "saved.txt")
os.remove("saved.txt")'

ROWS=("git status (first)" "git status (second)" "find + stat all files" "grep -r all contents"
      "read ${SIZE_MIB} MiB (first)" "read ${SIZE_MIB} MiB (second)" "write ${SIZE_MIB} MiB + fsync"
      "untar 400 small files" "rm -rf 400 files" "sqlite 200 commits" "atomic save 100 KB x200"
      "git commit 1 changed file")
run_round() {
    local t=$1
    drop
    time_it "$t" "${ROWS[0]}" git -C repo status --porcelain
    time_it "$t" "${ROWS[1]}" git -C repo status --porcelain
    time_it "$t" "${ROWS[2]}" find repo -printf '%s %T@\n'
    time_it "$t" "${ROWS[3]}" sh -c 'grep -r -c zzzzqqqq repo; [ $? -le 1 ]'
    drop   # the first read is cold: page caches dropped (FUSE mounts' too)
    time_it "$t" "${ROWS[4]}" dd if=big.bin of=/dev/null bs=1M
    time_it "$t" "${ROWS[5]}" dd if=big.bin of=/dev/null bs=1M
    time_it "$t" "${ROWS[6]}" dd if=/dev/zero of=written.bin bs=1M count="$SIZE_MIB" conv=fsync
    rm -f "$(target_dir "$t")/written.bin"
    time_it "$t" "${ROWS[7]}" tar -xf "$WORK/small.tar"
    time_it "$t" "${ROWS[8]}" rm -rf small
    time_it "$t" "${ROWS[9]}" python3 -c "$SQLITE_COMMITS"
    time_it "$t" "${ROWS[10]}" python3 -c "$ATOMIC_SAVES"
    local f; f=$(cd "$(target_dir "$t")/repo" && git ls-files | sed -n 100p)
    # The change made through each target's own path, as an editor in WSL would: made in the served
    # directory instead, sshfs's attribute cache (20 s) hid it and its commit failed, nothing to commit.
    local d; case $t in native) d=$DATA ;; fsdriver) d=$MNT_FSD ;; sshfs) d=$MNT_SSH ;; esac
    echo "// bench $(date +%s%N)" >> "$d/repo/$f"
    time_it "$t" "${ROWS[11]}" sh -c "git -C repo add '$f' && git -C repo -c user.name=b -c user.email=b@example.com commit -qm change"
}

OUT=$ROOT/bench/results/latest.md
echo "Run: $(date -u +%F' '%H:%M' UTC'), $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB, kernel $(uname -r), repo of $NFILES files, big file $SIZE_MIB MiB, median of $ROUNDS rounds, AOT caches $([ "$AOT" = 1 ] && echo on || echo off)." > "$OUT.new"
for DELAY in $DELAYS; do
    start_relays "$DELAY"
    mount_fsdriver
    mount_sshfs
    for t in native fsdriver sshfs; do warm_up "$t"; done
    for r in $(seq 1 "$ROUNDS"); do
        for t in native fsdriver sshfs; do
            echo "bench: delay $DELAY us, round $r of $ROUNDS: $t"
            run_round "$t"
        done
    done
    umount_fsdriver
    umount_sshfs
    stop_relays
    {
        echo
        echo "One-way delay added between each mount and its server: $DELAY us."
        echo
        echo "| workload | native (s) | fsdriver (s) | sshfs (s) | fsdriver / native | sshfs / native | fsdriver vs sshfs |"
        echo "|---|---:|---:|---:|---:|---:|---:|"
        for r in "${ROWS[@]}"; do
            n=$(median "${T[native@$DELAY,$r]}"); f=$(median "${T[fsdriver@$DELAY,$r]}"); s=$(median "${T[sshfs@$DELAY,$r]}")
            verdict="$(echo "$f < $s" | bc -l | sed 's/1/faster/;s/0/SLOWER/') ($(printf '%.2f' "$(echo "$s / $f" | bc -l)")x)"
            # a failed command's time is no result
            for t in sshfs native fsdriver; do
                if [ -n "${FAILED[$t@$DELAY,$r]:-}" ]; then verdict="$t FAILED: no comparison"; fi
            done
            printf '| %s | %.3f | %.3f | %.3f | %.2fx | %.2fx | %s |\n' "$r" "$n" "$f" "$s" \
                "$(echo "$f / $n" | bc -l)" "$(echo "$s / $n" | bc -l)" "$verdict"
        done
        echo
        echo "Every round (s):"
        echo
        for r in "${ROWS[@]}"; do
            printf -- '- %s: native%s; fsdriver%s; sshfs%s\n' "$r" "${T[native@$DELAY,$r]}" "${T[fsdriver@$DELAY,$r]}" "${T[sshfs@$DELAY,$r]}"
        done
    } >> "$OUT.new"
done
mv "$OUT.new" "$OUT"
echo; cat "$OUT"
