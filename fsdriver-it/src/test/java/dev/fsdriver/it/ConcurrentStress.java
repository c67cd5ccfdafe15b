package dev.fsdriver.it;

import dev.fsdriver.it.stress.StressRun;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The differential stress test with several workers at once, on any seeds: not a *Test class;
 * bench/stress.sh runs it ({@code -Dfsdriver.stress.seeds}, {@code -Dfsdriver.stress.ops}).
 * ./test runs it on a fixed set of seeds that have passed every run ({@link ConcurrentStressTest}).
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
