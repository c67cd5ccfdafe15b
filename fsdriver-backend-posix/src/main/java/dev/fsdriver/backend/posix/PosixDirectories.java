package dev.fsdriver.backend.posix;

import dev.fsdriver.backend.DirEntry;
import dev.fsdriver.backend.FileAttributes;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.RelPath;
import java.io.IOException;
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
