package dev.fsdriver.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A mount never sends a watcher anything for what it did itself (issue 17): sqlite commits (a
 * journal created, written, synced and deleted within milliseconds each), an editor's atomic
 * saves (write a temporary file, fsync, rename over) and explicit journal-like syscalls run under
 * {@code inotifywait -m -r}, once in a native directory and once on the mount: the mount's
 * watcher must see exactly the native one's events (consecutive equal events collapsed, as
 * inotify itself merges them when the reader is behind). Then one file made on the server: once
 * the mount reported it, every earlier event has been through the mount's events layer, and
 * that one (a directory: a single event) must be the only event it received and injected.
 */
class OwnChangesEventsEndToEndTest {
    private static final String WORKLOAD = """
            import os, sqlite3, sys
            os.chdir(sys.argv[1])
            db = sqlite3.connect('app.db')
            db.execute('create table t (k integer primary key, v text)')
            db.commit()
            for i in range(200):
                db.execute('insert into t (v) values (?)', ('x' * 100,))
                db.commit()
            db.close()
            data = bytes(range(256)) * 400
            for i in range(20):
                with open('.saved.txt.tmp', 'wb') as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
                os.rename('.saved.txt.tmp', 'saved.txt')
            for i in range(20):
                fd = os.open('x.db-journal', os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
                os.pwrite(fd, b'j' * 512, 0)
                os.fsync(fd)
                os.close(fd)
                d = os.open('.', os.O_RDONLY | os.O_DIRECTORY)
                os.fsync(d)
                os.close(d)
                os.unlink('x.db-journal')
            os.remove('app.db')
            """;

    @TempDir
    Path tmp;

    @Test
    void sqliteCommitsAndAtomicSavesShowWatchersOfTheMountExactlyTheNativeEvents() throws Exception {
        Path nat = Files.createDirectories(tmp.resolve("native-own"));
        Path s = Files.createDirectories(tmp.resolve("s"));
        Path mnt = Files.createDirectories(tmp.resolve("mnt-own-events"));
        Files.writeString(tmp.resolve("workload.py"), WORKLOAD);
        List<String> expected = run(nat, () -> Files.createDirectory(nat.resolve("z-foreign")));
        assertThat(expected).contains("CREATE app.db-journal", "DELETE app.db-journal", "MOVED_TO saved.txt",
                "DELETE x.db-journal", "CREATE,ISDIR z-foreign");
        try (MeteredMount m = MeteredMount.start(tmp, s, mnt)) {
            List<String> seen = run(mnt, () -> Files.createDirectory(s.resolve("z-foreign")));
            assertThat(seen).isEqualTo(expected);
            String page = m.mountPage();
            assertThat(MeteredMount.sample(page, "fsdriver_mount_events_received_total", MeteredMount.SHARE_LABEL))
                    .as("events that reached the mount").isEqualTo(1);
            assertThat(MeteredMount.sample(page, "fsdriver_mount_events_injected_total", MeteredMount.SHARE_LABEL))
                    .as("events injected").isEqualTo(1);
        }
    }

    @FunctionalInterface
    interface Step {
        void run() throws Exception;
    }

    /**
     * The workload in {@code dir} under inotifywait, then {@code marker} (which makes directory
     * z-foreign: one event, CREATED);
     * the events up to z-foreign's CREATE as "EVENTS name", consecutive equal ones collapsed.
     */
    private List<String> run(Path dir, Step marker) throws Exception {
        Process inotify = new ProcessBuilder("inotifywait", "-m", "-r", "--format", "%e %f", dir.toString())
                .redirectErrorStream(true).start();
        List<String> events = new CopyOnWriteArrayList<>();
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(inotify.getInputStream(), StandardCharsets.UTF_8));
            for (String line = r.readLine(); line == null || !line.contains("Watches established"); line = r.readLine()) {
                assertThat(line).as("inotifywait (inotify-tools, scripts/setup.sh) started").isNotNull();
            }
            Thread reader = Thread.ofPlatform().daemon().start(() -> {
                try {
                    for (String line; (line = r.readLine()) != null; ) {
                        events.add(line);
                        if (line.equals("CREATE,ISDIR z-foreign")) {
                            return;
                        }
                    }
                } catch (java.io.IOException ignored) {
                    // inotifywait ended
                }
            });
            Fsdriver.shOk(tmp, "python3 workload.py " + dir);
            marker.run();
            reader.join(TimeUnit.SECONDS.toMillis(60));
            assertThat(events).as("z-foreign reported").contains("CREATE,ISDIR z-foreign");
        } finally {
            inotify.destroy();
        }
        List<String> collapsed = new ArrayList<>();
        for (String e : events) {
            if (collapsed.isEmpty() || !collapsed.getLast().equals(e)) {
                collapsed.add(e);
            }
        }
        return collapsed;
    }
}
