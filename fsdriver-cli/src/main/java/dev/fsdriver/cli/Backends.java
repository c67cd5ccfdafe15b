package dev.fsdriver.cli;

import dev.fsdriver.backend.Backend;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Path;

/**
 * The backend for this OS, picked once: PosixBackend on Linux and macOS, WindowsBackend on
 * Windows, both loaded reflectively: nothing Windows-only is loaded elsewhere, and PosixBackend
 * (built for Java 25, FFM) is never loaded by the Windows server on Java 21.
 */
final class Backends {
    private static final String WINDOWS_BACKEND = "dev.fsdriver.backend.windows.WindowsBackend";
    private static final String POSIX_BACKEND = "dev.fsdriver.backend.posix.PosixBackend";

    private Backends() {}

    static boolean isWindows() {
        return System.getProperty("os.name", "").startsWith("Windows");
    }

    static Backend open(Path dir, boolean readOnly) throws IOException {
        String cls = isWindows() ? WINDOWS_BACKEND : POSIX_BACKEND;
        try {
            return (Backend) Class.forName(cls).getMethod("open", Path.class, boolean.class)
                    .invoke(null, dir, readOnly);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IOException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IOException("the backend " + cls + " is not available in this build: " + e);
        }
    }
}
