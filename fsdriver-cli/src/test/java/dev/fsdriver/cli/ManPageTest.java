package dev.fsdriver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** fsdriver(1) as man(1) shows it: every subcommand and every option of the command model is on the page. */
class ManPageTest {
    @TempDir
    Path tmp;

    private static String run(Path dir, Map<String, String> env, String... command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(String.join(" ", command) + ": " + out).isZero();
        return out;
    }

    @Test
    void manShowsEverySubcommandAndOption() throws Exception {
        Path page = tmp.resolve("fsdriver.1");
        Files.writeString(page, ManCommand.page());
        // groff's own check: no warning of any kind (-ww), nothing to show (-z)
        assertThat(run(tmp, Map.of(), "groff", "-man", "-ww", "-z", page.toString())).isEmpty();
        String shown = run(tmp, Map.of("LANG", "C", "MANWIDTH", "100", "MANPAGER", "cat", "MAN_KEEP_FORMATTING", ""),
                "man", "-l", page.toString()).replaceAll(".\b", ""); // no overstrike (bold) left
        assertThat(shown).startsWith("FSDRIVER(1)").contains("NAME", "SYNOPSIS", "OPTIONS", "COMMANDS", "FILES");
        CommandLine root = Main.commandLine();
        List<CommandSpec> all = new ArrayList<>(ManPage.subcommands(root.getCommandSpec()));
        assertThat(all).extracting(CommandSpec::name)
                .contains("serve", "mount", "umount", "status", "install", "completion", "man", "install", "uninstall");
        all.add(root.getCommandSpec());
        int options = 0;
        for (CommandSpec c : all) {
            if (c != root.getCommandSpec()) {
                assertThat(shown).as("section of %s", c.qualifiedName(" ")).contains("   " + c.qualifiedName(" ") + "\n");
            }
            for (OptionSpec o : c.options()) {
                if (!o.hidden()) {
                    assertThat(shown).as("option %s of %s", o.longestName(), c.qualifiedName(" ")).contains(o.longestName());
                    options++;
                }
            }
        }
        assertThat(options).isGreaterThan(50);
        // the installed page names no user's own path (the default config is shown as a variable)
        assertThat(shown).doesNotContain(System.getProperty("user.home") + "/.config")
                .contains("$XDG_CONFIG_HOME/fsdriver/config.toml");
    }
}
