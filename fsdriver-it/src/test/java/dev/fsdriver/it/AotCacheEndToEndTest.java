package dev.fsdriver.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `fsdriver install` (through `fsdriver aot-cache`) trains serve and mount (real processes, a real FUSE mount) and leaves a
 * JDK AOT cache for each, which bin/fsdriver then starts those roles with; `--remove` takes them
 * away again (issue 15: start-up within 1 s; the times are a benchmark figure, bench/footprint.sh).
 */
class AotCacheEndToEndTest {
    @TempDir
    Path tmp;

    @Test
    void aTrainingRunLeavesACacheForServeAndMountThatTheLauncherUses() throws Exception {
        Path launcher = Fsdriver.repoRoot().resolve("bin/fsdriver");
        Path dir = Fsdriver.repoRoot().resolve("fsdriver-cli/target/aot");
        try {
            // `fsdriver install` makes them (as `fsdriver aot-cache` does; the .deb's postinst runs that one:
            // InstallEndToEndTest)
            Fsdriver.Result made = Fsdriver.run(tmp.resolve("install.log"), Duration.ofMinutes(5), "install", "--prefix",
                    tmp.resolve("prefix").toString());
            assertThat(made.exitCode()).as(made.output()).isZero();
            assertThat(made.output()).contains("making the start-up caches",
                    "made " + dir.resolve("serve.aot"), "made " + dir.resolve("mount.aot"));
            for (String role : new String[] {"serve", "mount"}) {
                assertThat(dir.resolve(role + ".aot")).isRegularFile();
                // the JVM's own log says which cache it mapped
                String out = Fsdriver.shOk(tmp, "FSDRIVER_JAVA_OPTS=-Xlog:aot=info " + launcher + " " + role + " --help");
                assertThat(out).as(role).contains("Opened AOT cache " + dir.resolve(role + ".aot"));
            }
            // other commands start without one
            assertThat(Fsdriver.shOk(tmp, "FSDRIVER_JAVA_OPTS=-Xlog:aot=info " + launcher + " --version"))
                    .doesNotContain("Opened AOT cache");
        } finally {
            Fsdriver.Result removed = Fsdriver.run(tmp.resolve("remove.log"), Duration.ofSeconds(60), "aot-cache", "--remove");
            assertThat(removed.exitCode()).as(removed.output()).isZero();
        }
        assertThat(dir.resolve("serve.aot")).doesNotExist();
        assertThat(dir.resolve("mount.aot")).doesNotExist();
    }
}
