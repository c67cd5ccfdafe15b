package dev.fsdriver.backend.windows;

import dev.fsdriver.backend.DirEntry;
import dev.fsdriver.backend.FileAttributes;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.common.Errno;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The last-resort listing of {@link WindowsListing}: java.nio names, one stat each (path-based, so
 * it races with renames). Pure: the directory stream and the stat are passed in, so a test can
 * feed it a name java.nio's Windows parser refuses.
 */
final class NioListing {
    private NioListing() {}

    /** Opens a directory's stream of names (java.nio's, in production). */
    @FunctionalInterface
    interface Names {
        DirectoryStream<Path> open(String dosPath) throws IOException;
    }

    /** The attributes of one share path. */
    @FunctionalInterface
    interface Stat {
        FileAttributes stat(RelPath p) throws FsException;
    }

    static List<DirEntry> list(RelPath dir, String dosPath, Names names, Stat stat) throws FsException {
        List<DirEntry> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = names.open(dosPath)) {
            for (Path p : ds) {
                String name = NameEscaping.fromWindows(p.getFileName().toString());
                try {
                    out.add(new DirEntry(name, stat.stat(dir.resolve(name))));
                } catch (FsException e) {
                    // gone meanwhile
                }
            }
        } catch (IOException e) {
            throw new FsException(Errno.EIO, "list " + dir, e);
        } catch (InvalidPathException e) {
            // java.nio's Windows path parser refuses a component with a trailing space or dot
            // (made outside fsdriver through \\?\ paths); this fallback cannot name it.
            throw new FsException(Errno.EIO, "list " + dir + ": java.nio cannot name it (" + e.getReason() + ")", e);
        }
        return out;
    }
}
