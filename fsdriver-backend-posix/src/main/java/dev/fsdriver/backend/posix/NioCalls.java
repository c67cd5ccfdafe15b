package dev.fsdriver.backend.posix;

import dev.fsdriver.backend.DirEntry;
import dev.fsdriver.backend.DirNames;
import dev.fsdriver.backend.FileAttributes;
import dev.fsdriver.common.FileMode;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.FsStats;
import dev.fsdriver.backend.OpenFile;
import dev.fsdriver.backend.PageAttributes;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.backend.SetAttributes;
import dev.fsdriver.common.Errno;
import dev.fsdriver.common.OpenFlags;
import dev.fsdriver.linux.MountCalls;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileStore;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The file operations through java.nio alone, where the libc calls are unavailable (or for tests
 * of that path): on the absolute path an {@link LstatWalk} located. Where java.nio would follow a
 * final symlink or cannot say what POSIX says, the file is lstat-ed first.
 */
final class NioCalls implements PosixCalls {
    /** The unix-view attributes: not "owner"/"group", which cost a passwd lookup. */
    private static final String ATTRS =
            "unix:ino,dev,mode,nlink,uid,gid,size,rdev,lastAccessTime,lastModifiedTime,ctime";
    static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};
    private static final int BLKSIZE = 4096;

    private static final Logger LOG = LoggerFactory.getLogger(NioCalls.class);
    private static volatile boolean encodingChecked;

    private final long rootDev;
    private final DirectoryTimes times;

    NioCalls(long rootDev, DirectoryTimes times) {
        this.rootDev = rootDev;
        this.times = times;
    }

    /**
     * java.nio decodes file names with sun.jnu.encoding, which follows the locale and cannot be
     * overridden: under LANG=C non-ASCII names turn into '?' on the wire. Say so once.
     */
    static void checkNameEncoding() {
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
    public FileAttributes lstat(Loc l, Object what) throws FsException {
        try {
            return toAttributes(Files.readAttributes(l.path(), ATTRS, NOFOLLOW), l.path());
        } catch (IOException e) {
            throw PosixErrors.translate("stat", what, e);
        }
    }

    /**
     * {@code path}: where statfs reads a directory on another device than the root's. Residual
     * race of this mode: statfs resolves the path again, which a rename or a mount between the
     * two calls may have pointed elsewhere (the libc mode reads both from one descriptor).
     */
    private FileAttributes toAttributes(Map<String, Object> a, Path path) {
        long dev = ((Number) a.get("dev")).longValue();
        long ino = PosixCalls.foldDev(((Number) a.get("ino")).longValue(), dev, rootDev);
        int mode = (Integer) a.get("mode");
        long size = ((Number) a.get("size")).longValue();
        return new FileAttributes(
                ino,
                mode,
                (Integer) a.get("nlink"),
                (Integer) a.get("uid"),
                (Integer) a.get("gid"),
                size,
                (size + 511) / 512, // java.nio has no st_blocks; sparse files over-report
                ns((FileTime) a.get("lastAccessTime")),
                ns((FileTime) a.get("lastModifiedTime")),
                ns((FileTime) a.get("ctime")),
                BLKSIZE,
                (int) ((Number) a.get("rdev")).longValue(),
                0,
                FileMode.isDirectory(mode) && times.move(dev, () -> MountCalls.statfsType(path.toString())));
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

    /** A FileChannel; its stat() lstats the path while it names the file ({@link PosixOpenFile}). */
    @Override
    public OpenFile open(Loc l, int flags, FileAttributes a, RelPath path, PosixBackend share) throws IOException {
        Set<OpenOption> opts = PosixOpenFile.options(flags);
        if (OpenFlags.writable(flags) && (flags & OpenFlags.O_TRUNC) != 0) {
            opts.add(StandardOpenOption.TRUNCATE_EXISTING);
        }
        // O_NOFOLLOW: should the name have become a symlink since the lstat, this fails (java.nio
        // gives its ELOOP no type: EIO, see docs/errors.md)
        FileChannel ch = FileChannel.open(l.path(), opts);
        return new PosixOpenFile(share, path, ch, (flags & OpenFlags.O_APPEND) != 0,
                opts.contains(StandardOpenOption.APPEND), a);
    }

    @Override
    public OpenFile create(Loc l, int flags, RelPath path, PosixBackend share, Setup setup)
            throws FsException, IOException {
        Set<OpenOption> opts = PosixOpenFile.options(flags);
        opts.add(StandardOpenOption.WRITE); // CREATE needs WRITE in java.nio
        opts.add(StandardOpenOption.CREATE_NEW); // O_EXCL: a final symlink is never followed
        FileChannel ch;
        try {
            ch = FileChannel.open(l.path(), opts);
        } catch (FileAlreadyExistsException e) {
            return null;
        }
        try {
            return new PosixOpenFile(share, path, ch, (flags & OpenFlags.O_APPEND) != 0,
                    opts.contains(StandardOpenOption.APPEND), setup.run(byPath(l, path)));
        } catch (FsException | RuntimeException e) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // already failing
            }
            throw e;
        }
    }

    /** The new file by its path: java.nio has no chmod or chown through a channel. */
    private NewFile byPath(Loc l, RelPath path) {
        return new NewFile() {
            @Override
            public void chown(int uid, int gid) throws FsException {
                try {
                    NioCalls.this.chown(l, uid, gid, path);
                } catch (IOException e) {
                    throw PosixErrors.translate("chown", path, e);
                }
            }

            @Override
            public void chmod(int perms) throws FsException {
                NioCalls.this.chmod(l, perms & FileMode.PERMISSIONS, path);
            }

            @Override
            public FileAttributes stat() throws FsException {
                return lstat(l, path);
            }
        };
    }

    @Override
    public void truncate(Loc l, long size, RelPath path) throws IOException {
        try (FileChannel ch = FileChannel.open(l.path(), StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
            PosixOpenFile.truncate(ch, size);
        }
    }

    /**
     * Names from java.nio's readdir (decoded by the locale: see {@link #checkNameEncoding}), then
     * the directory's lstat by path (a directory put there meanwhile shows).
     */
    @Override
    public DirNames names(Loc d, RelPath dir) throws FsException, IOException {
        List<DirEntry> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(d.path())) {
            for (Path child : ds) {
                out.add(new DirEntry(child.getFileName().toString(), null));
            }
        } catch (DirectoryIteratorException e) {
            throw e.getCause();
        }
        return new DirNames(lstat(d, dir), out);
    }

    /** lstat of each entry's path, then of the directory's (java.nio has no *at calls). */
    @Override
    public PageAttributes attributes(Loc d, RelPath dir, List<String> names) throws FsException {
        List<FileAttributes> out = new ArrayList<>(names.size());
        for (String name : names) {
            try {
                out.add(lstat(d.child(name, d.path().resolve(name)), name));
            } catch (FsException e) {
                if (e.errno() != Errno.ENOENT) {
                    throw e;
                }
                out.add(null); // deleted since the listing: left out
            }
        }
        return new PageAttributes(lstat(d, dir), out);
    }

    @Override
    public void syncDir(Loc d, RelPath dir) throws IOException {
        try (FileChannel ch = FileChannel.open(d.path(), StandardOpenOption.READ)) {
            ch.force(true); // Linux opens a directory for reading to fsync it
        }
    }

    @Override
    public void chmod(Loc l, int perms, RelPath path) throws FsException {
        // java.nio's chmod with NOFOLLOW_LINKS still follows a final symlink: refuse it first
        if (lstat(l, path).isSymlink()) {
            throw new FsException(Errno.EOPNOTSUPP, "chmod of symlink '" + path + "'");
        }
        try {
            Files.setAttribute(l.path(), "unix:mode", perms, NOFOLLOW);
        } catch (IOException e) {
            throw PosixErrors.translate("chmod", path, e);
        }
    }

    /** lchown: never follows a final symlink. */
    @Override
    public void chown(Loc l, int uid, int gid, RelPath path) throws IOException {
        if (uid != -1) {
            Files.setAttribute(l.path(), "unix:uid", uid, NOFOLLOW);
        }
        if (gid != -1) {
            Files.setAttribute(l.path(), "unix:gid", gid, NOFOLLOW);
        }
    }

    @Override
    public void utimens(Loc l, SetAttributes.TimeChange atime, SetAttributes.TimeChange mtime, RelPath path)
            throws IOException {
        BasicFileAttributeView view = Files.getFileAttributeView(l.path(), BasicFileAttributeView.class, NOFOLLOW);
        // null = leave as is (UTIME_OMIT)
        view.setTimes(mtime == null ? null : time(mtime), atime == null ? null : time(atime), null);
    }

    @Override
    public void mkdir(Loc l, RelPath path) throws IOException {
        Files.createDirectory(l.path());
    }

    @Override
    public void unlink(Loc l, RelPath path) throws FsException, IOException {
        if (lstat(l, path).isDirectory()) {
            throw new FsException(Errno.EISDIR, "unlink '" + path + "'");
        }
        Files.delete(l.path());
    }

    @Override
    public void rmdir(Loc l, RelPath path) throws FsException, IOException {
        if (!lstat(l, path).isDirectory()) {
            throw new FsException(Errno.ENOTDIR, "rmdir '" + path + "'");
        }
        Files.delete(l.path());
    }

    @Override
    public void rename(Loc src, Loc dst, int flags, String what) throws FsException, IOException {
        if ((flags & OpenFlags.RENAME_EXCHANGE) != 0) {
            throw new FsException(Errno.EINVAL, "RENAME_EXCHANGE not supported here");
        }
        try {
            if ((flags & OpenFlags.RENAME_NOREPLACE) != 0) {
                // not atomic without renameat2: a file created in between is replaced
                Files.move(src.path(), dst.path());
            } else {
                Files.move(src.path(), dst.path(), StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (FileSystemException e) {
            int errno = PosixErrors.errno(e) == Errno.EIO ? refusal(src, dst, what) : 0;
            if (errno == 0) {
                throw e;
            }
            throw new FsException(errno, "rename '" + what + "'");
        }
    }

    /**
     * Why a rename java.nio failed without a type was refused, read from the two names (the errno
     * is only in strerror text, which PosixErrors does not read): a directory onto a non-directory
     * ENOTDIR, a non-directory onto a directory EISDIR, onto a directory with names in it
     * ENOTEMPTY; 0 when they do not tell (then EIO). A guess: where several apply, or the names
     * changed meanwhile, it may name another one.
     */
    private int refusal(Loc src, Loc dst, String what) {
        try {
            FileAttributes from = lstat(src, what);
            FileAttributes to = lstat(dst, what);
            if (from.isDirectory() != to.isDirectory()) {
                return from.isDirectory() ? Errno.ENOTDIR : Errno.EISDIR;
            }
            if (from.isDirectory()) {
                if (holdsNames(dst.path())) {
                    return Errno.ENOTEMPTY;
                }
            }
        } catch (FsException | IOException | DirectoryIteratorException unreadable) {
            // a name gone or changed meanwhile, or unreadable: they do not tell
        }
        return 0;
    }

    /**
     * Whether directory {@code dir} has names in it, read without following a symlink at its
     * name (one swapped in after the lstat could lead outside the share): listed from its
     * parent's stream, opened with O_NOFOLLOW. False where there is no such stream.
     *
     * @throws IOException when the name is gone, a symlink (ELOOP) or unreadable
     */
    static boolean holdsNames(Path dir) throws IOException {
        try (DirectoryStream<Path> parent = Files.newDirectoryStream(dir.getParent())) {
            if (!(parent instanceof SecureDirectoryStream<Path> secure)) {
                return false;
            }
            try (SecureDirectoryStream<Path> names = secure.newDirectoryStream(dir.getFileName(), NOFOLLOW)) {
                return names.iterator().hasNext();
            }
        }
    }

    @Override
    public void link(Loc src, Loc dst, String what) throws IOException {
        Files.createLink(dst.path(), src.path());
    }

    @Override
    public void symlink(String target, Loc l, RelPath path) throws IOException {
        Files.createSymbolicLink(l.path(), l.path().getFileSystem().getPath(target));
    }

    @Override
    public String readlink(Loc l, RelPath path) throws IOException {
        return Files.readSymbolicLink(l.path()).toString();
    }

    /** java.nio makes no FIFOs. */
    @Override
    public boolean makesNodes() {
        return false;
    }

    @Override
    public void mknod(Loc l, int mode, RelPath path) throws FsException {
        throw new FsException(Errno.EPERM, "mknod '" + path + "': needs the libc calls (java.nio makes no FIFOs)");
    }

    @Override
    public boolean xattrs() {
        return false;
    }

    /** Without geteuid, the user name says whether this is root. */
    @Override
    public boolean givesAway() {
        return "root".equals(System.getProperty("user.name"));
    }

    @Override
    public FsStats statfs(Path root) throws FsException {
        try {
            FileStore store = Files.getFileStore(root);
            long bsize = store.getBlockSize();
            return new FsStats(store.getTotalSpace() / bsize, store.getUnallocatedSpace() / bsize,
                    store.getUsableSpace() / bsize, 0, 0, (int) bsize, (int) bsize, RelPath.NAME_MAX);
        } catch (IOException | UnsupportedOperationException e) {
            throw PosixErrors.translate("statfs", "", e);
        }
    }
}
