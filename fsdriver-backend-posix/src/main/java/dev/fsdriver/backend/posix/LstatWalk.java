package dev.fsdriver.backend.posix;

import dev.fsdriver.backend.FileAttributes;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.common.Errno;
import dev.fsdriver.common.FileMode;
import java.nio.file.Path;

/**
 * Containment where openat2 is missing (other OSes, Linux before 5.6, java.nio only): every
 * intermediate component is checked with lstat to be a real directory before the operation.
 * Residual race, documented: a concurrent request could swap a checked directory for a symlink
 * between the check and the use.
 */
final class LstatWalk implements Containment {
    private final Path root;
    private final PosixCalls calls;

    LstatWalk(Path root, PosixCalls calls) {
        this.root = root;
        this.calls = calls;
    }

    @Override
    public Loc locate(RelPath p) throws FsException {
        return Loc.absolute(walk(p));
    }

    private Path walk(RelPath p) throws FsException {
        Path cur = root;
        int last = p.depth() - 1;
        for (int i = 0; i < last; i++) {
            cur = cur.resolve(p.name(i));
            int mode = calls.lstat(Loc.absolute(cur), p).mode();
            if (FileMode.isSymlink(mode)) {
                throw new FsException(Errno.ELOOP, "'" + p + "': component '" + p.name(i) + "' is a symlink (not followed)");
            }
            if (!FileMode.isDirectory(mode)) {
                throw new FsException(Errno.ENOTDIR, "'" + p + "': component '" + p.name(i) + "' is not a directory");
            }
        }
        return last >= 0 ? cur.resolve(p.name(last)) : cur;
    }

    @Override
    public Loc openDir(RelPath dir) throws FsException {
        Loc l = locate(dir);
        if (!dir.isRoot()) {
            FileAttributes a = calls.lstat(l, dir);
            if (a.isSymlink()) {
                throw new FsException(Errno.ELOOP, "list '" + dir + "': symlink (not followed)");
            }
            if (!a.isDirectory()) {
                throw new FsException(Errno.ENOTDIR, "list '" + dir + "'");
            }
        }
        return l;
    }

    @Override
    public boolean raceFree() {
        return false;
    }

    @Override
    public void close() {
        // nothing held
    }
}
