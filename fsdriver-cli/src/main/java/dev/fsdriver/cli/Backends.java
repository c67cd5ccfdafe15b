package dev.fsdriver.cli;

import dev.fsdriver.backend.Backend;
import dev.fsdriver.backend.posix.PosixBackend;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Path;

/**
 * The backend for this OS, picked once: PosixBackend on Linux and macOS, WindowsBackend on
 * Windows (loaded reflectively so nothing Windows-only is loaded elsewhere).
 */
final class Backends {
    private static final String WINDOWS_BACKEND = "dev.fsdriver.backend.windows.WindowsBackend";

    private Backends() {}

    static boolean isWindows() {
        return System.getProperty("os.name", "").startsWith("Windows");
    }

    static Backend open(Path dir, boolean readOnly) throws IOException {
        if (!isWindows()) {
            return PosixBackend.open(dir, readOnly);
        }
        try {
            return (Backend) Class.forName(WINDOWS_BACKEND).getMethod("open", Path.class, boolean.class)
                    .invoke(null, dir, readOnly);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IOException("the Windows backend is not available in this build: " + e);
        }
    }
}
