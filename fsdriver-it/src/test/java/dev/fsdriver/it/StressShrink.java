package dev.fsdriver.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.it.stress.Op;
import dev.fsdriver.it.stress.Shrinker;
import dev.fsdriver.it.stress.StressRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tool, not part of ./test (its name does not end in Test): shrinks a failing stress worker's
 * log to a short reproduction on a fresh mount. bench/stress.sh --shrink runs it:
 * {@code -Dfsdriver.stress.shrink=LOG:LASTSTEP[:TEXT]} where TEXT must occur in the failure kept.
 * Prints the operations left and fails with their differences. A server-side worker's log:
 * {@code -Dfsdriver.stress.shrink.server=N} (the mount compared every N steps).
 */
class StressShrink {
    @TempDir
    Path tmp;

    @Test
    void shrink() throws Exception {
        String spec = System.getProperty("fsdriver.stress.shrink");
        assertThat(spec).as("-Dfsdriver.stress.shrink=LOG:LASTSTEP[:TEXT]").isNotNull();
        String[] f = spec.split(":", 3);
        List<Op> ops = Shrinker.readLog(Path.of(f[0]), Integer.parseInt(f[1]));
        Path share = Files.createDirectories(tmp.resolve("share"));
        Path mnt = Files.createDirectories(tmp.resolve("mnt"));
        Path nat = Files.createDirectories(tmp.resolve("native"));
        // -Dfsdriver.stress.debug=true: both processes log at debug level, kept as shrink-serve.log, shrink-mount.log
        boolean debug = Boolean.getBoolean("fsdriver.stress.debug");
        String[] level = debug ? new String[] {"--log-level", "debug"} : new String[0];
        Path logs = Files.createDirectories(Fsdriver.repoRoot().resolve("fsdriver-it/target/stress-logs"));
        try (Fsdriver.Server server = Fsdriver.serve(tmp, Stream.concat(Arrays.stream(level),
                        Stream.of("--share", "stress=" + share)).toArray(String[]::new));
                Fsdriver.Mount mount = Fsdriver.mount(tmp, server, "stress", mnt, level)) {
            try {
                shrink(f, ops, share, mnt, nat, logs);
            } finally {
                Files.copy(mount.proc().log, logs.resolve("shrink-mount.log"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                Files.copy(server.proc().log, logs.resolve("shrink-serve.log"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    private void shrink(String[] f, List<Op> ops, Path share, Path mnt, Path nat, Path logs) throws Exception {
        StressRun engine = new StressRun(nat, share, mnt, logs);
        int settle = Integer.getInteger("fsdriver.stress.shrink.server", 0);
        Shrinker.Script script = settle > 0 ? (name, o) -> engine.serverScript(name, o, settle) : engine::script;
        // -Dfsdriver.stress.shrink.once=true: only replays the log (one try, e.g. for a debug log of it)
        Shrinker.Result r = Boolean.getBoolean("fsdriver.stress.shrink.once")
                ? new Shrinker.Result(ops, script.run("replay", ops))
                : new Shrinker(script).shrink(ops, f.length > 2 ? f[2] : "");
        StringBuilder sb = new StringBuilder("shrunk from " + ops.size() + " to " + r.ops().size() + " operations:\n");
        r.ops().forEach(op -> sb.append("    ").append(op).append('\n'));
        System.out.println(sb);
        assertThat(r.failures()).as(sb.toString()).isEmpty();
    }
}
