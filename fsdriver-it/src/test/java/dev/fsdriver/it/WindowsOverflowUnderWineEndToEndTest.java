package dev.fsdriver.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The overflow rule (issue 10) against the Windows server under Wine: after a storm of
 * server-side changes (OVERFLOW: the server's storm rule, or Wine's own notify buffer
 * overflowing), a watcher on the mount sees creates for the names made during the loss and none
 * for the names that were there before, also in a directory it watches without ever listing it
 * (the mount lists such a directory once as a baseline). The served directory is changed on
 * Linux, which Wine reports to the server. One server for the class: the Windows JVM takes
 * seconds to start. (The moved-in directory under `inotifywait -m -r` is not here: under Wine it
 * is not deterministic yet, see docs/windows.md.)
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WindowsOverflowUnderWineEndToEndTest {
    @TempDir
    static Path tmp;

    Path share;
    Path mnt;
    Fsdriver.Server server;
    Fsdriver.Mount mount;
    final int metrics = Fsdriver.freePort();

    @BeforeAll
    void start() throws Exception {
        Wine.setUp(tmp);
        share = Files.createDirectories(tmp.resolve("share"));
        mnt = Files.createDirectories(tmp.resolve("mnt-wine-overflow"));
        Path plain = Files.createDirectories(share.resolve("plain"));
        for (int i = 0; i < 5; i++) {
            Files.writeString(plain.resolve("p" + i), "p");
        }
        Files.createDirectories(plain.resolve("sub"));
        Path src = Files.createDirectories(share.resolve("proj/src"));
        Files.writeString(src.resolve("a.c"), "a");
        Files.writeString(src.resolve("b.c"), "b");
        Files.writeString(share.resolve("proj/README"), "r");
        Files.writeString(Files.createDirectories(share.resolve("storm2")).resolve("p4"), "p");
        Files.writeString(Files.createDirectories(share.resolve("work")).resolve("w"), "w");
        Files.createDirectories(share.resolve("elsewhere/deep"));
        Files.writeString(Files.createDirectories(share.resolve("work2")).resolve("w"), "w2");
        Files.createDirectories(share.resolve("watched"));
        server = Wine.serve(tmp, Fsdriver.freePort(), "--share", "w=" + Wine.z(share));
        mount = Fsdriver.mount(tmp, server, "w", mnt, "--metrics-listen", "127.0.0.1:" + metrics);
    }

    @AfterAll
    void stop() throws Exception {
        try {
            if (mount != null) {
                mount.close();
            }
        } finally {
            Wine.killAll();
            if (server != null) {
                server.close();
            }
        }
    }

    /**
     * A directory watched without ever being listed through the mount ({@code inotifywait -m
     * plain}, no -r), there before the server started: at its first overflow the names that were
     * there before are not announced as created, a name deleted during the loss is announced (the
     * mount listed it once as a baseline when the kernel first held it; the test waits for that).
     */
    @Test
    void aDirectoryNeverListedIsNotAnnouncedAgainAtItsFirstOverflow() throws Exception {
        Path plain = share.resolve("plain");
        try (InotifyWatch w = InotifyWatch.start(mnt.resolve("plain"), false)) {
            // plain was queued when inotifywait looked it up: wait until it is listed
            MountMetric.awaitAtMost(metrics, "fsdriver_mount_events_baselines_waiting", "w", 0);
            // the baseline listing opened plain: only from then on does wineserver watch it
            assertThat(Wine.inotifyWatches(share, plain)).as("wineserver's inotify watches (-1: none)")
                    .allSatisfy((dir, wd) -> assertThat(wd).as("%s", dir).isPositive());
            long resyncs = resyncs();
            try {
                OverflowResyncEndToEndTest.stormWithChangesIn(plain, w);
            } catch (AssertionError e) {
                // what the stalls of the first runs left open: is plain still watched by Wine?
                throw new AssertionError(e.getMessage() + "\nwineserver's inotify watches then (-1: none): "
                        + Wine.inotifyWatches(share, plain, plain.resolve("sub")), e);
            }
            assertThat(resyncs()).as("the storm made the mount resync").isGreaterThan(resyncs);
            assertThat(w.seen()).as("no create for what was there before the storm")
                    .noneMatch(e -> e.startsWith("CREATE") && e.matches(".*\\|(p\\d|sub)"));
        }
    }

    /**
     * The issue's own scenario: {@code inotifywait -m -r} on the whole mount, a program working in
     * a directory of it ({@code proj/src}), and a storm of server-side creates in a sibling
     * directory that makes the mount resync: the watcher gets no create for any name that was
     * there before (directories and files, at the root and below), the delete and the creates
     * made during the loss, and the program's working directory stays its own (before: false
     * creates for existing root entries, and git failed with "unable to get current working
     * directory").
     */
    @Test
    void aStormBesideAWorkingDirectoryAnnouncesNothingOldAndLeavesTheDirectoryWorking() throws Exception {
        Path storm = share.resolve("storm2");
        Path cwd = mnt.resolve("proj/src");
        Process worker = new ProcessBuilder("python3", "-c",
                "import os, sys\nsys.stdin.readline()\nprint(os.getcwd())\nprint(sorted(os.listdir('.')))")
                .directory(cwd.toFile()).redirectErrorStream(true).start();
        awaitQuiet(); // what another test's storm left to announce is not this test's
        try (InotifyWatch w = InotifyWatch.start(mnt, true)) {
            MountMetric.awaitAtMost(metrics, "fsdriver_mount_events_baselines_waiting", "w", 0);
            long resyncs = resyncs();
            try (var paused = Wine.pause(server.port())) { // a loss on a machine of any speed
                for (int i = 0; i < 3000; i++) {
                    Files.writeString(storm.resolve("st" + i), "s");
                    if (i == 1500) {
                        Files.delete(storm.resolve("p4"));
                        Files.writeString(storm.resolve("fresh"), "f");
                    }
                }
            }
            w.await("CREATE|storm2/fresh", "DELETE|storm2/p4", "CREATE|storm2/st2999");
            assertThat(resyncs()).as("the storm made the mount resync").isGreaterThan(resyncs);
            worker.getOutputStream().write('\n');
            worker.getOutputStream().close();
            String out = new String(worker.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(worker.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(out).as("the program's working directory after the resync")
                    .isEqualTo(cwd + "\n['a.c', 'b.c']\n");
            // only storm2's contents changed: a create anywhere else is of a name that was there
            assertThat(w.seen()).as("no create for what was there before the storm; the mount's resyncs: %s",
                            mount.proc().output().lines().filter(l -> l.contains("were lost")).toList())
                    .noneMatch(e -> e.startsWith("CREATE") && !e.contains("|storm2/"))
                    .noneMatch(e -> e.startsWith("DELETE") && !e.equals("DELETE|storm2/p4"));
        } finally {
            worker.destroyForcibly();
        }
    }

    /**
     * Issue 10, B6's last case: a program works in {@code work} on the mount, and on the server's
     * side that directory is moved where the mount never looked ({@code elsewhere/deep}, which
     * wineserver does not watch: no Windows process opened it) during a storm at the root that
     * loses events. The mount's resync misses {@code work} at the root and asks the server, which
     * finds the directory by its file id (Wine: open by id searches below the share root) and
     * publishes the move instead of answering ENOENT: the watcher on the mount sees no delete of
     * it, and the program keeps its working directory and reads a file in it. Before: {@code
     * DELETE,ISDIR|work} and getcwd failing with ENOENT.
     */
    @Test
    void aWorkingDirectoryMovedWhereTheMountNeverLookedIsNotAnnouncedDeleted() throws Exception {
        Path cwd = mnt.resolve("work");
        Process worker = new ProcessBuilder("python3", "-c", "import os, sys\nsys.stdin.readline()\n"
                + "try:\n    print(os.getcwd())\nexcept OSError as e:\n    print('getcwd error', e.errno)\n"
                + "print(open('w').read())").directory(cwd.toFile()).redirectErrorStream(true).start();
        awaitQuiet(); // what another test's storm left to announce is not this test's
        try (InotifyWatch w = InotifyWatch.start(mnt, false)) {
            MountMetric.awaitAtMost(metrics, "fsdriver_mount_events_baselines_waiting", "w", 0);
            long resyncs = resyncs();
            // paused: a loss on a machine of any speed (a fresh-clone CI run on 2026-12-05 made
            // these 3000 creates too slowly for the storm rule, and saw no resync)
            try (var paused = Wine.pause(server.port())) {
                for (int i = 0; i < 3000; i++) {
                    Files.writeString(share.resolve("rs" + i), "s");
                    if (i == 1500) {
                        Files.move(share.resolve("work"), share.resolve("elsewhere/deep/work"));
                    }
                }
            }
            w.await("CREATE|rs2999");
            long end = System.nanoTime() + 60_000_000_000L;
            while (resyncs() == resyncs && System.nanoTime() < end) {
                Thread.sleep(100);
            }
            assertThat(resyncs()).as("the storm made the mount resync").isGreaterThan(resyncs);
            awaitQuiet();
            worker.getOutputStream().write('\n');
            worker.getOutputStream().close();
            String out = new String(worker.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(worker.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(out).as("the program's working directory after the resync; the server's log: %s",
                            server.proc().output().lines().filter(l -> l.contains("file id")).toList())
                    .isIn(cwd + "\nw\n", mnt.resolve("elsewhere/deep/work") + "\nw\n");
            assertThat(w.seen()).as("no delete of the moved working directory")
                    .noneMatch(e -> e.startsWith("DELETE") && e.endsWith("|work"));
        } finally {
            worker.destroyForcibly();
            try (var names = Files.list(share)) {
                for (Path p : names.filter(p -> p.getFileName().toString().matches("rs\\d+")).toList()) {
                    Files.delete(p);
                }
            }
            awaitQuiet();
        }
    }

    /**
     * Issue 10, B6: a program works in {@code work2} on the mount, and on the server's side that
     * directory is moved into {@code watched}, a directory the mount listed (so wineserver watches
     * it), no loss: whatever Wine reports of the move, the watcher on the mount sees no delete of
     * the directory, and the program keeps its working directory and reads a file in it. (This
     * passed before the client's rule for a CREATED of a held directory's name too: Wine's report
     * here does not take that path; EventApplierTest pins that rule.)
     */
    @Test
    void aWorkingDirectoryMovedIntoAWatchedDirectoryStaysTheProgramsOwn() throws Exception {
        try (var names = Files.list(mnt.resolve("watched"))) {
            assertThat(names.toList()).isEmpty(); // listed: the server opened it, Wine watches it
        }
        Path cwd = mnt.resolve("work2");
        Process worker = new ProcessBuilder("python3", "-c", "import os, sys\nsys.stdin.readline()\n"
                + "try:\n    print(os.getcwd())\nexcept OSError as e:\n    print('getcwd error', e.errno)\n"
                + "print(open('w').read())").directory(cwd.toFile()).redirectErrorStream(true).start();
        awaitQuiet();
        try (InotifyWatch w = InotifyWatch.start(mnt, true)) {
            MountMetric.awaitAtMost(metrics, "fsdriver_mount_events_baselines_waiting", "w", 0);
            Files.move(share.resolve("work2"), share.resolve("watched/work2"));
            Files.writeString(share.resolve("after-move"), "a"); // events come in order: this one last
            w.await("CREATE|after-move");
            awaitQuiet();
            worker.getOutputStream().write('\n');
            worker.getOutputStream().close();
            String out = new String(worker.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(worker.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(out).as("the program's working directory after the move; seen: %s", w.seen())
                    .isIn(cwd + "\nw2\n", mnt.resolve("watched/work2") + "\nw2\n");
            assertThat(w.seen()).as("no delete of the moved working directory")
                    .noneMatch(e -> e.startsWith("DELETE") && e.endsWith("work2"));
        } finally {
            worker.destroyForcibly();
        }
    }

    /**
     * Single server-side changes on a quiet share, each awaited at the mount before the next:
     * nothing is lost, so the mount never resyncs, and a rename stays a moved-from / moved-to
     * pair. Before, the server's watcher read each Wine notify buffer whose records follow a name
     * of an odd length (Wine does not pad them) as an overflow: a rename's two records always
     * come in one buffer, so such a rename became a resync (a delete and a create at the mount).
     */
    @Test
    void singleChangesOnAQuietShareMakeNoResync() throws Exception {
        awaitQuiet(); // what another test's storm left to announce is not this test's
        try (InotifyWatch w = InotifyWatch.start(mnt, false)) {
            MountMetric.awaitAtMost(metrics, "fsdriver_mount_events_baselines_waiting", "w", 0);
            // A storm before (another test) may leave a loss to be found late: a fresh-clone CI run
            // saw one resync at this test's first change (cause not confirmed: a late end of the
            // storm, or Wine's overflowed notify buffer reported with the next change). So: quiet,
            // one change awaited, quiet again, and only then the changes that count.
            Files.writeString(share.resolve("settle"), "s");
            w.await("CREATE|settle");
            awaitQuiet();
            long resyncs = resyncs();
            for (int i = 1; i <= 6; i++) {
                String name = "one" + "x".repeat(i);
                String renamed = "two" + "x".repeat(i);
                Files.writeString(share.resolve(name), "x");
                w.await("CREATE|" + name);
                Files.move(share.resolve(name), share.resolve(renamed));
                w.await("MOVED_FROM|" + name, "MOVED_TO|" + renamed);
            }
            assertThat(resyncs()).as("resyncs during single changes; seen: %s", w.seen()).isEqualTo(resyncs);
        }
    }

    /** Waits until the mount has injected nothing for two seconds (at most two minutes). */
    private void awaitQuiet() throws Exception {
        long end = System.nanoTime() + 120_000_000_000L;
        double last = -1;
        for (double now = MountMetric.value(metrics, "fsdriver_mount_events_injected_total", "w"); now != last
                && System.nanoTime() < end; now = MountMetric.value(metrics, "fsdriver_mount_events_injected_total", "w")) {
            last = now;
            Thread.sleep(2000);
        }
    }

    /** Overflow resyncs the mount logged so far. */
    private long resyncs() {
        return mount.proc().output().lines().filter(l -> l.contains("were lost: revalidating")).count();
    }
}
