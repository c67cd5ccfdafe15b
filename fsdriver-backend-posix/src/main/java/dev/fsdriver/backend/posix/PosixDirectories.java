package dev.fsdriver.backend.posix;

import dev.fsdriver.backend.DirEntry;
import dev.fsdriver.backend.DirNames;
import dev.fsdriver.backend.FileAttributes;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.PageAttributes;
import dev.fsdriver.backend.RelPath;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** The posix backend's directories as a whole: their listings and their fsync. */
final class PosixDirectories {
    private final PosixCalls calls;
    private final Containment containment;
    /** Tests: runs between the containment's openDir and the read (the lstat walk's race window). */
    Runnable afterOpen = () -> { };

    PosixDirectories(PosixCalls calls, Containment containment) {
        this.calls = calls;
        this.containment = containment;
    }

    /** {@link #listNames} and the {@link #attributes} of every name: a name gone in between is left out. */
    List<DirEntry> list(RelPath dir) throws FsException {
        try (Loc d = containment.openDir(dir)) {
            afterOpen.run();
            List<DirEntry> names = calls.names(d, dir).entries();
            List<String> asked = new ArrayList<>(names.size());
            for (DirEntry e : names) {
                asked.add(e.name());
            }
            List<FileAttributes> read = calls.attributes(d, dir, asked).entries();
            List<DirEntry> out = new ArrayList<>(names.size());
            for (int i = 0; i < asked.size(); i++) {
                if (read.get(i) != null) {
                    out.add(new DirEntry(asked.get(i), read.get(i)));
                }
            }
            return out;
        } catch (IOException e) {
            throw PosixErrors.translate("list", dir, e);
        }
    }

    /**
     * Names only (getdents64; java.nio's readdir in the portable mode), and the directory read:
     * in the native modes the directory's own descriptor (see {@link PosixCalls#names}).
     */
    DirNames listNames(RelPath dir) throws FsException {
        try (Loc d = containment.openDir(dir)) {
            afterOpen.run();
            return calls.names(d, dir);
        } catch (IOException e) {
            throw PosixErrors.translate("list", dir, e);
        }
    }

    /**
     * lstat of each name and of the directory they were looked up in: in the native modes
     * relative to the directory opened once (see {@link PosixCalls#attributes}), by path only in
     * the portable mode.
     */
    PageAttributes attributes(RelPath dir, List<String> names) throws FsException {
        try (Loc d = containment.openDir(dir)) {
            afterOpen.run();
            return calls.attributes(d, dir, names);
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
