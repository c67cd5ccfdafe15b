#!/usr/bin/env bash
# Longer differential stress runs (the engine of fsdriver-it's DifferentialStressTest): seeded
# random operations on a native directory and on an fsdriver mount, compared after every step
# and at the end (see fsdriver-it/src/test/java/dev/fsdriver/it/stress/StressRun.java).
#
# Usage: bench/stress.sh [SEEDS] [OPS] [fsstress1]   e.g. bench/stress.sh 1-50 2000
#        bench/stress.sh --shrink LOG:STEP[:TEXT] [-Dfsdriver.stress.shrink.server=N -Dfsdriver.stress.converge.ms=3000]
#   SEEDS: a list (1,5,9) or a range (1-50); default 1-20. OPS: operations per worker, default 2000.
#   fsstress1: the operations of issue 9's first fsstress case (chown, O_DIRECT, mmap, splice, readv...:
#   OpGenerator.Profile.FSSTRESS_CASE1) instead of the default mix, one worker and four at once.
#   Each seed runs one worker alone, then four at once with one changing the served directory.
#   Worker logs: fsdriver-it/target/stress-logs/; the differences: fsdriver-it/target/surefire-reports/.
#   --shrink replays a failing worker's log up to STEP on a fresh mount and drops operations while
#   it still fails with TEXT in the failure; prints the short reproduction. A server-side worker's log
#   (name ending -sN): add -Dfsdriver.stress.shrink.server=25 (the mount compared every 25 steps, as
#   ConcurrentStressTest does) and a short -Dfsdriver.stress.converge.ms so that failing tries end soon.
#   -Dfsdriver.stress.shrink.once=true replays the log once (no shrinking); -Dfsdriver.stress.debug=true
#   keeps both processes' debug logs as fsdriver-it/target/stress-logs/shrink-serve.log and shrink-mount.log.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
if [ "${1:-}" = "--shrink" ]; then
    exec mvn -B -ntp -q -pl fsdriver-it -am verify -Dtest=StressShrink -Dsurefire.failIfNoSpecifiedTests=false \
        "-Dfsdriver.stress.shrink=$2" "${@:3}"
fi
SEEDS=${1:-1-20}
OPS=${2:-2000}
if [[ "$SEEDS" =~ ^([0-9]+)-([0-9]+)$ ]]; then
    SEEDS=$(seq -s, "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}")
fi
if [ "${3:-}" = "fsstress1" ]; then
    exec mvn -B -ntp -pl fsdriver-it -am verify -Dtest='DifferentialStressTest#fsstressCase1,ConcurrentStressTest' \
        -Dsurefire.failIfNoSpecifiedTests=false -Dfsdriver.stress.profile=FSSTRESS_CASE1 \
        -Dfsdriver.stress.case1.seeds="$SEEDS" -Dfsdriver.stress.case1.ops="$OPS" \
        -Dfsdriver.stress.seeds="$SEEDS" -Dfsdriver.stress.ops="$OPS"
fi
exec mvn -B -ntp -pl fsdriver-it -am verify -Dtest='DifferentialStressTest#oneWorker,ConcurrentStressTest' \
    -Dsurefire.failIfNoSpecifiedTests=false -Dfsdriver.stress.seeds="$SEEDS" -Dfsdriver.stress.ops="$OPS"
