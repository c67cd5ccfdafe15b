package dev.fsdriver.it;

import dev.fsdriver.it.stress.StressRun;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The differential stress test with several workers at once: not a *Test class, so ./test does
 * not run it while the differences it finds are open (stale sizes and link counts of hard-linked
 * files under concurrent workers, a server-side create not yet visible on the mount: issue 9's
 * notes); bench/stress.sh runs it. Seeds: {@code -Dfsdriver.stress.seeds}.
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
