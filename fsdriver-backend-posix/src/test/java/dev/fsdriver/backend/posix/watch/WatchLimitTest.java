package dev.fsdriver.backend.posix.watch;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The inotify watch limit, for real: a child JVM runs the watcher in its own user namespace
 * whose limit (/proc/sys/user/max_inotify_watches, per user namespace) is set to 3, so the
 * limit of this machine and of the other processes on it is untouched.
 */
class WatchLimitTest {

    /** Child process: watches args[0] and prints each change as "KIND path", then "READY watches". */
    public static void main(String[] args) throws Exception {
        try (InotifyWatcher w = InotifyWatcher.start(Path.of(args[0]), c -> {
            System.out.println(c.kind() + " " + c.path());
            System.out.flush();
        })) {
            System.out.println("READY " + w.watchCount());
            System.out.flush();
            Thread.sleep(60_000);
        }
    }

    @Test
    void directoriesBeyondTheWatchLimitAreReportedAsOverflow(@TempDir Path share) throws Exception {
        for (String d : List.of("a", "b", "c", "d")) {
            Files.createDirectory(share.resolve(d));
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cmd = "echo 3 > /proc/sys/user/max_inotify_watches && exec \"$0\" \"$@\"";
        Process p = new ProcessBuilder("unshare", "--user", "--map-root-user", "sh", "-c", cmd,
                java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                WatchLimitTest.class.getName(), share.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread.ofVirtual().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) {
                    lines.add(l);
                }
            } catch (Exception e) {
                lines.add("EOF " + e);
            }
        });
        try {
            List<String> seen = new ArrayList<>();
            awaitLine(lines, seen, "READY 3");
            // Root + two of a..d fit in 3 watches: the other two are covered by overflows.
            assertThat(seen).filteredOn(l -> l.startsWith("OVERFLOW ")).hasSize(2);

            Files.createDirectory(share.resolve("later"));
            awaitLine(lines, seen, "OVERFLOW later");
            assertThat(seen).contains("CREATED later");
        } finally {
            p.destroy();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static void awaitLine(BlockingQueue<String> lines, List<String> seen, String want) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!seen.contains(want)) {
            String l = lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            assertThat(l).as("waiting for '%s', saw %s", want, seen).isNotNull();
            seen.add(l);
        }
    }
}
