package dev.fsdriver.it;

import static dev.fsdriver.it.ServerCallsEndToEndTest.awaitAbove;
import static dev.fsdriver.it.ServerCallsEndToEndTest.awaitLive;
import static dev.fsdriver.it.MeteredMount.calls;
import static dev.fsdriver.it.MeteredMount.scrape;
import static dev.fsdriver.it.MeteredMount.since;
import static dev.fsdriver.it.MeteredMount.total;
import static dev.fsdriver.it.ServerCallsEndToEndTest.value;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An editor's atomic save (write a temporary file, fsync, rename it over the original) costs
 * Create, Write and Rename: three server calls (issue 17; the file's close travels with the
 * Rename, or in a ReleaseMany of its own when 10 ms pass first). The kernel looks the rename's
 * target up again before each rename (it revalidates it with the file system), and the mount,
 * which dropped its kept listing of the directory at each of its own changes there, listed the
 * directory again for it: a ReadDir per save. Its own changes now update the listing, and the
 * Rename reply brings the moved file's attributes. What the mount then shows of the directory and
 * the file is the server's, also after a change made on the server behind its back.
 */
class AtomicSaveCallsEndToEndTest {
    private static final int SAVES = 60;

    @TempDir
    Path tmp;

    private static String saves(int n, String content) {
        return "python3 -c '" + """
                import os
                for i in range(%d):
                    with open(".saved.txt.tmp", "wb") as f:
                        f.write(b"%s %%d\\n" %% i)
                        f.flush()
                        os.fsync(f.fileno())
                    os.rename(".saved.txt.tmp", "saved.txt")
                """.formatted(n, content) + "'";
    }

    @Test
    void anAtomicSaveCostsThreeServerCalls() throws Exception {
        Path s = Files.createDirectories(tmp.resolve("s"));
        Files.createDirectories(s.resolve("docs"));
        for (int i = 0; i < 10; i++) {
            Files.writeString(s.resolve("docs/other" + i + ".txt"), "other " + i + "\n");
        }
        Path mnt = Files.createDirectories(tmp.resolve("mnt-save"));
        int serverPort = Fsdriver.freePort();
        int mountPort = Fsdriver.freePort();
        try (Fsdriver.Server server = Fsdriver.serveMetered(tmp, serverPort, "--share", "work=" + s)) {
            try (Fsdriver.Mount m = Fsdriver.mount(tmp, server, "work", mnt, "--metrics-listen", "127.0.0.1:" + mountPort)) {
                awaitLive(mountPort);
                Path docs = mnt.resolve("docs");
                Fsdriver.shOk(docs, saves(2, "first")); // the directory listed once, the file made

                Map<String, Long> before = calls(serverPort);
                Fsdriver.shOk(docs, saves(SAVES, "save"));
                Map<String, Long> saved = since(before, calls(serverPort));
                // before: a ReadDir per save (the rename target's lookup listed the directory again)
                assertThat(saved.getOrDefault("ReadDir", 0L) + saved.getOrDefault("Lookup", 0L))
                        .as("atomic saves: " + saved).isLessThanOrEqualTo(5); // not one per save (3 seen in a CI run)
                assertThat(saved.getOrDefault("Rename", 0L)).as(saved.toString()).isEqualTo(SAVES);
                // before: a Release per save
                assertThat(saved.getOrDefault("Release", 0L)).as("atomic saves: " + saved).isZero();
                long batches = saved.getOrDefault("ReleaseMany", 0L);
                assertThat(batches).as("atomic saves: " + saved).isLessThanOrEqualTo(SAVES);
                long other = saved.getOrDefault("Forget", 0L) + saved.getOrDefault("StatFs", 0L);
                // three per save, and the few ReadDir/Lookup the kernel's revalidations make (bounded above)
                assertThat(total(saved) - other - batches).as("atomic saves: " + saved).isLessThanOrEqualTo(3L * SAVES + 5);

                // what the mount shows is the server's: names, content, the file's attributes after its rename
                assertSameAsServer(mnt, s);
                assertThat(Fsdriver.shOk(docs, "cat saved.txt")).isEqualTo("save " + (SAVES - 1) + "\n");

                // changed on the server behind the mount's back: the next saves and lookups see it
                double received = value(scrape(mountPort), "fsdriver_mount_events_received_total");
                Files.writeString(s.resolve("docs/saved.txt"), "from the server\n");
                Files.writeString(s.resolve("docs/new.txt"), "new\n");
                awaitAbove(mountPort, "fsdriver_mount_events_received_total", received);
                assertThat(Fsdriver.shOk(docs, "cat saved.txt new.txt")).isEqualTo("from the server\nnew\n");
                Fsdriver.shOk(docs, saves(3, "again") + " && rm new.txt other3.txt && mv other4.txt moved.txt");
                assertThat(Fsdriver.shOk(docs, "cat saved.txt moved.txt; test -e new.txt || echo gone"))
                        .isEqualTo("again 2\nother 4\ngone\n");
                assertSameAsServer(mnt, s);
            }
        }
    }

    /** Names of docs, and the saved file's size, times, link count and inode, as the mount and the server show them. */
    private static void assertSameAsServer(Path mnt, Path s) throws Exception {
        String cmd = "ls -a docs && stat -c '%n %s %h %i %Y %Z' docs/saved.txt";
        assertThat(Fsdriver.shOk(mnt, cmd)).isEqualTo(Fsdriver.shOk(s, cmd));
    }
}
