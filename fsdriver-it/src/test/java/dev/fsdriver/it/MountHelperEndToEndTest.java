package dev.fsdriver.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ways a mount is started without a terminal: {@code mount -t fuse.fsdriver} and an fstab
 * line (through the system's mount.fuse3 and fsdriver on PATH), {@code mount --background}, and
 * the systemd units in dist/systemd, checked with systemd-analyze and run by their own command lines.
 */
class MountHelperEndToEndTest {
    private static final Pattern PID = Pattern.compile("running in the background \\(pid (\\d+)\\)");

    @TempDir
    Path tmp;

    private Path share;
    private Path mnt;
    /** mount(8) runs mount.fuse3 with a fixed PATH (/usr/local/sbin:/usr/local/bin:/usr/sbin:...). */
    private static final Path INSTALLED = Path.of("/usr/local/bin/fsdriver");
    private Fsdriver.Server server;

    @BeforeEach
    void setUp() throws Exception {
        share = Files.createDirectories(tmp.resolve("share"));
        mnt = Files.createDirectories(tmp.resolve("mnt"));
        server = Fsdriver.serve(tmp, "--share", "w=" + share);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (Fsdriver.isMounted(mnt)) {
            Fsdriver.sh(tmp, "umount -l " + mnt);
        }
        server.close();
    }

    private String sh(String script) throws Exception {
        return Fsdriver.shOk(tmp, script);
    }

    private static Path launcher() {
        return Fsdriver.repoRoot().resolve("bin/fsdriver");
    }

    /** Unmounts and checks that the background process ends with it. */
    private void unmountAndAwaitExit(String output) throws Exception {
        Matcher m = PID.matcher(output);
        assertThat(m.find()).as("background pid in: %s", output).isTrue();
        ProcessHandle mount = ProcessHandle.of(Long.parseLong(m.group(1))).orElseThrow();
        sh("umount " + mnt);
        mount.onExit().get(30, TimeUnit.SECONDS);
        assertThat(Fsdriver.isMounted(mnt)).isFalse();
    }

    @Test
    void mountTypeFuseFsdriverReturnsOnceMountedAndKeepsServing() throws Exception {
        // mount.fuse3 runs "fsdriver" from mount(8)'s fixed PATH: this build is put there for the test
        boolean linked = false;
        if (Files.isSymbolicLink(INSTALLED) || Files.exists(INSTALLED)) {
            assertThat(INSTALLED.toRealPath()).as("%s is another fsdriver: remove it or point it at this build", INSTALLED)
                    .isEqualTo(launcher().toRealPath());
        } else {
            Files.createSymbolicLink(INSTALLED, launcher());
            linked = true;
        }
        try {
            mountTypeFuseFsdriver();
        } finally {
            if (linked) {
                Files.delete(INSTALLED);
            }
        }
    }

    private void mountTypeFuseFsdriver() throws Exception {
        String out = sh("mount -t fuse.fsdriver w " + mnt + " -o server=" + server.address() + ",allow_other,_netdev");
        assertThat(out).contains("mounted w at " + mnt);
        assertThat(Files.readString(Path.of("/proc/self/mounts"))).contains(mnt + " fuse.fsdriver");
        sh("echo through-the-helper > " + mnt + "/f");
        assertThat(Files.readString(share.resolve("f"))).isEqualTo("through-the-helper\n");
        unmountAndAwaitExit(out);
    }

    @Test
    void anFstabLineMountsReadOnly() throws Exception {
        Files.writeString(share.resolve("g"), "kept\n");
        Path fstab = tmp.resolve("fstab");
        // mount.fuse3's "PROGRAM#SOURCE" form names the launcher by its path (no PATH needed)
        Files.writeString(fstab, launcher() + "#w " + mnt + " fuse noauto,ro,server=" + server.address() + " 0 0\n");
        String out = sh("mount -T " + fstab + " " + mnt);
        assertThat(Files.readString(mnt.resolve("g"))).isEqualTo("kept\n");
        Fsdriver.Result write = Fsdriver.sh(tmp, "echo x > " + mnt + "/h");
        assertThat(write.exitCode()).isNotZero();
        assertThat(write.output()).contains("Read-only file system");
        unmountAndAwaitExit(out);
    }

    @Test
    void aFailedBackgroundMountSaysWhyAndExitsNonZero() throws Exception {
        Path log = tmp.resolve("bg.log");
        Fsdriver.Result r = Fsdriver.run(tmp.resolve("run.log"), Duration.ofSeconds(90), "mount", "--background",
                "--log-file", log.toString(), "--server", server.address(), "nosuchshare", mnt.toString());
        assertThat(r.exitCode()).isNotZero();
        assertThat(r.output()).contains("nosuchshare");
        assertThat(Files.readString(log)).contains("nosuchshare");
        assertThat(Fsdriver.isMounted(mnt)).isFalse();
        Fsdriver.Result bad = Fsdriver.sh(tmp, Fsdriver.repoRoot().resolve("bin/fsdriver") + " w " + mnt + " -o server="
                + server.address() + ",colour=blue");
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.output()).contains("unknown mount option colour=blue");
    }

    @Test
    void theSystemdUnitsVerifyAndTheirCommandLinesRun() throws Exception {
        Path units = Files.createDirectories(tmp.resolve("units"));
        Path launcher = launcher();
        for (String name : new String[] {"fsdriver-mount@.service", "fsdriver-serve.service"}) {
            String unit = Files.readString(Fsdriver.repoRoot().resolve("dist/systemd").resolve(name));
            assertThat(unit).contains("ExecStart=/usr/local/bin/fsdriver ");
            // as installed with the launcher somewhere else: the only path in a unit
            Files.writeString(units.resolve(name.replace("@.", "@docs.")), unit.replace("/usr/local/bin/fsdriver", launcher.toString()));
        }
        Path runtime = Files.createDirectories(tmp.resolve("run"));
        String verify = Fsdriver.shOk(tmp, "export XDG_RUNTIME_DIR=" + runtime + "; systemd-analyze verify --user "
                + units.resolve("fsdriver-mount@docs.service") + " && systemd-analyze verify "
                + units.resolve("fsdriver-serve.service") + " && echo verified");
        assertThat(verify).contains("verified").doesNotContain("fsdriver-mount@docs.service:").doesNotContain("fsdriver-serve.service:");

        // the user unit's ExecStart with %E = $XDG_CONFIG_HOME and %i = docs
        Path config = Files.createDirectories(tmp.resolve("config/fsdriver"));
        Files.writeString(config.resolve("docs.toml"), "[mount]\nserver = \"" + server.address()
                + "\"\nshare = \"w\"\nmountpoint = \"" + mnt + "\"\n");
        String exec = execStart(units.resolve("fsdriver-mount@docs.service")).replace("%E", tmp.resolve("config").toString())
                .replace("%i", "docs");
        try (Fsdriver.Proc unit = new Fsdriver.Proc(List.of("bash", "-c", "exec " + exec), tmp.resolve("unit.log"))) {
            unit.awaitOutput("mounted w at " + mnt, Fsdriver.START_TIMEOUT);
            sh("echo from-the-unit > " + mnt + "/u");
            assertThat(Files.readString(share.resolve("u"))).isEqualTo("from-the-unit\n");
            // systemctl stop sends SIGTERM: the mount unmounts itself and exits 0
            unit.process.destroy();
            assertThat(unit.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(unit.process.exitValue()).isZero();
        }
        assertThat(Fsdriver.isMounted(mnt)).isFalse();
        assertThat(execStart(units.resolve("fsdriver-serve.service"))).endsWith(" serve --config /etc/fsdriver/serve.toml");
    }

    private static String execStart(Path unit) throws Exception {
        return Files.readAllLines(unit).stream().filter(l -> l.startsWith("ExecStart=")).findFirst().orElseThrow()
                .substring("ExecStart=".length());
    }
}
