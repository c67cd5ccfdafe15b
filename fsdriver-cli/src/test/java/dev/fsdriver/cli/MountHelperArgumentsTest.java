package dev.fsdriver.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Set;
import org.junit.jupiter.api.Test;

/** The mount.fuse3 / fstab command line, as a mount command. */
class MountHelperArgumentsTest {
    private static final Set<String> COMMANDS = Set.of("serve", "mount", "umount", "certs", "service", "help");

    private static String[] translate(String... args) {
        return MountHelperArguments.translate(args, COMMANDS);
    }

    @Test
    void optionsOfTheHelperFormBecomeLongOptionsOfABackgroundMount() {
        assertThat(translate("docs", "/mnt/d", "-o", "rw,server=tcp://10.0.0.1:7420,token_file=/etc/t,allow_other,ro,_netdev,dev,suid"))
                .containsExactly("mount", "--background", "--server", "tcp://10.0.0.1:7420", "--token-file", "/etc/t",
                        "--allow-other", "--read-only", "docs", "/mnt/d");
        assertThat(translate("docs", "/mnt/d", "-oserver=wsl://,no_events", "-o", "tls-ca=/c.pem"))
                .containsExactly("mount", "--background", "--server", "wsl://", "--no-events", "--tls-ca", "/c.pem",
                        "docs", "/mnt/d");
        assertThat(translate("docs", "/mnt/d")).containsExactly("mount", "--background", "docs", "/mnt/d");
    }

    @Test
    void commandsAndOptionsAreLeftAlone() {
        assertThat(translate("mount", "docs", "/mnt/d")).containsExactly("mount", "docs", "/mnt/d");
        assertThat(translate("--version")).containsExactly("--version");
        assertThat(translate("docs")).containsExactly("docs");
    }

    @Test
    void unknownAndUnsupportedOptionsAreRefusedByName() {
        assertThatThrownBy(() -> translate("docs", "/mnt/d", "-o", "colour=blue"))
                .hasMessageStartingWith("unknown mount option colour=blue (known: ");
        assertThatThrownBy(() -> translate("docs", "/mnt/d", "-o", "server"))
                .hasMessage("mount option server needs a value: server=...");
        assertThatThrownBy(() -> translate("docs", "/mnt/d", "/mnt/e")).hasMessageContaining("got 3 words");
        assertThatThrownBy(() -> translate("docs", "/mnt/d", "-f")).hasMessageStartingWith("unknown argument -f");
        assertThatThrownBy(() -> translate("docs", "/mnt/d", "-o")).hasMessage("-o needs a list of options");
    }
}
