package dev.fsdriver.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A mount whose process was killed leaves a dead FUSE mount (every access fails ENOTCONN). The
 * next `fsdriver mount` there detaches it (lazy unmount), says so, and mounts.
 */
class DeadMountEndToEndTest {
    @TempDir
    Path tmp;

    @Test
    void mountOverADeadMountDetachesItAndSaysSo() throws Exception {
        Path share = Files.createDirectories(tmp.resolve("share"));
        Files.writeString(share.resolve("f"), "content");
        Path mnt = Files.createDirectories(tmp.resolve("mnt"));
        try (Fsdriver.Server server = Fsdriver.serve(tmp, "--share", "work=" + share)) {
            Fsdriver.Mount first = Fsdriver.mount(tmp, server, "work", mnt);
            first.proc().kill9();
            assertThat(Fsdriver.isMounted(mnt)).as("the killed mount stays, dead").isTrue();
            assertThat(Files.isDirectory(mnt)).as("a dead mount cannot be reached").isFalse();
            // named through a symlink: the dead mount is still found (mountinfo has the real path)
            Path viaLink = Files.createSymbolicLink(tmp.resolve("link"), tmp).resolve("mnt");
            try (Fsdriver.Mount second = Fsdriver.mount(tmp, server, "work", viaLink)) {
                assertThat(second.proc().output())
                        .contains("dead fsdriver mount")
                        .contains("lazy unmount")
                        .doesNotContain("not a directory");
                assertThat(Files.readString(mnt.resolve("f"))).isEqualTo("content");
            } finally {
                first.close();
            }
        }
        assertThat(Fsdriver.isMounted(mnt)).isFalse();
    }

    /** A dead FUSE mount of another program is left alone, named, with the command that clears it. */
    @Test
    void aDeadMountOfAnotherProgramIsNamedClearly() throws Exception {
        Path share = Files.createDirectories(tmp.resolve("share"));
        Path mnt = Files.createDirectories(tmp.resolve("other"));
        // a FUSE connection whose server closes /dev/fuse at once: a dead mount like a crashed daemon's
        Fsdriver.shOk(tmp, "exec 3<>/dev/fuse && mount -i -t fuse.other -o fd=3,rootmode=40000,user_id=0,group_id=0 "
                + "othersrc " + mnt + " && exec 3>&-");
        try (Fsdriver.Server server = Fsdriver.serve(tmp, "--share", "work=" + share)) {
            Fsdriver.Result r = Fsdriver.run(tmp.resolve("other.log"), java.time.Duration.ofSeconds(60),
                    "mount", "--server", server.address(), "work", mnt.toString());
            assertThat(r.exitCode()).isNotZero();
            assertThat(r.output()).contains("dead FUSE mount", "fuse.other from othersrc", "fusermount3 -u -z " + mnt)
                    .doesNotContain("not a directory").doesNotContain("\tat ");
            assertThat(Fsdriver.isMounted(mnt)).as("not ours: left alone").isTrue();
        } finally {
            Fsdriver.shOk(tmp, "umount -l " + mnt);
        }
    }
}
