package dev.fsdriver.server;

import dev.fsdriver.backend.Backend;
import dev.fsdriver.backend.posix.PosixBackend;
import java.nio.file.Path;

/**
 * The conformance suite against the posix backend without native calls (java.nio only,
 * containment by lstat walk): the path it takes on systems other than Linux.
 */
class PosixPortableConformanceTest extends BackendConformanceTest {
    @Override
    protected Backend openBackend(Path dir, boolean readOnly) throws Exception {
        return PosixBackend.openPortable(dir, readOnly);
    }

    /** java.nio's UserDefinedFileAttributeView follows a final symlink: no xattrs without libc. */
    @Override
    protected boolean keepsUserXattrs() {
        return false;
    }
}
