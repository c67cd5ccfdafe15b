package dev.fsdriver.backend.windows.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ServiceInstallerTest {
    // Path.of on Linux keeps backslashes as ordinary characters, so Windows paths survive as written.
    private static final Path LAUNCHER = Path.of("C:\\Program Files\\fsdriver\\bin\\fsdriver.cmd");
    private static final Path ARGS = Path.of("C:\\Users\\Jo Doe\\AppData\\Roaming\\fsdriver\\serve.args");

    /** CommandLineToArgvW's documented rules (2N backslashes + quote: N and toggle; 2N+1: N and a literal quote). */
    static List<String> parse(String cmdline) {
        List<String> out = new ArrayList<>();
        int i = 0;
        int n = cmdline.length();
        while (i < n) {
            while (i < n && (cmdline.charAt(i) == ' ' || cmdline.charAt(i) == '\t')) {
                i++;
            }
            if (i >= n) {
                break;
            }
            StringBuilder sb = new StringBuilder();
            boolean inQuotes = false;
            while (i < n && (inQuotes || (cmdline.charAt(i) != ' ' && cmdline.charAt(i) != '\t'))) {
                char c = cmdline.charAt(i);
                if (c == '\\') {
                    int start = i;
                    while (i < n && cmdline.charAt(i) == '\\') {
                        i++;
                    }
                    int count = i - start;
                    if (i < n && cmdline.charAt(i) == '"') {
                        sb.append("\\".repeat(count / 2));
                        if (count % 2 == 1) {
                            sb.append('"');
                            i++;
                        }
                    } else {
                        sb.append("\\".repeat(count));
                    }
                } else if (c == '"') {
                    inQuotes = !inQuotes;
                    i++;
                } else {
                    sb.append(c);
                    i++;
                }
            }
            out.add(sb.toString());
        }
        return out;
    }

    @Test
    void quotingRoundTripsThroughCommandLineToArgvRules() {
        List<String> tricky = List.of("plain", "", "with space", "C:\\dir\\", "C:\\dir with space\\", "a\"b", "a\\\"b",
                "\\\\server\\share", "tab\there", "end\\\\", "\"");
        String line = ServiceInstaller.commandLine(tricky);
        assertThat(parse(line)).isEqualTo(tricky);
        assertThat(ServiceInstaller.quote("plain")).isEqualTo("plain");
        assertThat(ServiceInstaller.quote("C:\\dir with space\\")).isEqualTo("\"C:\\dir with space\\\\\"");
        assertThat(ServiceInstaller.quote("a\"b")).isEqualTo("\"a\\\"b\"");
    }

    @Test
    void logonTaskCommand() {
        ServiceInstaller.Command c = ServiceInstaller.installLogonTask(LAUNCHER, ARGS);
        String tr = "\"C:\\Program Files\\fsdriver\\bin\\fsdriver.cmd\" serve \"@C:\\Users\\Jo Doe\\AppData\\Roaming\\fsdriver\\serve.args\"";
        assertThat(c.argv()).containsExactly("schtasks", "/Create", "/SC", "ONLOGON", "/TN", "fsdriver", "/TR", tr, "/RL", "LIMITED", "/F");
        // What Windows receives: schtasks parses /TR back to exactly tr, and tr parses to launcher + serve + @file.
        assertThat(parse(c.commandLine())).isEqualTo(c.argv());
        assertThat(parse(tr)).containsExactly(LAUNCHER.toString(), "serve", "@" + ARGS);
        assertThat(c.commandLine()).isEqualTo("schtasks /Create /SC ONLOGON /TN fsdriver /TR "
                + "\"\\\"C:\\Program Files\\fsdriver\\bin\\fsdriver.cmd\\\" serve \\\"@C:\\Users\\Jo Doe\\AppData\\Roaming\\fsdriver\\serve.args\\\"\""
                + " /RL LIMITED /F");
    }

    @Test
    void logonTaskCommandTooLongForTaskSchedulerIsRefused() {
        Path deep = Path.of("C:\\" + "very-long-directory-name\\".repeat(12) + "serve.args");
        assertThatThrownBy(() -> ServiceInstaller.installLogonTask(LAUNCHER, deep))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("261");
    }

    @Test
    void logonTaskDeleteQueryRun() {
        assertThat(ServiceInstaller.uninstallLogonTask().commandLine()).isEqualTo("schtasks /Delete /TN fsdriver /F");
        assertThat(ServiceInstaller.logonTaskStatus().commandLine()).isEqualTo("schtasks /Query /TN fsdriver /V /FO LIST");
        assertThat(ServiceInstaller.runLogonTask().commandLine()).isEqualTo("schtasks /Run /TN fsdriver");
    }

    @Test
    void serviceCommandWithAccountAndMaskedPassword() {
        ServiceInstaller.Command c = ServiceInstaller.installService(Path.of("C:\\Java\\jdk-25\\bin\\java.exe"),
                Path.of("C:\\Program Files\\fsdriver\\lib"), Path.of("C:\\ProgramData\\fsdriver\\serve.args"), "CORP\\svc-fs", "p@ss \"w0rd\"");
        String binPath = "C:\\Java\\jdk-25\\bin\\java.exe --enable-native-access=ALL-UNNAMED -cp \"C:\\Program Files\\fsdriver\\lib\\*\" "
                + "dev.fsdriver.backend.windows.service.ServiceHost fsdriver serve @C:\\ProgramData\\fsdriver\\serve.args";
        assertThat(c.argv()).containsExactly("sc.exe", "create", "fsdriver", "binPath=", binPath, "obj=", "CORP\\svc-fs",
                "password=", "p@ss \"w0rd\"", "start=", "auto", "DisplayName=", "fsdriver file server");
        assertThat(parse(c.commandLine())).isEqualTo(c.argv());
        assertThat(parse(binPath)).containsExactly("C:\\Java\\jdk-25\\bin\\java.exe", "--enable-native-access=ALL-UNNAMED", "-cp",
                "C:\\Program Files\\fsdriver\\lib\\*", ServiceInstaller.HOST_CLASS, "fsdriver", "serve",
                "@C:\\ProgramData\\fsdriver\\serve.args");
        assertThat(c.display()).contains("password= ********").doesNotContain("w0rd");
    }

    @Test
    void serviceWithoutPasswordAndOtherCommands() {
        ServiceInstaller.Command c = ServiceInstaller.installService(Path.of("C:\\j\\java.exe"), Path.of("C:\\l"), Path.of("C:\\a"),
                "NT SERVICE\\fsdriver", null);
        assertThat(c.argv()).doesNotContain("password=").contains("obj=", "NT SERVICE\\fsdriver");
        assertThat(ServiceInstaller.uninstallService().commandLine()).isEqualTo("sc.exe delete fsdriver");
        assertThat(ServiceInstaller.stopService().commandLine()).isEqualTo("sc.exe stop fsdriver");
        assertThat(ServiceInstaller.serviceStatus().commandLine()).isEqualTo("sc.exe query fsdriver");
        assertThatThrownBy(() -> ServiceInstaller.installService(Path.of("j"), Path.of("l"), Path.of("a"), " ", null))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void processBuilderArgsArePreQuoted() {
        ServiceInstaller.Command c = ServiceInstaller.installLogonTask(LAUNCHER, ARGS);
        List<String> pb = c.processBuilderArgs();
        assertThat(String.join(" ", pb)).isEqualTo(c.commandLine());
        // Arguments with spaces start and end with a quote: the JDK passes those through as they are.
        assertThat(pb.get(7)).startsWith("\"").endsWith("\"");
    }

    @Test
    void argsFileIsInAppDataAndEscapedForPicocli() {
        assertThat(ServiceInstaller.defaultArgsFile(Map.of("APPDATA", "C:\\Users\\jo\\AppData\\Roaming")).toString())
                .isEqualTo("C:\\Users\\jo\\AppData\\Roaming/fsdriver/serve.args".replace("/", java.io.File.separator));
        assertThatThrownBy(() -> ServiceInstaller.defaultArgsFile(Map.of())).hasMessageContaining("APPDATA");
        String content = ServiceInstaller.argsFileContent(List.of("--config", "C:\\Users\\Jo Doe\\fsdriver.toml", "--name", "say \"hi\""));
        assertThat(content).endsWith("\"--config\"\r\n\"C:\\\\Users\\\\Jo Doe\\\\fsdriver.toml\"\r\n\"--name\"\r\n\"say \\\"hi\\\"\"\r\n");
        assertThat(content).startsWith("# ");
    }

    @Test
    void layoutOfABuildTree() {
        ServiceInstaller.Layout l = ServiceInstaller.Layout.of(Path.of("/jdk"), Path.of("/repo/fsdriver-cli/target/lib"));
        assertThat(l.javaExe()).isEqualTo(Path.of("/jdk/bin/java.exe"));
        assertThat(l.launcher()).isEqualTo(Path.of("/repo/bin/fsdriver.cmd"));
        assertThat(l.libDir()).isEqualTo(Path.of("/repo/fsdriver-cli/target/lib"));
    }
}
