package dev.fsdriver.it;

import static dev.fsdriver.it.Fsdriver.shOk;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hard links made through the mount are one file in the kernel too: one link count, one size. */
class HardLinkEndToEndTest {
    @TempDir
    Path tmp;

    @Test
    void linkAndUnlinkShowTheLinkCountAtOnceAndAWriteIsSeenThroughTheOtherName() throws Exception {
        Path s = Files.createDirectories(tmp.resolve("s"));
        Path mnt = Files.createDirectories(tmp.resolve("mnt"));
        try (Fsdriver.Server server = Fsdriver.serve(tmp, "--share", "work=" + s);
             Fsdriver.Mount m = Fsdriver.mount(tmp, server, "work", mnt)) {
            // each stat before a change puts the attributes in the kernel's cache (long timeouts while events flow)
            String out = shOk(mnt, "echo a > h1; stat h1 >/dev/null; ln h1 h2; echo links=$(stat -c %h h1),$(stat -c %h h2);"
                    + " echo more >> h2; echo size=$(stat -c %s h1); cat h1;"
                    + " rm h2; echo after=$(stat -c %h h1)");
            assertThat(out).contains("links=2,2").contains("size=7").contains("a\nmore\n").contains("after=1");
            assertThat(Files.readString(s.resolve("h1"))).isEqualTo("a\nmore\n");
        }
    }
}
