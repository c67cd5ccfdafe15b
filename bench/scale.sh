#!/usr/bin/env bash
# Large trees (issue 16): a directory of 100,000 empty files and a tree of 200 directories x
# 1,000 files, native against an fsdriver mount and an sshfs mount, in one run, at each one-way
# delay of --delays (bench/DelayRelay.java between each mount and its server). Per delay, on a
# fresh mount with the page cache dropped: `ls -f` of the big directory (first, again), `ls -l`
# of it after that, `find -printf %s` over the tree (first, again), with the fsdriver server's
# Lookup and ReadDir calls per row. At delay 0 also: resident memory of both daemons after the
# rows, how long a server-side `mv` of the tree (200,000 known descendants) takes to show on the
# mount, its move out of the share (a delete, as the mount sees it), and a rename of it through
# the mount. --million adds a directory of 1,000,000 entries
# listed through a fresh mount, with both daemons' peak resident memory, then a storm in it (all
# removed and made again on the server while mounted and watched).
# Usage: bench/scale.sh [--delays "0 250"] [--files N] [--million]
#        Results: bench/results/scale-latest.md
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
DELAYS="0 250"; FILES=100000; DIRS=200; PER_DIR=1000; MILLION=
while [ $# -gt 0 ]; do
    case $1 in
        --delays) DELAYS=$2; shift 2 ;;
        --files) FILES=$2; DIRS=$((FILES / 500)); PER_DIR=1000; shift 2 ;;
        --million) MILLION=1; shift ;;
        *) echo "usage: bench/scale.sh [--delays \"US ...\"] [--files N] [--million]" >&2; exit 2 ;;
    esac
done
FSD_EXTRA="sshfs sshd" source scripts/setup.sh
[ -d fsdriver-cli/target/lib ] || mvn -B -q -ntp -DskipTests package
WORK=$(mktemp -d /var/tmp/fsdriver-scale.XXXXXX)
DATA=$WORK/data; DATA_FSD=$WORK/data-fsd; MNT=$WORK/mnt-fsdriver; MNT_SSH=$WORK/mnt-sshfs
mkdir -p "$DATA" "$DATA_FSD" "$MNT" "$MNT_SSH" "$ROOT/bench/results"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port); METRICS=$(free_port); SSH_PORT=$(free_port)
RELAY_PIDS=()
cleanup() {
    set +e
    for m in "$MNT" "$MNT_SSH"; do mountpoint -q "$m" && umount -l "$m"; done
    for p in "${RELAY_PIDS[@]}"; do kill "$p" 2>/dev/null; done
    [ -n "${MOUNT_PID:-}" ] && kill "$MOUNT_PID" 2>/dev/null
    [ -n "${SERVE_PID:-}" ] && kill "$SERVE_PID" 2>/dev/null
    [ -n "${SSHD_PID:-}" ] && kill "$SSHD_PID" 2>/dev/null
    wait 2>/dev/null
    [ -n "${BENCH_KEEP:-}" ] && echo "scale: kept $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT

# make DIR COUNT [SUBDIRS PER]: empty files, fast (one process)
make_files() {
    python3 - "$@" <<'PY'
import os, sys
root = sys.argv[1]
if len(sys.argv) == 3:
    os.makedirs(root, exist_ok=True)
    for i in range(int(sys.argv[2])):
        os.close(os.open(f"{root}/f{i}", os.O_CREAT | os.O_WRONLY, 0o644))
else:
    for d in range(int(sys.argv[3])):
        os.makedirs(f"{root}/d{d}", exist_ok=True)
        for i in range(int(sys.argv[4])):
            os.close(os.open(f"{root}/d{d}/f{i}", os.O_CREAT | os.O_WRONLY, 0o644))
PY
}
echo "scale: making $FILES files in one directory and $DIRS x $PER_DIR in a tree, twice"
for d in "$DATA" "$DATA_FSD"; do
    make_files "$d/big" "$FILES"
    make_files "$d/tree" 0 "$DIRS" "$PER_DIR"
done

bin/fsdriver serve --listen "tcp://127.0.0.1:$PORT" --metrics-listen "127.0.0.1:$METRICS" --share "s=$DATA_FSD" > "$WORK/serve.log" 2>&1 &
SERVE_PID=$!
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done

ssh-keygen -q -t ed25519 -N '' -f "$WORK/key"; ssh-keygen -q -t ed25519 -N '' -f "$WORK/hostkey"
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

start_relays() {
    FSD_VIA=$PORT; SSH_VIA=$SSH_PORT
    [ "$1" = 0 ] && return 0
    FSD_VIA=$(free_port); SSH_VIA=$(free_port)
    "$JAVA_HOME/bin/java" bench/DelayRelay.java "$FSD_VIA" "127.0.0.1:$PORT" "$1" > "$WORK/relay-fsd.log" 2>&1 &
    RELAY_PIDS+=($!)
    "$JAVA_HOME/bin/java" bench/DelayRelay.java "$SSH_VIA" "127.0.0.1:$SSH_PORT" "$1" > "$WORK/relay-ssh.log" 2>&1 &
    RELAY_PIDS+=($!)
    for _ in $(seq 1 100); do grep -q listening "$WORK/relay-fsd.log" && grep -q listening "$WORK/relay-ssh.log" && return 0; sleep 0.1; done
    echo "scale: the delay relays did not start" >&2; exit 1
}
stop_relays() { for p in "${RELAY_PIDS[@]}"; do kill "$p" 2>/dev/null; done; RELAY_PIDS=(); }
drop() { sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true; }
mount_fsdriver() {
    if [ -n "${MOUNT_PID:-}" ]; then kill "$MOUNT_PID"; wait "$MOUNT_PID" 2>/dev/null || true; fi
    drop
    bin/fsdriver mount --server "tcp://127.0.0.1:$FSD_VIA" s "$MNT" > "$WORK/mount.log" 2>&1 &
    MOUNT_PID=$!
    for _ in $(seq 1 300); do grep -q mounted "$WORK/mount.log" && return 0; sleep 0.1; done
    cat "$WORK/mount.log"; exit 1
}
mount_sshfs() {
    mountpoint -q "$MNT_SSH" && umount "$MNT_SSH"
    drop
    sshfs -p "$SSH_VIA" -o IdentityFile="$WORK/key",StrictHostKeyChecking=no,UserKnownHostsFile=/dev/null \
        "root@127.0.0.1:$DATA" "$MNT_SSH"
}
# live heap after a full collection, in KiB (SerialGC: the DefNew and Tenured lines)
heap_kb() {
    "$JAVA_HOME/bin/jcmd" "$1" GC.run > /dev/null
    "$JAVA_HOME/bin/jcmd" "$1" GC.heap_info | awk '/^ *(DefNew|Tenured) / { for (i = 1; i <= NF; i++) if ($i == "used") { sub(/K,?$/, "", $(i + 1)); s += $(i + 1) } } END { print s + 0 }'
}
rss_mb() { awk '/^VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }
hwm_mb() { awk '/^VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }
# the fsdriver server's calls of METHOD so far (all methods but Watch for "all")
calls() {
    curl -s "127.0.0.1:$METRICS/metrics" | awk -v m="method=\"$1\"" 'index($0, "fsdriver_server_calls_total{") == 1 \
        && (m == "method=\"all\"" ? index($0, "method=\"Watch\"") == 0 : index($0, m) > 0) { s += $NF } END { printf "%d", s }'
}
# node ids the server's share holds for the mount (the root included)
nodes() {
    curl -s "127.0.0.1:$METRICS/metrics" | awk 'index($0, "fsdriver_server_nodes{") == 1 { s += $NF } END { printf "%d", s }'
}
# timed DIR COMMAND...: seconds the command took in DIR (its output discarded)
timed() {
    local dir=$1; shift
    local t0 t1
    t0=$(date +%s.%N); (cd "$dir" && "$@" > /dev/null); t1=$(date +%s.%N)
    python3 -c "print(f'{$t1 - $t0:.2f}')"
}
# the last lines of the server's and the mount's logs, for a result that failed
log_tails() {
    echo '```'
    grep -v 'event storm' "$WORK/serve.log" | tail -n 15 || true
    tail -n 15 "$WORK/mount.log"
    echo '```'
}
ROWS=("ls -f big, first" "ls -f big, again" "ls -l big (after ls -f)" "find tree -printf %s, first" "find tree -printf %s, again")
run_rows() { # DIR: prints one time per row, space-separated; fsdriver call counts to $WORK/calls
    local dir=$1 out="" l0 r0 a0
    for i in 0 1 2 3 4; do
        l0=$(calls Lookup); r0=$(calls ReadDir); a0=$(calls all)
        case $i in
            0|1) out="$out $(timed "$dir" ls -f big)" ;;
            2) out="$out $(timed "$dir" ls -l big)" ;;
            3|4) out="$out $(timed "$dir" find tree -printf '%s\n')" ;;
        esac
        echo "$(( $(calls Lookup) - l0 )) / $(( $(calls ReadDir) - r0 )) / $(( $(calls all) - a0 ))" >> "$WORK/calls"
    done
    echo "$out"
}

OUT=$ROOT/bench/results/scale-latest.md
{
    echo "# Scale (bench/scale.sh), $(date -u +%Y-%m-%d)"
    echo
    echo "$(nproc) CPUs, $(uname -r); $FILES files in one directory, a tree of $DIRS x $PER_DIR files;"
    echo "each column on a fresh mount with the page cache dropped; times in seconds."
} > "$OUT"
for DELAY in $DELAYS; do
    echo "scale: delay $DELAY us"
    start_relays "$DELAY"
    drop; NATIVE=$(run_rows "$DATA")
    : > "$WORK/calls"
    mount_fsdriver
    ls "$MNT" > /dev/null
    [ "$DELAY" = 0 ] && { HS0=$(heap_kb "$SERVE_PID"); HM0=$(heap_kb "$MOUNT_PID"); N0=$(nodes); }
    FSD=$(run_rows "$MNT")
    mv "$WORK/calls" "$WORK/calls-fsd"
    if [ "$DELAY" = 0 ]; then
        # now, before the sshfs column drops the kernel's caches (and with them the nodes it held)
        RSS_S=$(rss_mb "$SERVE_PID"); RSS_M=$(rss_mb "$MOUNT_PID")
        HS1=$(heap_kb "$SERVE_PID"); HM1=$(heap_kb "$MOUNT_PID"); NODES=$(( $(nodes) - N0 ))
        [ "$NODES" -gt 0 ] || NODES=1
    fi
    mount_sshfs; SSH=$(run_rows "$MNT_SSH"); rm -f "$WORK/calls"
    read -r -a N <<< "$NATIVE"; read -r -a F <<< "$FSD"; read -r -a S <<< "$SSH"
    mapfile -t C < "$WORK/calls-fsd"
    {
        echo
        echo "## One-way delay $DELAY us"
        echo
        echo "| workload | native | fsdriver | sshfs | fsdriver / native | sshfs / fsdriver | fsdriver server calls: Lookup / ReadDir / all |"
        echo "|---|---|---|---|---|---|---|"
        for i in 0 1 2 3 4; do
            python3 -c "
n, f, s = $(printf '%s' "${N[$i]}"), $(printf '%s' "${F[$i]}"), $(printf '%s' "${S[$i]}")
r = lambda a, b: f'{a / b:.1f}x' if b > 0 else '-'
print(f'| ${ROWS[$i]} | {n:.2f} | {f:.2f} | {s:.2f} | {r(f, n)} | {r(s, f)} | ${C[$i]} |')"
        done
    } >> "$OUT"
    if [ "$DELAY" = 0 ]; then
        {
            echo
            echo "Resident memory after these rows: serve $RSS_S MB, mount $RSS_M MB."
            echo "Live heap after a full collection, before the rows -> after them (the mount holds $NODES more nodes, of $((FILES + DIRS * PER_DIR + DIRS)) the rows looked up):"
            echo "serve $((HS0 / 1024)) -> $((HS1 / 1024)) MiB, $(( (HS1 - HS0) * 1024 / NODES )) bytes per node;"
            echo "mount $((HM0 / 1024)) -> $((HM1 / 1024)) MiB, $(( (HM1 - HM0) * 1024 / NODES )) bytes per node."
        } >> "$OUT"
        # server-side renames, each seen when the old name is gone and the new one there: a small
        # directory (twice: the first is the JIT's), then the tree the kernel holds 200k nodes of
        SEEN=$(python3 - "$DATA_FSD" "$MNT" <<'PY'
import os, sys, time
data, mnt = sys.argv[1], sys.argv[2]
os.makedirs(f"{data}/small/d", exist_ok=True)
time.sleep(1)
out = []
for t in ("small", "small", "tree"):
    t0 = time.monotonic()
    os.rename(f"{data}/{t}", f"{data}/{t}2")
    while os.path.exists(f"{mnt}/{t}") or not os.path.exists(f"{mnt}/{t}2"):
        if time.monotonic() - t0 > 30:
            sys.exit(f"{t}: not seen within 30 s")
        time.sleep(0.0005)
    out.append(f"{(time.monotonic() - t0) * 1000:.0f} ms")
    os.rename(f"{data}/{t}2", f"{data}/{t}")
    while os.path.exists(f"{mnt}/{t}2"):
        time.sleep(0.001)
# the tree moved out of the share on the server: a delete of it, as the mount sees it
t0 = time.monotonic()
os.rename(f"{data}/tree", f"{data}/../tree-out")
while os.path.exists(f"{mnt}/tree"):
    if time.monotonic() - t0 > 30:
        sys.exit("tree: its removal not seen within 30 s")
    time.sleep(0.0005)
gone = (time.monotonic() - t0) * 1000
os.rename(f"{data}/../tree-out", f"{data}/tree")
while not os.path.exists(f"{mnt}/tree"):
    time.sleep(0.001)
os.listdir(f"{mnt}/tree")
# the same renames through the mount (the kernel holds the tree's directories again after a find)
for d in os.listdir(f"{mnt}/tree"):
    os.listdir(f"{mnt}/tree/{d}")
t0 = time.monotonic()
os.rename(f"{mnt}/tree", f"{mnt}/tree2")
through = (time.monotonic() - t0) * 1000
os.rename(f"{mnt}/tree2", f"{mnt}/tree")
print(f"a small directory {out[0]} then {out[1]}, the tree {out[2]}; the tree moved out of the share"
      f" (a delete, as the mount sees it) {gone:.0f} ms; a rename of the tree through the mount {through:.1f} ms")
PY
)
        echo "A server-side mv seen on the mount (the tree's $((DIRS * PER_DIR)) files known to the mount): $SEEN." >> "$OUT"
    fi
    stop_relays
done
if [ -n "$MILLION" ]; then
    echo "scale: making 1,000,000 files in one directory"
    make_files "$DATA_FSD/huge" 1000000
    FSD_VIA=$PORT; mount_fsdriver
    S0=$(rss_mb "$SERVE_PID")
    if ! T=$(timed "$MNT" ls -f huge); then
        {
            echo
            echo "## 1,000,000 entries in one directory (delay 0): \`ls -f\` FAILED"
            echo
            echo "The last lines of the server's and the mount's logs:"
            log_tails
        } >> "$OUT"
        cat "$OUT"
        exit 1
    fi
    COUNT=$(ls -f "$MNT/huge" | wc -l)
    T2=$(timed "$MNT" ls -l huge)
    {
        echo
        echo "## 1,000,000 entries in one directory (delay 0)"
        echo
        echo "\`ls -f\` through a fresh mount $T s ($COUNT names with . and ..), then \`ls -l\` $T2 s; resident memory"
        echo "serve $S0 MB before, $(rss_mb "$SERVE_PID") MB after (peak $(hwm_mb "$SERVE_PID") MB since it started);"
        echo "mount $(rss_mb "$MOUNT_PID") MB after (peak $(hwm_mb "$MOUNT_PID") MB); the mount holds $(nodes) nodes."
    } >> "$OUT"
    # A storm in it: every file removed and made again on the server while the mount holds the
    # directory and a watcher watches it (2026-12-06: ~2.6 million changes ran the mount out of
    # heap and left its callers hanging). Right when a listing through the mount shows them all.
    echo "scale: a storm in the 1,000,000-entry directory"
    inotifywait -m "$MNT" "$MNT/huge" > "$WORK/watch.log" 2> "$WORK/watch.err" &
    WATCH_PID=$!
    for _ in $(seq 1 100); do grep -q 'Watches established' "$WORK/watch.err" && break; sleep 0.1; done
    sample_peak() { local p=0 r; while kill -0 "$1" 2>/dev/null; do r=$(rss_mb "$1" 2>/dev/null) || break
        [ "${r:-0}" -gt "$p" ] && p=$r && echo "$p" > "$2"; sleep 0.5; done; }
    sample_peak "$MOUNT_PID" "$WORK/peak-mount" & SAMPLERS=($!)
    sample_peak "$SERVE_PID" "$WORK/peak-serve" & SAMPLERS+=($!)
    C0=$(calls all); L0=$(calls Lookup); G0=$(calls GetAttr)
    T0=$(date +%s.%N)
    rm -rf "$DATA_FSD/huge"
    make_files "$DATA_FSD/huge" 1000000
    T1=$(date +%s.%N)
    STORM_OK=
    while python3 -c "import sys, time; sys.exit(time.time() - $T1 > 900)"; do
        kill -0 "$MOUNT_PID" 2>/dev/null || break
        [ "$(timeout 300 ls -f "$MNT/huge" 2>/dev/null | wc -l)" = 1000002 ] && STORM_OK=1 && break
        sleep 2
    done
    T2=$(date +%s.%N)
    kill "$WATCH_PID" "${SAMPLERS[@]}" 2>/dev/null || true
    {
        echo
        if [ -n "$STORM_OK" ]; then
            echo "A storm in it (1,000,000 files removed and made again on the server, the mount holding the directory,"
            echo "watched): made in $(python3 -c "print(f'{$T1 - $T0:.0f}')") s; a listing through the mount showed all"
            echo "1,000,000 $(python3 -c "print(f'{$T2 - $T1:.0f}')") s after; peak resident memory during it serve"
            echo "$(cat "$WORK/peak-serve" 2>/dev/null) MB, mount $(cat "$WORK/peak-mount" 2>/dev/null) MB; server calls $(( $(calls all) - C0 ))"
            echo "(Lookup $(( $(calls Lookup) - L0 )), GetAttr $(( $(calls GetAttr) - G0 ))); events a watcher of the mount's root and of the"
            echo "directory saw: $(wc -l < "$WORK/watch.log") ($(awk '{print $2}' "$WORK/watch.log" | sort | uniq -c | awk '{printf "%s%s %s", s, $2, $1; s=", "}'));"
            echo "overflows the mount resynced: $(grep -c 'were lost: revalidating' "$WORK/mount.log")."
        else
            echo "A storm in it: FAILED (mount $(kill -0 "$MOUNT_PID" 2>/dev/null && echo alive || echo dead)). The last lines of both logs:"
            log_tails
        fi
    } >> "$OUT"
fi
cat "$OUT"
