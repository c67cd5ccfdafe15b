package dev.fsdriver.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line in-process: parsing, usage, exit codes, one-line errors. */
class MainTest {
    @TempDir
    Path tmp;

    private record Run(int code, String out, String err) {}

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void helpAndVersionExitZero() {
        for (String cmd : new String[] {"serve", "mount", "umount", "service"}) {
            Run r = run(cmd, "--help");
            assertThat(r.code()).as(cmd).isZero();
            assertThat(r.out()).contains("Usage: fsdriver " + cmd);
        }
        assertThat(run("--help").out()).contains("serve", "mount", "umount");
        Run v = run("--version");
        assertThat(v.code()).isZero();
        assertThat(v.out()).startsWith("fsdriver ");
    }

    @Test
    void wrongArgumentsPrintUsageAndExitTwo() {
        String[][] bad = {
                {},
                {"nosuchcommand"},
                {"mount"},
                {"mount", "--bogus", "s"},
                {"mount", "--block-size", "12q", "s"},
                {"mount", "--block-size", "2M", "s", tmp.toString()},
                {"mount", "--server", "not a uri", "s", tmp.toString()},
                {"mount", "--cache-timeout", "-1", "s", tmp.toString()},
                {"mount", "--cache-timeout", "soon", "s", tmp.toString()},
                {"mount", "--metrics-listen", "no-port", "s", tmp.toString()},
                {"serve"},
                {"serve", "--share", "noequals"},
                {"serve", "--share", "s=" + tmp, "--listen", "http://x"},
                {"umount"},
                {"service"},
        };
        for (String[] args : bad) {
            Run r = run(args);
            assertThat(r.code()).as(String.join(" ", args)).isEqualTo(2);
            assertThat(r.err()).as(String.join(" ", args)).contains("Usage: fsdriver");
        }
    }

    @Test
    void mountWithoutServerSaysSoInOneLine() {
        Run r = run("mount", "--server", "tcp://127.0.0.1:1", "s", tmp.resolve("mp").toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err().strip()).isEqualTo("fsdriver: cannot reach server tcp://127.0.0.1:1: connection refused");
        assertThat(tmp.resolve("mp")).isDirectory(); // created if missing
    }

    @Test
    void mountWithABusyMetricsPortSaysSoBeforeMounting() throws Exception {
        try (java.net.ServerSocket busy = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Run r = run("mount", "--server", "tcp://127.0.0.1:1", "--metrics-listen", "127.0.0.1:" + busy.getLocalPort(),
                    "s", tmp.resolve("mp-metrics").toString());
            assertThat(r.code()).isEqualTo(1);
            assertThat(r.err().strip()).startsWith("fsdriver: cannot serve metrics on 127.0.0.1:" + busy.getLocalPort() + ": ");
        }
    }

    /** Share options are checked, by the CLI and then the backend, before anything is served. */
    @Test
    void badShareOptionsAreUsageErrorsNamingThem() {
        String share = "s=" + tmp;
        Run r = run("serve", "--share", share, "--share-option", "t:uid=1", "--listen", "tcp://127.0.0.1:0");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("Invalid --share-option 't:uid=1': no --share named 't' (shares: s)", "Usage: fsdriver serve");
        r = run("serve", "--share", share, "--share-option", "s", "--listen", "tcp://127.0.0.1:0");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("Invalid --share-option 's': expected SHARE:KEY[=VALUE]");
        r = run("serve", "--share", share, "--share-option", "s:uid=1", "--share-option", "s:metadata",
                "--listen", "tcp://127.0.0.1:0");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("Invalid --share-option for share 's': the posix backend takes no options (got: uid, metadata)");
    }

    @Test
    void badMountPointAndTokenFileAreOneLineErrors() throws Exception {
        Path file = Files.writeString(tmp.resolve("file"), "x");
        Run r = run("mount", "--server", "tcp://127.0.0.1:1", "s", file.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err().strip()).isEqualTo("fsdriver: mount point " + file + " is not a directory");

        r = run("mount", "--token-file", tmp.resolve("missing").toString(), "s", tmp.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err().strip()).isEqualTo("fsdriver: cannot read token file " + tmp.resolve("missing") + ": no such file");

        r = run("serve", "--share", "s=" + tmp.resolve("nodir"), "--listen", "tcp://127.0.0.1:0");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err().strip()).startsWith("fsdriver: share 's': ");
    }

    @Test
    void umountOfANonMountIsAClearError() {
        Run r = run("umount", tmp.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err().strip()).isEqualTo("fsdriver: " + real(tmp) + " is not a mount point");
    }

    @Test
    void anUnknownServiceActionIsAUsageErrorNamingTheRealOnes() {
        Run r = run("service", "restart");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("Unmatched argument at index 1: 'restart'", "Did you mean: service start");
    }

    @Test
    void serviceIsWindowsOnly() {
        Run r = run("service", "status");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err().strip()).isEqualTo("fsdriver: service management is Windows only");
        r = run("service", "install", "--listen", "tcp://127.0.0.1:7420", "--share", "s=" + tmp);
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err().strip()).isEqualTo("fsdriver: service management is Windows only");
    }

    @Test
    void sizes() {
        assertThat(Sizes.parse("1M")).isEqualTo(1 << 20);
        assertThat(Sizes.parse("256k")).isEqualTo(256 << 10);
        assertThat(Sizes.parse("64KiB")).isEqualTo(64 << 10);
        assertThat(Sizes.parse("1mb")).isEqualTo(1 << 20);
        assertThat(Sizes.parse("65536")).isEqualTo(65536);
        assertThat(Sizes.parse("2G")).isEqualTo(2L << 30);
        assertThatThrownBy(() -> Sizes.parse("1.5M")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Sizes.parse("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Sizes.parse("-1")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void tokenFileIsTheTrimmedFirstLine() throws Exception {
        assertThat(TokenFile.read(null)).isNull();
        Path f = Files.writeString(tmp.resolve("tok"), "  s3cret \nsecond line\n");
        assertThat(TokenFile.read(f)).isEqualTo("s3cret");
        Path empty = Files.writeString(tmp.resolve("empty"), "\n");
        assertThatThrownBy(() -> TokenFile.read(empty)).isInstanceOf(CliException.class).hasMessageContaining("is empty");
        assertThatThrownBy(() -> TokenFile.read(tmp)).isInstanceOf(CliException.class)
                .hasMessageStartingWith("cannot read token file " + tmp);
    }

    private static Path real(Path p) {
        try {
            return p.toRealPath();
        } catch (java.io.IOException e) {
            return p;
        }
    }
}
