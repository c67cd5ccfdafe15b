package dev.fsdriver.server;

import dev.fsdriver.backend.Backend;
import dev.fsdriver.backend.posix.PosixBackend;
import java.nio.file.Path;

/**
 * The conformance suite against the posix backend's third mode: libc calls, but containment by
 * lstat walk, the path it takes on Linux without openat2.
 */
class PosixWalkingConformanceTest extends BackendConformanceTest {
    @Override
    protected Backend openBackend(Path dir, boolean readOnly) throws Exception {
        return PosixBackend.openWalking(dir, readOnly);
    }
}
