package dev.fsdriver.backend.posix;

import dev.fsdriver.backend.DirEntry;
import dev.fsdriver.backend.DirNames;
import dev.fsdriver.backend.FileAttributes;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.FsStats;
import dev.fsdriver.backend.OpenFile;
import dev.fsdriver.backend.PageAttributes;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.backend.SetAttributes;
import dev.fsdriver.common.Errno;
import dev.fsdriver.common.FileMode;
import dev.fsdriver.common.OpenFlags;
import dev.fsdriver.linux.AtCalls;
import dev.fsdriver.linux.DirCalls;
import dev.fsdriver.linux.ErrnoException;
import dev.fsdriver.linux.FileCalls;
import dev.fsdriver.linux.MountCalls;
import dev.fsdriver.linux.ProcessCalls;
import dev.fsdriver.linux.XattrCalls;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The file operations as single libc *at calls relative to the located parent, never following
 * the final name; errno comes from the call ({@link #failed}).
 */
final class LibcCalls implements PosixCalls {
    private final long rootDev;
    private final DirectoryTimes times;

    LibcCalls(long rootDev, DirectoryTimes times) {
        this.rootDev = rootDev;
        this.times = times;
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
        return entry(l.dirFd(), l.name(), st);
    }

    /**
     * open(2)'s flags from the wire's: the access mode (3, no access, reads as java.nio did), append
     * (the kernel appends each pwrite atomically), the sync flags; never following, never inherited.
     */
    private static int openFlags(int flags) {
        int acc = flags & OpenFlags.O_ACCMODE;
        int f = (acc == OpenFlags.O_ACCMODE ? FileCalls.O_RDONLY : acc) | AtCalls.O_NOFOLLOW | AtCalls.O_CLOEXEC;
        if ((flags & OpenFlags.O_APPEND) != 0) {
            f |= FileCalls.O_APPEND;
        }
        if ((flags & OpenFlags.O_SYNC) == OpenFlags.O_SYNC) {
            f |= FileCalls.O_SYNC;
        } else if ((flags & OpenFlags.O_DSYNC) != 0) {
            f |= FileCalls.O_DSYNC;
        }
        return f;
    }

    /** openat relative to the located parent: the same containment as every other *at call. */
    @Override
    public OpenFile open(Loc l, int flags, FileAttributes a, RelPath path, PosixBackend share) throws FsException {
        int f = openFlags(flags);
        if (OpenFlags.writable(flags) && (flags & OpenFlags.O_TRUNC) != 0) {
            f |= FileCalls.O_TRUNC;
        }
        return new NativeOpenFile(this, path, openChecked(l, f, true, "open", path));
    }

    /**
     * openat of a regular file (or, {@code dirOk}, a directory), never anything else: the lstat
     * before it may have seen another file than the one opened (a FIFO renamed over the name
     * meanwhile, whose open would block a server thread until a peer comes; a device, whose open
     * has its driver's effects). O_NONBLOCK opens such a file at once (it changes nothing for a
     * regular file or a directory), O_NOCTTY keeps a terminal from becoming the daemon's, and
     * the descriptor's own fstat decides: ENXIO, as the open of anything but these.
     */
    private static int openChecked(Loc l, int flags, boolean dirOk, String op, RelPath path) throws FsException {
        int fd;
        try {
            fd = AtCalls.openat(l.dirFd(), l.name(), flags | FileCalls.O_NONBLOCK | FileCalls.O_NOCTTY, 0);
        } catch (ErrnoException e) {
            throw failed(e, op, path);
        }
        long[] st = new long[AtCalls.ST_FIELDS];
        try {
            AtCalls.fstatat(fd, "", st, AtCalls.AT_EMPTY_PATH);
        } catch (ErrnoException e) {
            FileCalls.closeQuietly(fd);
            throw failed(e, op, path);
        }
        int type = (int) st[AtCalls.ST_MODE] & FileMode.S_IFMT;
        if (type != FileMode.S_IFREG && !(dirOk && type == FileMode.S_IFDIR)) {
            FileCalls.closeQuietly(fd);
            throw new FsException(Errno.ENXIO, op + " '" + path + "': not a regular file");
        }
        return fd;
    }

    @Override
    public OpenFile create(Loc l, int flags, RelPath path, PosixBackend share, Setup setup) throws FsException {
        // always writable, as java.nio's CREATE made it (a later ftruncate through the handle works)
        int acc = OpenFlags.readable(flags) ? FileCalls.O_RDWR : FileCalls.O_WRONLY;
        int f = (openFlags(flags) & ~OpenFlags.O_ACCMODE) | acc | FileCalls.O_CREAT | FileCalls.O_EXCL;
        int fd;
        try {
            fd = AtCalls.openat(l.dirFd(), l.name(), f, 0666);   // the umask applies, the backend's chmod follows
        } catch (ErrnoException e) {
            if (e.errno() == Errno.EEXIST) {
                return null;
            }
            throw failed(e, "create", path);
        }
        try {
            setup.run(new NewFile() {
                @Override
                public void chown(int uid, int gid) throws FsException {
                    fchown(fd, uid, gid, path);
                }

                @Override
                public void chmod(int perms) throws FsException {
                    fchmod(fd, perms, path);
                }

                @Override
                public FileAttributes stat() throws FsException {
                    return fstat(fd, path);
                }
            });
        } catch (FsException | RuntimeException e) {
            FileCalls.closeQuietly(fd);
            throw e;
        }
        return new NativeOpenFile(this, path, fd);
    }

    /** fchmod of an open descriptor (a file made or opened here: no name to resolve again). */
    void fchmod(int fd, int perms, Object what) throws FsException {
        try {
            AtCalls.fchmod(fd, perms & FileMode.PERMISSIONS);
        } catch (ErrnoException e) {
            throw failed(e, "chmod", what);
        }
    }

    /** fchown of an open descriptor; -1 leaves uid or gid as is. */
    void fchown(int fd, int uid, int gid, Object what) throws FsException {
        try {
            AtCalls.fchownat(fd, "", uid, gid, AtCalls.AT_EMPTY_PATH);
        } catch (ErrnoException e) {
            throw failed(e, "chown", what);
        }
    }

    /** futimens of an open descriptor: the times given (null leaves one as is). */
    void futimens(int fd, SetAttributes.TimeChange at, SetAttributes.TimeChange mt, Object what) throws FsException {
        try {
            AtCalls.futimens(fd, at == null || at.now() ? 0 : at.ns(), special(at), mt == null || mt.now() ? 0 : mt.ns(),
                    special(mt));
        } catch (ErrnoException e) {
            throw failed(e, "utimens", what);
        }
    }

    @Override
    public void truncate(Loc l, long size, RelPath path) throws FsException {
        int fd = openChecked(l, FileCalls.O_WRONLY | AtCalls.O_NOFOLLOW | AtCalls.O_CLOEXEC, false, "truncate", path);
        try {
            FileCalls.ftruncate(fd, size);
        } catch (ErrnoException e) {
            throw failed(e, "truncate", path);
        } finally {
            FileCalls.closeQuietly(fd);
        }
    }

    /**
     * getdents64 of the directory reopened for reading (the root's held descriptor is O_PATH;
     * O_NOFOLLOW: in the lstat walk a final symlink put there after the walk's check is ELOOP),
     * and fstat of that very descriptor: exactly the directory read.
     */
    @Override
    public DirNames names(Loc d, RelPath dir) throws FsException {
        int fd = openDir(d, "list", dir);
        try {
            List<DirCalls.Entry> read = DirCalls.readdir(fd);
            List<DirEntry> out = new ArrayList<>(read.size());
            for (DirCalls.Entry e : read) {
                out.add(new DirEntry(e.name(), null));
            }
            return new DirNames(fstat(fd, dir), out);
        } catch (ErrnoException e) {
            throw failed(e, "list", dir);
        } finally {
            FileCalls.closeQuietly(fd);
        }
    }

    /**
     * The directory opened once as {@link #names} opens it, each name lstat-ed relative to that
     * descriptor (never re-resolved from the root by path: in the lstat walk a directory swapped
     * for a symlink meanwhile is ELOOP, not the symlink target's files), then fstat of it.
     */
    @Override
    public PageAttributes attributes(Loc d, RelPath dir, List<String> names) throws FsException {
        int fd = openDir(d, "list", dir);
        try {
            List<FileAttributes> out = new ArrayList<>(names.size());
            long[] st = new long[AtCalls.ST_FIELDS];
            for (String name : names) {
                try {
                    AtCalls.fstatat(fd, name, st, AtCalls.AT_SYMLINK_NOFOLLOW);
                    out.add(entry(fd, name, st));
                } catch (ErrnoException x) {
                    if (x.errno() != Errno.ENOENT) {
                        throw failed(x, "stat", name);
                    }
                    out.add(null);   // deleted since the listing: left out
                }
            }
            return new PageAttributes(fstat(fd, dir), out);
        } finally {
            FileCalls.closeQuietly(fd);
        }
    }

    @Override
    public void syncDir(Loc d, RelPath dir) throws FsException {
        int fd = openDir(d, "fsync", dir);
        try {
            FileCalls.fsync(fd);
        } catch (ErrnoException e) {
            throw failed(e, "fsync", dir);
        } finally {
            FileCalls.closeQuietly(fd);
        }
    }

    /** The located directory opened for reading, not following a final symlink. */
    private static int openDir(Loc d, String op, RelPath dir) throws FsException {
        try {
            return AtCalls.openat(d.dirFd(), d.name(), AtCalls.O_RDONLY | AtCalls.O_DIRECTORY | AtCalls.O_NOFOLLOW
                    | AtCalls.O_CLOEXEC, 0);
        } catch (ErrnoException e) {
            throw failed(e, op, dir);
        }
    }

    /** fstat of an open descriptor (an open file stats itself, whatever became of its name). */
    FileAttributes fstat(int fd, Object what) throws FsException {
        long[] st = new long[AtCalls.ST_FIELDS];
        try {
            AtCalls.fstatat(fd, "", st, AtCalls.AT_EMPTY_PATH);
        } catch (ErrnoException e) {
            throw failed(e, "fstat", what);
        }
        return fromStat(st, timesMove(st, fd));
    }

    /**
     * The attributes of entry {@code name} of {@code dirFd} (AT_FDCWD: {@code name} is absolute),
     * stat-ed as {@code st}. A directory on another device than the root's is opened (O_PATH, not
     * following) and described by that descriptor, its fstat and its fstatfs: the verdict is then
     * the very directory's whose times are given, whatever was mounted or renamed meanwhile. If it
     * is gone by then, {@code st} stands and its times are not trusted.
     */
    private FileAttributes entry(int dirFd, String name, long[] st) {
        if (!FileMode.isDirectory((int) st[AtCalls.ST_MODE]) || st[AtCalls.ST_DEV] == rootDev) {
            return fromStat(st, timesMove(st, -1));
        }
        int fd;
        try {
            fd = AtCalls.openat(dirFd, name, AtCalls.O_PATH | AtCalls.O_NOFOLLOW | AtCalls.O_CLOEXEC, 0);
        } catch (ErrnoException e) {
            return fromStat(st, false);
        }
        try {
            long[] own = new long[AtCalls.ST_FIELDS];
            AtCalls.fstatat(fd, "", own, AtCalls.AT_EMPTY_PATH);
            return fromStat(own, timesMove(own, fd));
        } catch (ErrnoException e) {
            return fromStat(st, false);
        } finally {
            FileCalls.closeQuietly(fd);
        }
    }

    /**
     * {@link FileAttributes#timesMove} of the file stat-ed as {@code st}: a directory on the
     * root's device has the root's verdict; on another, statfs of {@code fd}, the descriptor
     * stat-ed (-1: none, only for the root's device or a non-directory).
     */
    private boolean timesMove(long[] st, int fd) {
        return FileMode.isDirectory((int) st[AtCalls.ST_MODE])
                && times.move(st[AtCalls.ST_DEV], () -> MountCalls.fstatfsType(fd));
    }

    private FileAttributes fromStat(long[] st, boolean timesMove) {
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
                st[AtCalls.ST_BTIME] * 1_000_000_000L + st[AtCalls.ST_BTIME_NS],
                timesMove);
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
