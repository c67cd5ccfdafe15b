package dev.fsdriver.it;

import static dev.fsdriver.it.MountEndToEndTest.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The headline feature: changes made directly in the served directory (as a Windows program
 * would) reach Linux programs watching the mount as real inotify events, and the mount's caches
 * follow them even with long timeouts. `inotifywait -m -r` and a Java WatchService watch.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ChangeEventsEndToEndTest {
    private static final long BOUND_MS = 20_000;

    @TempDir
    static Path tmp;

    Path share;
    Path mnt;
    Fsdriver.Server server;
    Fsdriver.Mount mount;

    Process inotify;
    final List<String> events = Collections.synchronizedList(new ArrayList<>());

    @BeforeAll
    void start() throws Exception {
        share = Files.createDirectories(tmp.resolve("share"));
        mnt = Files.createDirectories(tmp.resolve("mnt"));
        server = Fsdriver.serve(tmp, "--share", "w=" + share);
        mount = Fsdriver.mount(tmp, server, "w", mnt);
    }

    @AfterAll
    void stop() throws Exception {
        if (mount != null) {
            mount.close();
        }
        if (server != null) {
            server.close();
        }
    }

    /** Starts `inotifywait -m -r` on a fresh directory of the mount; returns the directory (share side). */
    private Path watched(String name) throws Exception {
        Path d = Files.createDirectories(share.resolve(name));
        awaitTrue(() -> Files.isDirectory(mnt.resolve(name)));
        events.clear();
        inotify = new ProcessBuilder("inotifywait", "-m", "-r", "--format", "%e|%w%f", mnt.resolve(name).toString())
                .redirectErrorStream(true).start();
        BufferedReader r = new BufferedReader(new InputStreamReader(inotify.getInputStream(), StandardCharsets.UTF_8));
        String first = r.readLine(); // "Setting up watches..." then "Watches established."
        while (first != null && !first.contains("Watches established")) {
            first = r.readLine();
        }
        Thread.ofPlatform().daemon().start(() -> {
            try {
                for (String line; (line = r.readLine()) != null; ) {
                    events.add(line.replace(mnt.resolve(name) + "/", ""));
                }
            } catch (java.io.IOException ignored) {
                // process ended
            }
        });
        return d;
    }

    @AfterEach
    void stopWatcher() throws Exception {
        if (inotify != null) {
            inotify.destroy();
            inotify.waitFor(10, TimeUnit.SECONDS);
            inotify = null;
        }
    }

    private void awaitEvent(String regex) throws Exception {
        Pattern p = Pattern.compile(regex);
        long end = System.currentTimeMillis() + BOUND_MS;
        while (System.currentTimeMillis() < end) {
            synchronized (events) {
                for (String e : events) {
                    if (p.matcher(e).matches()) {
                        return;
                    }
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no inotify event /" + regex + "/ within " + BOUND_MS + " ms; saw " + events);
    }

    private long count(String regex) {
        Pattern p = Pattern.compile(regex);
        synchronized (events) {
            return events.stream().filter(e -> p.matcher(e).matches()).count();
        }
    }

    @Test
    void createModifyAttribDeleteOfAFile() throws Exception {
        Path d = watched("basic");
        Files.writeString(d.resolve("a.txt"), "one");
        awaitEvent("CREATE\\|a\\.txt");
        Files.writeString(d.resolve("a.txt"), "two, longer", StandardOpenOption.APPEND);
        awaitEvent("MODIFY\\|a\\.txt");
        Files.setPosixFilePermissions(d.resolve("a.txt"), PosixFilePermissions.fromString("rw-------"));
        awaitEvent("ATTRIB\\|a\\.txt");
        Files.delete(d.resolve("a.txt"));
        awaitEvent("DELETE\\|a\\.txt");
    }

    @Test
    void aFifoMadeOnTheServerIsAnnouncedAsAFifo() throws Exception {
        Path d = watched("fifo");
        assertThat(new ProcessBuilder("mkfifo", d.resolve("pipe").toString()).inheritIO().start().waitFor()).isZero();
        awaitEvent("CREATE\\|pipe");
        int mode = (Integer) Files.getAttribute(mnt.resolve("fifo/pipe"), "unix:mode", LinkOption.NOFOLLOW_LINKS);
        assertThat(mode & 0170000).as("file type on the mount").isEqualTo(0010000);
    }

    @Test
    void directoriesAtAnyDepthAndADirectoryCreatedAndFilledAtOnce() throws Exception {
        Path d = watched("nested");
        Files.createDirectories(d.resolve("x/y"));
        awaitEvent("CREATE,ISDIR\\|x");
        awaitEvent("CREATE,ISDIR\\|x/y");
        Files.writeString(d.resolve("x/y/deep.txt"), "deep");
        awaitEvent("CREATE\\|x/y/deep\\.txt");
        new ProcessBuilder("bash", "-c", "mkdir -p p/q && touch p/q/f1 p/q/f2").directory(d.toFile()).start().waitFor();
        awaitEvent("CREATE,ISDIR\\|p");
        awaitEvent("CREATE,ISDIR\\|p/q");
        awaitEvent("CREATE\\|p/q/f1");
        awaitEvent("CREATE\\|p/q/f2");
        Files.delete(d.resolve("x/y/deep.txt"));
        Files.delete(d.resolve("x/y"));
        awaitEvent("DELETE,ISDIR\\|x/y");
    }

    @Test
    void renameAcrossDirectoriesIsOneMovedFromToPair() throws Exception {
        Path d = watched("moves");
        Files.createDirectories(d.resolve("from"));
        Files.createDirectories(d.resolve("to"));
        Files.writeString(d.resolve("from/f.txt"), "moving");
        awaitEvent("CREATE\\|from/f\\.txt");
        // inotifywait has listed `to` (to watch it) before the move: its listing racing the
        // injected rename itself would give the kernel g.txt again in between, and the rename
        // then moves nothing (docs/server.md: no IN_MOVED_* for watchers then)
        awaitEvent("CLOSE_NOWRITE,CLOSE,ISDIR\\|to");
        Files.move(d.resolve("from/f.txt"), d.resolve("to/g.txt"), StandardCopyOption.ATOMIC_MOVE);
        awaitEvent("MOVED_FROM\\|from/f\\.txt");
        awaitEvent("MOVED_TO\\|to/g\\.txt");
        assertThat(Files.readString(mnt.resolve("moves/to/g.txt"))).isEqualTo("moving");
        assertThat(Files.exists(mnt.resolve("moves/from/f.txt"))).isFalse();
        // a renamed directory keeps being watched under its new name
        Files.move(d.resolve("to"), d.resolve("renamed"), StandardCopyOption.ATOMIC_MOVE);
        awaitEvent("MOVED_TO,ISDIR\\|renamed");
        Files.writeString(d.resolve("renamed/after.txt"), "x");
        awaitEvent("CREATE\\|renamed/after\\.txt");
    }

    @Test
    void deleteOfAFileOpenOnTheMount() throws Exception {
        Path d = watched("open");
        Files.writeString(d.resolve("held.txt"), "held");
        awaitEvent("CREATE\\|held\\.txt");
        try (var ch = java.nio.channels.FileChannel.open(mnt.resolve("open/held.txt"))) {
            Files.delete(d.resolve("held.txt"));
            awaitEvent("DELETE\\|held\\.txt");
            assertThat(Files.exists(mnt.resolve("open/held.txt"))).isFalse();
            assertThat(ch.isOpen()).isTrue();
        }
    }

    @Test
    void changesThroughTheMountAreReportedExactlyOnce() throws Exception {
        watched("echo");
        Files.writeString(mnt.resolve("echo/mine.txt"), "mine");
        Files.writeString(mnt.resolve("echo/mine.txt"), " and more", StandardOpenOption.APPEND);
        Files.setPosixFilePermissions(mnt.resolve("echo/mine.txt"), PosixFilePermissions.fromString("rw-------"));
        Files.move(mnt.resolve("echo/mine.txt"), mnt.resolve("echo/moved.txt"));
        Files.createDirectory(mnt.resolve("echo/dir"));
        Files.delete(mnt.resolve("echo/dir"));
        awaitEvent("DELETE,ISDIR\\|dir");
        Thread.sleep(500);
        List<String> kernels;
        synchronized (events) {
            kernels = List.copyOf(events);
        }
        Thread.sleep(3000); // longer than any echo could take to come back
        assertThat(count("CREATE\\|mine\\.txt")).as(events.toString()).isEqualTo(1);
        assertThat(count("ATTRIB\\|mine\\.txt")).as(events.toString()).isEqualTo(1);
        assertThat(count("MOVED_TO\\|moved\\.txt")).as(events.toString()).isEqualTo(1);
        assertThat(events).as("nothing after the kernel's own events").isEqualTo(kernels);
    }

    @Test
    void aServerSideChangeRightAfterOneThroughTheMountIsNotTakenForItsEcho() throws Exception {
        Path d = watched("race");
        Path f = mnt.resolve("race/f.txt");
        Files.writeString(f, "written through the mount");
        assertThat(Files.size(f)).isEqualTo(25);
        awaitEvent("CLOSE_WRITE,CLOSE\\|f\\.txt");
        Thread.sleep(200);
        events.clear();
        // a program on the server side rewrites it a moment later, same kind of change, same path
        Files.writeString(d.resolve("f.txt"), "server");
        awaitEvent("MODIFY\\|f\\.txt");
        awaitTrue(() -> Files.size(f) == 6);
        assertThat(Files.readString(f)).isEqualTo("server");
        // and a delete on the server right after a chmod through the mount
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        Files.delete(d.resolve("f.txt"));
        awaitEvent("DELETE\\|f\\.txt");
        awaitTrue(() -> !Files.exists(f));
    }

    @Test
    void cachesFollowServerSideChangesDespiteLongTimeouts() throws Exception {
        Path d = Files.createDirectories(share.resolve("coherence"));
        Files.writeString(d.resolve("f"), "version one");
        awaitTrue(() -> Files.readString(mnt.resolve("coherence/f")).equals("version one"));
        assertThat(Files.size(mnt.resolve("coherence/f"))).isEqualTo(11);
        Files.writeString(d.resolve("f"), "v2");
        awaitTrue(() -> Files.readString(mnt.resolve("coherence/f")).equals("v2") && Files.size(mnt.resolve("coherence/f")) == 2);
        Files.delete(d.resolve("f"));
        awaitTrue(() -> !Files.exists(mnt.resolve("coherence/f")));
    }

    @Test
    void aServerSideChangeThroughAnotherHardLinkReachesTheMount() throws Exception {
        // The mount knows the file only as 'a'; the server's events name 'd/b', in a directory
        // the kernel never looked up (made before the mount): the file's node must be
        // invalidated all the same (one node per file). Its own mount, so that nothing else
        // looks 'd' up.
        Path linked = Files.createDirectories(tmp.resolve("linked"));
        Path lmnt = Files.createDirectories(tmp.resolve("linked-mnt"));
        Files.writeString(linked.resolve("a"), "one\n");
        Files.createLink(Files.createDirectories(linked.resolve("d")).resolve("b"), linked.resolve("a"));
        try (Fsdriver.Server s = Fsdriver.serve(tmp, "--share", "l=" + linked);
             Fsdriver.Mount m = Fsdriver.mount(tmp, s, "l", lmnt)) {
            Path a = lmnt.resolve("a");
            assertThat(Files.readString(a)).isEqualTo("one\n");
            assertThat(Files.size(a)).isEqualTo(4);
            try (var f = new java.io.RandomAccessFile(linked.resolve("d/b").toFile(), "rw")) {
                f.setLength(100);
            }
            awaitTrue(() -> Files.size(a) == 100);
            Files.createLink(linked.resolve("d/c"), linked.resolve("a")); // the link count of 'a'
            awaitTrue(() -> Files.getAttribute(a, "unix:nlink").equals(3));
        }
    }

    @Test
    void aDirectoryMadeThroughTheMountListsWhatTheServerSideChangesInIt() throws Exception {
        // listed from what the mount made there until something changes elsewhere
        Path d = Files.createDirectories(mnt.resolve("made"));
        Files.writeString(d.resolve("a"), "A");
        Files.writeString(d.resolve("b"), "B");
        assertThat(names(d)).containsExactly("a", "b");
        Files.delete(d.resolve("b"));
        assertThat(names(d)).containsExactly("a");
        // a second listing started at once, after a partial one (rm -rf reads twice)
        try (var s = Files.newDirectoryStream(d)) {
            s.iterator().next();
        }
        assertThat(names(d)).containsExactly("a");
        Files.writeString(share.resolve("made/c"), "C");
        Files.delete(share.resolve("made/a"));
        awaitTrue(() -> names(d).equals(List.of("c")));
        Files.writeString(d.resolve("e"), "E");
        assertThat(names(d)).containsExactly("c", "e");
        assertThat(Files.readString(d.resolve("c"))).isEqualTo("C");
    }

    private static List<String> names(Path dir) throws java.io.IOException {
        try (var s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void javaWatchServiceSeesServerSideChanges() throws Exception {
        Path d = Files.createDirectories(share.resolve("jws"));
        awaitTrue(() -> Files.isDirectory(mnt.resolve("jws")));
        try (WatchService ws = FileSystems.getDefault().newWatchService()) {
            mnt.resolve("jws").register(ws, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                    StandardWatchEventKinds.ENTRY_DELETE);
            Files.writeString(d.resolve("w.txt"), "w");
            List<String> seen = new ArrayList<>();
            long end = System.currentTimeMillis() + BOUND_MS;
            while (!seen.contains("ENTRY_CREATE w.txt") && System.currentTimeMillis() < end) {
                WatchKey key = ws.poll(200, TimeUnit.MILLISECONDS);
                if (key != null) {
                    for (WatchEvent<?> e : key.pollEvents()) {
                        seen.add(e.kind().name() + " " + e.context());
                    }
                    key.reset();
                }
            }
            assertThat(seen).contains("ENTRY_CREATE w.txt");
        }
    }

    /**
     * While the server suppresses a storm's events, the mount must not answer from what it keeps:
     * nothing would tell it of a change. A listing made then for lookups (or by a program) was
     * used until the storm ended: CI listed 157 of 3,000 files right after they were made
     * (MountEndToEndTest#largeDirectoryIsListedCompletely). Here the mount is seen to learn that a
     * storm began, its lookups miss in the directory (which lists it), and a file made then must be
     * found. An attempt counts only if the mount has not heard of the storm's end by then (after
     * it, the file's event may simply not have arrived yet); five are made.
     */
    @Test
    void aFileMadeDuringAStormIsFoundAfterLookupsMissedThere() throws Exception {
        int conclusive = 0;
        for (int attempt = 0; attempt < 5 && conclusive == 0; attempt++) {
            String dir = "burst" + attempt;
            Path d = Files.createDirectories(share.resolve(dir));
            awaitTrue(() -> Files.isDirectory(mnt.resolve(dir)));
            for (int i = 0; i < 1500; i++) {
                Files.writeString(d.resolve("b" + i), "");
            }
            awaitTrue(() -> mount.proc().output().contains("event storm under '" + dir + "' on the server"));
            for (int i = 0; i < 64; i++) {
                assertThat(Files.exists(mnt.resolve(dir + "/missing" + i))).isFalse();
            }
            Files.writeString(d.resolve("late"), "late");
            boolean found = Files.exists(mnt.resolve(dir + "/late"));
            List<String> listed = names(mnt.resolve(dir));
            if (!mount.proc().output().contains("event storm under '" + dir + "' over")) {
                conclusive++;
                assertThat(found).as("made after the lookups, during the storm").isTrue();
                assertThat(listed).contains("late").hasSize(1501);
            }
        }
        assertThat(conclusive).as("an attempt made while the mount knew of the storm").isEqualTo(1);
    }

    /**
     * A listing right after a burst of server-side creates in a directory the mount listed (so
     * keeps) before: the mount's event applier lags far behind the server then, and whatever it
     * keeps, fetched ahead, or the kernel caches was made before events it has not applied yet
     * (CI listed 750 of 3,000 files right after they were made, issue 9). Three rounds, each
     * listed at once after its creates: every file must be there.
     */
    @Test
    void aListingRightAfterABurstOfCreatesShowsEveryFile() throws Exception {
        for (int round = 0; round < 3; round++) {
            String dir = "lag" + round;
            Path d = Files.createDirectories(share.resolve(dir));
            awaitTrue(() -> Files.isDirectory(mnt.resolve(dir)));
            assertThat(names(mnt.resolve(dir))).isEmpty();
            assertThat(names(mnt.resolve(dir))).isEmpty(); // listed again: the kept listing and the kernel's
            for (int i = 0; i < 3000; i++) {
                Files.writeString(d.resolve("f" + i), "");
            }
            assertThat(names(mnt.resolve(dir))).as("round %d, listed right after the creates", round).hasSize(3000);
        }
    }

    @Test
    void aStormOfTenThousandCreatesLeavesNothingSilentOrStale() throws Exception {
        Path d = watched("storm");
        for (int i = 0; i < 10_000; i++) {
            Files.writeString(d.resolve("s" + i), Integer.toString(i));
        }
        // every file is visible through the mount with its size...
        awaitTrue(() -> {
            try (var s = Files.list(mnt.resolve("storm"))) {
                return s.count() == 10_000;
            }
        });
        for (int i = 0; i < 10_000; i += 97) {
            assertThat(Files.size(mnt.resolve("storm/s" + i))).isEqualTo(Integer.toString(i).length());
        }
        // ...and the watcher saw a create for every one (overflow is turned into a resync that
        // injects the rest; a name may be announced twice, so distinct names are what counts)
        Set<String> names = new HashSet<>();
        Matcher m = Pattern.compile("CREATE\\|s(\\d+)").matcher("");
        awaitTrue(() -> {
            synchronized (events) {
                for (String e : events) {
                    if (m.reset(e).matches()) {
                        names.add(m.group(1));
                    }
                }
            }
            return names.size() >= 10_000;
        });
        assertThat(names).hasSize(10_000);
    }
}
