package dev.fsdriver.backend.windows;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fsdriver.backend.windows.WindowsBackend.Options;
import dev.fsdriver.backend.windows.WindowsBackend.SymlinkStyle;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** serve --share-option values for a Windows share, as drvfs's -o metadata,uid=,gid=,umask=. */
class WindowsShareOptionsTest {
    @Test
    void noOptionsAreTheDefaults() {
        assertThat(WindowsShareOptions.parse(Map.of())).isEqualTo(Options.DEFAULTS);
    }

    @Test
    @DisabledOnOs(OS.WINDOWS) // the store path is a Linux one here
    void everyKeyReachesTheOptions() {
        Options o = WindowsShareOptions.parse(Map.of("metadata", "", "uid", "1234", "gid", "0", "umask", "077",
                "symlinks", "native", "inode-store", "/var/lib/fsdriver/inodes,1.bin"));
        assertThat(o).isEqualTo(new Options(true, SymlinkStyle.NATIVE, 1234, 0, 077, Path.of("/var/lib/fsdriver/inodes,1.bin")));
        assertThat(WindowsShareOptions.parse(Map.of("metadata", "false", "symlinks", "WSL", "umask", "0")))
                .isEqualTo(new Options(false, SymlinkStyle.WSL, 1000, 1000, 0, null));
        assertThat(WindowsShareOptions.parse(Map.of("metadata", "TRUE", "umask", "0022")).umask()).isEqualTo(022);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "metadata | yes   | option metadata=yes: expected true or false",
        "uid      | -1    | option uid=-1: expected a number from 0 to 2147483647",
        "uid      | ''    | option 'uid' needs a value (uid=...): expected a number",
        "gid      | 2147483648 | option gid=2147483648: expected a number from 0",
        "gid      | 1e3   | option gid=1e3: expected a number",
        "umask    | 088   | option umask=088: expected an octal mask from 0 to 777",
        "umask    | 1000  | option umask=1000: expected an octal mask",
        "symlinks | lx    | option symlinks=lx: expected wsl or native",
        "inode-store | inodes.bin | option inode-store=inodes.bin: expected an absolute file path",
        "inode-store | '' | option 'inode-store' needs a value (inode-store=...): expected an absolute file path",
        "case     | dir   | the windows backend has no option 'case' (it has: metadata, uid, gid, umask, symlinks, inode-store)",
    })
    void badKeysAndValuesAreRefusedNamingThem(String key, String value, String message) {
        assertThatThrownBy(() -> WindowsShareOptions.parse(Map.of(key, value)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(message);
    }

    @Test
    void theProviderChecksOptionsOnAnyOs() {
        WindowsBackendProvider provider = new WindowsBackendProvider();
        provider.checkOptions(Map.of("uid", "1"));
        assertThatThrownBy(() -> provider.checkOptions(Map.of("uid", "x"))).hasMessageContaining("uid=x");
        // a bad option is refused before the backend (Windows only) is asked
        assertThatThrownBy(() -> provider.open(Path.of("/tmp"), false, Map.of("umask", "9")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("umask=9");
    }
}
