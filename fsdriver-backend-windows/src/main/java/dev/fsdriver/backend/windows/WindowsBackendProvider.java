package dev.fsdriver.backend.windows;

import dev.fsdriver.backend.Backend;
import dev.fsdriver.backend.BackendProvider;
import dev.fsdriver.backend.FsException;
import java.nio.file.Path;

/** The Windows backend (NTFS with POSIX meaning), on Windows only. */
public final class WindowsBackendProvider implements BackendProvider {
    @Override
    public String name() {
        return "windows";
    }

    @Override
    public boolean isSupported() {
        return System.getProperty("os.name", "").startsWith("Windows");
    }

    @Override
    public Backend open(Path root, boolean readOnly) throws FsException {
        return WindowsBackend.open(root, readOnly);
    }
}
