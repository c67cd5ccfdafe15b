package dev.fsdriver.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A change the mount holds with a file's writes (HeldSetAttrs: a chmod or utimens through the
 * descriptor that writes) must reach the server however it races with that descriptor's close.
 * The kernel sends RELEASE after close(2) has returned, so a program's chmod right after its
 * close can arrive while the release is under way: it was held in the writer the release had
 * just flushed and was never sent (DifferentialStressTest seed 18: a chmod lost, the file kept
 * its old mode on the server, and every later stat on the mount showed that).
 */
class HeldChangesEndToEndTest {
    @TempDir
    Path tmp;

    @Test
    void aChmodRightAfterACloseReachesTheServer() throws Exception {
        Path s = Files.createDirectories(tmp.resolve("s"));
        Path mnt = Files.createDirectories(tmp.resolve("mnt"));
        try (Fsdriver.Server server = Fsdriver.serve(tmp, "--share", "work=" + s);
                Fsdriver.Mount m = Fsdriver.mount(tmp, server, "work", mnt)) {
            // each round: write and close, chmod at once through the mount; then the served file
            // must get that mode (given 5 s: the release ends within milliseconds, and a change
            // lost stays lost)
            String out = Fsdriver.shOk(mnt, "python3 -c '" + """
                    import os, stat, time
                    modes = (0o600, 0o640, 0o604, 0o644, 0o660)
                    for i in range(300):
                        mode = modes[i % len(modes)]
                        with open("f", "w") as f:
                            f.write("round %d" % i)
                        os.chmod("f", mode)
                        deadline = time.monotonic() + 5
                        while stat.S_IMODE(os.stat("SHARE/f").st_mode) != mode:
                            if time.monotonic() > deadline:
                                print("round %d: the server has %o, not %o" % (i, stat.S_IMODE(os.stat("SHARE/f").st_mode), mode))
                                raise SystemExit(0)
                            time.sleep(0.001)
                    print("all reached the server")
                    """.replace("SHARE", s.toString()) + "'");
            assertThat(out).isEqualTo("all reached the server\n");
        }
    }
}
