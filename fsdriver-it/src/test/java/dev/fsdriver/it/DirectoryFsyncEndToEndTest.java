package dev.fsdriver.it;

import static dev.fsdriver.it.ServerCallsEndToEndTest.calls;
import static dev.fsdriver.it.ServerCallsEndToEndTest.since;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * fsync of a directory, which programs do to make a rename or a new name durable (sqlite after
 * creating its journal, editors and package managers after an atomic save), reaches the server
 * and syncs the directory there. Before, the mount answered it without a call.
 */
class DirectoryFsyncEndToEndTest {
    @TempDir
    Path tmp;

    @Test
    void anFsyncOfADirectoryIsAnFsyncOnTheServer() throws Exception {
        Path s = Files.createDirectories(tmp.resolve("s"));
        Files.createDirectories(s.resolve("d"));
        Path mnt = Files.createDirectories(tmp.resolve("mnt"));
        int port = Fsdriver.freePort();
        try (Fsdriver.Server server = Fsdriver.serveMetered(tmp, port, "--share", "work=" + s);
                Fsdriver.Mount m = Fsdriver.mount(tmp, server, "work", mnt)) {
            Fsdriver.shOk(mnt, "ls d");
            Map<String, Long> before = calls(port);
            String out = Fsdriver.shOk(mnt, "python3 -c '" + """
                    import os
                    with open("d/new.tmp", "w") as f:
                        f.write("x")
                    os.rename("d/new.tmp", "d/new")
                    for p in ("d", "."):
                        fd = os.open(p, os.O_RDONLY | os.O_DIRECTORY)
                        os.fsync(fd)
                        os.fdatasync(fd)
                        os.close(fd)
                    print("synced")
                    """ + "'");
            assertThat(out).isEqualTo("synced\n");
            Map<String, Long> made = since(before, calls(port));
            assertThat(made.getOrDefault("Fsync", 0L)).as(made.toString()).isEqualTo(4);
            assertThat(Files.readString(s.resolve("d/new"))).isEqualTo("x");
        }
    }
}
