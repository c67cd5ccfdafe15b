package dev.fsdriver.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** {@code inotifywait -m [-r]} on a directory of the mount, its events as "EVENTS|relative path". */
final class InotifyWatch implements AutoCloseable {
    private final Process inotify;
    private final List<String> events = Collections.synchronizedList(new ArrayList<>());

    private InotifyWatch(Process inotify) {
        this.inotify = inotify;
    }

    static InotifyWatch start(Path dir, boolean recursive) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("inotifywait", "-m"));
        if (recursive) {
            cmd.add("-r");
        }
        cmd.addAll(List.of("--format", "%e|%w%f", dir.toString()));
        InotifyWatch w = new InotifyWatch(new ProcessBuilder(cmd).redirectErrorStream(true).start());
        BufferedReader r = new BufferedReader(new InputStreamReader(w.inotify.getInputStream(), StandardCharsets.UTF_8));
        for (String line = r.readLine(); line == null || !line.contains("Watches established"); line = r.readLine()) {
            assertThat(line).as("inotifywait ended before watching").isNotNull();
        }
        String prefix = dir + "/";
        Thread.ofPlatform().daemon().start(() -> {
            try {
                for (String line; (line = r.readLine()) != null; ) {
                    w.events.add(line.replace(prefix, ""));
                }
            } catch (java.io.IOException ignored) {
                // inotifywait ended
            }
        });
        return w;
    }

    List<String> seen() {
        synchronized (events) {
            return new ArrayList<>(events);
        }
    }

    /** Waits until every one of {@code wanted} has been seen; fails with what was seen after a bound. */
    void await(String... wanted) throws InterruptedException {
        long end = System.nanoTime() + 60_000_000_000L;
        while (true) {
            List<String> seen = seen();
            if (seen.containsAll(List.of(wanted))) {
                return;
            }
            if (System.nanoTime() > end) {
                List<String> missing = new ArrayList<>(List.of(wanted));
                missing.removeAll(seen);
                throw new AssertionError("not seen within 60 s: " + missing + "; seen (not st*): "
                        + seen.stream().filter(e -> !e.contains("|st")).toList());
            }
            Thread.sleep(50);
        }
    }

    @Override
    public void close() {
        inotify.destroy();
    }
}
