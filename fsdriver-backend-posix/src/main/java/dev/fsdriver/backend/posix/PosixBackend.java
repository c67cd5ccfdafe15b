package dev.fsdriver.backend.posix;

import dev.fsdriver.backend.Backend;
import dev.fsdriver.backend.DirEntry;
import dev.fsdriver.backend.FileAttributes;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.FsStats;
import dev.fsdriver.backend.OpenFile;
import dev.fsdriver.backend.Owner;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.backend.SetAttributes;
import dev.fsdriver.common.Errno;
import dev.fsdriver.common.FileMode;
import dev.fsdriver.common.OpenFlags;
import dev.fsdriver.linux.AtCalls;
import dev.fsdriver.linux.ErrnoException;
import dev.fsdriver.linux.FileCalls;
import dev.fsdriver.linux.ProcessCalls;
import dev.fsdriver.linux.XattrCalls;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The portable backend: a directory served through java.nio, Linux first (libc calls through
 * {@link AtCalls} where java.nio cannot express the POSIX operation safely).
 *
 * <p><b>Containment.</b> Paths are {@link RelPath}s (validated names only, so no "..").
 * On Linux (5.6+) the share root is held open ({@code O_PATH}) and the parent directory of every
 * path is opened with {@code openat2(rootfd, parent, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
 * RESOLVE_NO_MAGICLINKS)}: the kernel refuses any symlink on the way (ELOOP) and any escape, and
 * the operation then acts on the final name relative to that descriptor (the *at calls, or
 * java.nio on {@code /proc/self/fd/N/name}, which resolves the descriptor itself, not a path).
 * There is no check-then-use window, so concurrent renames and symlink creations through the
 * protocol cannot redirect an operation outside the share. The final component is never
 * followed: stat is lstat, open uses O_NOFOLLOW (a symlink fails ELOOP), chmod uses
 * fchmodat(AT_SYMLINK_NOFOLLOW) (EOPNOTSUPP on a symlink), chown is lchown, utimens does not
 * follow, link(2) links the symlink itself.
 *
 * <p>Elsewhere (no openat2: other OSes, Linux before 5.6) every intermediate component is
 * checked with lstat to be a real directory before the operation. Residual race there,
 * documented: a concurrent request could swap a checked directory for a symlink between the
 * check and the use.
 *
 * <p><b>Inode numbers</b> are st_ino. A file on another device mounted below the share
 * (st_dev differs from the root's) gets {@code ino ^ mix(dev)} so that numbers from the two
 * file systems rarely collide; a collision is possible in theory and only confuses tools that
 * compare inode numbers (the server's node ids stay distinct).
 */
public final class PosixBackend implements Backend {
    private static final Logger LOG = LoggerFactory.getLogger(PosixBackend.class);
    /** The unix-view attributes of the java.nio fallback: not "owner"/"group", which cost a passwd lookup. */
    private static final String ATTRS =
            "unix:ino,dev,mode,nlink,uid,gid,size,rdev,lastAccessTime,lastModifiedTime,ctime";
    private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};
    private static final int BLKSIZE = 4096;
    private static final long RESOLVE = AtCalls.RESOLVE_BENEATH | AtCalls.RESOLVE_NO_SYMLINKS
            | AtCalls.RESOLVE_NO_MAGICLINKS;
    private static volatile boolean encodingChecked;

    private final Path root;
    private final boolean readOnly;
    private final long rootDev;
    /** True when the libc calls are there (then errors come back as errno). */
    private final boolean nat;
    /** O_PATH descriptor of the root when openat2 works, else -1 (lstat-walk fallback). */
    private final int rootFd;
    private final Path rootProc;
    /** Whether new files can be given to the client's caller: only root may chown (see {@link #giveAway}). */
    private final boolean givesAway;

    private PosixBackend(Path root, boolean readOnly, long rootDev, boolean nat, int rootFd) {
        this.givesAway = nat ? ProcessCalls.geteuid() == 0 : "root".equals(System.getProperty("user.name"));
        this.root = root;
        this.readOnly = readOnly;
        this.rootDev = rootDev;
        this.nat = nat;
        this.rootFd = rootFd;
        this.rootProc = rootFd >= 0 ? proc(rootFd) : null;
    }

    /**
     * Opens the directory {@code root} as a share; {@code readOnly} makes every mutation EROFS.
     * The root itself may be reached through symlinks (it is resolved once, here).
     */
    public static PosixBackend open(Path root, boolean readOnly) throws IOException {
        return open(root, readOnly, AtCalls.AVAILABLE);
    }

    /**
     * The same backend without any native call: java.nio only, containment by lstat walk, as it
     * runs where {@link AtCalls} is unavailable. For tests of that path and for diagnostics.
     */
    public static PosixBackend openPortable(Path root, boolean readOnly) throws IOException {
        return open(root, readOnly, false);
    }

    private static PosixBackend open(Path root, boolean readOnly, boolean nat) throws IOException {
        checkEncoding();
        Path real = root.toRealPath();
        if (!Files.isDirectory(real, NOFOLLOW)) {
            throw new java.nio.file.NotDirectoryException(real.toString());
        }
        long dev = ((Number) Files.getAttribute(real, "unix:dev", NOFOLLOW)).longValue();
        int fd = -1;
        if (nat) {
            try {
                fd = AtCalls.openat2(AtCalls.AT_FDCWD, real.toString(),
                        AtCalls.O_PATH | AtCalls.O_DIRECTORY | AtCalls.O_CLOEXEC, 0);
                if (!Files.isDirectory(proc(fd))) {
                    // java.nio reaches descriptors through /proc/self/fd: without /proc, walk instead
                    LOG.info("/proc/self/fd not usable: containment by lstat walk, see PosixBackend");
                    FileCalls.closeQuietly(fd);
                    fd = -1;
                }
            } catch (ErrnoException e) {
                if (e.errno() != Errno.ENOSYS && e.errno() != Errno.EPERM) {
                    throw new IOException("cannot open share root " + real + ": " + Errno.name(e.errno()));
                }
                // Linux < 5.6, or a seccomp filter that does not know openat2
                LOG.info("openat2 unavailable ({}): containment by lstat walk, see PosixBackend", Errno.name(e.errno()));
                fd = -1;
            }
        }
        return new PosixBackend(real, readOnly, dev, nat, fd);
    }

    /**
     * java.nio decodes file names with sun.jnu.encoding, which follows the locale and cannot be
     * overridden: under LANG=C non-ASCII names turn into '?' on the wire. Say so once.
     */
    private static void checkEncoding() {
        if (!encodingChecked) {
            encodingChecked = true;
            String enc = System.getProperty("sun.jnu.encoding", "");
            if (!enc.equalsIgnoreCase("UTF-8") && !System.getProperty("os.name", "").startsWith("Windows")) {
                LOG.warn("file names are decoded as {} (locale), not UTF-8: non-ASCII names will be garbled; "
                        + "start the server with LC_ALL=C.UTF-8", enc);
            }
        }
    }

    @Override
    public String kind() {
        return "posix";
    }

    /** The real directory served. */
    public Path root() {
        return root;
    }

    /** "posix /real/dir" (as logged by the server at start). */
    @Override
    public String toString() {
        return "posix " + root;
    }

    /** Whether containment is race-free here (openat2 beneath the root), for logs and tests. */
    public boolean raceFreeContainment() {
        return rootFd >= 0;
    }

    // ------------------------------------------------------------------------------- resolution

    private static Path proc(int fd) {
        return Path.of("/proc/self/fd/" + fd);
    }

    /**
     * Where a path's final component lives: a directory descriptor and the name relative to it
     * (for the *at calls), and a java.nio path naming the same file. Close it after use.
     *
     * @param dirFd  directory descriptor, AT_FDCWD (name is then absolute), or -1 without libc
     * @param ownsFd whether close() closes dirFd
     */
    private record Loc(int dirFd, String name, Path path, boolean ownsFd) implements AutoCloseable {
        @Override
        public void close() {
            if (ownsFd) {
                FileCalls.closeQuietly(dirFd);
            }
        }
    }

    private Loc locate(RelPath p) throws FsException {
        if (rootFd >= 0) {
            if (p.isRoot()) {
                return new Loc(rootFd, ".", rootProc, false);
            }
            RelPath parent = p.parent();
            if (parent.isRoot()) {
                return new Loc(rootFd, p.name(), rootProc.resolve(p.name()), false);
            }
            int fd;
            try {
                fd = AtCalls.openat2(rootFd, parent.toString(), AtCalls.O_PATH | AtCalls.O_DIRECTORY | AtCalls.O_CLOEXEC, RESOLVE);
            } catch (ErrnoException e) {
                throw new FsException(e.errno(), "resolve '" + p + "'"
                        + (e.errno() == Errno.ELOOP ? " (symlinks are not followed)" : ""));
            }
            return new Loc(fd, p.name(), proc(fd).resolve(p.name()), true);
        }
        Path local = walk(p);
        return new Loc(nat ? AtCalls.AT_FDCWD : -1, local.toString(), local, false);
    }

    /** Fallback resolution: lstat every intermediate component; it must be a real directory. */
    private Path walk(RelPath p) throws FsException {
        Path cur = root;
        int last = p.depth() - 1;
        for (int i = 0; i < last; i++) {
            cur = cur.resolve(p.name(i));
            int mode = lstat(new Loc(nat ? AtCalls.AT_FDCWD : -1, cur.toString(), cur, false), p).mode();
            if (FileMode.isSymlink(mode)) {
                throw new FsException(Errno.ELOOP, "'" + p + "': component '" + p.name(i) + "' is a symlink (not followed)");
            }
            if (!FileMode.isDirectory(mode)) {
                throw new FsException(Errno.ENOTDIR, "'" + p + "': component '" + p.name(i) + "' is not a directory");
            }
        }
        return last >= 0 ? cur.resolve(p.name(last)) : cur;
    }

    private void checkWritable(String op, RelPath p) throws FsException {
        if (readOnly) {
            throw new FsException(Errno.EROFS, op + " '" + p + "': read-only share");
        }
    }

    /** A failed native call as the backend reports it: its errno, the operation and the path. */
    private static FsException failed(ErrnoException e, String op, Object what) {
        return new FsException(e.errno(), op + " '" + what + "'");
    }

    // ------------------------------------------------------------------------------- attributes

    @Override
    public FileAttributes stat(RelPath path) throws FsException {
        try (Loc l = locate(path)) {
            return lstat(l, path);
        }
    }

    private FileAttributes lstat(Loc l, Object what) throws FsException {
        if (nat) {
            long[] st = new long[AtCalls.ST_FIELDS];
            try {
                AtCalls.fstatat(l.dirFd, l.name, st, AtCalls.AT_SYMLINK_NOFOLLOW);
            } catch (ErrnoException e) {
                throw failed(e, "stat", what);
            }
            return fromStat(st);
        }
        try {
            return toAttributes(Files.readAttributes(l.path, ATTRS, NOFOLLOW));
        } catch (IOException e) {
            throw PosixErrors.translate("stat", what, e);
        }
    }

    private long foldDev(long ino, long dev) {
        return dev == rootDev ? ino : ino ^ Long.rotateLeft(dev * 0x9E3779B97F4A7C15L, 32);
    }

    /**
     * An O_PATH descriptor of the file just opened at {@code l}, or -1 (no native calls, or the name
     * no longer names {@code opened}): an open file's attributes come from it (a real fstat), also
     * once its name was renamed, unlinked or given to another file.
     */
    private int pathFd(Loc l, FileAttributes opened) {
        if (!nat) {
            return -1;
        }
        int fd;
        try {
            fd = AtCalls.openat2(l.dirFd, l.name, AtCalls.O_PATH | AtCalls.O_NOFOLLOW | AtCalls.O_CLOEXEC, 0);
        } catch (ErrnoException e) {
            return -1;
        }
        long[] st = new long[AtCalls.ST_FIELDS];
        try {
            AtCalls.fstatat(fd, "", st, AtCalls.AT_EMPTY_PATH);
            if (fromStat(st).ino() == opened.ino()) {
                return fd;
            }
        } catch (ErrnoException e) {
            // gone: no descriptor
        }
        FileCalls.closeQuietly(fd);
        return -1;
    }

    /** fstat of an O_PATH descriptor from {@link #pathFd}. */
    FileAttributes fstat(int fd, Object what) throws FsException {
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
                foldDev(st[AtCalls.ST_INO], st[AtCalls.ST_DEV]),
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
                (int) st[AtCalls.ST_RDEV]);
    }

    private FileAttributes toAttributes(Map<String, Object> a) {
        long ino = foldDev(((Number) a.get("ino")).longValue(), ((Number) a.get("dev")).longValue());
        long size = ((Number) a.get("size")).longValue();
        return new FileAttributes(
                ino,
                (Integer) a.get("mode"),
                (Integer) a.get("nlink"),
                (Integer) a.get("uid"),
                (Integer) a.get("gid"),
                size,
                (size + 511) / 512, // java.nio has no st_blocks; sparse files over-report
                ns((FileTime) a.get("lastAccessTime")),
                ns((FileTime) a.get("lastModifiedTime")),
                ns((FileTime) a.get("ctime")),
                BLKSIZE,
                (int) ((Number) a.get("rdev")).longValue());
    }

    static long ns(FileTime t) {
        Instant i = t.toInstant();
        return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }

    private static FileTime time(SetAttributes.TimeChange t) {
        if (t.now()) {
            return FileTime.from(Instant.now());
        }
        return FileTime.from(Instant.ofEpochSecond(Math.floorDiv(t.ns(), 1_000_000_000L), Math.floorMod(t.ns(), 1_000_000_000L)));
    }

    @Override
    public List<DirEntry> list(RelPath dir) throws FsException {
        if (rootFd >= 0) {
            // the directory itself opened beneath the root; a final symlink is ELOOP, a file ENOTDIR
            int fd;
            try {
                fd = dir.isRoot() ? rootFd : AtCalls.openat2(rootFd, dir.toString(),
                        AtCalls.O_RDONLY | AtCalls.O_DIRECTORY | AtCalls.O_CLOEXEC, RESOLVE);
            } catch (ErrnoException e) {
                throw failed(e, "list", dir);
            }
            try {
                return list(dir, proc(fd), fd);
            } finally {
                if (fd != rootFd) {
                    FileCalls.closeQuietly(fd);
                }
            }
        }
        Path local = walk(dir);
        if (!dir.isRoot()) {
            FileAttributes a = stat(dir);
            if (a.isSymlink()) {
                throw new FsException(Errno.ELOOP, "list '" + dir + "': symlink (not followed)");
            }
            if (!a.isDirectory()) {
                throw new FsException(Errno.ENOTDIR, "list '" + dir + "'");
            }
        }
        return list(dir, local, -1);
    }

    /** Names from java.nio's readdir, attributes by fstatat relative to {@code fd} (or lstat of the path). */
    private List<DirEntry> list(RelPath dir, Path local, int fd) throws FsException {
        List<DirEntry> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(local)) {
            for (Path child : ds) {
                String name = child.getFileName().toString();
                Loc l = fd >= 0 ? new Loc(fd, name, child, false)
                        : new Loc(nat ? AtCalls.AT_FDCWD : -1, child.toString(), child, false);
                try {
                    out.add(new DirEntry(name, lstat(l, name)));
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

    // ------------------------------------------------------------------------------- files

    @Override
    public OpenFile open(RelPath path, int flags) throws FsException {
        boolean write = OpenFlags.writable(flags);
        if (readOnly && (write || (flags & OpenFlags.O_TRUNC) != 0)) {
            throw new FsException(Errno.EROFS, "open '" + path + "' for writing: read-only share");
        }
        try (Loc l = locate(path)) {
            FileAttributes a = lstat(l, path);
            if (a.isSymlink()) {
                throw new FsException(Errno.ELOOP, "open '" + path + "': symlink (O_NOFOLLOW)");
            }
            if (a.isDirectory() && write) {
                throw new FsException(Errno.EISDIR, "open '" + path + "' for writing");
            }
            if (!a.isRegular() && !a.isDirectory()) {
                // FIFOs would block a server thread until a writer comes; devices are the
                // client kernel's business (FUSE never forwards their opens)
                throw new FsException(Errno.ENXIO, "open '" + path + "': not a regular file");
            }
            Set<OpenOption> opts = options(flags);
            if (write && (flags & OpenFlags.O_TRUNC) != 0) {
                opts.add(StandardOpenOption.TRUNCATE_EXISTING);
            }
            // O_NOFOLLOW: should the name have become a symlink since the lstat, this fails ELOOP
            FileChannel ch = FileChannel.open(l.path, opts);
            return new PosixOpenFile(this, path, ch, (flags & OpenFlags.O_APPEND) != 0,
                    opts.contains(StandardOpenOption.APPEND), a, pathFd(l, a));
        } catch (IOException e) {
            throw PosixErrors.translate("open", path, e);
        }
    }

    private static Set<OpenOption> options(int flags) {
        Set<OpenOption> opts = new HashSet<>();
        opts.add(LinkOption.NOFOLLOW_LINKS);
        if (OpenFlags.readable(flags)) {
            opts.add(StandardOpenOption.READ);
        }
        if (OpenFlags.writable(flags)) {
            opts.add(StandardOpenOption.WRITE);
        }
        // java.nio refuses READ with APPEND (IllegalArgumentException): O_RDWR|O_APPEND is opened
        // without it and PosixOpenFile appends at the size itself
        if ((flags & OpenFlags.O_APPEND) != 0 && OpenFlags.writable(flags) && !OpenFlags.readable(flags)) {
            opts.add(StandardOpenOption.APPEND);
        }
        if ((flags & OpenFlags.O_SYNC) == OpenFlags.O_SYNC) {
            opts.add(StandardOpenOption.SYNC);
        } else if ((flags & OpenFlags.O_DSYNC) != 0) {
            opts.add(StandardOpenOption.DSYNC);
        }
        return opts;
    }

    @Override
    public OpenFile create(RelPath path, int mode, int flags) throws FsException {
        return create(path, mode, flags, null);
    }

    @Override
    public OpenFile create(RelPath path, int mode, int flags, Owner owner) throws FsException {
        checkWritable("create", path);
        FileChannel ch;
        try (Loc l = locate(path)) {
            Set<OpenOption> opts = options(flags);
            opts.add(StandardOpenOption.WRITE); // CREATE needs WRITE in java.nio
            opts.add(StandardOpenOption.CREATE_NEW); // O_EXCL: a final symlink is never followed
            try {
                ch = FileChannel.open(l.path, opts);
            } catch (FileAlreadyExistsException e) {
                if ((flags & OpenFlags.O_EXCL) != 0) {
                    throw new FsException(Errno.EEXIST, "create '" + path + "'");
                }
                return open(path, flags); // existing file: plain open (O_TRUNC honoured there)
            }
            try {
                giveAway(l, owner, path);
                // the server process's umask applied at creation; the client already applied its own
                chmod(l, mode, path);
                FileAttributes a = lstat(l, path);
                return new PosixOpenFile(this, path, ch, (flags & OpenFlags.O_APPEND) != 0,
                        opts.contains(StandardOpenOption.APPEND), a, pathFd(l, a));
            } catch (FsException | RuntimeException e) {
                closeQuietly(ch);
                throw e;
            }
        } catch (IOException e) {
            throw PosixErrors.translate("create", path, e);
        }
    }

    /** chmod that never follows a final symlink (EOPNOTSUPP on one, as Linux's lchmod). */
    private void chmod(Loc l, int mode, RelPath path) throws FsException {
        int perms = mode & FileMode.PERMISSIONS;
        if (nat) {
            try {
                AtCalls.fchmodat(l.dirFd, l.name, perms, AtCalls.AT_SYMLINK_NOFOLLOW);
            } catch (ErrnoException e) {
                throw failed(e, "chmod", path);
            }
            return;
        }
        // java.nio's chmod with NOFOLLOW_LINKS still follows a final symlink: refuse it first
        if (lstat(l, path).isSymlink()) {
            throw new FsException(Errno.EOPNOTSUPP, "chmod of symlink '" + path + "'");
        }
        try {
            Files.setAttribute(l.path, "unix:mode", perms, NOFOLLOW);
        } catch (IOException e) {
            throw PosixErrors.translate("chmod", path, e);
        }
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // already failing
        }
    }

    @Override
    public FileAttributes mkdir(RelPath path, int mode) throws FsException {
        return mkdir(path, mode, null);
    }

    @Override
    public FileAttributes mkdir(RelPath path, int mode, Owner owner) throws FsException {
        checkWritable("mkdir", path);
        try (Loc l = locate(path)) {
            if (nat) {
                try {
                    AtCalls.mkdirat(l.dirFd, l.name, 0777);   // as java.nio's: the umask applies, chmod follows
                } catch (ErrnoException e) {
                    throw failed(e, "mkdir", path);
                }
            } else {
                Files.createDirectory(l.path);
            }
            giveAway(l, owner, path);
            // keep the set-group-ID bit a set-group-ID parent passed on (the client's mode has none)
            chmod(l, mode | (lstat(l, path).mode() & FileMode.S_ISGID), path);
            return lstat(l, path);
        } catch (IOException e) {
            throw PosixErrors.translate("mkdir", path, e);
        }
    }

    @Override
    public void unlink(RelPath path) throws FsException {
        checkWritable("unlink", path);
        try (Loc l = locate(path)) {
            if (nat) {
                // one system call, relative to the held parent: the kernel refuses a directory
                try {
                    AtCalls.unlinkat(l.dirFd, l.name, 0);
                } catch (ErrnoException e) {
                    throw failed(e, "unlink", path);
                }
                return;
            }
            if (lstat(l, path).isDirectory()) {
                throw new FsException(Errno.EISDIR, "unlink '" + path + "'");
            }
            Files.delete(l.path);
        } catch (IOException e) {
            throw PosixErrors.translate("unlink", path, e);
        }
    }

    @Override
    public void rmdir(RelPath path) throws FsException {
        checkWritable("rmdir", path);
        if (path.isRoot()) {
            throw new FsException(Errno.EBUSY, "rmdir of the share root");
        }
        try (Loc l = locate(path)) {
            if (nat) {
                try {
                    AtCalls.unlinkat(l.dirFd, l.name, AtCalls.AT_REMOVEDIR);
                } catch (ErrnoException e) {
                    throw failed(e, "rmdir", path);
                }
                return;
            }
            if (!lstat(l, path).isDirectory()) {
                throw new FsException(Errno.ENOTDIR, "rmdir '" + path + "'");
            }
            Files.delete(l.path);
        } catch (IOException e) {
            throw PosixErrors.translate("rmdir", path, e);
        }
    }

    @Override
    public void rename(RelPath from, RelPath to, int flags) throws FsException {
        checkWritable("rename", from);
        if (from.isRoot() || to.isRoot()) {
            throw new FsException(Errno.EBUSY, "rename of the share root");
        }
        if ((flags & ~(OpenFlags.RENAME_NOREPLACE | OpenFlags.RENAME_EXCHANGE)) != 0
                || flags == (OpenFlags.RENAME_NOREPLACE | OpenFlags.RENAME_EXCHANGE)) {
            throw new FsException(Errno.EINVAL, "rename flags " + flags);
        }
        if (to.startsWith(from) && !to.equals(from)) {
            throw new FsException(Errno.EINVAL, "rename '" + from + "' into itself");
        }
        try (Loc src = locate(from); Loc dst = locate(to)) {
            if (nat) {
                try {
                    AtCalls.renameat2(src.dirFd, src.name, dst.dirFd, dst.name, flags);
                } catch (ErrnoException e) {
                    throw failed(e, "rename", from + "' -> '" + to);
                }
                return;
            }
            if ((flags & OpenFlags.RENAME_EXCHANGE) != 0) {
                throw new FsException(Errno.EINVAL, "RENAME_EXCHANGE not supported here");
            }
            if ((flags & OpenFlags.RENAME_NOREPLACE) != 0) {
                // not atomic without renameat2: a file created in between is replaced
                Files.move(src.path, dst.path);
            } else {
                Files.move(src.path, dst.path, StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (IOException e) {
            throw PosixErrors.translate("rename", from + "' -> '" + to, e);
        }
    }

    @Override
    public FileAttributes link(RelPath existing, RelPath newPath) throws FsException {
        checkWritable("link", newPath);
        try (Loc src = locate(existing); Loc dst = locate(newPath)) {
            if (lstat(src, existing).isDirectory()) {
                throw new FsException(Errno.EPERM, "link '" + existing + "': is a directory");
            }
            // link(2), which on Linux never follows a symlink source: the link itself is linked
            if (nat) {
                try {
                    AtCalls.linkat(src.dirFd, src.name, dst.dirFd, dst.name);
                } catch (ErrnoException e) {
                    throw failed(e, "link", existing + "' -> '" + newPath);
                }
            } else {
                Files.createLink(dst.path, src.path);
            }
            return lstat(dst, newPath);
        } catch (IOException e) {
            throw PosixErrors.translate("link", existing + "' -> '" + newPath, e);
        }
    }

    @Override
    public FileAttributes symlink(RelPath path, String target) throws FsException {
        return symlink(path, target, null);
    }

    @Override
    public FileAttributes symlink(RelPath path, String target, Owner owner) throws FsException {
        checkWritable("symlink", path);
        if (target.isEmpty()) {
            throw new FsException(Errno.ENOENT, "symlink '" + path + "': empty target");
        }
        if (target.indexOf(0) >= 0) {
            throw new FsException(Errno.EINVAL, "symlink '" + path + "': target contains NUL");
        }
        try (Loc l = locate(path)) {
            if (nat) {
                try {
                    AtCalls.symlinkat(target, l.dirFd, l.name);
                } catch (ErrnoException e) {
                    throw failed(e, "symlink", path);
                }
            } else {
                Files.createSymbolicLink(l.path, l.path.getFileSystem().getPath(target));
            }
            giveAway(l, owner, path);
            return lstat(l, path);
        } catch (IOException e) {
            throw PosixErrors.translate("symlink", path, e);
        }
    }

    /** FIFOs and sockets, made relative to the held parent; device nodes are refused (EPERM). */
    @Override
    public FileAttributes mknod(RelPath path, int mode, Owner owner) throws FsException {
        checkWritable("mknod", path);
        int type = mode & FileMode.S_IFMT;
        if (type == FileMode.S_IFCHR || type == FileMode.S_IFBLK) {
            throw new FsException(Errno.EPERM, "mknod '" + path + "': device nodes cannot be made");
        }
        if (type != FileMode.S_IFIFO && type != FileMode.S_IFSOCK) {
            throw new FsException(Errno.EINVAL, "mknod '" + path + "': type 0" + Integer.toOctalString(type));
        }
        if (!nat) {
            throw new FsException(Errno.EPERM, "mknod '" + path + "': needs the libc calls (java.nio makes no FIFOs)");
        }
        try (Loc l = locate(path)) {
            try {
                AtCalls.mknodat(l.dirFd, l.name, type | (mode & FileMode.PERMISSIONS));
            } catch (ErrnoException e) {
                throw failed(e, "mknod", path);
            }
            giveAway(l, owner, path);
            chmod(l, mode, path);   // the server's umask applied at creation; the client applied its own
            return lstat(l, path);
        }
    }

    /**
     * Gives the file just made at {@code l} to {@code owner} (the caller on the client) when the
     * server runs as root; otherwise, or without an owner, it stays the server user's. Relative to
     * the held parent, never following the name; a set-group-ID parent's group stays, as Linux
     * gives it. Residual race (docs/permissions.md): a rename onto the name between its creation
     * and this call would give that other file away instead.
     */
    private void giveAway(Loc l, Owner owner, RelPath path) throws FsException {
        if (owner == null || !givesAway) {
            return;
        }
        Path parentPath = l.path.getParent();
        Loc parent = rootFd >= 0 ? new Loc(l.dirFd, ".", parentPath, false)
                : new Loc(l.dirFd, parentPath.toString(), parentPath, false);
        int gid = (lstat(parent, path.parent()).mode() & FileMode.S_ISGID) != 0 ? -1 : owner.gid();
        if (nat) {
            try {
                AtCalls.fchownat(l.dirFd, l.name, owner.uid(), gid, AtCalls.AT_SYMLINK_NOFOLLOW);
            } catch (ErrnoException e) {
                throw failed(e, "chown", path);
            }
            return;
        }
        try {
            Files.setAttribute(l.path, "unix:uid", owner.uid(), NOFOLLOW);
            if (gid != -1) {
                Files.setAttribute(l.path, "unix:gid", gid, NOFOLLOW);
            }
        } catch (IOException e) {
            throw PosixErrors.translate("chown", path, e);
        }
    }

    @Override
    public String readlink(RelPath path) throws FsException {
        try (Loc l = locate(path)) {
            if (nat) {
                try {
                    return AtCalls.readlinkat(l.dirFd, l.name);
                } catch (ErrnoException e) {
                    throw failed(e, "readlink", path);
                }
            }
            return Files.readSymbolicLink(l.path).toString();
        } catch (IOException e) {
            throw PosixErrors.translate("readlink", path, e);
        }
    }

    @Override
    public FileAttributes setattr(RelPath path, OpenFile file, SetAttributes changes) throws FsException {
        if (changes.isEmpty()) {
            return file != null ? file.stat() : stat(path);
        }
        checkWritable("setattr", path);
        try (Loc l = locate(path)) {
            if (changes.size().isPresent()) {
                long size = changes.size().getAsLong();
                if (file != null) {
                    file.truncate(size);
                } else {
                    FileAttributes a = lstat(l, path);
                    if (a.isDirectory()) {
                        throw new FsException(Errno.EISDIR, "truncate '" + path + "'");
                    }
                    if (a.isSymlink()) {
                        throw new FsException(Errno.ELOOP, "truncate '" + path + "': symlink");
                    }
                    try (FileChannel ch = FileChannel.open(l.path, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
                        truncate(ch, size);
                    }
                }
            }
            if (changes.mode().isPresent()) {
                chmod(l, changes.mode().getAsInt(), path);
            }
            if (nat) {
                // one call each, relative to the held parent, never following a final symlink
                if (changes.uid().isPresent() || changes.gid().isPresent()) {
                    try {
                        AtCalls.fchownat(l.dirFd, l.name, changes.uid().orElse(-1), changes.gid().orElse(-1),
                                AtCalls.AT_SYMLINK_NOFOLLOW);
                    } catch (ErrnoException e) {
                        throw failed(e, "chown", path);
                    }
                }
                if (changes.atime() != null || changes.mtime() != null) {
                    SetAttributes.TimeChange at = changes.atime(), mt = changes.mtime();
                    try {
                        AtCalls.utimensat(l.dirFd, l.name, at == null || at.now() ? 0 : at.ns(), special(at),
                                mt == null || mt.now() ? 0 : mt.ns(), special(mt), AtCalls.AT_SYMLINK_NOFOLLOW);
                    } catch (ErrnoException e) {
                        throw failed(e, "utimens", path);
                    }
                }
                return lstat(l, path);
            }
            // lchown: never follows a final symlink
            if (changes.uid().isPresent()) {
                Files.setAttribute(l.path, "unix:uid", changes.uid().getAsInt(), NOFOLLOW);
            }
            if (changes.gid().isPresent()) {
                Files.setAttribute(l.path, "unix:gid", changes.gid().getAsInt(), NOFOLLOW);
            }
            if (changes.atime() != null || changes.mtime() != null) {
                BasicFileAttributeView view = Files.getFileAttributeView(l.path, BasicFileAttributeView.class, NOFOLLOW);
                // null = leave as is (UTIME_OMIT)
                view.setTimes(changes.mtime() == null ? null : time(changes.mtime()),
                        changes.atime() == null ? null : time(changes.atime()), null);
            }
            return lstat(l, path);
        } catch (IOException e) {
            throw PosixErrors.translate("setattr", path, e);
        }
    }

    private static long special(SetAttributes.TimeChange t) {
        return t == null ? AtCalls.UTIME_OMIT : t.now() ? AtCalls.UTIME_NOW : 0;
    }

    /** ftruncate semantics (FileChannel.truncate only shrinks): grows by writing a zero byte at the end. */
    static void truncate(FileChannel ch, long size) throws IOException {
        long cur = ch.size();
        if (size < cur) {
            ch.truncate(size);
        } else if (size > cur) {
            ch.write(ByteBuffer.wrap(new byte[1]), size - 1);
        }
    }

    // ------------------------------------------------------------------------------- xattrs

    /**
     * The path the xattr calls take for the file at {@code l}: /proc/self/fd/DIRFD/NAME, never
     * followed at its end ({@link XattrCalls}); the root's magic link is followed (it is the root).
     */
    private String xattrPath(Loc l, String op, RelPath path) throws FsException {
        if (!nat || !XattrCalls.AVAILABLE) {
            throw new FsException(Errno.EOPNOTSUPP, op + " '" + path + "': needs the libc calls");
        }
        return l.path.toString();
    }

    private boolean followXattr(RelPath path) {
        return rootFd >= 0 && path.isRoot();
    }

    @Override
    public byte[] getxattr(RelPath path, String name) throws FsException {
        try (Loc l = locate(path)) {
            return XattrCalls.getxattr(xattrPath(l, "getxattr", path), followXattr(path), name);
        } catch (ErrnoException e) {
            throw failed(e, "getxattr", path);
        }
    }

    /** Only user.* names: a server running as root would see trusted.* too, which clients may not. */
    @Override
    public List<String> listxattr(RelPath path) throws FsException {
        if (!nat || !XattrCalls.AVAILABLE) {
            return Backend.super.listxattr(path);
        }
        try (Loc l = locate(path)) {
            List<String> names = new ArrayList<>(XattrCalls.listxattr(xattrPath(l, "listxattr", path), followXattr(path)));
            names.removeIf(n -> !dev.fsdriver.common.Xattrs.kept(n));
            return names;
        } catch (ErrnoException e) {
            throw failed(e, "listxattr", path);
        }
    }

    @Override
    public void setxattr(RelPath path, String name, byte[] value, int flags) throws FsException {
        checkWritable("setxattr", path);
        try (Loc l = locate(path)) {
            XattrCalls.setxattr(xattrPath(l, "setxattr", path), followXattr(path), name, value, flags);
        } catch (ErrnoException e) {
            throw failed(e, "setxattr", path);
        }
    }

    @Override
    public void removexattr(RelPath path, String name) throws FsException {
        checkWritable("removexattr", path);
        try (Loc l = locate(path)) {
            XattrCalls.removexattr(xattrPath(l, "removexattr", path), followXattr(path), name);
        } catch (ErrnoException e) {
            throw failed(e, "removexattr", path);
        }
    }

    @Override
    public FsStats statfs() throws FsException {
        if (nat) {
            long[] v = new long[11];
            try {
                AtCalls.statvfs(root.toString(), v);
            } catch (ErrnoException e) {
                throw failed(e, "statfs", "");
            }
            return new FsStats(v[2], v[3], v[4], v[5], v[6], (int) v[0], (int) v[1], (int) v[10]);
        }
        try {
            FileStore store = Files.getFileStore(root);
            long bsize = store.getBlockSize();
            return new FsStats(store.getTotalSpace() / bsize, store.getUnallocatedSpace() / bsize,
                    store.getUsableSpace() / bsize, 0, 0, (int) bsize, (int) bsize, RelPath.NAME_MAX);
        } catch (IOException | UnsupportedOperationException e) {
            throw PosixErrors.translate("statfs", "", e);
        }
    }

    /** Linux: a recursive inotify watcher of the share (see InotifyWatcher); elsewhere ENOSYS. */
    @Override
    public AutoCloseable watch(dev.fsdriver.backend.ChangeListener listener) throws FsException {
        if (!System.getProperty("os.name", "").startsWith("Linux")) {
            throw new FsException(Errno.ENOSYS, "posix backend watches through inotify: Linux only");
        }
        return dev.fsdriver.backend.posix.watch.InotifyWatcher.start(root, listener);
    }

    @Override
    public void close() {
        // open files are closed by the server's handle table; only the root descriptor is ours
        if (rootFd >= 0) {
            FileCalls.closeQuietly(rootFd);
        }
    }
}
