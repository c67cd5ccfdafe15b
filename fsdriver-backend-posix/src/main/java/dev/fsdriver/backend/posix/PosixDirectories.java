package dev.fsdriver.backend.posix;

import dev.fsdriver.backend.DirEntry;
import dev.fsdriver.backend.FileAttributes;
import dev.fsdriver.backend.FsException;
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

    /** Names from java.nio's readdir, attributes by lstat relative to the directory. */
    List<DirEntry> list(RelPath dir) throws FsException {
        List<DirEntry> out = new ArrayList<>();
        try (Loc d = containment.openDir(dir); DirectoryStream<Path> ds = Files.newDirectoryStream(d.path())) {
            for (Path child : ds) {
                String name = child.getFileName().toString();
                try {
                    out.add(new DirEntry(name, calls.lstat(d.child(name, child), name)));
                } catch (FsException e) {
                    if (e.errno() != Errno.ENOENT) {
                        throw e;
                    }
                    // deleted between readdir and lstat: left out, as documented
                }
            }
        } catch (IOException e) {
            throw PosixErrors.translate("list", dir, e);
        } catch (DirectoryIteratorException e) {
            throw PosixErrors.translate("list", dir, e.getCause());
        }
        return out;
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
