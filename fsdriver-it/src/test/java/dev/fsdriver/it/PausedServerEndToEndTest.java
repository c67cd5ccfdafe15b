package dev.fsdriver.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server paused (SIGSTOP, as a debugger, a swapped-out VM or a stalled host does it) while
 * many writers write through the mount: after SIGCONT every writer finishes and every byte
 * arrives; a pause longer than the client's call deadline and keep-alive ends in data that
 * arrived or in a writer's error (write, fsync or close), never in a hang or a silent loss; the
 * mount stays usable either way.
 */
class PausedServerEndToEndTest {
    private static final int WRITERS = 40;
    private static final int MIB_EACH = 12;
    /** Far longer than any pause here, and than a call deadline (15 s) plus a Hello's: a request still running then is hanging. */
    private static final Duration HANG = Duration.ofSeconds(150);

    @TempDir
    Path tmp;

    @Test
    void aServerPausedForSecondsDuringManyWritesLosesNothing() throws Exception {
        try (Setup t = new Setup()) {
            List<String> results = t.writeWhilePaused(Duration.ofSeconds(3));
            assertThat(results).as("writers").hasSize(WRITERS).allMatch(r -> r.endsWith(" 0"), "every writer succeeded");
            for (int i = 0; i < WRITERS; i++) {
                assertThat(Files.mismatch(t.src, t.s.resolve("f" + i))).as("f" + i).isEqualTo(-1L);
            }
            t.assertUsable();
        }
    }

    /**
     * The server stays away past the call deadline (15 s) while the writers wait for it: a
     * request made then (another file read) ends while the server is still away, in an error,
     * instead of queueing behind every writer's attempt to reach the server; once the server is
     * back (after keep-alive's time plus timeout, 30 + 10 s, too), the writers end in data or
     * errors, never in a hang.
     */
    @Test
    void whileTheServerStaysAwayARequestEndsAndTheWritersEndInDataOrErrors() throws Exception {
        try (Setup t = new Setup()) {
            Files.writeString(t.s.resolve("probe"), "p");
            String[] probe = new String[1];
            List<String> results = t.writeWhilePaused(() -> {
                long stopped = System.nanoTime();
                Thread.sleep(20_000); // past the call deadline: the writers' calls failed, they ask again
                Process p = new ProcessBuilder("bash", "-c", "cat probe; echo \"rc=$?\"").directory(t.mnt.toFile())
                        .redirectErrorStream(true).start();
                if (!p.waitFor(HANG.toSeconds(), TimeUnit.SECONDS)) {
                    String stacks = t.stacks();
                    p.destroyForcibly();
                    throw new AssertionError("a read while the server is away hangs " + HANG + "; mount's threads:\n" + stacks);
                }
                probe[0] = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                // and past keep-alive
                Thread.sleep(Math.max(0, 45_000 - (System.nanoTime() - stopped) / 1_000_000));
            });
            assertThat(probe[0]).as("the read while the server was away").contains("rc=");
            assertThat(results).hasSize(WRITERS);
            for (String r : results) {
                String name = r.split(" ")[0];
                if (r.endsWith(" 0")) {
                    assertThat(Files.mismatch(t.src, t.s.resolve(name)))
                            .as(name + " said it was written; it has " + Files.size(t.s.resolve(name)) + " bytes; writers: "
                                    + results + "\nmount log:\n" + t.mount.proc().output())
                            .isEqualTo(-1L);
                }
            }
            t.assertUsable();
        }
    }

    /** A served directory, a mount of it, and a source file for the writers. */
    private final class Setup implements AutoCloseable {
        final Path s;
        final Path mnt;
        final Path src;
        final Fsdriver.Server server;
        final TcpRelay link;
        final Fsdriver.Mount mount;

        Setup() throws Exception {
            s = Files.createDirectories(tmp.resolve("s"));
            mnt = Files.createDirectories(tmp.resolve("mnt-pause"));
            byte[] data = new byte[MIB_EACH << 20];
            new Random(9).nextBytes(data);
            src = Files.write(tmp.resolve("src"), data);
            server = Fsdriver.serve(tmp, "--share", "work=" + s);
            Fsdriver.Mount m;
            TcpRelay l = null;
            try {
                // a link that can be slowed, so that the writers fill what they may hold back
                l = new TcpRelay(server.port(), false);
                m = Fsdriver.mount(tmp, Map.of("FSDRIVER_JAVA_OPTS", "-Xmx160m"),
                        new Fsdriver.Server(server.proc(), l.port()), "work", mnt);
            } catch (Throwable e) {
                if (l != null) {
                    l.close();
                }
                server.close();
                throw e;
            }
            link = l;
            mount = m;
        }

        /**
         * Opens the files, starts the writers (dd, then sync of the file, each saying its exit code),
         * pauses the server once data is arriving, resumes it after {@code pause}, and returns one
         * "fN rc" line per writer.
         */
        List<String> writeWhilePaused(Duration pause) throws Exception {
            return writeWhilePaused(() -> Thread.sleep(pause.toMillis()));
        }

        /** As {@link #writeWhilePaused(Duration)}, the server resumed when {@code whilePaused} returns. */
        List<String> writeWhilePaused(Pause whilePaused) throws Exception {
            StringBuilder script = new StringBuilder();
            for (int i = 0; i < WRITERS; i++) {
                script.append("exec ").append(10 + i).append(">f").append(i).append(" || exit 9; ");
            }
            Path opened = tmp.resolve("opened");
            script.append("touch ").append(opened).append("; ");
            for (int i = 0; i < WRITERS; i++) {
                script.append("( dd if=").append(src).append(" bs=1M status=none >&").append(10 + i)
                        .append(" && sync f").append(i).append("; echo \"f").append(i).append(" $?\" ) & ");
            }
            script.append("wait");
            Process writers = new ProcessBuilder("bash", "-c", script.toString()).directory(mnt.toFile())
                    .redirectErrorStream(true).start();
            long pid = server.proc().process.pid();
            try {
                while (!Files.exists(opened) && writers.isAlive()) {
                    Thread.sleep(10);
                }
                // the writers fill what they may hold back while the link is slow, then the server stops
                link.slowDown(Duration.ofSeconds(4));
                while (arrived() < (4L << 20) && writers.isAlive()) {
                    Thread.sleep(10);
                }
                signal("STOP", pid);
                whilePaused.run();
            } finally {
                signal("CONT", pid);
            }
            if (!writers.waitFor(HANG.toSeconds(), TimeUnit.SECONDS)) {
                String stacks = stacks();
                writers.destroyForcibly();
                throw new AssertionError("writers hang " + HANG + " after the server was resumed; mount's threads:\n"
                        + stacks + "\nmount log:\n" + mount.proc().output());
            }
            String out = new String(writers.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            List<String> results = new ArrayList<>();
            for (String line : out.split("\n")) {
                if (line.matches("f\\d+ \\d+")) {
                    results.add(line);
                }
            }
            assertThat(results).as("writers' output:\n" + out + "\nmount log:\n" + mount.proc().output()).hasSize(WRITERS);
            return results;
        }

        String stacks() throws Exception {
            return Fsdriver.sh(tmp, "jcmd " + mount.proc().process.pid() + " Thread.print 2>&1 | head -c 60000").output();
        }

        private long arrived() throws Exception {
            long n = 0;
            for (int i = 0; i < WRITERS; i++) {
                Path f = s.resolve("f" + i);
                n += Files.exists(f) ? Files.size(f) : 0;
            }
            return n;
        }

        /** New files can be written and read, and the mount lists what the served directory has, without a hang. */
        void assertUsable() throws Exception {
            Fsdriver.Result r = Fsdriver.sh(mnt, "echo after > after && cat after");
            assertThat(r.exitCode()).as(r.output()).isZero();
            assertThat(r.output()).isEqualTo("after\n");
            List<String> names = new ArrayList<>();
            try (var l = Files.list(s)) {
                l.forEach(f -> names.add(f.getFileName().toString()));
            }
            assertThat(names).as("the served directory").contains("after", "f0", "f" + (WRITERS - 1));
            // The mount's listing must come to what the served directory has. Known defect (issue 9,
            // seen once in a fresh-clone CI run on 2026-12-03): right after the 45 s pause, with the
            // event stream interrupted, an ls straight after this mount made "after" once listed
            // every name but "after"; so the listing is given the short cache timeout to converge.
            long end = System.nanoTime() + java.time.Duration.ofSeconds(10).toNanos();
            List<String> listed;
            do {
                Fsdriver.Result ls = Fsdriver.sh(mnt, "ls");
                assertThat(ls.exitCode()).as(ls.output()).isZero();
                listed = List.of(ls.output().split("\n"));
            } while (!new HashSet<>(listed).equals(new HashSet<>(names)) && System.nanoTime() < end
                    && sleep(200));
            assertThat(listed).as("mount log:\n" + mount.proc().output()).containsExactlyInAnyOrderElementsOf(names);
            assertThat(Files.readString(s.resolve("after"))).isEqualTo("after\n");
            assertThat(mount.proc().process.isAlive()).as("mount alive:\n" + mount.proc().output()).isTrue();
        }

        private static boolean sleep(long ms) throws InterruptedException {
            Thread.sleep(ms);
            return true;
        }

        @Override
        public void close() throws Exception {
            try {
                mount.close();
            } finally {
                link.close();
                server.close();
            }
        }
    }

    @FunctionalInterface
    private interface Pause {
        void run() throws Exception;
    }

    private static void signal(String sig, long pid) throws Exception {
        int rc = new ProcessBuilder("kill", "-" + sig, Long.toString(pid)).inheritIO().start().waitFor();
        assertThat(rc).as("kill -" + sig + " " + pid).isZero();
    }
}
