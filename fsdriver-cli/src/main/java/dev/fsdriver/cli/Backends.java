package dev.fsdriver.cli;

import dev.fsdriver.backend.Backend;
import dev.fsdriver.backend.BackendProvider;
import dev.fsdriver.backend.FsException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The backend for this OS, found through {@link BackendProvider} (ServiceLoader): PosixBackend
 * on Linux and macOS, WindowsBackend on Windows. Nothing Windows-only is loaded elsewhere, and
 * PosixBackend (built for Java 25, FFM) is never loaded by the Windows server on Java 21.
 */
final class Backends {
    private Backends() {}

    static boolean isWindows() {
        return System.getProperty("os.name", "").startsWith("Windows");
    }

    static Backend open(Path dir, boolean readOnly) throws IOException {
        return open(dir, readOnly, Map.of());
    }

    /** Opens {@code dir} with backend {@code options}; IllegalArgumentException for a bad option. */
    static Backend open(Path dir, boolean readOnly, Map<String, String> options) throws IOException {
        BackendProvider provider = provider();
        try {
            return provider.open(dir, readOnly, options);
        } catch (FsException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /** Checks backend {@code options} without opening anything: IllegalArgumentException naming the bad one. */
    static void checkOptions(Map<String, String> options) throws IOException {
        provider().checkOptions(options);
    }

    private static BackendProvider provider() throws IOException {
        try {
            return BackendProvider.forThisSystem();
        } catch (IllegalStateException e) {
            throw new IOException(e.getMessage());
        }
    }
}
