package dev.fsdriver.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a user installs: `fsdriver install --prefix`, and the release archives and .deb that `mvn
 * package` leaves in fsdriver-cli/target, each unpacked and run (the Windows one under Wine).
 */
class InstallEndToEndTest {
    @TempDir
    Path tmp;

    /** The one file of fsdriver-cli/target whose name matches {@code regex}. */
    private static Path archive(String regex) throws IOException {
        Path target = Fsdriver.repoRoot().resolve("fsdriver-cli/target");
        try (var files = Files.list(target)) {
            List<Path> found = files.filter(p -> p.getFileName().toString().matches(regex)).toList();
            assertThat(found).as("one %s in %s (mvn package builds it)", regex, target).hasSize(1);
            return found.get(0);
        }
    }

    @Test
    void installPutsTheLauncherUnitsCompletionAndManPageUnderThePrefix() throws Exception {
        Path prefix = tmp.resolve("prefix");
        // the caches' training is AotCacheEndToEndTest's
        Fsdriver.Result r = Fsdriver.run(tmp.resolve("install.log"), Duration.ofSeconds(60), "install", "--prefix", prefix.toString(),
                "--no-aot-cache");
        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(r.output()).doesNotContain("start-up caches");
        Path bin = prefix.resolve("bin/fsdriver");
        assertThat(bin.toRealPath()).isEqualTo(Fsdriver.repoRoot().resolve("bin/fsdriver").toRealPath());
        assertThat(Fsdriver.shOk(tmp, bin + " --version")).startsWith("fsdriver ");
        Path serveUnit = prefix.resolve("lib/systemd/system/fsdriver-serve.service");
        Path mountUnit = prefix.resolve("lib/systemd/user/fsdriver-mount@.service");
        assertThat(Files.readString(serveUnit)).contains("ExecStart=" + bin + " serve --config /etc/fsdriver/serve.toml");
        assertThat(Files.readString(mountUnit)).contains("ExecStart=" + bin + " mount --config %E/fsdriver/%i.toml");
        Path runtime = Files.createDirectories(tmp.resolve("run"));
        Files.copy(mountUnit, tmp.resolve("fsdriver-mount@x.service"));
        assertThat(Fsdriver.shOk(tmp, "export XDG_RUNTIME_DIR=" + runtime + "; systemd-analyze verify " + serveUnit
                + " && systemd-analyze verify --user " + tmp.resolve("fsdriver-mount@x.service") + " && echo verified"))
                .contains("verified").doesNotContain(".service:");
        // bash completes subcommands and options from the installed script
        Path completion = prefix.resolve("share/bash-completion/completions/fsdriver");
        String complete = "source " + completion + "; COMP_WORDS=(fsdriver %s); COMP_CWORD=%d; COMP_LINE='fsdriver %s'; "
                + "COMP_POINT=${#COMP_LINE}; _complete_fsdriver fsdriver; echo \"${COMPREPLY[@]}\"";
        assertThat(Fsdriver.shOk(tmp, String.format(complete, "mou", 1, "mou"))).contains("mount");
        assertThat(Fsdriver.shOk(tmp, String.format(complete, "mount --read", 2, "mount --read"))).contains("--read-only");
        // man finds the page under the prefix, with the subcommands
        assertThat(Fsdriver.shOk(tmp, "LANG=C MANPAGER=cat MANWIDTH=100 man -M " + prefix.resolve("share/man")
                + " fsdriver")).startsWith("FSDRIVER(1)").contains("   fsdriver mount\n", "--metrics-listen");
        // again: the link is replaced, a file that is not ours is not
        assertThat(Fsdriver.run(tmp.resolve("again.log"), Duration.ofSeconds(60), "install", "--prefix", prefix.toString(),
                "--no-aot-cache").exitCode()).isZero();
        Files.delete(bin);
        Files.writeString(bin, "someone else's\n");
        Fsdriver.Result refused = Fsdriver.run(tmp.resolve("refused.log"), Duration.ofSeconds(60), "install", "--prefix",
                prefix.toString(), "--no-aot-cache");
        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.output()).contains(bin + " exists and is not a link: remove it first");
        assertThat(Files.readString(bin)).isEqualTo("someone else's\n");
    }

    @Test
    void theLinuxArchiveServesAndMountsFromWhereItIsUnpacked() throws Exception {
        Path unpacked = Files.createDirectories(tmp.resolve("x"));
        Fsdriver.shOk(tmp, "tar -xzf " + archive("fsdriver-.*-linux\\.tar\\.gz") + " -C " + unpacked);
        Path home;
        try (var dirs = Files.list(unpacked)) {
            home = dirs.findFirst().orElseThrow();
        }
        Path launcher = home.resolve("bin/fsdriver");
        assertThat(Files.isExecutable(launcher)).isTrue();
        assertThat(home.resolve("share/bash-completion/completions/fsdriver")).isRegularFile();
        assertThat(home.resolve("dist/systemd/fsdriver-mount@.service")).isRegularFile();
        assertThat(Fsdriver.shOk(tmp, launcher + " --version")).startsWith("fsdriver ");
        assertThat(Fsdriver.shOk(tmp, "LANG=C MANPAGER=cat man -l " + home.resolve("share/man/man1/fsdriver.1")))
                .startsWith("FSDRIVER(1)").contains("   fsdriver serve\n");
        Path share = Files.createDirectories(tmp.resolve("share"));
        Path mnt = tmp.resolve("mnt");
        int port = Fsdriver.freePort();
        try (Fsdriver.Proc serve = new Fsdriver.Proc(List.of(launcher.toString(), "serve", "--listen", "tcp://127.0.0.1:" + port,
                "--share", "w=" + share), tmp.resolve("serve.log"))) {
            Fsdriver.awaitPort(serve, port);
            try (Fsdriver.Proc mount = new Fsdriver.Proc(List.of(launcher.toString(), "mount", "--server", "tcp://127.0.0.1:" + port,
                    "w", mnt.toString()), tmp.resolve("mount.log"))) {
                mount.awaitOutput("mounted w at", Fsdriver.START_TIMEOUT);
                Files.writeString(mnt.resolve("f"), "from the archive\n");
                assertThat(Files.readString(share.resolve("f"))).isEqualTo("from the archive\n");
                // it runs from the archive's lib/, not from the source tree
                assertThat(Files.readString(Path.of("/proc/" + mount.process.pid() + "/cmdline")).replace('\0', ' '))
                        .contains(home.resolve("lib") + "/*");
            }
        }
    }

    @Test
    void theDebianPackageHoldsTheApplicationLinkUnitsCompletionAndManPage() throws Exception {
        Path deb = archive("fsdriver_.*_all\\.deb");
        assertThat(Fsdriver.shOk(tmp, "dpkg-deb --info " + deb)).contains("Package: fsdriver").contains("Depends: fuse3");
        Path root = Files.createDirectories(tmp.resolve("root"));
        Fsdriver.shOk(tmp, "dpkg-deb -x " + deb + " " + root);
        assertThat(Files.readSymbolicLink(root.resolve("usr/bin/fsdriver"))).isEqualTo(Path.of("/opt/fsdriver/bin/fsdriver"));
        assertThat(Files.readString(root.resolve("usr/lib/systemd/system/fsdriver-serve.service")))
                .contains("ExecStart=/usr/bin/fsdriver serve --config /etc/fsdriver/serve.toml");
        assertThat(Files.readString(root.resolve("usr/lib/systemd/user/fsdriver-mount@.service")))
                .contains("ExecStart=/usr/bin/fsdriver mount --config %E/fsdriver/%i.toml");
        assertThat(root.resolve("usr/share/bash-completion/completions/fsdriver")).isRegularFile();
        assertThat(Fsdriver.shOk(tmp, "LANG=C MANPAGER=cat man -l " + root.resolve("usr/share/man/man1/fsdriver.1.gz")
               )).startsWith("FSDRIVER(1)").contains("   fsdriver status\n");
        // the packaged launcher runs from the package's lib/
        assertThat(Fsdriver.shOk(tmp, root.resolve("opt/fsdriver/bin/fsdriver") + " --version")).startsWith("fsdriver ");
        try (var jars = Files.list(root.resolve("opt/fsdriver/lib"))) {
            assertThat(jars.map(p -> p.getFileName().toString())).anyMatch(n -> n.startsWith("fsdriver-cli-"))
                    .anyMatch(n -> n.startsWith("fsdriver-server-"));
        }
        // its postinst trains the start-up caches (fsdriver aot-cache) next to the package's lib/, and its
        // prerm removes them (dpkg does not know them); run chrootless, as dpkg --root does, on the unpacked tree
        Path control = tmp.resolve("control");
        Fsdriver.shOk(tmp, "dpkg-deb -e " + deb + " " + control);
        Path aot = root.resolve("opt/fsdriver/aot");
        String made = Fsdriver.shOk(tmp, "DPKG_ROOT=" + root + " " + control.resolve("postinst") + " configure");
        assertThat(made).contains("made " + aot.resolve("serve.aot"), "made " + aot.resolve("mount.aot"));
        assertThat(aot.resolve("serve.aot")).isRegularFile();
        assertThat(aot.resolve("mount.aot")).isRegularFile();
        Fsdriver.shOk(tmp, "DPKG_ROOT=" + root + " " + control.resolve("prerm") + " remove");
        assertThat(aot).doesNotExist();
    }

    @Test
    void theWindowsArchiveServesUnderWine() throws Exception {
        Wine.setUp(tmp);
        Path home = tmp.resolve("w");
        try (ZipFile zip = new ZipFile(archive("fsdriver-.*-windows\\.zip").toFile())) {
            for (ZipEntry e : Collections.list(zip.entries())) {
                Path to = home.resolve(e.getName()).normalize();
                assertThat(to.startsWith(home)).isTrue();
                if (e.isDirectory()) {
                    Files.createDirectories(to);
                } else {
                    Files.createDirectories(to.getParent());
                    try (InputStream in = zip.getInputStream(e)) {
                        Files.copy(in, to);
                    }
                }
            }
        }
        Path cmd;
        try (var dirs = Files.list(home)) {
            cmd = dirs.findFirst().orElseThrow().resolve("bin/fsdriver.cmd");
        }
        assertThat(cmd).isRegularFile();
        Path share = Files.createDirectories(tmp.resolve("share"));
        Files.writeString(share.resolve("g"), "served from the zip\n");
        int port = Fsdriver.freePort();
        try (Fsdriver.Server server = Wine.serve(cmd, tmp, port, "--share", "w=" + Wine.z(share))) {
            try (Fsdriver.Mount m = Fsdriver.mount(tmp, server, "w", tmp.resolve("mnt"))) {
                assertThat(Files.readString(tmp.resolve("mnt/g"))).isEqualTo("served from the zip\n");
            }
        } finally {
            Wine.killAll();
        }
    }
}
