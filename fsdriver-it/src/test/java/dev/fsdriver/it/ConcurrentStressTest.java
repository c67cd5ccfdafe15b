package dev.fsdriver.it;

import dev.fsdriver.it.stress.OpGenerator;
import dev.fsdriver.it.stress.StressRun;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The differential stress test with several workers at once: four through the mount and one
 * changing the served directory directly, each step's result compared with the same step on a
 * native directory, the trees compared at the end (see {@link StressRun}). ./test runs seeds 1 to
 * 10 at 300 operations per worker; bench/stress.sh runs any ({@code -Dfsdriver.stress.seeds},
 * {@code -Dfsdriver.stress.ops}). What each seed found and how it was fixed:
 * docs/benchmarks.md, "Differential stress".
 *
 * <p>The workers are threads of this JVM, not processes: each makes its own system calls on its
 * own descriptors, and the kernel gives each thread its own id in the FUSE requests it sends, so
 * the mount sees them as it sees processes; what threads would share (the descriptor table, the
 * working directory) the engine never shares between workers.
 */
class ConcurrentStressTest extends StressMount {
    /** {@code -Dfsdriver.stress.profile=FSSTRESS_CASE1}: fsstress case 1's operations instead of the default mix. */
    private static final OpGenerator.Profile PROFILE =
            OpGenerator.Profile.valueOf(System.getProperty("fsdriver.stress.profile", "DEFAULT"));

    /** Seeds 1 to 10, or those of {@code -Dfsdriver.stress.seeds}. */
    static LongStream concurrentSeeds() {
        return seeds("fsdriver.stress.seeds", "1-10");
    }

    /**
     * Four workers through the mount at once (as `fsstress -p 4`, the second case) and one
     * changing the served directory directly, which the mount must follow through events.
     */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("concurrentSeeds")
    void fourWorkersAndOneOnTheServer(long seed) throws Exception {
        assertNoDifference(engine.run(new StressRun.Config(seed, 4, 1, OPS, 25, PROFILE)));
    }
}
