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

    /**
     * A hard link renamed on the server's side over a file the mount had looked up, then renamed
     * on, both before the server followed the first event (held here: the server is paused while
     * a program renames): the server's node kept the link's old name, the one calls through the
     * node use, and the file, listed and stat'ed fine through the mount, failed every open with
     * ENOENT for good (ConcurrentStress seed 43, issue 9).
     */
    @Test
    void aHardLinkRenamedOnTheServerOverAKnownFileThenOnStaysReadable() throws Exception {
        Path s = Files.createDirectories(tmp.resolve("s"));
        Path mnt = Files.createDirectories(tmp.resolve("mnt"));
        Files.writeString(s.resolve("a"), "A");
        Files.createLink(s.resolve("b"), s.resolve("a"));
        Files.writeString(s.resolve("t"), "T");
        Files.createDirectories(s.resolve("d"));
        try (Fsdriver.Server server = Fsdriver.serve(tmp, "--share", "work=" + s);
             Fsdriver.Mount m = Fsdriver.mount(tmp, server, "work", mnt);
             InotifyWatch events = InotifyWatch.start(mnt, false)) {
            assertThat(shOk(mnt, "stat -c %h b; stat -c %s t")).isEqualTo("2\n1\n"); // the server knows b and t
            long pid = server.proc().process.pid();
            signal("STOP", pid);
            try {
                // rename(2) over t (Files.move would unlink t first: another sequence of events)
                shOk(s, "mv -f b t && mv t d/x && touch marker");
            } finally {
                signal("CONT", pid);
            }
            // the server follows each change before it sends it: the marker's comes after both renames'
            events.await("CREATE|marker");
            assertThat(Fsdriver.sh(mnt, "cat d/x; cat a; ls d").output()).isEqualTo("AAx\n");
        }
    }

    private static void signal(String sig, long pid) throws Exception {
        int rc = new ProcessBuilder("kill", "-" + sig, Long.toString(pid)).inheritIO().start().waitFor();
        assertThat(rc).as("kill -" + sig + " " + pid).isZero();
    }
}
