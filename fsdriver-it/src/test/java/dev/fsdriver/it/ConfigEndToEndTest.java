package dev.fsdriver.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * serve and mount started as real processes with their options from the default config file
 * ($XDG_CONFIG_HOME/fsdriver/config.toml) and FSDRIVER_* variables: the environment wins over
 * the file; a bad file stops the command with one line naming file, line and key.
 */
class ConfigEndToEndTest {
    @TempDir
    Path tmp;

    @Test
    void serveAndMountTakeTheirOptionsFromTheDefaultFileAndTheEnvironment() throws Exception {
        Path share = Files.createDirectories(tmp.resolve("share"));
        Files.writeString(share.resolve("hello.txt"), "from the config");
        Path mnt = Files.createDirectories(tmp.resolve("mnt-ops-config"));
        Path xdg = Files.createDirectories(tmp.resolve("xdg/fsdriver"));
        int port = Fsdriver.freePort();
        int filePort = Fsdriver.freePort();
        Files.writeString(xdg.resolve("config.toml"), """
                # the environment's FSDRIVER_LISTEN wins over this
                [serve]
                listen = "tcp://127.0.0.1:%d"

                [serve.share]
                work = { dir = "%s", read-only = true }

                [mount]
                server = "tcp://127.0.0.1:%d"
                share = "work"
                mountpoint = "%s"
                """.formatted(filePort, share, port, mnt));
        Map<String, String> env = Map.of("XDG_CONFIG_HOME", tmp.resolve("xdg").toString(),
                "FSDRIVER_LISTEN", "tcp://127.0.0.1:" + port);
        try (Fsdriver.Proc serve = new Fsdriver.Proc(Fsdriver.command("serve"), tmp.resolve("serve.log"), env)) {
            Fsdriver.awaitPort(serve, port);
            // the line comes just after the port accepts (a fresh-clone CI run read the log in between)
            serve.awaitOutput("listening on tcp://127\\.0\\.0\\.1:" + port, Fsdriver.START_TIMEOUT);
            assertThat(serve.output()).contains("listening on tcp://127.0.0.1:" + port).doesNotContain(":" + filePort);
            Fsdriver.Proc mountProc = new Fsdriver.Proc(Fsdriver.command("mount"), tmp.resolve("mount.log"),
                    Map.of("XDG_CONFIG_HOME", tmp.resolve("xdg").toString()));
            try (Fsdriver.Mount m = new Fsdriver.Mount(mountProc, mnt)) {
                mountProc.awaitOutput("mounted work at " + mnt, Fsdriver.START_TIMEOUT);
                assertThat(Files.readString(mnt.resolve("hello.txt"))).isEqualTo("from the config");
                // read-only = true in the file's share table
                assertThatThrownBy(() -> Files.writeString(mnt.resolve("new.txt"), "x"))
                        .hasMessageContaining("Read-only file system");
            }
        }
    }

    @Test
    void aBadConfigFileIsOneLineWithFileLineAndKey() throws Exception {
        Path bad = Files.writeString(tmp.resolve("bad.toml"), "[serve]\nshare = [\"a=/tmp\"]\nlisten-on = \"x\"\n");
        Fsdriver.Result r = Fsdriver.run(tmp.resolve("bad.log"), Fsdriver.START_TIMEOUT, "--config", bad.toString(), "serve");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.output().strip()).isEqualTo("fsdriver: " + bad + ":3: unknown key 'listen-on' in [serve]");
    }
}
