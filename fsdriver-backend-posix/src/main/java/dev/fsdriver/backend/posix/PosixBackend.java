package dev.fsdriver.backend.posix;

import dev.fsdriver.backend.Backend;
import dev.fsdriver.backend.DirEntry;
import dev.fsdriver.backend.FileAttributes;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.FsStats;
import dev.fsdriver.backend.OpenFile;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.backend.SetAttributes;
import dev.fsdriver.common.Errno;
import dev.fsdriver.common.FileMode;
import dev.fsdriver.common.OpenFlags;
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
 * The portable backend: a directory served through java.nio, Linux first (a few libc calls
 * through {@link LinuxNative} where java.nio cannot express the POSIX operation).
 *
 * <p><b>Containment.</b> Paths are {@link RelPath}s (validated names only). Before each
 * operation every intermediate component is checked with lstat to be a real directory, not a
 * symlink (ELOOP) nor anything else (ENOTDIR); the final component is never followed: stat is
 * lstat, open uses O_NOFOLLOW (a symlink fails ELOOP), chmod/chown/utimens act on the link or
 * fail, link(2) links the symlink itself. Residual race, documented: a process with direct
 * write access to the served directory could swap an already-checked intermediate directory
 * for a symlink between the check and the operation. Clients of fsdriver cannot do that
 * (the server itself never creates a symlink in place of a directory), so the protocol
 * cannot be used to escape; closing the local race needs openat2(RESOLVE_BENEATH), a later step.
 *
 * <p><b>Inode numbers</b> are st_ino. A file on another device mounted below the share
 * (st_dev differs from the root's) gets {@code ino ^ mix(dev)} so that numbers from the two
 * file systems rarely collide; collisions are possible in theory and only confuse tools that
 * compare inode numbers (the server's node ids stay distinct).
 */
public final class PosixBackend implements Backend {
    /** The unix-view attributes we read: not "owner"/"group", which cost a passwd lookup. */
    private static final String ATTRS =
            "unix:ino,dev,mode,nlink,uid,gid,size,rdev,lastAccessTime,lastModifiedTime,ctime";
    private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};
    private static final int BLKSIZE = 4096;
    private static final Logger LOG = LoggerFactory.getLogger(PosixBackend.class);

    private final Path root;
    private final boolean readOnly;
    private final long rootDev;

    private PosixBackend(Path root, boolean readOnly, long rootDev) {
        this.root = root;
        this.readOnly = readOnly;
        this.rootDev = rootDev;
    }

    /**
     * Opens the directory {@code root} as a share; {@code readOnly} makes every mutation EROFS.
     * The root itself may be reached through symlinks (it is resolved once, here).
     */
    public static PosixBackend open(Path root, boolean readOnly) throws IOException {
        checkEncoding();
        Path real = root.toRealPath();
        if (!Files.isDirectory(real, NOFOLLOW)) {
            throw new java.nio.file.NotDirectoryException(real.toString());
        }
        long dev = ((Number) Files.getAttribute(real, "unix:dev", NOFOLLOW)).longValue();
        return new PosixBackend(real, readOnly, dev);
    }

    private static volatile boolean encodingChecked;

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

    // ------------------------------------------------------------------------------- resolution

    /**
     * The local path of {@code p} after checking that every intermediate component is a real
     * directory (never a symlink). The final component is not checked (it may not exist yet).
     */
    private Path resolve(RelPath p) throws FsException {
        Path cur = root;
        int last = p.depth() - 1;
        for (int i = 0; i < last; i++) {
            cur = cur.resolve(p.name(i));
            int mode = lstat(cur, p).mode();
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

    // ------------------------------------------------------------------------------- attributes

    @Override
    public FileAttributes stat(RelPath path) throws FsException {
        return lstat(resolve(path), path);
    }

    /** lstat of {@code local}; {@code what} names it in errors. */
    FileAttributes lstat(Path local, Object what) throws FsException {
        if (LinuxNative.LSTAT_AVAILABLE) {
            long[] st = new long[LinuxNative.ST_FIELDS];
            int r = LinuxNative.lstat(local.toString(), st);
            if (r < 0) {
                throw new FsException(-r, "stat '" + what + "'");
            }
            return fromStat(st);
        }
        try {
            return toAttributes(Files.readAttributes(local, ATTRS, NOFOLLOW));
        } catch (IOException e) {
            throw PosixErrors.translate("stat", what, e);
        }
    }

    private long foldDev(long ino, long dev) {
        return dev == rootDev ? ino : ino ^ Long.rotateLeft(dev * 0x9E3779B97F4A7C15L, 32);
    }

    private FileAttributes fromStat(long[] st) {
        return new FileAttributes(
                foldDev(st[LinuxNative.ST_INO], st[LinuxNative.ST_DEV]),
                (int) st[LinuxNative.ST_MODE],
                (int) Math.min(st[LinuxNative.ST_NLINK], Integer.MAX_VALUE),
                (int) st[LinuxNative.ST_UID],
                (int) st[LinuxNative.ST_GID],
                st[LinuxNative.ST_SIZE],
                st[LinuxNative.ST_BLOCKS],
                st[LinuxNative.ST_ATIME] * 1_000_000_000L + st[LinuxNative.ST_ATIME_NS],
                st[LinuxNative.ST_MTIME] * 1_000_000_000L + st[LinuxNative.ST_MTIME_NS],
                st[LinuxNative.ST_CTIME] * 1_000_000_000L + st[LinuxNative.ST_CTIME_NS],
                (int) st[LinuxNative.ST_BLKSIZE],
                (int) st[LinuxNative.ST_RDEV]);
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
        Path local = resolve(dir);
        if (!dir.isRoot()) {
            FileAttributes a = stat(dir);
            if (a.isSymlink()) {
                throw new FsException(Errno.ELOOP, "list '" + dir + "': symlink (not followed)");
            }
            if (!a.isDirectory()) {
                throw new FsException(Errno.ENOTDIR, "list '" + dir + "'");
            }
        }
        List<DirEntry> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(local)) {
            for (Path child : ds) {
                String name = child.getFileName().toString();
                try {
                    out.add(new DirEntry(name, lstat(child, name)));
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
        Path local = resolve(path);
        FileAttributes a = stat(path);
        if (a.isSymlink()) {
            throw new FsException(Errno.ELOOP, "open '" + path + "': symlink (O_NOFOLLOW)");
        }
        if (a.isDirectory() && write) {
            throw new FsException(Errno.EISDIR, "open '" + path + "' for writing");
        }
        Set<OpenOption> opts = options(flags);
        if (write && (flags & OpenFlags.O_TRUNC) != 0) {
            opts.add(StandardOpenOption.TRUNCATE_EXISTING);
        }
        try {
            return new PosixOpenFile(this, local, FileChannel.open(local, opts), (flags & OpenFlags.O_APPEND) != 0, a);
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
        if ((flags & OpenFlags.O_APPEND) != 0 && OpenFlags.writable(flags)) {
            opts.add(StandardOpenOption.APPEND);
        }
        if ((flags & OpenFlags.O_DSYNC) != 0) {
            opts.add(StandardOpenOption.DSYNC);
        }
        if ((flags & OpenFlags.O_SYNC) == OpenFlags.O_SYNC) {
            opts.add(StandardOpenOption.SYNC);
        }
        return opts;
    }

    @Override
    public OpenFile create(RelPath path, int mode, int flags) throws FsException {
        checkWritable("create", path);
        Path local = resolve(path);
        Set<OpenOption> opts = options(flags | (OpenFlags.writable(flags) ? 0 : OpenFlags.O_WRONLY));
        opts.add(StandardOpenOption.WRITE); // CREATE needs WRITE in java.nio; access is checked by the kernel's open anyway
        if (OpenFlags.readable(flags)) {
            opts.add(StandardOpenOption.READ);
        }
        Set<OpenOption> createNew = new HashSet<>(opts);
        createNew.add(StandardOpenOption.CREATE_NEW);
        FileChannel ch;
        boolean created;
        try {
            ch = FileChannel.open(local, createNew);
            created = true;
        } catch (FileAlreadyExistsException e) {
            if ((flags & OpenFlags.O_EXCL) != 0) {
                throw new FsException(Errno.EEXIST, "create '" + path + "'");
            }
            return open(path, flags); // existing file: plain open (O_TRUNC honoured there)
        } catch (IOException e) {
            throw PosixErrors.translate("create", path, e);
        }
        try {
            if (created) {
                // the server process's umask applied at creation; the client already applied its own
                Files.setAttribute(local, "unix:mode", mode & FileMode.PERMISSIONS, NOFOLLOW);
            }
            return new PosixOpenFile(this, local, ch, (flags & OpenFlags.O_APPEND) != 0, lstat(local, path));
        } catch (IOException e) {
            closeQuietly(ch);
            throw PosixErrors.translate("create", path, e);
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
        checkWritable("mkdir", path);
        Path local = resolve(path);
        try {
            Files.createDirectory(local);
            Files.setAttribute(local, "unix:mode", mode & FileMode.PERMISSIONS, NOFOLLOW);
            return lstat(local, path);
        } catch (IOException e) {
            throw PosixErrors.translate("mkdir", path, e);
        }
    }

    @Override
    public void unlink(RelPath path) throws FsException {
        checkWritable("unlink", path);
        Path local = resolve(path);
        if (stat(path).isDirectory()) {
            throw new FsException(Errno.EISDIR, "unlink '" + path + "'");
        }
        try {
            Files.delete(local);
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
        Path local = resolve(path);
        if (!stat(path).isDirectory()) {
            throw new FsException(Errno.ENOTDIR, "rmdir '" + path + "'");
        }
        try {
            Files.delete(local);
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
        Path src = resolve(from);
        Path dst = resolve(to);
        if (LinuxNative.AVAILABLE) {
            int r = LinuxNative.renameat2(src.toString(), dst.toString(), flags);
            if (r < 0) {
                throw new FsException(-r, "rename '" + from + "' -> '" + to + "'");
            }
            return;
        }
        if ((flags & OpenFlags.RENAME_EXCHANGE) != 0) {
            throw new FsException(Errno.EINVAL, "RENAME_EXCHANGE not supported here");
        }
        try {
            if ((flags & OpenFlags.RENAME_NOREPLACE) != 0) {
                // Not atomic without renameat2: a file created in between is replaced.
                Files.move(src, dst);
            } else {
                Files.move(src, dst, StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (IOException e) {
            throw PosixErrors.translate("rename", from + "' -> '" + to, e);
        }
    }

    @Override
    public FileAttributes link(RelPath existing, RelPath newPath) throws FsException {
        checkWritable("link", newPath);
        Path src = resolve(existing);
        Path dst = resolve(newPath);
        if (stat(existing).isDirectory()) {
            throw new FsException(Errno.EPERM, "link '" + existing + "': is a directory");
        }
        try {
            // link(2), which on Linux never follows a symlink source: the link itself is linked
            Files.createLink(dst, src);
            return lstat(dst, newPath);
        } catch (IOException e) {
            throw PosixErrors.translate("link", existing + "' -> '" + newPath, e);
        }
    }

    @Override
    public FileAttributes symlink(RelPath path, String target) throws FsException {
        checkWritable("symlink", path);
        if (target.isEmpty()) {
            throw new FsException(Errno.ENOENT, "symlink '" + path + "': empty target");
        }
        if (target.indexOf(0) >= 0) {
            throw new FsException(Errno.EINVAL, "symlink '" + path + "': target contains NUL");
        }
        Path local = resolve(path);
        try {
            if (LinuxNative.AVAILABLE) {
                int r = LinuxNative.symlink(target, local.toString());
                if (r < 0) {
                    throw new FsException(-r, "symlink '" + path + "'");
                }
            } else {
                Files.createSymbolicLink(local, local.getFileSystem().getPath(target));
            }
            return lstat(local, path);
        } catch (IOException e) {
            throw PosixErrors.translate("symlink", path, e);
        }
    }

    @Override
    public String readlink(RelPath path) throws FsException {
        Path local = resolve(path);
        if (LinuxNative.AVAILABLE) {
            String[] out = new String[1];
            int r = LinuxNative.readlink(local.toString(), out);
            if (r < 0) {
                throw new FsException(-r, "readlink '" + path + "'");
            }
            return out[0];
        }
        try {
            return Files.readSymbolicLink(local).toString();
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
        Path local = resolve(path);
        try {
            if (changes.size().isPresent()) {
                long size = changes.size().getAsLong();
                if (file != null) {
                    file.truncate(size);
                } else {
                    FileAttributes a = stat(path);
                    if (a.isDirectory()) {
                        throw new FsException(Errno.EISDIR, "truncate '" + path + "'");
                    }
                    if (a.isSymlink()) {
                        throw new FsException(Errno.ELOOP, "truncate '" + path + "': symlink");
                    }
                    try (FileChannel ch = FileChannel.open(local, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
                        truncate(ch, size);
                    }
                }
            }
            if (changes.mode().isPresent()) {
                // java.nio's chmod with NOFOLLOW_LINKS still follows a final symlink on Linux:
                // refuse as Linux's fchmodat(AT_SYMLINK_NOFOLLOW) does, never touch the target
                if (file == null && stat(path).isSymlink()) {
                    throw new FsException(Errno.EOPNOTSUPP, "chmod of symlink '" + path + "'");
                }
                Files.setAttribute(local, "unix:mode", changes.mode().getAsInt() & FileMode.PERMISSIONS, NOFOLLOW);
            }
            if (changes.uid().isPresent()) {
                Files.setAttribute(local, "unix:uid", changes.uid().getAsInt(), NOFOLLOW);
            }
            if (changes.gid().isPresent()) {
                Files.setAttribute(local, "unix:gid", changes.gid().getAsInt(), NOFOLLOW);
            }
            if (changes.atime() != null || changes.mtime() != null) {
                BasicFileAttributeView view = Files.getFileAttributeView(local, BasicFileAttributeView.class, NOFOLLOW);
                // null = leave as is (UTIME_OMIT)
                view.setTimes(changes.mtime() == null ? null : time(changes.mtime()),
                        changes.atime() == null ? null : time(changes.atime()), null);
            }
            return lstat(local, path);
        } catch (IOException e) {
            throw PosixErrors.translate("setattr", path, e);
        }
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

    @Override
    public FsStats statfs() throws FsException {
        if (LinuxNative.AVAILABLE) {
            long[] v = new long[11];
            int r = LinuxNative.statvfs(root.toString(), v);
            if (r < 0) {
                throw new FsException(-r, "statfs");
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

    @Override
    public void close() {
        // nothing held: open files are closed by the server's handle table
    }
}
