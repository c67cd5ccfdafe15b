package dev.fsdriver.it;

import dev.fsdriver.it.stress.StressRun;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The differential stress test with several workers at once, on any seeds: not a *Test class;
 * bench/stress.sh runs it ({@code -Dfsdriver.stress.seeds}). Not in ./test: every seed has failed in
 * some run (even seed 2, in a fresh-clone CI run on 2026-12-03: a LINK got ENOENT). With the fixes
 * of 3 December (exchange followed by renames on the server's side, read-ahead overtaken by an
 * event), seed 1 still fails in most runs (5 of 8: d3/f0/d3/f7, 7051 bytes served, stays 0 bytes
 * on the mount after a truncate then an exchange of its top directory with a symlink), 16 in three
 * of five (a name listed that cannot be looked up), 8 once in five, 13 and 18 once in seven (issue 9's
 * notes). Seed 1 is the reproducer to start from: bench/stress.sh 1.
 */
class ConcurrentStress extends StressMount {
    /**
     * Four workers through the mount at once (as `fsstress -p 4`, the second case) and one
     * changing the served directory directly, which the mount must follow through events.
     */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void fourWorkersAndOneOnTheServer(long seed) throws Exception {
        assertNoDifference(engine.run(new StressRun.Config(seed, 4, 1, OPS, 25)));
    }
}
