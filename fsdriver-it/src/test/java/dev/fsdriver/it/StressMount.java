package dev.fsdriver.it;

import static org.assertj.core.api.Assertions.fail;

import dev.fsdriver.it.stress.StressRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a differential stress run needs: the engine over a native directory, a real `fsdriver
 * serve` of a share and a real `fsdriver mount` of it. Used by {@link DifferentialStressTest}
 * and {@link ConcurrentStressTest}: seeded random operations on a native directory and on an fsdriver
 * mount (real `fsdriver serve` and `fsdriver mount` processes, change events on),
 * result codes compared after every step, trees compared at the end with the native directory,
 * the mount and the served directory itself. See {@link StressRun}.
 *
 * <p>Seeds and sizes: {@code -Dfsdriver.stress.seeds=1-20} (a range or a list such as 2,4,6) and
 * {@code -Dfsdriver.stress.ops=N} (operations per worker); bench/stress.sh runs long ones.
 */
abstract class StressMount {
    static final int OPS = Integer.getInteger("fsdriver.stress.ops", 300);

    @TempDir
    Path tmp;

    StressRun engine;
    Fsdriver.Server server;
    Fsdriver.Mount mount;

    /** The default: seeds 1 to 20 with one worker at 300 operations (about 70 s). */
    static LongStream seeds() {
        return seeds("fsdriver.stress.seeds", "1-20");
    }

    /** The seeds system property {@code property} names (a range or a list), else {@code dflt}. */
    static LongStream seeds(String property, String dflt) {
        return Arrays.stream(System.getProperty(property, dflt).split(",")).map(String::trim)
                .flatMapToLong(s -> {
                    int dash = s.indexOf('-', 1);
                    return dash < 0 ? LongStream.of(Long.parseLong(s))
                            : LongStream.rangeClosed(Long.parseLong(s.substring(0, dash)), Long.parseLong(s.substring(dash + 1)));
                });
    }

    /** Numbers this JVM's runs so repeated seeds keep their own logs ({@code -Dfsdriver.stress.seeds=18,18}). */
    private static final AtomicInteger RUNS = new AtomicInteger();

    private Path logs;

    @BeforeEach
    void start(TestInfo test) throws Exception {
        logs = Files.createDirectories(Fsdriver.repoRoot().resolve("fsdriver-it/target/stress-logs")
                .resolve(test.getDisplayName().replaceAll("[^A-Za-z0-9]+", "-") + "run" + RUNS.incrementAndGet()));
        Path share = Files.createDirectories(tmp.resolve("share"));
        Path mnt = Files.createDirectories(tmp.resolve("mnt"));
        Path nat = Files.createDirectories(tmp.resolve("native"));
        // set-id bits as a native directory has them: the mount's kernel enforces POSIX's rules
        // -Dfsdriver.stress.debug=true: both processes log every event they send and apply
        String[] level = Boolean.getBoolean("fsdriver.stress.debug") ? new String[] {"--log-level", "debug"} : new String[0];
        server = Fsdriver.serve(tmp, concat(level, "--share", "stress=" + share, "--allow-setid"));
        mount = Fsdriver.mount(tmp, server, "stress", mnt, level);
        engine = new StressRun(nat, share, mnt, logs);
    }

    private static String[] concat(String[] a, String... b) {
        return Stream.concat(Arrays.stream(a), Arrays.stream(b)).toArray(String[]::new);
    }

    @AfterEach
    void stop() throws Exception {
        if (mount != null) {
            mount.close();
        }
        if (server != null) {
            server.close();
        }
        keepLogs();
    }

    /** The serve and mount processes' logs next to the workers' (the temp dir goes with the test). */
    private void keepLogs() throws IOException {
        if (mount != null && Files.exists(mount.proc().log)) {
            Files.copy(mount.proc().log, logs.resolve("mount.log"), StandardCopyOption.REPLACE_EXISTING);
        }
        if (server != null && Files.exists(server.proc().log)) {
            Files.copy(server.proc().log, logs.resolve("serve.log"), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    static void assertNoDifference(List<String> failures) {
        if (!failures.isEmpty()) {
            fail(failures.size() + " difference(s):\n" + String.join("\n", failures));
        }
    }
}
