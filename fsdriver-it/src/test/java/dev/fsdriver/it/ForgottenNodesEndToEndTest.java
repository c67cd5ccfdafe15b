package dev.fsdriver.it;

import static dev.fsdriver.it.MeteredMount.scrape;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16: node references go back to the server when the kernel forgets them. A walk makes the
 * kernel hold every node of a tree, each one counted by the server ({@code fsdriver_server_nodes});
 * once the kernel drops its dentries and inodes (memory pressure, here drop_caches), its FORGETs
 * reach the server and the count falls back, and the tree is still there for the next walk.
 */
class ForgottenNodesEndToEndTest {
    private static final int DIRS = 10;
    private static final int FILES = 200;

    @TempDir
    Path tmp;

    @Test
    void nodesTheKernelForgotAreGivenBackToTheServer() throws Exception {
        Path s = Files.createDirectories(tmp.resolve("s"));
        for (int d = 0; d < DIRS; d++) {
            Path dir = Files.createDirectories(s.resolve("t/d" + d));
            for (int f = 0; f < FILES; f++) {
                Files.writeString(dir.resolve("f" + f), "x");
            }
        }
        Path mnt = Files.createDirectories(tmp.resolve("mnt"));
        int serverPort = Fsdriver.freePort();
        try (Fsdriver.Server server = Fsdriver.serveMetered(tmp, serverPort, "--share", "work=" + s);
             Fsdriver.Mount m = Fsdriver.mount(tmp, server, "work", mnt)) {
            String walk = "find t -printf '%s\\n' | wc -l";
            int entries = 1 + DIRS + DIRS * FILES;
            assertThat(Fsdriver.shOk(mnt, walk).trim()).isEqualTo(String.valueOf(entries));
            assertThat(nodes(serverPort)).as("nodes the server counts for the kernel's").isGreaterThanOrEqualTo(DIRS * FILES);

            // the kernel may need more than one pass to let go of a directory after its entries
            long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (nodes(serverPort) > 20 && System.nanoTime() < end) {
                Fsdriver.shOk(tmp, "sync && echo 2 > /proc/sys/vm/drop_caches");
                Thread.sleep(500);
            }
            assertThat(nodes(serverPort)).as("nodes left after the kernel forgot the tree").isLessThanOrEqualTo(20);

            assertThat(Fsdriver.shOk(mnt, walk).trim()).isEqualTo(String.valueOf(entries));
            assertThat(nodes(serverPort)).isGreaterThanOrEqualTo(DIRS * FILES);
        }
    }

    private static double nodes(int serverPort) throws Exception {
        return ServerCallsEndToEndTest.value(scrape(serverPort), "fsdriver_server_nodes");
    }
}
