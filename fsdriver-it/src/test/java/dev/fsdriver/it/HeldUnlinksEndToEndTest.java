package dev.fsdriver.it;

import static dev.fsdriver.it.MeteredMount.since;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Unlinks answered by the mount and sent together (issue 13: rm -rf at most one call per
 * directory plus one per batch; the client's HeldUnlinks), through real serve and mount
 * processes and the kernel: what reaches the served directory, in which order, and what a
 * user sees when the server refuses an unlink it was answered for.
 */
class HeldUnlinksEndToEndTest {
    @TempDir
    Path tmp;

    private Path share() throws Exception {
        return Files.createDirectories(tmp.resolve("s"));
    }

    private static List<String> names(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** {@code s} served and mounted, events flowing, and {@code listing} run in the mount (what the kernel holds). */
    private MeteredMount mounted(Path s, String listing) throws Exception {
        MeteredMount m = MeteredMount.start(tmp, s, Files.createDirectories(tmp.resolve("mnt")));
        try {
            m.awaitEventsLive();
            Fsdriver.shOk(m.mount.mountPoint(), listing);
            return m;
        } catch (Exception | Error e) {
            m.close();
            throw e;
        }
    }

    /** Waits up to 10 s for {@code condition}; its last answer. */
    private static boolean eventually(Callable<Boolean> condition) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.call() && System.nanoTime() < end) {
            Thread.sleep(20);
        }
        return condition.call();
    }

    @Test
    void rmRfSendsItsUnlinksTogetherAndLeavesNothingBehind() throws Exception {
        Path s = share();
        for (String d : List.of("pkg", "pkg/sub")) {
            Files.createDirectories(s.resolve(d));
            for (int i = 0; i < 150; i++) {
                Files.writeString(s.resolve(d + "/f" + i), "content " + i);
            }
        }
        try (MeteredMount m = mounted(s, "ls -lR pkg > /dev/null")) {
            Path mnt = m.mount.mountPoint();
            Map<String, Long> before = m.serverCalls();
            Fsdriver.shOk(mnt, "rm -rf pkg");
            Map<String, Long> rm = since(before, m.serverCalls());
            // the last rmdir landed what was held first: nothing is left once rm returns
            assertThat(s.resolve("pkg")).doesNotExist();
            // before: Unlink 300; now a directory's first unlink, then batches
            assertThat(rm.getOrDefault("Unlink", 0L)).as(rm.toString()).isLessThanOrEqualTo(2);
            assertThat(rm.getOrDefault("UnlinkMany", 0L)).as(rm.toString()).isBetween(1L, 30L);
            assertThat(rm.getOrDefault("GetAttr", 0L)).as(rm.toString()).isLessThanOrEqualTo(10);
            // (pkg/sub's rmdir goes last in the UnlinkMany of its files still held, unless the 10 ms
            // timer landed them just before it, as under load: the client's HeldUnlinksTest pins that)
            assertThat(Fsdriver.shOk(mnt, "stat -c '%h %s' . && ls -A").trim())
                    .isEqualTo(Fsdriver.shOk(s, "stat -c '%h %s' . && ls -A").trim());
        }
    }

    /**
     * A name made again where an unlink of it is held: the unlink reaches the server first (else
     * the create would open the old file and the held unlink then remove the new one); a lone
     * unlink goes at once, and one held with nothing after it goes by itself.
     */
    @Test
    void heldUnlinksLandBeforeTheNextChangeOfTheirNamesAndByThemselves() throws Exception {
        Path s = share();
        Files.createDirectories(s.resolve("d"));
        for (int i = 1; i <= 7; i++) {
            Files.writeString(s.resolve("d/f" + i), "old " + i);
        }
        try (MeteredMount m = mounted(s, "ls -l d > /dev/null")) {
            Path mnt = m.mount.mountPoint();
            Map<String, Long> before = m.serverCalls();
            Fsdriver.shOk(mnt, "rm d/f1 d/f2 d/f3 d/f4 && echo new > d/f3");
            assertThat(since(before, m.serverCalls())).as("f2-f4 held").containsKey("UnlinkMany");
            assertThat(names(s.resolve("d"))).containsExactly("f3", "f5", "f6", "f7");
            assertThat(Files.readString(s.resolve("d/f3"))).isEqualTo("new\n");

            Fsdriver.shOk(mnt, "rm d/f5");
            assertThat(s.resolve("d/f5")).as("a lone unlink is not held").doesNotExist();

            Fsdriver.shOk(mnt, "sleep 0.1; rm d/f6 d/f7");
            assertThat(eventually(() -> names(s.resolve("d")).equals(List.of("f3"))))
                    .as("held with nothing after it: " + names(s.resolve("d"))).isTrue();
            assertThat(Fsdriver.shOk(mnt, "ls d").trim()).isEqualTo("f3");
        }
    }

    /**
     * A held file's other name (a hard link): its link count through the mount is the server's
     * once the unlink landed (looked up while it is held, the server's of then: docs/posix.md),
     * and an open through it lands the unlink first.
     */
    @Test
    void aHeldFilesOtherNameShowsItsLinkCountOnceLanded() throws Exception {
        Path s = share();
        Files.createDirectories(s.resolve("d"));
        Files.createDirectories(s.resolve("e"));
        Files.writeString(s.resolve("d/x"), "x");
        Files.writeString(s.resolve("d/a"), "linked");
        Files.createLink(s.resolve("e/b"), s.resolve("d/a"));
        try (MeteredMount m = mounted(s, "ls -l d > /dev/null")) { // e/b not looked up yet: its lookup comes after the unlink
            Path mnt = m.mount.mountPoint();
            Fsdriver.shOk(mnt, "rm d/x d/a && stat -c %h e/b > /dev/null");
            assertThat(eventually(() -> !Files.exists(s.resolve("d/a")))).isTrue();
            assertThat(eventually(() -> Fsdriver.shOk(mnt, "stat -c %h e/b").trim().equals("1")))
                    .as(Fsdriver.shOk(mnt, "stat -c %h e/b")).isTrue();

            Fsdriver.shOk(mnt, "ln e/b d/c && touch d/y");
            Fsdriver.shOk(mnt, "rm d/y d/c && cat e/b > /dev/null && stat -c %h e/b > " + tmp.resolve("links"));
            assertThat(Files.readString(tmp.resolve("links")).trim()).isEqualTo("1");
            assertThat(s.resolve("d/c")).doesNotExist();
        }
    }

    /**
     * The server refuses an unlink the mount answered ahead of it (a mount point on the server
     * side: EBUSY, as a Windows program's open without delete sharing would): the file stays and
     * the mount shows it again, the directory's next fsync fails with that errno, and the mount's
     * log names the file. Needs root (a bind mount), as the run as a whole does.
     */
    @Test
    void anUnlinkTheServerRefusesAfterItWasAnsweredLeavesTheFileAndFailsTheDirectorysFsync() throws Exception {
        Path s = share();
        Files.createDirectories(s.resolve("d"));
        for (int i = 1; i <= 5; i++) {
            Files.writeString(s.resolve("d/f" + i), "file " + i);
        }
        Path over = Files.writeString(tmp.resolve("over"), "mounted over f3");
        Fsdriver.shOk(tmp, "mount --bind " + over + " " + s.resolve("d/f3"));
        try (MeteredMount m = mounted(s, "ls -l d > /dev/null")) {
            Path mnt = m.mount.mountPoint();
            // f1's unlink goes at once; f2-f5 are answered here, f3's refused once sent
            Fsdriver.shOk(mnt, "rm d/f1 d/f2 d/f3 d/f4 d/f5");
            assertThat(eventually(() -> names(s.resolve("d")).equals(List.of("f3"))))
                    .as(names(s.resolve("d")).toString()).isTrue();
            assertThat(eventually(() -> Fsdriver.sh(mnt, "stat d/f3").exitCode() == 0)).as("f3 shows again").isTrue();
            assertThat(Fsdriver.shOk(mnt, "ls d").trim()).isEqualTo("f3");
            String fsync = "python3 -c 'import os; fd = os.open(\"d\", os.O_RDONLY); os.fsync(fd)'";
            Fsdriver.Result first = Fsdriver.sh(mnt, fsync);
            assertThat(first.exitCode()).as(first.output()).isNotZero();
            assertThat(first.output()).contains("Device or resource busy");
            assertThat(Fsdriver.sh(mnt, fsync).exitCode()).as("told once").isZero();
            assertThat(m.mount.proc().output()).contains("name \"f3\"").contains("stays");
        } finally {
            Fsdriver.sh(tmp, "umount " + s.resolve("d/f3"));
        }
    }
}
