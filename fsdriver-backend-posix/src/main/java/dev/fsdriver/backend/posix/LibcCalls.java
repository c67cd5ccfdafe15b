package dev.fsdriver.backend.posix;

import dev.fsdriver.backend.FileAttributes;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.FsStats;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.backend.SetAttributes;
import dev.fsdriver.linux.AtCalls;
import dev.fsdriver.linux.ErrnoException;
import dev.fsdriver.linux.FileCalls;
import dev.fsdriver.linux.ProcessCalls;
import dev.fsdriver.linux.XattrCalls;
import java.nio.file.Path;

/**
 * The file operations as single libc *at calls relative to the located parent, never following
 * the final name; errno comes from the call ({@link #failed}).
 */
final class LibcCalls implements PosixCalls {
    private final long rootDev;

    LibcCalls(long rootDev) {
        this.rootDev = rootDev;
    }

    /** A failed native call as the backend reports it: its errno, the operation and the path. */
    static FsException failed(ErrnoException e, String op, Object what) {
        return new FsException(e.errno(), op + " '" + what + "'");
    }

    @Override
    public FileAttributes lstat(Loc l, Object what) throws FsException {
        long[] st = new long[AtCalls.ST_FIELDS];
        try {
            AtCalls.fstatat(l.dirFd(), l.name(), st, AtCalls.AT_SYMLINK_NOFOLLOW);
        } catch (ErrnoException e) {
            throw failed(e, "stat", what);
        }
        return fromStat(st);
    }

    @Override
    public int pathFd(Loc l, FileAttributes opened) {
        int fd;
        try {
            fd = AtCalls.openat2(l.dirFd(), l.name(), AtCalls.O_PATH | AtCalls.O_NOFOLLOW | AtCalls.O_CLOEXEC, 0);
        } catch (ErrnoException e) {
            return -1;
        }
        long[] st = new long[AtCalls.ST_FIELDS];
        try {
            AtCalls.fstatat(fd, "", st, AtCalls.AT_EMPTY_PATH);
            if (PosixCalls.sameFile(fromStat(st), opened)) {
                return fd;
            }
        } catch (ErrnoException e) {
            // gone: no descriptor
        }
        FileCalls.closeQuietly(fd);
        return -1;
    }

    @Override
    public FileAttributes fstat(int fd, Object what) throws FsException {
        long[] st = new long[AtCalls.ST_FIELDS];
        try {
            AtCalls.fstatat(fd, "", st, AtCalls.AT_EMPTY_PATH);
        } catch (ErrnoException e) {
            throw failed(e, "fstat", what);
        }
        return fromStat(st);
    }

    private FileAttributes fromStat(long[] st) {
        return new FileAttributes(
                PosixCalls.foldDev(st[AtCalls.ST_INO], st[AtCalls.ST_DEV], rootDev),
                (int) st[AtCalls.ST_MODE],
                (int) Math.min(st[AtCalls.ST_NLINK], Integer.MAX_VALUE),
                (int) st[AtCalls.ST_UID],
                (int) st[AtCalls.ST_GID],
                st[AtCalls.ST_SIZE],
                st[AtCalls.ST_BLOCKS],
                st[AtCalls.ST_ATIME] * 1_000_000_000L + st[AtCalls.ST_ATIME_NS],
                st[AtCalls.ST_MTIME] * 1_000_000_000L + st[AtCalls.ST_MTIME_NS],
                st[AtCalls.ST_CTIME] * 1_000_000_000L + st[AtCalls.ST_CTIME_NS],
                (int) st[AtCalls.ST_BLKSIZE],
                (int) st[AtCalls.ST_RDEV],
                st[AtCalls.ST_BTIME] * 1_000_000_000L + st[AtCalls.ST_BTIME_NS]);
    }

    @Override
    public void chmod(Loc l, int perms, RelPath path) throws FsException {
        try {
            AtCalls.fchmodat(l.dirFd(), l.name(), perms, AtCalls.AT_SYMLINK_NOFOLLOW);
        } catch (ErrnoException e) {
            throw failed(e, "chmod", path);
        }
    }

    @Override
    public void chown(Loc l, int uid, int gid, RelPath path) throws FsException {
        try {
            AtCalls.fchownat(l.dirFd(), l.name(), uid, gid, AtCalls.AT_SYMLINK_NOFOLLOW);
        } catch (ErrnoException e) {
            throw failed(e, "chown", path);
        }
    }

    @Override
    public void utimens(Loc l, SetAttributes.TimeChange at, SetAttributes.TimeChange mt, RelPath path)
            throws FsException {
        try {
            AtCalls.utimensat(l.dirFd(), l.name(), at == null || at.now() ? 0 : at.ns(), special(at),
                    mt == null || mt.now() ? 0 : mt.ns(), special(mt), AtCalls.AT_SYMLINK_NOFOLLOW);
        } catch (ErrnoException e) {
            throw failed(e, "utimens", path);
        }
    }

    private static long special(SetAttributes.TimeChange t) {
        return t == null ? AtCalls.UTIME_OMIT : t.now() ? AtCalls.UTIME_NOW : 0;
    }

    @Override
    public void mkdir(Loc l, RelPath path) throws FsException {
        try {
            AtCalls.mkdirat(l.dirFd(), l.name(), 0777);   // as java.nio's: the umask applies, chmod follows
        } catch (ErrnoException e) {
            throw failed(e, "mkdir", path);
        }
    }

    /** One system call, relative to the held parent: the kernel refuses a directory. */
    @Override
    public void unlink(Loc l, RelPath path) throws FsException {
        try {
            AtCalls.unlinkat(l.dirFd(), l.name(), 0);
        } catch (ErrnoException e) {
            throw failed(e, "unlink", path);
        }
    }

    @Override
    public void rmdir(Loc l, RelPath path) throws FsException {
        try {
            AtCalls.unlinkat(l.dirFd(), l.name(), AtCalls.AT_REMOVEDIR);
        } catch (ErrnoException e) {
            throw failed(e, "rmdir", path);
        }
    }

    @Override
    public void rename(Loc src, Loc dst, int flags, String what) throws FsException {
        try {
            AtCalls.renameat2(src.dirFd(), src.name(), dst.dirFd(), dst.name(), flags);
        } catch (ErrnoException e) {
            throw failed(e, "rename", what);
        }
    }

    @Override
    public void link(Loc src, Loc dst, String what) throws FsException {
        try {
            AtCalls.linkat(src.dirFd(), src.name(), dst.dirFd(), dst.name());
        } catch (ErrnoException e) {
            throw failed(e, "link", what);
        }
    }

    @Override
    public void symlink(String target, Loc l, RelPath path) throws FsException {
        try {
            AtCalls.symlinkat(target, l.dirFd(), l.name());
        } catch (ErrnoException e) {
            throw failed(e, "symlink", path);
        }
    }

    @Override
    public String readlink(Loc l, RelPath path) throws FsException {
        try {
            return AtCalls.readlinkat(l.dirFd(), l.name());
        } catch (ErrnoException e) {
            throw failed(e, "readlink", path);
        }
    }

    @Override
    public boolean makesNodes() {
        return true;
    }

    @Override
    public void mknod(Loc l, int mode, RelPath path) throws FsException {
        try {
            AtCalls.mknodat(l.dirFd(), l.name(), mode);
        } catch (ErrnoException e) {
            throw failed(e, "mknod", path);
        }
    }

    @Override
    public boolean xattrs() {
        return XattrCalls.AVAILABLE;
    }

    @Override
    public boolean givesAway() {
        return ProcessCalls.geteuid() == 0;
    }

    @Override
    public FsStats statfs(Path root) throws FsException {
        long[] v = new long[11];
        try {
            AtCalls.statvfs(root.toString(), v);
        } catch (ErrnoException e) {
            throw failed(e, "statfs", "");
        }
        return new FsStats(v[2], v[3], v[4], v[5], v[6], (int) v[0], (int) v[1], (int) v[10]);
    }
}
