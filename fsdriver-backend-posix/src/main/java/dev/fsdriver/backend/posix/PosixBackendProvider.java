package dev.fsdriver.backend.posix;

import dev.fsdriver.backend.Backend;
import dev.fsdriver.backend.BackendProvider;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The posix backend for Linux and macOS. Built for Java 21 unlike the rest of this module (see
 * its pom), so the Windows server on Java 21 can load it through ServiceLoader and skip it.
 */
public final class PosixBackendProvider implements BackendProvider {
    /** The release the rest of the module is built for (FFM). */
    private static final int JAVA = 25;

    @Override
    public String name() {
        return "posix";
    }

    @Override
    public boolean isSupported() {
        return !System.getProperty("os.name", "").startsWith("Windows") && Runtime.version().feature() >= JAVA;
    }

    @Override
    public Backend open(Path root, boolean readOnly, Map<String, String> options) throws IOException {
        checkOptions(options); // none: ownership and modes are the files' own
        return PosixBackend.open(root, readOnly);
    }
}
