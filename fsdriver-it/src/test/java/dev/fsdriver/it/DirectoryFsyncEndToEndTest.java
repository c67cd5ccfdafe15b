package dev.fsdriver.it;

import static dev.fsdriver.it.MeteredMount.calls;
import static dev.fsdriver.it.MeteredMount.scrape;
import static dev.fsdriver.it.MeteredMount.since;
import static dev.fsdriver.it.ServerCallsEndToEndTest.value;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * fsync of a directory, which programs do to make a rename or a new name durable (sqlite after
 * creating its journal, editors and package managers after an atomic save), leaves the
 * directory synced on the server: by its own call when this mount changed names there since,
 * or by the fsync of the file whose name it made there, which syncs the directory in the same
 * call (then the directory's fsync needs none: sqlite's commit, issue 17). A directory this
 * mount changed nothing in needs no call.
 */
class DirectoryFsyncEndToEndTest {
    private static final String DIR_SYNCS = "fsdriver_server_dir_syncs_total";

    @TempDir
    Path tmp;
    private Path served;
    private Path mnt;

    @BeforeEach
    void dirs() throws Exception {
        served = Files.createDirectories(tmp.resolve("s"));
        Files.createDirectories(served.resolve("d"));
        mnt = Files.createDirectories(tmp.resolve("mnt"));
    }

    @Test
    void anFsyncOfADirectoryAfterARenameIsAnFsyncOnTheServer() throws Exception {
        int port = Fsdriver.freePort();
        try (Fsdriver.Server server = Fsdriver.serveMetered(tmp, port, "--share", "work=" + served);
                Fsdriver.Mount m = Fsdriver.mount(tmp, server, "work", mnt)) {
            Fsdriver.shOk(mnt, "ls d");
            Map<String, Long> before = calls(port);
            double syncsBefore = value(scrape(port), DIR_SYNCS);
            python("""
                    with open("d/new.tmp", "w") as f:
                        f.write("x")
                    os.rename("d/new.tmp", "d/new")
                    for p in ("d", "."):
                        fd = os.open(p, os.O_RDONLY | os.O_DIRECTORY)
                        os.fsync(fd)
                        os.fdatasync(fd)
                        os.close(fd)
                    """);
            Map<String, Long> made = since(before, calls(port));
            // d's fsync; its fdatasync right after, and "." (no name changed there), need none
            assertThat(made.getOrDefault("Fsync", 0L)).as(made.toString()).isEqualTo(1);
            assertThat(value(scrape(port), DIR_SYNCS) - syncsBefore).isEqualTo(1);
            assertThat(Files.readString(served.resolve("d/new"))).isEqualTo("x");
        }
    }

    /**
     * fsync(2) of a directory's descriptor after the directory was removed succeeds on Linux (its
     * names are gone; its removal's durability is its parent's). The mount answered ENOENT: the
     * server could no longer find the node's directory (ConcurrentStressTest seed 26).
     */
    @Test
    void anFsyncOfARemovedDirectorySucceedsAsOnLinux() throws Exception {
        int port = Fsdriver.freePort();
        try (Fsdriver.Server server = Fsdriver.serveMetered(tmp, port, "--share", "work=" + served);
                Fsdriver.Mount m = Fsdriver.mount(tmp, server, "work", mnt)) {
            python("""
                    os.mkdir("d/gone")
                    fd = os.open("d/gone", os.O_RDONLY | os.O_DIRECTORY)
                    open("d/gone/f", "w").close()
                    os.unlink("d/gone/f")
                    os.rename("d/gone", "d/moved")
                    os.rmdir("d/moved")
                    os.fsync(fd)
                    os.fdatasync(fd)
                    os.close(fd)
                    """);
            assertThat(served.resolve("d/moved")).doesNotExist();
        }
    }

    /** The file's data goes with its fsync (WriteRequest.sync): the directory with it. */
    @Test
    void theFsyncOfANewFileSyncsItsDirectoryWithItsLastWrite() throws Exception {
        newFileThenDirectory("");
    }

    /** The file's data went before (sqlite's fstat pushes it): the directory goes with the Fsync. */
    @Test
    void theFsyncOfANewFileSyncsItsDirectoryWithItsFsync() throws Exception {
        newFileThenDirectory("os.fstat(f.fileno())");
    }

    private void newFileThenDirectory(String beforeFsync) throws Exception {
        int port = Fsdriver.freePort();
        try (Fsdriver.Server server = Fsdriver.serveMetered(tmp, port, "--share", "work=" + served);
                Fsdriver.Mount m = Fsdriver.mount(tmp, server, "work", mnt)) {
            Fsdriver.shOk(mnt, "ls d");
            double syncsBefore = value(scrape(port), DIR_SYNCS);
            python("""
                    with open("d/journal", "w") as f:
                        f.write("x")
                        f.flush()
                        %s
                        os.fsync(f.fileno())
                    """.formatted(beforeFsync));
            assertThat(value(scrape(port), DIR_SYNCS) - syncsBefore).as("the directory synced with the file").isEqualTo(1);
            Map<String, Long> before = calls(port);
            python("""
                    fd = os.open("d", os.O_RDONLY | os.O_DIRECTORY)
                    os.fsync(fd)
                    os.close(fd)
                    """);
            Map<String, Long> made = since(before, calls(port));
            assertThat(made.getOrDefault("Fsync", 0L)).as(made.toString()).isZero();
            assertThat(value(scrape(port), DIR_SYNCS) - syncsBefore).isEqualTo(1);
            assertThat(Files.readString(served.resolve("d/journal"))).isEqualTo("x");
        }
    }

    @Test
    void aNewFileNotSyncedLeavesItsDirectoryToItsOwnFsync() throws Exception {
        int port = Fsdriver.freePort();
        try (Fsdriver.Server server = Fsdriver.serveMetered(tmp, port, "--share", "work=" + served);
                Fsdriver.Mount m = Fsdriver.mount(tmp, server, "work", mnt)) {
            Fsdriver.shOk(mnt, "ls d");
            Map<String, Long> before = calls(port);
            double syncsBefore = value(scrape(port), DIR_SYNCS);
            python("""
                    with open("d/f", "w") as f:
                        f.write("x")
                    fd = os.open("d", os.O_RDONLY | os.O_DIRECTORY)
                    os.fsync(fd)
                    os.close(fd)
                    """);
            Map<String, Long> made = since(before, calls(port));
            assertThat(made.getOrDefault("Fsync", 0L)).as(made.toString()).isEqualTo(1);
            assertThat(value(scrape(port), DIR_SYNCS) - syncsBefore).isEqualTo(1);
        }
    }

    /** Runs {@code body} (indented Python, no single quotes) in the mount, {@code os} imported. */
    private void python(String body) throws Exception {
        String out = Fsdriver.shOk(mnt, "python3 -c 'import os\n" + body + "print(\"done\")\n'");
        assertThat(out).isEqualTo("done\n");
    }
}
