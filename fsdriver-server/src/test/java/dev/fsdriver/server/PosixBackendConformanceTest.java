package dev.fsdriver.server;

import dev.fsdriver.backend.Backend;
import dev.fsdriver.backend.posix.PosixBackend;
import java.nio.file.Path;

/** The conformance suite against the portable java.nio backend. */
class PosixBackendConformanceTest extends BackendConformanceTest {
    @Override
    protected Backend openBackend(Path dir, boolean readOnly) throws Exception {
        return PosixBackend.open(dir, readOnly);
    }
}
