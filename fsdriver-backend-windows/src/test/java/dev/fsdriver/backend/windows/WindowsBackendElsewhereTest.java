package dev.fsdriver.backend.windows;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fsdriver.backend.FsException;
import dev.fsdriver.common.Errno;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** Off Windows, opening the backend is a clear ENOSYS, never an UnsatisfiedLinkError from JNA. */
@DisabledOnOs(OS.WINDOWS)
class WindowsBackendElsewhereTest {
    @Test
    void openOffWindowsIsEnosys() {
        assertThatThrownBy(() -> WindowsBackend.open(Path.of("/tmp"), true))
                .isInstanceOf(FsException.class)
                .hasMessageContaining("Windows only")
                .satisfies(e -> org.assertj.core.api.Assertions.assertThat(((FsException) e).errno()).isEqualTo(Errno.ENOSYS));
    }
}
