package dev.fsdriver.backend.windows;

import dev.fsdriver.backend.Backend;
import dev.fsdriver.backend.BackendProvider;
import dev.fsdriver.backend.FsException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The Windows backend (NTFS with POSIX meaning), on Windows only. Its options are parsed by
 * {@link WindowsShareOptions} (pure Java, so they are checked on any OS).
 */
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
    public void checkOptions(Map<String, String> options) {
        WindowsShareOptions.parse(options);
    }

    @Override
    public Backend open(Path root, boolean readOnly, Map<String, String> options) throws IOException, FsException {
        WindowsBackend.Options parsed = WindowsShareOptions.parse(options);
        try {
            return WindowsBackend.open(root, readOnly, parsed);
        } catch (UncheckedIOException e) { // the inode store cannot be opened
            throw e.getCause();
        }
    }
}
