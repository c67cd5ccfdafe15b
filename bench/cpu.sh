#!/usr/bin/env bash
# Where the daemons' CPU goes on small synchronous operations (issue 17), A/B between builds:
#   bench/cpu.sh ROUNDS DIR...      (each DIR a built checkout: DIR/bin/fsdriver)
# Per round and build: a fresh serve + mount, 10 untimed untar + rm -rf rounds and one untimed
# pass, then one timed pass of 200 atomic saves of 100 KB and 3x (untar + rm -rf of 400 files),
# (with DATA_BASE=/var/tmp: the A/B method of docs/benchmarks.md, 2026-12-05/06). Printed per pass: the workload's times (ms) and each daemon's CPU ticks
# (1/100 s, utime + stime of its threads) split into the JIT compiler threads and the rest.
# The share lives on tmpfs (DATA_BASE, default /dev/shm): on a journal-less ext4 every create
# scans past the inodes deleted in the last ~30 s (ext4's recently_deleted), so a create's cost
# there depends on what the whole machine deleted just before (docs/benchmarks.md, 2026-12-06).
# Run it under the build lock on the shared machines: flock /tmp/fsd-build.lock bench/cpu.sh 5 A B
set -euo pipefail
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}; export PATH=$JAVA_HOME/bin:$PATH
ROUNDS=$1; shift
W=$(mktemp -d /var/tmp/fsdriver-cpu.XXXXXX)
D=$(mktemp -d "${DATA_BASE:-/dev/shm}/fsdriver-cpu.XXXXXX")
trap 'rm -rf "$W" "$D"' EXIT
mkdir -p "$W/small"
for i in $(seq 1 400); do head -c $((RANDOM % 4000 + 100)) /dev/urandom > "$W/small/f$i"; done
tar -C "$W" -cf "$W/small.tar" small && rm -rf "$W/small"
cat > "$W/work.py" <<'PY'
import os, time, sys, collections, subprocess
T = collections.defaultdict(float)
def t(name, f, *a):
    s = time.perf_counter(); r = f(*a); T[name] += time.perf_counter() - s; return r
data = os.urandom(100 * 1024)
s0 = time.perf_counter()
for i in range(200):
    fd = t("open", os.open, ".saved.tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    t("write", os.write, fd, data)
    t("fsync", os.fsync, fd)
    t("close", os.close, fd)
    t("rename", os.rename, ".saved.tmp", "saved.txt")
T["save_total"] = time.perf_counter() - s0
os.remove("saved.txt")
for k in range(3):
    s = time.perf_counter(); subprocess.run(["tar", "-xf", sys.argv[1]], check=True); T["untar"] += time.perf_counter() - s
    s = time.perf_counter(); subprocess.run(["rm", "-rf", "small"], check=True); T["rmrf"] += time.perf_counter() - s
print(" ".join(f"{k}={v*1000:.0f}" for k, v in T.items()))
PY
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# "JIT REST" per process: ticks of its compiler threads, ticks of all its other threads.
ticks() {
    local p t v jit rest
    for p in "$@"; do
        jit=0 rest=0
        for t in /proc/$p/task/*; do
            v=$(awk '{print $14 + $15}' "$t/stat" 2>/dev/null) || continue
            if grep -q Compiler "$t/comm" 2>/dev/null; then jit=$((jit + v)); else rest=$((rest + v)); fi
        done
        echo -n "$jit $rest "
    done
}
for r in $(seq 1 "$ROUNDS"); do
    for B in "$@"; do
        rm -rf "$D/data" "$W/mnt"; mkdir -p "$D/data" "$W/mnt"
        "$B/bin/fsdriver" serve --listen tcp://127.0.0.1:$PORT --share "b=$D/data" > "$W/serve.log" 2>&1 & SP=$!
        for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.1; done
        "$B/bin/fsdriver" mount --server tcp://127.0.0.1:$PORT b "$W/mnt" > "$W/mount.log" 2>&1 & MP=$!
        for _ in $(seq 1 200); do grep -q mounted "$W/mount.log" && break; sleep 0.1; done
        (cd "$W/mnt" && for _ in $(seq 1 10); do tar -xf "$W/small.tar" && rm -rf small; done
         python3 "$W/work.py" "$W/small.tar" > /dev/null)
        a=($(ticks $MP $SP))
        out=$(cd "$W/mnt" && python3 "$W/work.py" "$W/small.tar")
        b=($(ticks $MP $SP))
        echo "$(basename "$B") $out mount_jit=$((b[0] - a[0])) mount_rest=$((b[1] - a[1]))" \
            "serve_jit=$((b[2] - a[2])) serve_rest=$((b[3] - a[3]))" \
            "cpu_ticks=$((b[0] + b[1] + b[2] + b[3] - a[0] - a[1] - a[2] - a[3]))"
        kill $MP; wait $MP 2>/dev/null || true; kill $SP; wait $SP 2>/dev/null || true
    done
done
