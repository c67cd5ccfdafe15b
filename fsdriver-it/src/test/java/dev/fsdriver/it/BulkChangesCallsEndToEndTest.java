package dev.fsdriver.it;

import static dev.fsdriver.it.ServerCallsEndToEndTest.awaitLive;
import static dev.fsdriver.it.MeteredMount.calls;
import static dev.fsdriver.it.MeteredMount.since;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Server calls of bulk changes through the mount (issue 13, "writes in bulk"): cp -r into the
 * mount and rm -rf, counted by the server's own counters around real programs on a real mount,
 * events on; and what a program sees of the directories they changed is the server's truth.
 */
class BulkChangesCallsEndToEndTest {
    /** The attributes a program sees of a path: mtime, ctime (ns), link count and size. */
    private static final String STAT = "python3 -c 'import os, sys; s = os.lstat(sys.argv[1]);"
            + " print(s.st_mtime_ns, s.st_ctime_ns, s.st_nlink, s.st_size)' ";

    @TempDir
    Path tmp;

    /**
     * The kernel asks for a directory's attributes before each change in it, and every create or
     * removal there made them stale: a GetAttr per name (cp -r: 79 for 77 files, rm -rf: 6,299 for
     * 6,300 unlinks, an atomic save 2). Create, Unlink, Rmdir and Rename replies now carry the
     * directories' attributes after the change, and the mount answers the kernel from them.
     */
    @Test
    void createsAndRemovalsCostNoGetAttrOfTheirDirectoryEach() throws Exception {
        Path s = Files.createDirectories(tmp.resolve("s"));
        Path local = Files.createDirectories(tmp.resolve("local/src"));
        int files = 60;
        for (int f = 0; f < files; f++) {
            Files.writeString(local.resolve("f" + f), "file " + f + "\n");
        }
        Path mnt = Files.createDirectories(tmp.resolve("mnt-calls-bulk"));
        int serverPort = Fsdriver.freePort();
        int mountPort = Fsdriver.freePort();
        try (Fsdriver.Server server = Fsdriver.serveMetered(tmp, serverPort, "--share", "work=" + s)) {
            try (Fsdriver.Mount m = Fsdriver.mount(tmp, server, "work", mnt, "--metrics-listen", "127.0.0.1:" + mountPort)) {
                awaitLive(mountPort);
                Map<String, Long> before = calls(serverPort);
                Fsdriver.shOk(mnt, "cp -r " + local + " copied");
                Map<String, Long> cp = since(before, calls(serverPort));
                assertThat(cp.getOrDefault("Create", 0L)).as(cp.toString()).isEqualTo(files);
                assertThat(cp.getOrDefault("GetAttr", 0L)).as("cp -r: " + cp).isLessThanOrEqualTo(5);
                assertThat(Fsdriver.shOk(mnt, STAT + "copied")).isEqualTo(Fsdriver.shOk(s, STAT + "copied"));

                before = calls(serverPort);
                Fsdriver.shOk(mnt, "rm copied/f1*");
                // the listing lands the unlinks the mount answered itself (HeldUnlinks); the
                // directory's attributes are then the server's
                assertThat(Fsdriver.shOk(mnt, "ls copied | wc -l").trim()).isEqualTo(String.valueOf(files - 11));
                Map<String, Long> rm = since(before, calls(serverPort));
                // before: Unlink 11; now the first, then the rest in one batch (or two, the timer's)
                assertThat(rm.getOrDefault("Unlink", 0L)).as(rm.toString()).isEqualTo(1);
                assertThat(rm.getOrDefault("UnlinkMany", 0L)).as(rm.toString()).isBetween(1L, 2L);
                assertThat(rm.getOrDefault("GetAttr", 0L)).as("rm: " + rm).isLessThanOrEqualTo(3);
                assertThat(Fsdriver.shOk(mnt, STAT + "copied")).isEqualTo(Fsdriver.shOk(s, STAT + "copied"));

                // atomic saves: a temporary file renamed over the file, each time (Rename replies carry both directories)
                before = calls(serverPort);
                Fsdriver.shOk(mnt, "for i in $(seq 20); do echo $i > copied/.f2.tmp && mv copied/.f2.tmp copied/f2; done");
                Map<String, Long> saves = since(before, calls(serverPort));
                assertThat(saves.getOrDefault("Rename", 0L)).as(saves.toString()).isEqualTo(20);
                assertThat(saves.getOrDefault("GetAttr", 0L)).as("atomic saves: " + saves).isLessThanOrEqualTo(5);
                assertThat(Fsdriver.shOk(mnt, STAT + "copied")).isEqualTo(Fsdriver.shOk(s, STAT + "copied"));
                assertThat(Fsdriver.shOk(mnt, "cat copied/f2")).isEqualTo("20\n");

                Fsdriver.shOk(mnt, "mkdir -p copied/sub/deeper && touch copied/sub/x");
                before = calls(serverPort);
                Fsdriver.shOk(mnt, "rm -rf copied");
                Map<String, Long> rmrf = since(before, calls(serverPort));
                assertThat(rmrf.getOrDefault("GetAttr", 0L)).as("rm -rf: " + rmrf).isLessThanOrEqualTo(5);
                assertThat(Fsdriver.shOk(mnt, STAT + ".")).isEqualTo(Fsdriver.shOk(s, STAT + "."));
                assertThat(s.resolve("copied")).doesNotExist();
            }
        }
    }

    /**
     * tar sets each file's times, owner and mode one call after the other before it closes the
     * file: three SetAttr calls per file (untar of a node_modules-like tree: 8 calls per entry).
     * Held with the file's writes and sent as one at close, they cost one; every extracted file
     * has on the server, and shows on the mount, the mode, times and size it has in the archive;
     * a held change is seen at once by another process on the mount, and by the server at close.
     */
    @Test
    void untarSetsEachFilesAttributesInOneCall() throws Exception {
        Path s = Files.createDirectories(tmp.resolve("s"));
        Path local = Files.createDirectories(tmp.resolve("local"));
        int dirs = 4;
        int files = 10;
        String[] modes = {"600", "640", "644", "755", "700"};
        for (int d = 0; d < dirs; d++) {
            Files.createDirectories(local.resolve("tree/d" + d));
            for (int f = 0; f < files; f++) {
                Path p = Files.writeString(local.resolve("tree/d" + d + "/f" + f), "x".repeat(f * 100 + d));
                Fsdriver.shOk(local, "chmod " + modes[f % modes.length] + " " + p + " && touch -d @" + (1600000000 + d * 100 + f) + " " + p);
            }
        }
        Fsdriver.shOk(local, "tar -cf " + tmp.resolve("tree.tar") + " tree");
        String statAll = "find tree -type f | sort | xargs stat -c '%n %a %Y %s %u %g'";
        Path mnt = Files.createDirectories(tmp.resolve("mnt-calls-untar"));
        int serverPort = Fsdriver.freePort();
        int mountPort = Fsdriver.freePort();
        try (Fsdriver.Server server = Fsdriver.serveMetered(tmp, serverPort, "--share", "work=" + s)) {
            try (Fsdriver.Mount m = Fsdriver.mount(tmp, server, "work", mnt, "--metrics-listen", "127.0.0.1:" + mountPort)) {
                awaitLive(mountPort);
                Map<String, Long> before = calls(serverPort);
                Fsdriver.shOk(mnt, "tar -xf " + tmp.resolve("tree.tar"));
                Map<String, Long> untar = since(before, calls(serverPort));
                int entries = dirs * files;
                assertThat(untar.getOrDefault("Create", 0L)).as(untar.toString()).isEqualTo(entries);
                // before: times, owner and mode of each file, one call each (and of each directory)
                assertThat(untar.getOrDefault("SetAttr", 0L)).as("untar: " + untar)
                        .isLessThanOrEqualTo(entries + 3L * (dirs + 1));
                String expected = Fsdriver.shOk(local, statAll);
                assertThat(Fsdriver.shOk(mnt, statAll)).isEqualTo(expected);
                assertThat(Fsdriver.shOk(s, statAll)).isEqualTo(expected);

                // another process sees a held change at once; the server has it once the file is closed
                assertThat(Fsdriver.shOk(mnt, "python3 -c '" + """
                        import os, subprocess
                        fd = os.open("held", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                        os.write(fd, b"data")
                        os.utime(fd, ns=(1500000000123456789, 1500000000123456789))
                        os.fchmod(fd, 0o604)
                        print(subprocess.run(["stat", "-c", "%a %.9Y %s", "held"], capture_output=True, text=True).stdout.strip())
                        os.close(fd)
                        """ + "'")).isEqualTo("604 1500000000.123456789 4\n");
                assertThat(Fsdriver.shOk(s, "stat -c '%a %.9Y %s' held")).isEqualTo("604 1500000000.123456789 4\n");
            }
        }
    }
}
