package dev.fsdriver.server;

import dev.fsdriver.backend.Backend;
import dev.fsdriver.backend.BackendProvider;
import java.nio.file.Path;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** The conformance suite against the Windows backend, on Windows only (found as the CLI finds it). */
@EnabledOnOs(OS.WINDOWS)
class WindowsBackendConformanceTest extends BackendConformanceTest {
    @Override
    protected Backend openBackend(Path dir, boolean readOnly) throws Exception {
        return BackendProvider.named("windows").open(dir, readOnly);
    }

    /** Without WSL metadata, chmod only toggles the read-only attribute (DESIGN.md section 6). */
    @Override
    protected boolean keepsModeBits() {
        return false;
    }
}
