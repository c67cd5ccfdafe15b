#!/usr/bin/env bash
# fsdriver footprint: start-up times, resident memory (idle, under the benchmark workloads, after
# a soak) and the first git status of a fresh mount against a warmed one, for both daemons
# (serve and mount over loopback), with the JVM options bin/fsdriver chooses for each role.
# Start-up and the first git status are measured without and with the AOT caches of
# `fsdriver aot-cache` (trained here); the memory figures are with them.
# Figures for docs/benchmarks.md ("Footprint"); results: bench/results/footprint-latest.md.
#
# Usage: bench/footprint.sh [--soak-min M] [--starts N]   (defaults: soak 10 min, 5 starts)
#   FSDRIVER_JAVA_OPTS is passed on, so that another option set can be measured against it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
FSD_EXTRA="unzip bc" source scripts/setup.sh
SOAK_MIN=10
STARTS=5
while [ $# -gt 0 ]; do
    case "$1" in
        --soak-min) SOAK_MIN=$2; shift 2 ;;
        --starts) STARTS=$2; shift 2 ;;
        *) echo "usage: bench/footprint.sh [--soak-min M] [--starts N]" >&2; exit 2 ;;
    esac
done
[ -d fsdriver-cli/target/lib ] || mvn -B -q -ntp -DskipTests package
WORK=$(mktemp -d /var/tmp/fsdriver-footprint.XXXXXX)
DATA=$WORK/data
MNT=$WORK/mnt
mkdir -p "$DATA" "$MNT" "$ROOT/bench/results"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cleanup() {
    set +e
    mountpoint -q "$MNT" && umount -l "$MNT"
    [ -n "${MOUNT_PID:-}" ] && kill "$MOUNT_PID" 2>/dev/null
    [ -n "${SERVE_PID:-}" ] && kill "$SERVE_PID" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$WORK"
    bin/fsdriver aot-cache --remove > /dev/null
}
trap cleanup EXIT

echo "footprint: preparing data in $DATA"
mkdir -p "$DATA/repo"
unzip -q "$JAVA_HOME/lib/src.zip" 'java.base/*' 'java.desktop/*' 'java.xml/*' 'java.sql/*' -d "$DATA/repo"
find "$DATA/repo" -type f | sort | tail -n +8001 | xargs -r rm -f
git -C "$DATA/repo" -c init.defaultBranch=main init -q
git -C "$DATA/repo" config gc.auto 0
git -C "$DATA/repo" add -A
git -C "$DATA/repo" -c user.name=bench -c user.email=bench@example.com commit -qm tree
mkdir -p "$WORK/small" && for i in $(seq 1 400); do head -c $((RANDOM % 8192 + 100)) /dev/urandom > "$WORK/small/f$i"; done
tar -C "$WORK" -cf "$WORK/small.tar" small && rm -rf "$WORK/small"
head -c $((256 * 1024 * 1024)) /dev/urandom > "$DATA/big.bin"

now() { date +%s.%N; }
rss_mb() { awk '/^VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }
# resident, and in brackets its anonymous part: the rest is file pages (libjvm, the CDS archive or
# AOT cache), shared between JVMs and given back by the kernel under memory pressure
rss_anon_mb() { awk '/^VmRSS/ {r = $2} /^RssAnon/ {a = $2} END {printf "%.0f [%.0f]", r / 1024, a / 1024}' "/proc/$1/status"; }
hwm_mb() { awk '/^VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }
drop() { sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true; }
start_serve() {
    local t0; t0=$(now)
    bin/fsdriver serve --listen "tcp://127.0.0.1:$PORT" --share "fp=$DATA" > "$WORK/serve.log" 2>&1 &
    SERVE_PID=$!
    for _ in $(seq 1 300); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.01; done
    SERVE_UP=$(echo "$(now) - $t0" | bc -l)
}
start_mount() {
    local t0; t0=$(now)
    bin/fsdriver mount --server "tcp://127.0.0.1:$PORT" fp "$MNT" > "$WORK/mount.log" 2>&1 &
    MOUNT_PID=$!
    for _ in $(seq 1 1000); do grep -q mounted "$WORK/mount.log" && break; sleep 0.01; done
    MOUNT_UP=$(echo "$(now) - $t0" | bc -l)
}
stop_both() {
    kill "$MOUNT_PID"; wait "$MOUNT_PID" 2>/dev/null || true
    kill "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null || true
    MOUNT_PID=""; SERVE_PID=""
}
workloads() {
    (cd "$MNT" && git -C repo status --porcelain > /dev/null && find repo -printf '%s\n' > /dev/null \
        && { grep -r -c zzzzqqqq repo > /dev/null; true; } \
        && tar -xf "$WORK/small.tar" && rm -rf small && dd if=big.bin of=/dev/null bs=1M 2>/dev/null \
        && dd if=/dev/zero of=written.bin bs=1M count=256 conv=fsync 2>/dev/null && rm -f written.bin)
}
timed() { local t0; t0=$(now); "$@" > /dev/null 2>&1; echo "$(now) - $t0" | bc -l; }

median() { tr ' ' '\n' <<< "$1" | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
# starts LABEL: STARTS starts of both, medians into UP[LABEL,serve|mount]; then a fresh mount's first git status into UP[LABEL,first]
declare -A UP
starts() {
    local s="" m=""
    for _ in $(seq 1 "$STARTS"); do
        start_serve; start_mount
        s="$s $SERVE_UP"; m="$m $MOUNT_UP"
        stop_both
    done
    UP[$1,serve]=$(median "$s"); UP[$1,mount]=$(median "$m"); UP[$1,all]="serve$s; mount$m"
    start_serve; start_mount
    drop
    UP[$1,first]=$(timed git -C "$MNT/repo" status --porcelain)
    stop_both
}
bin/fsdriver aot-cache --remove > /dev/null
echo "footprint: $STARTS starts without AOT caches"
starts none
echo "footprint: training the AOT caches"
AOT_TRAIN=$(timed bin/fsdriver aot-cache)
echo "footprint: $STARTS starts with them"
starts aot

echo "footprint: fresh mount, first git status, idle, load"
start_serve; start_mount
drop
FIRST=$(timed git -C "$MNT/repo" status --porcelain)
ls -lR "$MNT" > /dev/null
sleep 5
IDLE_S=$(rss_anon_mb "$SERVE_PID"); IDLE_M=$(rss_anon_mb "$MOUNT_PID")
for _ in 1 2 3; do workloads; done
LOAD_S=$(hwm_mb "$SERVE_PID"); LOAD_M=$(hwm_mb "$MOUNT_PID")
LOADED_S=$(rss_anon_mb "$SERVE_PID"); LOADED_M=$(rss_anon_mb "$MOUNT_PID")
drop
WARM=$(timed git -C "$MNT/repo" status --porcelain)
echo "footprint: soak for $SOAK_MIN min"
SOAK_LOG=""
END=$(( $(date +%s) + SOAK_MIN * 60 ))
while [ "$(date +%s)" -lt "$END" ]; do
    workloads
    SOAK_LOG="$SOAK_LOG $(rss_mb "$SERVE_PID")/$(rss_mb "$MOUNT_PID")"
    echo "footprint: soak $(date -u +%H:%M:%S) resident serve/mount $(rss_mb "$SERVE_PID")/$(rss_mb "$MOUNT_PID") MB"
done
SLEEP_AFTER=30
sleep "$SLEEP_AFTER"
AFTER_S=$(rss_anon_mb "$SERVE_PID"); AFTER_M=$(rss_anon_mb "$MOUNT_PID")
PEAK_S=$(hwm_mb "$SERVE_PID"); PEAK_M=$(hwm_mb "$MOUNT_PID")
stop_both

OUT=$ROOT/bench/results/footprint-latest.md
{
    echo "Run: $(date -u +%F' '%H:%M' UTC'), $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB, kernel $(uname -r); FSDRIVER_JAVA_OPTS='${FSDRIVER_JAVA_OPTS:-}'."
    echo
    echo "| figure | serve | mount |"
    echo "|---|---:|---:|"
    printf '| up after the command, median of %s starts, no AOT cache (s) | %.2f | %.2f |\n' "$STARTS" "${UP[none,serve]}" "${UP[none,mount]}"
    printf '| up after the command, median of %s starts, AOT caches (s) | %.2f | %.2f |\n' "$STARTS" "${UP[aot,serve]}" "${UP[aot,mount]}"
    printf '| resident [anonymous], idle after a first listing (MB) | %s | %s |\n' "$IDLE_S" "$IDLE_M"
    printf '| resident, peak under 3 rounds of the workloads (MB) | %s | %s |\n' "$LOAD_S" "$LOAD_M"
    printf '| resident [anonymous] right after them (MB) | %s | %s |\n' "$LOADED_S" "$LOADED_M"
    printf '| resident, peak over the %s min soak (MB) | %s | %s |\n' "$SOAK_MIN" "$PEAK_S" "$PEAK_M"
    printf '| resident [anonymous], %s s after the soak (MB) | %s | %s |\n' "$SLEEP_AFTER" "$AFTER_S" "$AFTER_M"
    echo
    printf 'git status, caches dropped: fresh mount %.2f s, warmed mount %.2f s (%.2fx).\n' "$FIRST" "$WARM" "$(echo "$FIRST / $WARM" | bc -l)"
    printf 'First git status of a fresh mount, caches dropped: %.2f s without AOT caches, %.2f s with them (training took %.0f s).\n' \
        "${UP[none,first]}" "${UP[aot,first]}" "$AOT_TRAIN"
    echo
    echo "Soak, resident MB serve/mount after each round:$SOAK_LOG"
    echo "Starts (s), no AOT cache: ${UP[none,all]}"
    echo "Starts (s), AOT caches: ${UP[aot,all]}"
} > "$OUT"
echo; cat "$OUT"
