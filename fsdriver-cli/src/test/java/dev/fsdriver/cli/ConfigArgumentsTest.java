package dev.fsdriver.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fsdriver.cli.ConfigFile.ConfigException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Config file and FSDRIVER_* variables turned into options: precedence, types, one-line errors. */
class ConfigArgumentsTest {
    @TempDir
    Path tmp;

    private final CommandLine cmd = Main.commandLine();

    private List<String> expand(Map<String, String> env, String... args) throws ConfigException {
        return List.of(ConfigArguments.expand(cmd.getCommandSpec(), args, env, tmp.resolve("none.toml")));
    }

    private Path file(String toml) throws Exception {
        return Files.writeString(tmp.resolve("config.toml"), toml);
    }

    @Test
    void fileGivesTheOptionsTheCommandLineDoesNot() throws Exception {
        Path f = file("""
                token-file = "/etc/fsdriver/token"
                share = ["docs=/srv/docs:ro", "src=/srv/src"]

                [mount]
                server = "tcp://10.0.0.1:7420"
                read-only = true
                block-size = "256k"
                cache-timeout = 2.5
                """);
        assertThat(expand(Map.of(), "--config", f.toString(), "serve", "--listen", "tcp://127.0.0.1:1"))
                .containsExactly("--config", f.toString(), "serve", "--share=docs=/srv/docs:ro", "--share=src=/srv/src",
                        "--token-file=/etc/fsdriver/token", "--listen", "tcp://127.0.0.1:1");
        assertThat(expand(Map.of(), "mount", "--config=" + f, "--server", "unix:///s.sock", "docs"))
                .containsExactly("mount", "--token-file=/etc/fsdriver/token", "--read-only", "--block-size=256k",
                        "--cache-timeout=2.5", "--config=" + f, "--server", "unix:///s.sock", "docs");
    }

    @Test
    void environmentWinsOverTheFileAndTheCommandLineOverBoth() throws Exception {
        Path f = file("""
                [serve]
                listen = ["tcp://127.0.0.1:1"]
                share = ["a=/a"]
                insecure = true
                """);
        Map<String, String> env = Map.of("FSDRIVER_CONFIG", f.toString(), "FSDRIVER_LISTEN", "tcp://127.0.0.1:2,unix:///x",
                "FSDRIVER_INSECURE", "no", "FSDRIVER_JAVA_OPTS", "-Xmx1g");
        assertThat(expand(env, "serve")).containsExactly("serve", "--listen=tcp://127.0.0.1:2", "--listen=unix:///x",
                "--share=a=/a");
        assertThat(expand(env, "serve", "--listen=tcp://127.0.0.1:3", "--share", "b=/b"))
                .containsExactly("serve", "--listen=tcp://127.0.0.1:3", "--share", "b=/b");
        assertThat(expand(Map.of("FSDRIVER_ALLOW_SETID", "1"), "serve"))
                .containsExactly("serve", "--allow-setid");
    }

    @Test
    void sharesAsATableAndMountArgumentsFromItsOwnTable() throws Exception {
        Path f = file("""
                [serve.share]
                docs = { dir = "C:/Users/me/docs", read-only = true }
                src = "/srv/src"

                [mount]
                share = "docs"
                mountpoint = "/home/me/docs"
                """);
        assertThat(expand(Map.of(), "--config", f.toString(), "serve")).containsExactly("--config", f.toString(),
                "serve", "--share=docs=C:/Users/me/docs:ro", "--share=src=/srv/src");
        assertThat(expand(Map.of(), "--config", f.toString(), "mount")).containsExactly("--config", f.toString(),
                "mount", "--", "docs", "/home/me/docs");
        // arguments on the command line: none from the file
        assertThat(expand(Map.of(), "--config", f.toString(), "mount", "-v", "other"))
                .containsExactly("--config", f.toString(), "mount", "-v", "other");
    }

    /** --share-option from an array of SHARE:KEY=VALUE, a table per share, or FSDRIVER_SHARE_OPTION. */
    @Test
    void shareOptionsFromTheFileAndTheEnvironment() throws Exception {
        Path f = file("""
                [serve]
                share = ["docs=C:/docs", "src=C:/src"]
                share-option = ["src:symlinks=native"]
                """);
        assertThat(expand(Map.of(), "--config", f.toString(), "serve")).containsExactly("--config", f.toString(), "serve",
                "--share=docs=C:/docs", "--share=src=C:/src", "--share-option=src:symlinks=native");
        file("""
                [serve.share-option.docs]
                metadata = true
                uid = "1000"
                umask = "077"
                inode-store = "C:/ProgramData/fsdriver/docs,inodes"

                [serve.share-option]
                src = { metadata = false }
                """);
        assertThat(expand(Map.of(), "--config", f.toString(), "serve")).containsExactly("--config", f.toString(), "serve",
                "--share-option=docs:metadata=true", "--share-option=docs:uid=1000", "--share-option=docs:umask=077",
                "--share-option=docs:inode-store=C:/ProgramData/fsdriver/docs,inodes", "--share-option=src:metadata=false");
        assertThat(expand(Map.of("FSDRIVER_SHARE_OPTION", "docs:uid=1,docs:gid=2"), "serve"))
                .containsExactly("serve", "--share-option=docs:uid=1", "--share-option=docs:gid=2");
        // what the file gives parses as typed
        ServeCommand serve = new ServeCommand();
        new CommandLine(serve).parseArgs("--share=docs=/d", "--share-option=docs:metadata=true", "--share-option=docs:umask=077");
        assertThat(serve.shareOptions).containsExactly("docs:metadata=true", "docs:umask=077");
    }

    @Test
    void badShareOptionsInTheFileNameTheLineAndKey() throws Exception {
        Path f = file("[serve.share-option.docs]\numask = 0o077\n");
        assertThatThrownBy(() -> expand(Map.of(), "--config", f.toString(), "serve"))
                .isInstanceOf(ConfigException.class).hasMessage(f + ":2: 'serve.share-option.docs.umask' must be a string or "
                        + "true/false (numbers too as strings: uid = \"1000\", umask = \"077\")");
        file("[serve.share-option]\ndocs = \"uid=1\"\n");
        assertThatThrownBy(() -> expand(Map.of(), "--config", f.toString(), "serve"))
                .hasMessageStartingWith(f + ":2: 'serve.share-option.docs' must be a table of the share's options");
    }

    @Test
    void relativePathsInTheFileAreRelativeToIt() throws Exception {
        Path f = file("token-file = \"token\"\n");
        assertThat(expand(Map.of(), "--config", f.toString(), "mount", "s"))
                .contains("--token-file=" + tmp.resolve("token").toAbsolutePath());
    }

    @Test
    void badFilesAreOneLineWithFileLineAndKey() throws Exception {
        Path f = file("server = \"tcp://x:1\"\n\n[serve]\nlisen = \"tcp://127.0.0.1:1\"\n");
        assertThatThrownBy(() -> expand(Map.of(), "--config", f.toString(), "serve"))
                .isInstanceOf(ConfigException.class).hasMessage(f + ":4: unknown key 'lisen' in [serve]");
        file("nosuch = 1\n");
        assertThatThrownBy(() -> expand(Map.of(), "--config", f.toString(), "mount", "s"))
                .hasMessage(f + ":1: unknown key 'nosuch'");
        file("[mount]\nread-only = \"yes\"\n");
        assertThatThrownBy(() -> expand(Map.of(), "--config", f.toString(), "mount", "s"))
                .hasMessage(f + ":2: 'mount.read-only' must be true or false");
        file("listen = { a = 1 }\n");
        assertThatThrownBy(() -> expand(Map.of(), "--config", f.toString(), "serve"))
                .hasMessage(f + ":1: 'listen' must be a string or an array of strings");
        file("[serve.share]\ndocs = { directory = \"/x\" }\n");
        assertThatThrownBy(() -> expand(Map.of(), "--config", f.toString(), "serve"))
                .hasMessageStartingWith(f + ":2: unknown key 'directory' in share 'docs'");
        file("share = [\"a=/a\"\n");
        assertThatThrownBy(() -> expand(Map.of(), "--config", f.toString(), "serve"))
                .hasMessageStartingWith(f + ":2: ");
        assertThatThrownBy(() -> expand(Map.of(), "--config", tmp.resolve("missing.toml").toString(), "serve"))
                .hasMessage(tmp.resolve("missing.toml") + ": no such file");
        assertThatThrownBy(() -> expand(Map.of("FSDRIVER_READ_ONLY", "maybe"), "mount", "s"))
                .hasMessage("FSDRIVER_READ_ONLY=maybe: expected true or false");
    }

    @Test
    void theDefaultFileIsReadWhenItExists() throws Exception {
        Path dflt = Files.writeString(tmp.resolve("default.toml"), "server = \"unix:///d.sock\"\n");
        String[] out = ConfigArguments.expand(cmd.getCommandSpec(), new String[] {"mount", "s"}, Map.of(), dflt);
        assertThat(out).containsExactly("mount", "--server=unix:///d.sock", "s");
        out = ConfigArguments.expand(cmd.getCommandSpec(), new String[] {"mount", "s"}, Map.of(), tmp.resolve("absent"));
        assertThat(out).containsExactly("mount", "s");
    }

    @Test
    void defaultLocationPerOs() {
        assertThat(ConfigArguments.defaultFile(Map.of("XDG_CONFIG_HOME", "/x/cfg"), false, "/home/me"))
                .isEqualTo(Path.of("/x/cfg/fsdriver/config.toml"));
        assertThat(ConfigArguments.defaultFile(Map.of("XDG_CONFIG_HOME", "relative"), false, "/home/me"))
                .isEqualTo(Path.of("/home/me/.config/fsdriver/config.toml"));
        assertThat(ConfigArguments.defaultFile(Map.of(), false, "/home/me"))
                .isEqualTo(Path.of("/home/me/.config/fsdriver/config.toml"));
        assertThat(ConfigArguments.defaultFile(Map.of("APPDATA", "/appdata"), true, "/home/me"))
                .isEqualTo(Path.of("/appdata", "fsdriver", "config.toml"));
    }

    @Test
    void aBadFileIsExitTwoWithOneLine() throws Exception {
        Path f = file("[serve]\nshare = 3\n");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new String[] {"--config", f.toString(), "serve"}, new PrintWriter(out, true),
                new PrintWriter(err, true), Map.of());
        assertThat(code).isEqualTo(2);
        assertThat(err.toString().strip()).isEqualTo("fsdriver: " + f + ":2: 'serve.share' must be a string or an array of strings");
    }

    @Test
    void valuesFromTheFileAreCheckedLikeTypedOnes() throws Exception {
        Path f = file("[mount]\nblock-size = \"2M\"\n");
        StringWriter err = new StringWriter();
        int code = Main.execute(new String[] {"--config", f.toString(), "mount", "s", tmp.toString()},
                new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), Map.of());
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("Invalid --block-size");
    }
}
