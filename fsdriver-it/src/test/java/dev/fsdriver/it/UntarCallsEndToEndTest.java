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
 * Server calls of an untar into the mount (issues 13 and 17), counted by the server's counters
 * around real programs on a real mount, events on. Per file GNU tar does: create (O_EXCL),
 * write, futimens, fchown to the owner it has, fchmod, close. The times, owner and mode are
 * held with the data (HeldSetAttrs); the futimens pushed the data first, a Write call waited
 * for, before the change was held.
 */
class UntarCallsEndToEndTest {
    private static final int FILES = 60;
    private static final long MTIME_NS = 1_600_000_000_500_000_000L;
    /** What the mount and the server show of the files: name, size, mode, mtime. */
    private static final String LIST = "python3 -c 'import os; [print(n, s.st_size, oct(s.st_mode), s.st_mtime_ns)"
            + " for n in sorted(os.listdir(\"x\")) for s in [os.stat(\"x/\" + n)]]'";

    @TempDir
    Path tmp;

    /**
     * tar's sequence per file, each file kept open until all are done: the server's calls before
     * the closes are counted by the script itself (the server's metrics), after them here.
     */
    private static String untarLike(int serverPort, Path counted) {
        return "python3 -c '" + """
                import os, urllib.request
                os.mkdir("x")
                fds = []
                for i in range(%d):
                    fd = os.open("x/f%%d" %% i, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                    os.write(fd, b"content of file %%d\\n" %% i)
                    os.utime(fd, ns=(%d, %d))
                    os.fchown(fd, os.getuid(), os.getgid())
                    os.fchmod(fd, 0o644)
                    fds.append(fd)
                with open("%s", "wb") as out:
                    out.write(urllib.request.urlopen("http://127.0.0.1:%d/metrics").read())
                for fd in fds:
                    s = os.fstat(fd)
                    assert s.st_size == len(b"content of file %%d\\n" %% fds.index(fd)), s
                    assert s.st_mtime_ns == %d, s
                    os.close(fd)
                """.formatted(FILES, MTIME_NS, MTIME_NS, counted, serverPort, MTIME_NS) + "'";
    }

    @Test
    void timesOwnerAndModeAfterTheWriteCostNoCallBeforeTheClose() throws Exception {
        Path s = Files.createDirectories(tmp.resolve("s"));
        Path mnt = Files.createDirectories(tmp.resolve("mnt-untar"));
        Path counted = tmp.resolve("counted.txt");
        int serverPort = Fsdriver.freePort();
        int mountPort = Fsdriver.freePort();
        try (Fsdriver.Server server = Fsdriver.serveMetered(tmp, serverPort, "--share", "work=" + s)) {
            try (Fsdriver.Mount m = Fsdriver.mount(tmp, server, "work", mnt, "--metrics-listen", "127.0.0.1:" + mountPort)) {
                awaitLive(mountPort);
                Map<String, Long> before = calls(serverPort);
                Fsdriver.shOk(mnt, untarLike(serverPort, counted));
                Map<String, Long> open = since(before, MeteredMount.callsIn(Files.readString(counted)));
                Map<String, Long> all = since(before, calls(serverPort));
                assertThat(open.getOrDefault("Create", 0L)).as(open.toString()).isEqualTo(FILES);
                // before: a Write per file, pushed by its futimens
                assertThat(open.getOrDefault("Write", 0L) + open.getOrDefault("SetAttr", 0L))
                        .as("before the closes: " + open).isZero();
                assertThat(all.getOrDefault("Write", 0L)).as(all.toString()).isEqualTo(FILES);
                // before: a SetAttr per file after its Write (the change now goes in it: WriteRequest.then)
                assertThat(all.getOrDefault("SetAttr", 0L)).as(all.toString()).isZero();
                assertThat(Fsdriver.shOk(mnt, LIST)).isEqualTo(Fsdriver.shOk(s, LIST));
                assertThat(Fsdriver.shOk(s, "stat -c '%s %a %Y' x/f7").trim()).isEqualTo("18 644 1600000000");
            }
        }
    }

    /**
     * GNU tar -xf: per file Create and Write (with the file's times and mode), 2 calls where
     * there were 4 (a SetAttr after the data, a Release: the closes now go gathered, ReleaseMany,
     * one call per 10 ms or per 256 at most); a directory's times, owner and mode are set by name
     * at the end, a SetAttr each (seen: 320 calls for 100 files in 5 directories before).
     * What the mount shows is the server's.
     */
    @Test
    void anUntarCostsTwoCallsPerFileAndItsClosesGoGathered() throws Exception {
        Path s = Files.createDirectories(tmp.resolve("s"));
        int dirs = 4;
        int perDir = 25;
        for (int d = 0; d < dirs; d++) {
            Path dir = Files.createDirectories(tmp.resolve("src/x/d" + d));
            for (int f = 0; f < perDir; f++) {
                Files.writeString(dir.resolve("f" + f), "file " + d + "/" + f + "\n");
            }
        }
        Fsdriver.shOk(tmp, "chmod 750 $(find src/x -type d) && touch -d @1600000000 $(find src/x) && tar -C src -cf x.tar x");
        Path mnt = Files.createDirectories(tmp.resolve("mnt-tar"));
        int serverPort = Fsdriver.freePort();
        int mountPort = Fsdriver.freePort();
        try (Fsdriver.Server server = Fsdriver.serveMetered(tmp, serverPort, "--share", "work=" + s)) {
            try (Fsdriver.Mount m = Fsdriver.mount(tmp, server, "work", mnt, "--metrics-listen", "127.0.0.1:" + mountPort)) {
                awaitLive(mountPort);
                Map<String, Long> before = calls(serverPort);
                Fsdriver.shOk(mnt, "tar -xf " + tmp.resolve("x.tar"));
                Map<String, Long> untar = since(before, calls(serverPort));
                int files = dirs * perDir;
                assertThat(untar.getOrDefault("Create", 0L)).as(untar.toString()).isEqualTo(files);
                assertThat(untar.getOrDefault("Write", 0L)).as(untar.toString()).isEqualTo(files);
                // before: a SetAttr per file, then the directories' times, owner and mode (set by name: 3 each,
                // now the times go with the mode: HeldDirTimes)
                assertThat(untar.getOrDefault("SetAttr", 0L)).as("untar: " + untar).isLessThanOrEqualTo(dirs + 1L);
                // before: a Release per file
                assertThat(untar.getOrDefault("Release", 0L)).as("untar: " + untar).isZero();
                long batches = untar.getOrDefault("ReleaseMany", 0L);
                assertThat(batches).as("untar: " + untar).isPositive().isLessThanOrEqualTo(files);
                long other = untar.getOrDefault("Forget", 0L) + untar.getOrDefault("StatFs", 0L);
                assertThat(MeteredMount.total(untar) - other - batches).as("untar: " + untar)
                        .isLessThanOrEqualTo(2L * files + 2L * (dirs + 1) + 10);
                String list = "find x -exec stat -c '%n %s %a %Y' {} + | sort";
                assertThat(Fsdriver.shOk(mnt, list)).isEqualTo(Fsdriver.shOk(s, list));
                assertThat(Fsdriver.shOk(s, "stat -c '%Y' x/d1/f3").trim()).isEqualTo("1600000000");
                assertThat(Fsdriver.shOk(s, "stat -c '%Y %a' x/d1").trim()).isEqualTo("1600000000 750");
            }
        }
    }

    /**
     * A directory's times held (HeldDirTimes) answer a stat at once and land before anything that
     * could move them: a name made in it (whose mtime is then the server's "now", as on a native
     * directory), or 10 ms of nothing. The same script runs on a native directory: same output.
     */
    @Test
    void aDirectorysTimesHeldLandBeforeANameMadeInItAndAfterAWhileAlone() throws Exception {
        String script = "python3 -c '" + """
                import os, time
                T = 1_500_000_000_123_456_789
                for d in ("a", "b", "c"):
                    os.mkdir(d)
                    os.utime(d, ns=(T, T))
                    print(d, "stat:", os.stat(d).st_mtime_ns == T)
                    if d == "a":
                        os.chown(d, os.getuid(), os.getgid())
                        os.chmod(d, 0o750)
                open("b/f", "w").close()
                os.mkdir("c/sub")
                time.sleep(0.1)
                for d in ("a", "b", "c"):
                    s = os.stat(d)
                    print(d, oct(s.st_mode), s.st_mtime_ns == T, s.st_atime_ns == T)
                """ + "'";
        Path s = Files.createDirectories(tmp.resolve("s"));
        Path nat = Files.createDirectories(tmp.resolve("native"));
        Path mnt = Files.createDirectories(tmp.resolve("mnt-dirs"));
        int serverPort = Fsdriver.freePort();
        int mountPort = Fsdriver.freePort();
        try (Fsdriver.Server server = Fsdriver.serveMetered(tmp, serverPort, "--share", "work=" + s)) {
            try (Fsdriver.Mount m = Fsdriver.mount(tmp, server, "work", mnt, "--metrics-listen", "127.0.0.1:" + mountPort)) {
                awaitLive(mountPort);
                String expected = Fsdriver.shOk(nat, script);
                assertThat(expected).contains("a 0o40750 True True", "b 0o40755 False True", "c 0o40755 False True");
                Map<String, Long> before = calls(serverPort);
                assertThat(Fsdriver.shOk(mnt, script)).isEqualTo(expected);
                Map<String, Long> made = since(before, calls(serverPort));
                // a's times went with its chmod; b's and c's alone, before the name made in each
                assertThat(made.getOrDefault("SetAttr", 0L)).as(made.toString()).isEqualTo(3);
                String onServer = "python3 -c 'import os; [print(d, oct(os.stat(d).st_mode), os.stat(d).st_mtime_ns)"
                        + " for d in (\"a\", \"b\", \"c\")]'";
                assertThat(Fsdriver.shOk(s, onServer)).isEqualTo(Fsdriver.shOk(mnt, onServer));
                // a directory whose times are held and nothing follows: they land alone
                Fsdriver.shOk(mnt, "mkdir d && touch -d @1400000000 d");
                Thread.sleep(200);
                assertThat(Fsdriver.shOk(s, "stat -c '%Y' d").trim()).isEqualTo("1400000000");
            }
        }
    }
}
