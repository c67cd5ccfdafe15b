#!/usr/bin/env bash
# FUSE layer benchmark: the Java loopback file system vs bindfs vs the native directory, same
# workloads in one run. Needs root (mount, drop_caches), fuse3, bindfs, Java 25, Maven.
#
#   bench/fuse/run.sh                 # build, mount, run, print the table
#   REPS=5 bench/fuse/run.sh          # more repetitions (median is reported)
#   TARGETS="native loopback" bench/fuse/run.sh   # a subset of native loopback bindfs
# Environment: BENCH_WORK (scratch dir, default bench/work/fuse), SIZE_MB (default 1024),
# FILES (stat tree size, default 10000), SMALL (untar files, default 300), JAVA_HOME.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${BENCH_WORK:-$ROOT/bench/work/fuse}
REPS=${REPS:-3}
SIZE_MB=${SIZE_MB:-1024}
FILES=${FILES:-10000}
SMALL=${SMALL:-300}
TARGETS=${TARGETS:-native loopback bindfs}
# JDK 25 and the Debian packages it needs (fuse3, bindfs), installed when missing
FSD_EXTRA="bindfs" source "$ROOT/scripts/setup.sh"
JAVA=$JAVA_HOME/bin/java

log() { echo "[bench] $*" >&2; }

# --- build -----------------------------------------------------------------------------------
log "building fsdriver-fuse (test classes hold the loopback)"
(cd "$ROOT" && mvn -B -q -o -pl fsdriver-fuse -am test-compile >&2 || mvn -B -q -pl fsdriver-fuse -am test-compile >&2)
M2=${M2_REPO:-$HOME/.m2/repository}
SLF4J=2.0.17
CP="$ROOT/fsdriver-fuse/target/classes:$ROOT/fsdriver-fuse/target/test-classes:$ROOT/fsdriver-common/target/classes"
CP="$CP:$M2/org/slf4j/slf4j-api/$SLF4J/slf4j-api-$SLF4J.jar:$M2/org/slf4j/slf4j-simple/$SLF4J/slf4j-simple-$SLF4J.jar"

# --- set up ----------------------------------------------------------------------------------
BACK=$WORK/backing
rm -rf "$WORK"
mkdir -p "$BACK" "$WORK/mnt-loopback" "$WORK/mnt-bindfs"
PIDS=()
cleanup() {
    for m in "$WORK/mnt-loopback" "$WORK/mnt-bindfs"; do
        mountpoint -q "$m" && { umount "$m" 2>/dev/null || umount -l "$m"; }
    done
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

log "preparing $FILES files for the stat tree and a tarball of $SMALL small files"
python3 - "$BACK/tree" "$FILES" "$WORK/small-src" "$SMALL" <<'PY'
import os, sys
tree, n, small, m = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
per = 100
for i in range(n):
    d = os.path.join(tree, "d%03d" % (i // per))
    if i % per == 0: os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%05d" % i), "w") as f: f.write("x" * (i % 200))
for i in range(m):
    d = os.path.join(small, "s%02d" % (i // 30))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "file%04d.txt" % i), "w") as f: f.write(("line %d\n" % i) * (1 + i % 64))
PY
tar -cf "$WORK/small.tar" -C "$WORK/small-src" .

mount_loopback() {  # $1 mount point, $2 extra JVM options
    "$JAVA" --enable-native-access=ALL-UNNAMED -Xmx1g $2 -cp "$CP" dev.fsdriver.fuse.examples.LoopbackMain \
        "$BACK" "$1" 1 > "$WORK/$(basename "$1").log" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 1 200); do mountpoint -q "$1" && return 0; sleep 0.1; done
    cat "$WORK/$(basename "$1").log" >&2; return 1
}
for t in $TARGETS; do
    case $t in
        loopback) mount_loopback "$WORK/mnt-loopback" "" ;;
        bindfs) bindfs "$BACK" "$WORK/mnt-bindfs" ;;
    esac
done
dir_of() { case $1 in native) echo "$BACK" ;; *) echo "$WORK/mnt-$1" ;; esac; }

CAN_DROP=1
drop() { sync; if [ $CAN_DROP = 1 ]; then echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || CAN_DROP=0; fi; }
now() { date +%s.%N; }
RESULTS=$WORK/results.txt
: > "$RESULTS"
record() { echo "$1 $2 $3" >> "$RESULTS"; }   # workload target seconds

# --- workloads -------------------------------------------------------------------------------
# Every target writes into names of its own (never removed behind a mount's back), and the first
# round is an untimed warm-up (JIT of the Java loopback, caches of everyone), with the short untar
# repeated so the create/setattr paths are compiled as they are in a long-running daemon.
run_round() {  # $1 round number (0 = warm-up, not recorded)
    local rep=$1 t D s e
    for t in $TARGETS; do
        D=$(dir_of "$t")
        log "round $rep: $t"
        # stat of every file (cold FUSE caches, warm backing: measures the FUSE round trips)
        drop; find "$BACK/tree" -printf '%s\n' > /dev/null
        s=$(now); find "$D/tree" -printf '%s %i %m\n' > /dev/null; e=$(now)
        [ "$rep" = 0 ] || record stat "$t" "$(echo "$e - $s" | bc)"
        # sequential write, then read after dropping caches
        drop
        s=$(now); dd if=/dev/zero of="$D/big-$t-$rep" bs=1M count="$SIZE_MB" status=none; e=$(now)
        [ "$rep" = 0 ] || record write "$t" "$(echo "$e - $s" | bc)"
        drop
        s=$(now); dd if="$D/big-$t-$rep" of=/dev/null bs=1M status=none; e=$(now)
        [ "$rep" = 0 ] || record read "$t" "$(echo "$e - $s" | bc)"
        rm -f "$D/big-$t-$rep"
        # untar of small files
        local n=1
        [ "$rep" = 0 ] && n=${WARMUP_UNTARS:-10}
        for i in $(seq 1 $n); do
            mkdir "$D/untar-$t-$rep-$i"; drop
            s=$(now); tar -xf "$WORK/small.tar" -C "$D/untar-$t-$rep-$i"; e=$(now)
        done
        [ "$rep" = 0 ] || record untar "$t" "$(echo "$e - $s" | bc)"
    done
}
for rep in $(seq 0 "$REPS"); do
    run_round "$rep"
done

# --- report ----------------------------------------------------------------------------------
[ $CAN_DROP = 1 ] || log "note: could not drop caches (not root?); reads may be served from the page cache"
python3 - "$RESULTS" "$TARGETS" "$SIZE_MB" "$FILES" "$SMALL" "$REPS" <<'PY'
import sys, statistics
path, targets, size, files, small, reps = sys.argv[1], sys.argv[2].split(), *sys.argv[3:]
data = {}
for line in open(path):
    w, t, s = line.split()
    data.setdefault((w, t), []).append(float(s))
names = {"stat": f"stat {files} files (find -printf)", "write": f"write {size} MiB (dd bs=1M)",
         "read": f"read {size} MiB, cold (dd bs=1M)", "untar": f"untar {small} small files"}
hdr = "| workload | " + " | ".join(f"{t} s" for t in targets)
ratios = []
if "loopback" in targets and "bindfs" in targets: ratios.append(("loopback", "bindfs"))
if "loopback" in targets and "native" in targets: ratios.append(("loopback", "native"))
if "bindfs" in targets and "native" in targets: ratios.append(("bindfs", "native"))
hdr += "".join(f" | {a}/{b}" for a, b in ratios) + " |"
print(f"median of {reps} runs")
print(hdr)
print("|" + "---|" * (1 + len(targets) + len(ratios)))
for w in ["stat", "write", "read", "untar"]:
    med = {t: statistics.median(data[(w, t)]) for t in targets}
    row = f"| {names[w]} | " + " | ".join(f"{med[t]:.3f}" for t in targets)
    row += "".join(f" | {med[a] / med[b]:.2f}x" for a, b in ratios) + " |"
    print(row)
PY
