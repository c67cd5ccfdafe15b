package dev.fsdriver.it;

import static dev.fsdriver.it.Fsdriver.shOk;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mount's memory does not grow with the number of writers: many parallel writers through a
 * mount whose heap is far smaller than what they would hold back (write-behind is per open file)
 * lose nothing and the mount survives, also while the server is slow to answer.
 */
class BoundedMemoryEndToEndTest {
    private static final int WRITERS = 40;
    private static final int MIB_EACH = 12;

    @TempDir
    Path tmp;

    @Test
    void manyParallelWritersFitInASmallHeap() throws Exception {
        Path s = Files.createDirectories(tmp.resolve("s"));
        Path mnt = Files.createDirectories(tmp.resolve("mnt"));
        byte[] data = new byte[MIB_EACH << 20];
        new Random(15).nextBytes(data);
        Path src = Files.write(tmp.resolve("src"), data);
        // Without a bound across files, 40 writers hold up to 5 MiB each (200 MiB, and a serialized
        // copy of what is in flight) in a 160 MiB heap; with it, the budget (16 MiB, twice) plus
        // the chunk each writer is filling (40 MiB).
        try (Fsdriver.Server server = Fsdriver.serve(tmp, "--share", "work=" + s);
             TcpRelay link = new TcpRelay(server.port(), false);
             Fsdriver.Mount m = Fsdriver.mount(tmp, Map.of("FSDRIVER_JAVA_OPTS", "-Xmx160m"),
                     new Fsdriver.Server(server.proc(), link.port()), "work", mnt)) {
            // The files are opened first; then the link slows down for a while, so that every
            // writer fills what it may hold back before the server has taken much of it.
            StringBuilder script = new StringBuilder();
            for (int i = 0; i < WRITERS; i++) {
                script.append("exec ").append(10 + i).append(">f").append(i).append("; ");
            }
            for (int i = 0; i < WRITERS; i++) {
                script.append("dd if=").append(src).append(" bs=1M status=none >&").append(10 + i).append(" & ");
            }
            script.append("for j in $(jobs -p); do wait $j || { echo \"dd $j failed: $?\"; exit 7; }; done");
            link.slowDown(java.time.Duration.ofSeconds(4));
            shOk(mnt, script.toString());
            for (int i = 0; i < WRITERS; i++) {
                assertThat(Files.mismatch(src, s.resolve("f" + i))).as("f" + i).isEqualTo(-1L);
            }
            assertThat(m.proc().process.isAlive()).as("mount alive:\n" + m.proc().output()).isTrue();
            assertThat(m.proc().output()).doesNotContain("OutOfMemoryError");
        }
    }
}
