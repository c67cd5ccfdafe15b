#!/usr/bin/env bash
# Change-event benchmark: latency from a change made directly in the served directory to the
# inotify event on an fsdriver mount (p50, p99 over N single creates spaced apart), and a
# storm of 10,000 creates: how many IN_CREATE the watcher saw (lost = 10,000 - seen).
# Usage: [EVENTS_TRACE=FILE] bench/events.sh [N]   (default 300; FILE gets every create's latency)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
N=${1:-300}
[ -d fsdriver-cli/target/lib ] || mvn -B -q -ntp -DskipTests package
WORK=$(mktemp -d /var/tmp/fsdriver-evbench.XXXXXX)
mkdir -p "$WORK/share/lat" "$WORK/share/storm" "$WORK/mnt"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cleanup() {
    set +e
    [ -n "${WPID:-}" ] && kill "$WPID" 2>/dev/null
    [ -n "${MPID:-}" ] && kill "$MPID" 2>/dev/null && wait "$MPID" 2>/dev/null
    mountpoint -q "$WORK/mnt" && umount -l "$WORK/mnt"
    [ -n "${SPID:-}" ] && kill "$SPID" 2>/dev/null
    wait 2>/dev/null; rm -rf "$WORK"
}
trap cleanup EXIT
bin/fsdriver serve --listen "tcp://127.0.0.1:$PORT" --share "ev=$WORK/share" > "$WORK/serve.log" 2>&1 & SPID=$!
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
bin/fsdriver mount --server "tcp://127.0.0.1:$PORT" ev "$WORK/mnt" > "$WORK/mount.log" 2>&1 & MPID=$!
for _ in $(seq 1 200); do grep -q mounted "$WORK/mount.log" && break; sleep 0.1; done
ls "$WORK/mnt/lat" "$WORK/mnt/storm" > /dev/null

# Latency: the watcher stamps each event line on arrival; the writer stamps each create.
( inotifywait -m -e create --format '%f' "$WORK/mnt/lat" 2>/dev/null | while read -r f; do echo "$f $EPOCHREALTIME"; done ) > "$WORK/seen.txt" & WPID=$!
sleep 1
# Untimed warm-up (a long-running mount has a warm JIT): the same creates, not counted; their
# latencies are kept to show the cold start apart.
for i in $(seq 1 50); do
    echo "w$i $EPOCHREALTIME" >> "$WORK/warm-made.txt"
    : > "$WORK/share/lat/w$i"
    sleep 0.02
done
sleep 1
for i in $(seq 1 "$N"); do
    echo "f$i $EPOCHREALTIME" >> "$WORK/made.txt"
    : > "$WORK/share/lat/f$i"
    sleep 0.02
done
sleep 3
kill "$WPID" 2>/dev/null; pkill -f "inotifywait -m -e create --format %f $WORK/mnt/lat" || true
python3 - "$WORK/made.txt" "$WORK/seen.txt" "$N" "${EVENTS_TRACE:-}" > "$WORK/lat.txt" <<'PY'
import sys
made = dict(l.split() for l in open(sys.argv[1]))
seen = {}
for l in open(sys.argv[2]):
    p = l.split()
    if len(p) == 2 and p[0] not in seen: seen[p[0]] = p[1]
lat = sorted((float(seen[k]) - float(made[k])) * 1000 for k in made if k in seen)
if len(sys.argv) > 4 and sys.argv[4]:
    with open(sys.argv[4], "w") as out:
        for k in sorted(made, key=lambda k: float(made[k])):
            if k in seen: print(k, round((float(seen[k]) - float(made[k])) * 1000, 1), file=out)
n = int(sys.argv[3])
def pct(q): return lat[min(len(lat) - 1, int(q * len(lat)))] if lat else float('nan')
print(f"{n} {len(lat)} {pct(0.5):.1f} {pct(0.99):.1f} {lat[-1] if lat else float('nan'):.1f}")
PY
read -r NMADE NSEEN P50 P99 PMAX < "$WORK/lat.txt"
COLD=$(python3 - "$WORK/warm-made.txt" "$WORK/seen.txt" <<'PY'
import sys
made = [l.split() for l in open(sys.argv[1])]
seen = {}
for l in open(sys.argv[2]):
    p = l.split()
    if len(p) == 2 and p[0] not in seen: seen[p[0]] = p[1]
print(" ".join(f"{(float(seen[k]) - float(t)) * 1000:.0f}" for k, t in made[:5] if k in seen))
PY
)

# Storm: 10,000 creates in a burst on the server side.
( inotifywait -m -e create --format '%f' "$WORK/mnt/storm" 2>/dev/null > "$WORK/storm-seen.txt" ) & WPID=$!
sleep 1
( cd "$WORK/share/storm" && seq 1 10000 | sed 's/^/s/' | xargs touch )
for _ in $(seq 1 120); do
    [ "$(sort -u "$WORK/storm-seen.txt" | wc -l)" -ge 10000 ] && break; sleep 0.5
done
SSEEN=$(sort -u "$WORK/storm-seen.txt" | wc -l)
LISTED=$(ls "$WORK/mnt/storm" | wc -l)
kill "$WPID" 2>/dev/null || true
INJ=$(grep -c "were lost" "$WORK/mount.log" || true)

mkdir -p bench/results
{
    echo "Run: $(date -u +%F' '%H:%M' UTC'), $(nproc) cores, kernel $(uname -r)."
    echo
    echo "| measure | value |"
    echo "|---|---:|"
    echo "| single creates made on the server / seen as IN_CREATE on the mount | $NMADE / $NSEEN |"
    echo "| latency p50 | $P50 ms |"
    echo "| latency p99 | $P99 ms |"
    echo "| latency max | $PMAX ms |"
    echo "| cold start: the first 5 creates after the mount started (untimed warm-up) | $COLD ms |"
    echo "| storm: creates made / distinct IN_CREATE seen | 10000 / $SSEEN |"
    echo "| storm: lost events (made - seen) | $((10000 - SSEEN)) |"
    echo "| storm: files listed on the mount afterwards | $LISTED |"
    echo "| storm: overflow resyncs logged by the client | $INJ |"
} | tee bench/results/events-latest.md
