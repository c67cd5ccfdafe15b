#!/usr/bin/env bash
# A/B timing of small transactions between builds: ab.sh ROUNDS DIR1 DIR2 ...
# Each DIR is a built checkout (bin/fsdriver). The share lives in /var/tmp (journal-less ext4 here:
# untar timings depend on what the machine deleted just before; bench/cpu.sh uses tmpfs instead). Per round, per build: fresh serve+mount, warm up,
# then per-syscall timings of 200 atomic saves and untar+rm -rf of 400 files (3x).
set -euo pipefail
export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64; export PATH=$JAVA_HOME/bin:$PATH
ROUNDS=$1; shift
W=$(mktemp -d /var/tmp/ab.XXXXXX)
mkdir -p $W/small; for i in $(seq 1 400); do head -c $((RANDOM%4000+100)) /dev/urandom > $W/small/f$i; done
tar -C $W -cf $W/small.tar small; rm -rf $W/small
cat > $W/work.py <<'PY'
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
print(" ".join(f"{k}={v*1000:.1f}" for k, v in T.items()))
PY
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cpu() { local t=0; for p in "$@"; do t=$((t + $(awk '{print $14+$15}' /proc/$p/stat))); done; echo $t; }
for r in $(seq 1 $ROUNDS); do
  for B in "$@"; do
    rm -rf $W/data $W/mnt; mkdir -p $W/data $W/mnt
    $B/bin/fsdriver serve --listen tcp://127.0.0.1:$PORT --share "b=$W/data" > $W/serve.log 2>&1 & SP=$!
    for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.1; done
    $B/bin/fsdriver mount --server tcp://127.0.0.1:$PORT b $W/mnt > $W/mount.log 2>&1 & MP=$!
    for _ in $(seq 1 200); do grep -q mounted $W/mount.log && break; sleep 0.1; done
    (cd $W/mnt && for _ in 1 2 3 4 5 6 7 8 9 10; do tar -xf $W/small.tar && rm -rf small; done
     python3 $W/work.py $W/small.tar > /dev/null)
    c0=$(cpu $MP $SP)
    out=$(cd $W/mnt && python3 $W/work.py $W/small.tar)
    c1=$(cpu $MP $SP)
    echo "$(basename $B) $out cpu_ticks=$((c1-c0))"
    kill $MP; wait $MP 2>/dev/null || true; kill $SP; wait $SP 2>/dev/null || true
  done
done
rm -rf $W
