package dev.fsdriver.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fsdriver status} against real mounts: what each says, and a server that went away. */
class StatusEndToEndTest {
    @TempDir
    Path tmp;

    private Fsdriver.Result status(Map<String, String> env) throws Exception {
        StringBuilder exports = new StringBuilder();
        env.forEach((k, v) -> exports.append("export ").append(k).append('=').append(v).append("; "));
        return Fsdriver.sh(tmp, exports.toString() + Fsdriver.repoRoot().resolve("bin/fsdriver") + " status");
    }

    @Test
    void listsEachMountWithItsServerConnectionEventsAndCounters() throws Exception {
        // a runtime directory of this test's own, so that other mounts on the machine do not show
        Map<String, String> env = Map.of("XDG_RUNTIME_DIR", Files.createDirectories(tmp.resolve("run")).toString());
        Path a = Files.createDirectories(tmp.resolve("a"));
        Path b = Files.createDirectories(tmp.resolve("b"));
        Files.writeString(a.resolve("f"), "x");
        try (Fsdriver.Server server = Fsdriver.serve(tmp, "--share", "a=" + a, "--share", "b=" + b)) {
            Fsdriver.Mount ma = Fsdriver.mount(tmp, env, server, "a", tmp.resolve("ma"));
            Fsdriver.Mount mb = Fsdriver.mount(tmp, env, server, "b", tmp.resolve("mb"), "--no-events", "--cache-timeout", "2.5");
            try {
                assertThat(Files.readString(tmp.resolve("ma/f"))).isEqualTo("x");
                Fsdriver.Result r = status(env);
                assertThat(r.exitCode()).isZero();
                assertThat(r.output())
                        .contains(tmp.resolve("ma") + ": a of " + server.address() + " (pid ")
                        .contains(tmp.resolve("mb") + ": b of " + server.address() + " (pid ")
                        .contains("connection connected, events live, caches until an event (up to 1 h)")
                        .contains("events off, caches 2.5 s")
                        .containsPattern("requests [1-9][0-9]*, server calls [1-9][0-9]*, reconnects 0, events received")
                        .containsPattern("cache hits/requests: attribute [0-9]+/[1-9][0-9]*, entry [0-9]+/[1-9][0-9]*, "
                                + "directory [0-9]+/[0-9]+, content [0-9]+/[1-9][0-9]*, statfs [0-9]+/[0-9]+");
                // a change made on the server: the mount applies its event and says how late
                Files.writeString(a.resolve("made-on-the-server"), "y");
                long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                String lag = "";
                Pattern measured = Pattern.compile("ms over [1-9][0-9]* events");
                while (System.nanoTime() < until && !measured.matcher(lag).find()) {
                    lag = status(env).output();
                    Thread.sleep(100);
                }
                assertThat(lag).containsPattern("event lag \\(server saw a change \\.\\. mount applied it\\): "
                        + "mean [0-9.]+ ms, max [0-9.]+ ms over [1-9][0-9]* events\n");
                server.close();
                // the event stream notices a server that went away: events down, short caches
                long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                String out = "";
                while (System.nanoTime() < end && !out.contains("events down")) {
                    out = status(env).output();
                    Thread.sleep(200);
                }
                assertThat(out).contains("events down, caches 1 s");
            } finally {
                mb.close();
                ma.close();
            }
            // gone with their processes (other mounts of the machine may still be listed)
            assertThat(status(env).output()).doesNotContain(tmp.resolve("ma").toString()).doesNotContain(tmp.resolve("mb").toString());
            assertThat(Files.list(tmp.resolve("run/fsdriver")).toList()).isEmpty();
        }
    }
}
