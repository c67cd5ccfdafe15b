package dev.fsdriver.it;

import static dev.fsdriver.it.ServerCallsEndToEndTest.awaitLive;
import static dev.fsdriver.it.MeteredMount.calls;
import static dev.fsdriver.it.MeteredMount.since;
import static dev.fsdriver.it.MeteredMount.total;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * sqlite's commit, before each fsync of its journal, preads past the journal's end; the kernel
 * (no writeback cache: it drops a file's attributes after each WRITE) first asks GETATTR, which
 * pushed the held-back data as a Write of its own, and the fsync was then an Fsync: two calls
 * where one does (issue 17). The mount now answers that GETATTR itself while the data is held
 * (size to the end of the data, mtime the client's time of the write) and the fsync sends the
 * data with the sync, setting that mtime on the server: a stat before and after close agree.
 */
class HeldWritesStatEndToEndTest {
    private static final int COMMITS = 40;

    @TempDir
    Path tmp;

    @Test
    void aPreadPastTheEndBeforeEachFsyncCostsNoCallAndStatAgreesBeforeAndAfterClose() throws Exception {
        Path s = Files.createDirectories(tmp.resolve("s"));
        Path mnt = Files.createDirectories(tmp.resolve("mnt-held"));
        int serverPort = Fsdriver.freePort();
        int mountPort = Fsdriver.freePort();
        try (Fsdriver.Server server = Fsdriver.serveMetered(tmp, serverPort, "--share", "work=" + s)) {
            try (Fsdriver.Mount m = Fsdriver.mount(tmp, server, "work", mnt, "--metrics-listen", "127.0.0.1:" + mountPort)) {
                awaitLive(mountPort);
                Fsdriver.shOk(mnt, "echo first > journal && cat journal > /dev/null");

                Map<String, Long> before = calls(serverPort);
                Fsdriver.shOk(mnt, "python3 -c '" + """
                        import os
                        fd = os.open("journal", os.O_RDWR)
                        off = os.fstat(fd).st_size
                        for i in range(%d):
                            off += os.pwrite(fd, b"record %%04d\\n" %% i, off)
                            os.pread(fd, 8, off + 512)
                            os.fsync(fd)
                        os.close(fd)
                        """.formatted(COMMITS) + "'");
                Map<String, Long> loop = since(before, calls(serverPort));
                // before: a Write pushed by the GETATTR, then an Fsync, per commit
                assertThat(loop.getOrDefault("Fsync", 0L)).as("journal commits: " + loop).isLessThanOrEqualTo(2);
                long other = loop.getOrDefault("Forget", 0L) + loop.getOrDefault("StatFs", 0L);
                assertThat(total(loop) - other).as("journal commits: " + loop).isLessThanOrEqualTo(COMMITS + 4);

                // a stat while the data is held, one after the close: same mtime, the whole size, the server's
                String out = Fsdriver.shOk(mnt, "python3 -c '" + """
                        import os
                        fd = os.open("journal", os.O_RDWR)
                        size = os.fstat(fd).st_size
                        os.pwrite(fd, b"tail\\n", size)
                        held = os.stat("journal")
                        os.close(fd)
                        after = os.stat("journal")
                        print(held.st_size, held.st_mtime_ns, after.st_size, after.st_mtime_ns, size + 5)
                        """ + "'");
                String[] f = out.trim().split(" ");
                assertThat(f[0]).as("size while held: " + out).isEqualTo(f[4]);
                assertThat(f[2]).as("size after close: " + out).isEqualTo(f[4]);
                assertThat(f[1]).as("mtime before and after close: " + out).isEqualTo(f[3]);
                assertThat(Fsdriver.shOk(s, "python3 -c 'import os; print(os.stat(\"journal\").st_mtime_ns)'").trim())
                        .as("the server's mtime").isEqualTo(f[3]);
                assertThat(Files.size(s.resolve("journal"))).isEqualTo(Long.parseLong(f[4]));

                // written through a shared mapping, a stat between: the mount and the server agree after
                String mapped = Fsdriver.shOk(mnt, "python3 -c '" + """
                        import mmap, os
                        fd = os.open("mapped", os.O_RDWR | os.O_CREAT, 0o644)
                        os.ftruncate(fd, 8192)
                        m = mmap.mmap(fd, 8192)
                        m[100:105] = b"hello"
                        m.flush()
                        os.pwrite(fd, b"tail", 8192)
                        held = os.stat("mapped")
                        m[200:205] = b"world"
                        m.close()
                        os.close(fd)
                        after = os.stat("mapped")
                        print(held.st_size, after.st_size, after.st_mtime_ns)
                        """ + "'").trim();
                assertThat(mapped).startsWith("8196 8196 ");
                assertThat(Fsdriver.shOk(s, "python3 -c 'import os; print(os.stat(\"mapped\").st_mtime_ns)'").trim())
                        .as("the server's mtime").isEqualTo(mapped.split(" ")[2]);
                byte[] content = Files.readAllBytes(s.resolve("mapped"));
                assertThat(new String(content, 100, 5)).isEqualTo("hello");
                assertThat(new String(content, 200, 5)).isEqualTo("world");
                assertThat(new String(content, 8192, 4)).isEqualTo("tail");
            }
        }
    }
}
