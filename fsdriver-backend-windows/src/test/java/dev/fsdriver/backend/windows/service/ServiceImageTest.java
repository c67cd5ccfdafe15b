package dev.fsdriver.backend.windows.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class ServiceImageTest {
    // Path.of on Linux keeps backslashes as ordinary characters, so Windows paths survive as written.
    @Test
    void imagePathRunsServiceRunWithTheServeOptionsAndParsesBack() {
        ServiceImage img = new ServiceImage(Path.of("C:\\Program Files\\Java\\jre-21\\bin\\java.exe"),
                List.of("--enable-native-access=ALL-UNNAMED", "-Xmx256m"), Path.of("C:\\fsdriver\\fsdriver-cli\\target\\lib"),
                "fsdriver", Path.of("C:\\ProgramData\\fsdriver\\fsdriver.log"),
                List.of("--listen", "tcp://0.0.0.0:7420", "--share", "code=C:\\Users\\Jo Doe\\code", "--share", "say=C:\\a \"b\"\\"));
        assertThat(img.imagePath()).isEqualTo("\"C:\\Program Files\\Java\\jre-21\\bin\\java.exe\" --enable-native-access=ALL-UNNAMED"
                + " -Xmx256m -cp \"C:\\fsdriver\\fsdriver-cli\\target\\lib\\*\" dev.fsdriver.cli.Main service run --name fsdriver"
                + " --log C:\\ProgramData\\fsdriver\\fsdriver.log --listen tcp://0.0.0.0:7420 --share"
                + " \"code=C:\\Users\\Jo Doe\\code\" --share \"say=C:\\a \\\"b\\\"\\\\\"");
        assertThat(WindowsCommandLineTest.parse(img.imagePath())).isEqualTo(img.argv());
        assertThat(img.argv()).containsSubsequence("dev.fsdriver.cli.Main", "service", "run", "--name", "fsdriver", "--log")
                .endsWith("--share", "say=C:\\a \"b\"\\");
    }

    @Test
    void serviceNamesAreCheckedBeforeAnythingIsInstalled() {
        for (String bad : List.of("", "a b", "a\\b", "a/b", "x".repeat(81), "n\u00e4me")) {
            assertThatThrownBy(() -> ServiceImage.checkName(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("letters, digits");
        }
        ServiceImage.checkName("fsdriver-2.work_1");
    }
}
