#!/usr/bin/env bash
# Server calls per workload (issue 13's figure): each workload runs through an fsdriver mount
# and the server's own counters (`fsdriver_server_calls_total`, serve --metrics-listen) are read
# before and after it. Counts do not depend on the machine's load, so this runs anywhere.
#   - on a JDK source tree (src.zip, ~15,000 files in git) and on a node_modules-like tree
#     (many small directories: 300 packages x 4 directories x 5 small files);
#   - "fresh": a mount just started, caches empty; the next rows run on the same mount, as a
#     user's second command would; events on (the default).
# Usage: bench/calls.sh [REGEX]     Results: bench/results/calls.md (with REGEX: only the rows whose
#                                   name matches run, printed, and the results file is left alone)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
ONLY=${1:-}
FSD_EXTRA="unzip" source scripts/setup.sh
[ -d fsdriver-cli/target/lib ] || mvn -B -q -ntp -DskipTests package
WORK=$(mktemp -d /var/tmp/fsdriver-calls.XXXXXX)
DATA=$WORK/data
MNT=$WORK/mnt
mkdir -p "$DATA" "$MNT" "$ROOT/bench/results"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
METRICS=$(free_port)

cleanup() {
    set +e
    mountpoint -q "$MNT" && umount -l "$MNT"
    [ -n "${MOUNT_PID:-}" ] && kill "$MOUNT_PID" 2>/dev/null
    [ -n "${SERVE_PID:-}" ] && kill "$SERVE_PID" 2>/dev/null
    wait 2>/dev/null
    [ -n "${BENCH_KEEP:-}" ] && echo "calls: kept $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT

echo "calls: preparing data in $DATA"
mkdir -p "$DATA/jdk"
unzip -q "$JAVA_HOME/lib/src.zip" 'java.base/*' 'java.desktop/*' 'java.xml/*' 'java.sql/*' 'java.net.http/*' 'jdk.compiler/*' -d "$DATA/jdk"
git -C "$DATA/jdk" -c init.defaultBranch=main init -q
git -C "$DATA/jdk" config gc.auto 0
git -C "$DATA/jdk" add -A
git -C "$DATA/jdk" -c user.name=bench -c user.email=bench@example.com commit -qm tree
JDK_FILES=$(git -C "$DATA/jdk" ls-files | wc -l); JDK_DIRS=$(find "$DATA/jdk" -path '*/.git' -prune -o -type d -print | wc -l)
for p in $(seq 1 300); do
    for d in lib lib/util dist test; do
        mkdir -p "$DATA/nm/node_modules/pkg$p/$d"
        for f in 1 2 3 4 5; do printf 'module.exports = %d;\n' "$f" > "$DATA/nm/node_modules/pkg$p/$d/f$f.js"; done
    done
    printf '{"name":"pkg%d","version":"1.0.0"}\n' "$p" > "$DATA/nm/node_modules/pkg$p/package.json"
done
NM_FILES=$(find "$DATA/nm" -type f | wc -l); NM_DIRS=$(find "$DATA/nm" -type d | wc -l)
tar -C "$DATA/nm" -cf "$WORK/nm.tar" node_modules
mkdir -p "$WORK/out"

bin/fsdriver serve --listen "tcp://127.0.0.1:$PORT" --metrics-listen "127.0.0.1:$METRICS" --share "b=$DATA" > "$WORK/serve.log" 2>&1 &
SERVE_PID=$!
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done

mount_fresh() {
    if [ -n "${MOUNT_PID:-}" ]; then kill "$MOUNT_PID"; wait "$MOUNT_PID" 2>/dev/null || true; fi
    sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
    bin/fsdriver mount --server "tcp://127.0.0.1:$PORT" b "$MNT" > "$WORK/mount.log" 2>&1 &
    MOUNT_PID=$!
    for _ in $(seq 1 200); do grep -q mounted "$WORK/mount.log" && return 0; sleep 0.1; done
    cat "$WORK/mount.log"; exit 1
}
# calls: METHOD COUNT lines of the server's counters (Hello and Watch included)
scrape() {
    python3 - "$METRICS" <<'PY'
import sys, urllib.request, re, collections
text = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/metrics").read().decode()
c = collections.Counter()
for line in text.splitlines():
    m = re.match(r'fsdriver_server_calls_total\{([^}]*)\} ([0-9.eE+]+)', line)
    if m:
        method = re.search(r'method="([^"]+)"', m.group(1)).group(1)
        c[method] += int(float(m.group(2)))
for k, v in sorted(c.items()):
    print(k, v)
PY
}
OUT=$ROOT/bench/results/calls.md
{
    echo "Run: $(date -u +%F' '%H:%M' UTC'), kernel $(uname -r). JDK tree: $JDK_FILES files, $JDK_DIRS directories, in git."
    echo "node_modules-like tree: $NM_FILES files, $NM_DIRS directories. Server calls counted by the server (all methods)."
    echo
    echo "| workload | calls | per entry | by method |"
    echo "|---|---:|---:|---|"
} > "$OUT.new"
# row NAME ENTRIES COMMAND...: runs COMMAND in the mount, counts the server calls it cost
row() {
    local name=$1 entries=$2; shift 2
    local before after
    if [ -n "$ONLY" ] && ! [[ $name =~ $ONLY ]]; then
        return 0
    fi
    before=$(scrape)
    (cd "$MNT" && "$@") > /dev/null 2>&1 || echo "calls: '$name' failed: $*" >&2
    sleep 0.5   # asynchronous calls (write-behind, forgets, releases) land
    after=$(scrape)
    python3 - "$name" "$entries" "$before" "$after" >> "$OUT.new" <<'PY'
import sys
name, entries, before, after = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
parse = lambda t: {l.split()[0]: int(l.split()[1]) for l in t.splitlines() if l.strip()}
b, a = parse(before), parse(after)
d = {k: a[k] - b.get(k, 0) for k in a if a[k] - b.get(k, 0) > 0}
total = sum(d.values())
methods = ", ".join(f"{k} {v}" for k, v in sorted(d.items(), key=lambda kv: -kv[1]))
per = f"{total / entries:.2f}" if entries else "-"  # no entries: a REGEX skipped the row that made them
print(f"| {name} | {total} | {per} | {methods} |")
PY
    tail -1 "$OUT.new"
}

mount_fresh
row "JDK: git status (fresh mount)" "$JDK_FILES" git -C jdk status --porcelain
row "JDK: git status (second)" "$JDK_FILES" git -C jdk status --porcelain
row "JDK: find -printf %s (after git status)" "$JDK_FILES" find jdk -printf '%s\n'
row "JDK: grep -r (first)" "$JDK_FILES" sh -c 'grep -r -c zzzzqqqq jdk; true'
row "JDK: grep -r (again)" "$JDK_FILES" sh -c 'grep -r -c zzzzqqqq jdk; true'
row "JDK: tar c (to /dev/null)" "$JDK_FILES" tar -cf /dev/null jdk
# memory pressure: the kernel forgets dentries and inodes (not the mount's caches)
row "JDK: git status (kernel's caches dropped)" "$JDK_FILES" sh -c 'sync; echo 2 > /proc/sys/vm/drop_caches 2>/dev/null; git -C jdk status --porcelain'
row "JDK: find (kernel's caches dropped)" "$JDK_FILES" sh -c 'sync; echo 2 > /proc/sys/vm/drop_caches 2>/dev/null; find jdk -printf "%s\n"'
mount_fresh
row "JDK: find (fresh mount)" "$JDK_FILES" find jdk -printf '%s\n'
row "JDK: find (again)" "$JDK_FILES" find jdk -printf '%s\n'
mount_fresh
row "JDK: grep -r (fresh mount)" "$JDK_FILES" sh -c 'grep -r -c zzzzqqqq jdk; true'
row "JDK: cp -r out of the mount" "$JDK_FILES" cp -r jdk/java.sql "$WORK/out/"
SQL_FILES=$( (find "$WORK/out/java.sql" -type f 2>/dev/null || true) | wc -l)  # 0 when a REGEX skipped the copy
row "JDK: cp -r into the mount ($SQL_FILES files)" "$SQL_FILES" cp -r "$WORK/out/java.sql" copied
row "JDK: rm -rf of that copy" "$SQL_FILES" rm -rf copied
mount_fresh
row "node_modules: find (fresh mount)" "$NM_FILES" find nm -printf '%s\n'
row "node_modules: ls -lR (again)" "$NM_FILES" ls -lR nm
row "node_modules: untar into the mount" "$NM_FILES" tar -xf "$WORK/nm.tar" -C .
row "node_modules: rm -rf" "$NM_FILES" rm -rf node_modules
row "sqlite: 200 commits" 200 python3 -c 'import sqlite3, os
db = sqlite3.connect("bench.db")
db.execute("create table t (k integer primary key, v text)")
db.commit()
for i in range(200):
    db.execute("insert into t (v) values (?)", ("x" * 100,))
    db.commit()
db.close()
os.remove("bench.db")'
row "atomic save 100 KB x200" 200 python3 -c 'import os
data = os.urandom(100 * 1024)
for i in range(200):
    with open(".saved.txt.tmp", "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.rename(".saved.txt.tmp", "saved.txt")
os.remove("saved.txt")'
if [ -n "$ONLY" ]; then
    echo; cat "$OUT.new"; rm -f "$OUT.new"
else
    mv "$OUT.new" "$OUT"
    echo; cat "$OUT"
fi
