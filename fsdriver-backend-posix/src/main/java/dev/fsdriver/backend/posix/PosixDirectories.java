package dev.fsdriver.backend.posix;

import dev.fsdriver.backend.DirEntry;
import dev.fsdriver.backend.DirNames;
import dev.fsdriver.backend.FileAttributes;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.PageAttributes;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.common.Errno;
import java.io.IOException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The posix backend's directories as a whole: their listings and their fsync. */
final class PosixDirectories {
    private final PosixCalls calls;
    private final Containment containment;

    PosixDirectories(PosixCalls calls, Containment containment) {
        this.calls = calls;
        this.containment = containment;
    }

    /** Names from readdir (getdents64, or java.nio's in the portable mode), attributes by lstat relative to the directory. */
    List<DirEntry> list(RelPath dir) throws FsException {
        try (Loc d = containment.openDir(dir)) {
            return calls.list(d, dir);
        } catch (IOException e) {
            throw PosixErrors.translate("list", dir, e);
        }
    }

    /**
     * Names only (readdir), and the directory read: with openat2 the held descriptor (the same
     * directory whatever happens to the path), with the lstat walk the path again, after the
     * names (a directory put there meanwhile shows; the walk's documented residual race).
     */
    DirNames listNames(RelPath dir) throws FsException {
        List<DirEntry> out = new ArrayList<>();
        try (Loc d = containment.openDir(dir)) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(d.path())) {
                for (Path child : ds) {
                    out.add(new DirEntry(child.getFileName().toString(), null));
                }
            } catch (DirectoryIteratorException e) {
                throw e.getCause();
            }
            return new DirNames(calls.lstat(d, dir), out);
        } catch (IOException e) {
            throw PosixErrors.translate("list", dir, e);
        }
    }

    /** lstat of each name relative to the directory, opened once, then of that directory (as {@link #listNames}). */
    PageAttributes attributes(RelPath dir, List<String> names) throws FsException {
        List<FileAttributes> out = new ArrayList<>(names.size());
        try (Loc d = containment.openDir(dir)) {
            for (String name : names) {
                try {
                    out.add(calls.lstat(d.child(name, d.path().resolve(name)), name));
                } catch (FsException e) {
                    if (e.errno() != Errno.ENOENT) {
                        throw e;
                    }
                    out.add(null); // deleted since the listing: left out, as in list
                }
            }
            return new PageAttributes(calls.lstat(d, dir), out);
        }
    }

    /** fsync(2) of the directory; returns the attributes of the directory that was synced. */
    FileAttributes sync(RelPath dir) throws FsException {
        try (Loc d = containment.openDir(dir)) {
            calls.syncDir(d, dir);
            // What was synced: with openat2 the held descriptor, reopened relative to itself
            // (the same directory whatever happens to the path); with the lstat walk the path
            // again (its documented residual race)
            return calls.lstat(d, dir);
        } catch (IOException e) {
            throw PosixErrors.translate("fsync", dir, e);
        }
    }
}
