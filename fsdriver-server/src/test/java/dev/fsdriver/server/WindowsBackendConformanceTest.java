package dev.fsdriver.server;

import dev.fsdriver.backend.Backend;
import java.nio.file.Path;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * The conformance suite against the Windows backend, on Windows only. The backend is loaded
 * reflectively ({@code dev.fsdriver.backend.windows.WindowsBackend.open(Path, boolean)}) so that
 * this module builds whether or not that class exists yet.
 */
@EnabledOnOs(OS.WINDOWS)
class WindowsBackendConformanceTest extends BackendConformanceTest {
    @Override
    protected Backend openBackend(Path dir, boolean readOnly) throws Exception {
        Class<?> c = Class.forName("dev.fsdriver.backend.windows.WindowsBackend");
        return (Backend) c.getMethod("open", Path.class, boolean.class).invoke(null, dir, readOnly);
    }

    /** Without WSL metadata, chmod only toggles the read-only attribute (DESIGN.md section 6). */
    @Override
    protected boolean keepsModeBits() {
        return false;
    }
}
