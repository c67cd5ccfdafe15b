package dev.fsdriver.backend.windows;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.backend.Change;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.backend.windows.win32.Win32;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * The watcher against a real directory (run under Wine by WindowsTestsUnderWineTest, and in the
 * Windows CI job).
 */
@EnabledOnOs(OS.WINDOWS)
class WindowsWatcherOnWindowsTest {
    @TempDir
    Path dir;
    private WindowsBackend b;

    @BeforeEach
    void open() throws Exception {
        b = WindowsBackend.open(dir, false);
    }

    @AfterEach
    void close() {
        b.close();
    }

    /**
     * B6: I/O a thread issued is cancelled when that thread exits. The server calls watch() on a
     * pooled thread that may end at any time; the watcher must keep watching after that.
     */
    @Test
    void aWatcherStartedOnAThreadThatEndsKeepsReporting() throws Exception {
        LinkedBlockingQueue<Change> q = new LinkedBlockingQueue<>();
        AtomicReference<AutoCloseable> w = new AtomicReference<>();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread starter = new Thread(() -> {
            try {
                w.set(b.watch(q::add));
            } catch (Throwable t) {
                failed.set(t);
            }
        });
        starter.start();
        starter.join();
        assertThat(failed.get()).isNull();
        try (AutoCloseable watch = w.get()) {
            String name = "after-starter-ended";
            Files.writeString(dir.resolve(name), "x");
            Change c = nextCreateOrOverflow(q);
            if (c.kind() == Change.Kind.OVERFLOW) {
                // Wine under load sometimes loses the first change with an overflow (a rescan's cue,
                // itself a report): the watch must still report the next change by name
                name = "after-overflow";
                Files.writeString(dir.resolve(name), "x");
                do {
                    c = nextCreateOrOverflow(q);
                } while (c.kind() == Change.Kind.OVERFLOW);
            }
            assertThat(c.kind()).isEqualTo(Change.Kind.CREATED);
            assertThat(c.path()).isEqualTo(RelPath.parse(name));
        }
    }

    private static Change nextCreateOrOverflow(LinkedBlockingQueue<Change> q) throws InterruptedException {
        Change c;
        do {
            c = q.poll(10, TimeUnit.SECONDS);
            assertThat(c).as("a change after the starting thread ended").isNotNull();
        } while (c.kind() == Change.Kind.MODIFIED || c.kind() == Change.Kind.ATTRIB);
        return c;
    }

    /**
     * A quiet watcher sees single changes, one at a time (each awaited before the next): none
     * of them is an overflow. Names of odd and even lengths: Wine links its records without
     * padding, so a record after an odd-length name starts 2 bytes off a DWORD boundary.
     */
    @Test
    void singleChangesOneAtATimeReportNoOverflow() throws Exception {
        LinkedBlockingQueue<Change> q = new LinkedBlockingQueue<>();
        List<Change> seen = new ArrayList<>();
        try (AutoCloseable w = b.watch(q::add)) {
            for (int i = 1; i <= 12; i++) {
                RelPath name = RelPath.parse("f".repeat(i));
                Files.writeString(dir.resolve(name.toString()), "x");
                Change c;
                do {
                    c = q.poll(10, TimeUnit.SECONDS);
                    assertThat(c).as("the create of %s (seen so far: %s)", name, seen).isNotNull();
                    seen.add(c);
                } while (!(c.kind() == Change.Kind.CREATED && c.path().equals(name)) && c.kind() != Change.Kind.OVERFLOW);
            }
        }
        assertThat(seen).as("changes seen").noneMatch(c -> c.kind() == Change.Kind.OVERFLOW);
    }

    /**
     * B6: a change made through an 8.3 name is reported by Windows under that name; the watcher
     * turns it into the long name with GetLongPathNameW. Wine's notifications always carry the
     * long (host) name, so under Wine the conversion itself is checked on a real short name too.
     */
    @Test
    void shortNamesBecomeLongNames() throws Exception {
        Path d = Files.createDirectories(dir.resolve("Long directory name"));
        Files.writeString(d.resolve("report for 2026.docx"), "x");
        String full = dir + "\\Long directory name\\report for 2026.docx";
        String shortFull = Win32.GetShortPathNameW(full);
        String[] parts = shortFull.split("\\\\");
        String shortRel = parts[parts.length - 2] + "\\" + parts[parts.length - 1];
        assertThat(shortRel).as("8.3 name made by this file system").isNotEqualTo("Long directory name\\report for 2026.docx");
        assertThat(WindowsWatcher.longName(dir.toString(), shortRel)).isEqualTo("Long directory name\\report for 2026.docx");
        assertThat(WindowsWatcher.longName(dir.toString(), parts[parts.length - 2] + "\\gone.txt")).isNull();
        // the watcher's root is a \\?\ path
        assertThat(WindowsWatcher.longName("\\\\?\\" + dir, shortRel)).isEqualTo("Long directory name\\report for 2026.docx");
    }

    @Test
    void aChangeThroughAShortNameIsReportedUnderTheLongName() throws Exception {
        Path f = dir.resolve("long file name.txt");
        Files.writeString(f, "x");
        String shortFull = Win32.GetShortPathNameW(f.toString());
        LinkedBlockingQueue<Change> q = new LinkedBlockingQueue<>();
        try (AutoCloseable w = b.watch(q::add)) {
            Files.writeString(Path.of(shortFull), "through the short name");
            Change c = q.poll(10, TimeUnit.SECONDS);
            assertThat(c).as("a change").isNotNull();
            assertThat(c.path()).isEqualTo(RelPath.parse("long file name.txt"));
        }
    }

    /**
     * A file created in a subdirectory that existed before the watch started is reported (NTFS).
     * Wine 8 does not: its wineserver (server/change.c) puts an inotify watch on the watched
     * directory and on subdirectories created later, but on an existing subdirectory only once a
     * Windows process opens it as a directory (create_dir_obj -> dir_add_to_existing_notify, and
     * only when its parent is watched already): a Wine gap (WindowsTestsUnderWineTest). Ordered,
     * not timed: a change at the root made afterwards comes after it on NTFS.
     */
    @Test
    void aFileCreatedInASubdirectoryThatExistedBeforeTheWatchIsReported() throws Exception {
        Files.createDirectories(dir.resolve("pre/sub"));
        LinkedBlockingQueue<Change> q = new LinkedBlockingQueue<>();
        try (AutoCloseable w = b.watch(q::add)) {
            assertCreatedBeforeAMarker(q);
        }
    }

    /**
     * What the server relies on under Wine (see above): it opens every directory it works in
     * through ShareDirs, component by component, so once a client has looked into a
     * subdirectory, Wine watches it and changes there are reported.
     */
    @Test
    void aFileCreatedInAnExistingSubdirectoryIsReportedOnceTheServerOpenedIt() throws Exception {
        Files.createDirectories(dir.resolve("pre/sub"));
        LinkedBlockingQueue<Change> q = new LinkedBlockingQueue<>();
        try (AutoCloseable w = b.watch(q::add)) {
            b.list(RelPath.parse("pre/sub")); // what a client's lookup or listing makes the server do
            Files.writeString(dir.resolve("pre/sub/f"), "x");
            Change c;
            do {
                c = q.poll(10, TimeUnit.SECONDS);
                assertThat(c).as("a change").isNotNull();
            } while (c.kind() != Change.Kind.CREATED && c.kind() != Change.Kind.OVERFLOW);
            if (c.kind() == Change.Kind.CREATED) { // an OVERFLOW (Wine under load) is a report too: a rescan finds f
                assertThat(c.path()).isEqualTo(RelPath.parse("pre/sub/f"));
            }
        }
    }

    /**
     * Creates pre/sub/fN, then markerN at the root, and asserts that fN was reported before the
     * marker. An OVERFLOW (Wine under load, see above) says nothing either way: tried again.
     */
    private void assertCreatedBeforeAMarker(LinkedBlockingQueue<Change> q) throws Exception {
        for (int attempt = 0; ; attempt++) {
            RelPath f = RelPath.parse("pre/sub/f" + attempt);
            RelPath marker = RelPath.parse("marker" + attempt);
            Files.writeString(dir.resolve("pre/sub/f" + attempt), "x");
            Files.writeString(dir.resolve("marker" + attempt), "x");
            List<RelPath> created = new ArrayList<>();
            boolean overflow = false;
            while (!created.contains(marker)) {
                Change c = q.poll(10, TimeUnit.SECONDS);
                assertThat(c).as("a change (created so far: %s)", created).isNotNull();
                overflow |= c.kind() == Change.Kind.OVERFLOW;
                if (c.kind() == Change.Kind.CREATED) {
                    created.add(c.path());
                }
            }
            if (!overflow || attempt == 4) {
                assertThat(overflow).as("five overflows in a row").isFalse();
                assertThat(created).as("created before the marker").contains(f);
                return;
            }
        }
    }
}
