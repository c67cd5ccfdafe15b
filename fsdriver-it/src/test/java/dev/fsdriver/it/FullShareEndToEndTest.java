package dev.fsdriver.it;

import static dev.fsdriver.it.Fsdriver.sh;
import static dev.fsdriver.it.Fsdriver.shOk;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A full share fails the write(2) itself, as a local file system does, not only the close. */
class FullShareEndToEndTest {
    @TempDir
    Path tmp;

    @Test
    void writingToAFullShareFailsWithNoSpaceLeft() throws Exception {
        Path s = Files.createDirectories(tmp.resolve("s"));
        Path mnt = Files.createDirectories(tmp.resolve("mnt"));
        shOk(tmp, "mount -t tmpfs -o size=1m fsdriver-it-full " + s);
        try {
            // fill it (dd ends with "No space left on device")
            sh(tmp, "dd if=/dev/zero of=" + s.resolve("fill") + " bs=64k");
            try (Fsdriver.Server server = Fsdriver.serve(tmp, "--share", "work=" + s);
                 Fsdriver.Mount m = Fsdriver.mount(tmp, server, "work", mnt)) {
                Fsdriver.Result r = sh(mnt, "bash -c 'echo x > f'; echo rc=$?");
                assertThat(r.output()).contains("No space left on device").contains("rc=1");
                Fsdriver.Result cp = sh(mnt, "head -c 100000 /dev/zero > g; echo rc=$?");
                assertThat(cp.output()).contains("No space left on device").contains("rc=1");
            }
        } finally {
            sh(tmp, "umount -l " + s);
        }
    }
}
