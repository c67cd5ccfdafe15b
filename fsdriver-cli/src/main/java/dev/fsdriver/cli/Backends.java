package dev.fsdriver.cli;

import dev.fsdriver.backend.Backend;
import dev.fsdriver.backend.BackendProvider;
import dev.fsdriver.backend.FsException;
import java.io.IOException;
import java.nio.file.Path;

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
        BackendProvider provider;
        try {
            provider = BackendProvider.forThisSystem();
        } catch (IllegalStateException e) {
            throw new IOException(e.getMessage());
        }
        try {
            return provider.open(dir, readOnly);
        } catch (FsException e) {
            throw new IOException(e.getMessage(), e);
        }
    }
}
