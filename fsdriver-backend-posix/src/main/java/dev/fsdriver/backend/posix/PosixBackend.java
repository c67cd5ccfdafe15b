package dev.fsdriver.backend.posix;

import dev.fsdriver.backend.Backend;
import dev.fsdriver.backend.ChangeListener;
import dev.fsdriver.backend.DirEntry;
import dev.fsdriver.backend.DirNames;
import dev.fsdriver.backend.FileAttributes;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.FsStats;
import dev.fsdriver.backend.OpenFile;
import dev.fsdriver.backend.Owner;
import dev.fsdriver.backend.PageAttributes;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.backend.SetAttributes;
import dev.fsdriver.backend.posix.watch.InotifyWatcher;
import dev.fsdriver.common.Errno;
import dev.fsdriver.common.FileMode;
import dev.fsdriver.common.OpenFlags;
import dev.fsdriver.linux.AtCalls;
import dev.fsdriver.linux.MountCalls;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.List;

/**
 * The portable backend: a directory served through java.nio, Linux first (libc calls through
 * {@link AtCalls} where java.nio cannot express the POSIX operation safely).
 *
 * <p>It runs in one of three modes, made of two strategies chosen once in {@link #open}:
 * <ul>
 * <li>libc calls with containment {@link BeneathRoot} (openat2, Linux 5.6+): race-free;
 * <li>libc calls with the {@link LstatWalk} (no openat2 or no /proc): a documented residual race;
 * <li>java.nio only ({@link NioCalls}, {@link #openPortable}) with the {@link LstatWalk}.
 * </ul>
 * In the two libc modes open files are descriptors from openat relative to the located parent
 * ({@link NativeOpenFile}: pread, pwrite, ftruncate, fsync, errno from each call); in the portable
 * mode java.nio channels ({@link PosixOpenFile}).
 * This class holds what is common: the checks of the arguments, read-only, the lstat before an
 * open, listing and the order of the steps of an operation. The final
 * component is never followed: stat is lstat, open uses O_NOFOLLOW (a symlink fails ELOOP), chmod
 * never follows (EOPNOTSUPP on a symlink), chown is lchown, utimens does not follow, link(2) links
 * the symlink itself. Inode numbers are st_ino, folded for other devices ({@link PosixCalls#foldDev}).
 */
public final class PosixBackend implements Backend {
    private final Path root;
    private final boolean readOnly;
    private final PosixCalls calls;
    private final Containment containment;
    private final PosixXattrs xattrs;
    /** Package-private for tests (PosixListingTest: its race hook). */
    final PosixDirectories dirs;
    /** Who new files are given to ({@link NewOwners}). */
    private final NewOwners owners;
    /** See {@link #directoryTimesMove}: the share root's file system, read once at open. */
    private final boolean directoryTimesMove;

    private PosixBackend(Path root, boolean readOnly, PosixCalls calls, Containment containment, boolean directoryTimesMove) {
        this.root = root;
        this.directoryTimesMove = directoryTimesMove;
        this.readOnly = readOnly;
        this.calls = calls;
        this.containment = containment;
        this.xattrs = new PosixXattrs(calls, containment);
        this.dirs = new PosixDirectories(calls, containment);
        this.owners = new NewOwners(calls);
    }

    /**
     * Opens the directory {@code root} as a share; {@code readOnly} makes every mutation EROFS.
     * The root itself may be reached through symlinks (it is resolved once, here).
     */
    public static PosixBackend open(Path root, boolean readOnly) throws IOException {
        return open(root, readOnly, AtCalls.AVAILABLE, true);
    }

    /**
     * The same backend without any native call: java.nio only, containment by lstat walk, as it
     * runs where {@link AtCalls} is unavailable. For tests of that path and for diagnostics.
     */
    public static PosixBackend openPortable(Path root, boolean readOnly) throws IOException {
        return open(root, readOnly, false, false);
    }

    /**
     * The libc calls with containment by lstat walk, as the backend runs where openat2 is missing
     * (Linux before 5.6, a seccomp filter, no /proc). For tests of that path.
     */
    public static PosixBackend openWalking(Path root, boolean readOnly) throws IOException {
        return open(root, readOnly, AtCalls.AVAILABLE, false);
    }

    private static PosixBackend open(Path root, boolean readOnly, boolean nat, boolean beneath) throws IOException {
        NioCalls.checkNameEncoding();
        Path real = root.toRealPath();
        if (!Files.isDirectory(real, NioCalls.NOFOLLOW)) {
            throw new NotDirectoryException(real.toString());
        }
        long dev = ((Number) Files.getAttribute(real, "unix:dev", NioCalls.NOFOLLOW)).longValue();
        // the root's verdict read now and kept; a directory on another device is read at every stat
        DirectoryTimes times = new DirectoryTimes(dev, () -> MountCalls.statfsType(real.toString()), real);
        boolean rootTimesMove = times.rootMoves();
        PosixCalls calls = nat ? new LibcCalls(dev, times) : new NioCalls(dev, times);
        Containment held = nat && beneath ? BeneathRoot.tryOpen(real) : null;
        return new PosixBackend(real, readOnly, calls, held != null ? held : new LstatWalk(real, calls), rootTimesMove);
    }

    @Override
    public boolean identifiesOpenFiles() {
        return true; // fstat's st_ino and birth time, as lstat's
    }

    /** In the libc modes (futimens on the descriptor); java.nio channels cannot set a time. */
    @Override
    public boolean setsMtimeThroughHandle() {
        return calls instanceof LibcCalls && AtCalls.FUTIMENS_AVAILABLE;
    }

    /**
     * By the share root's file system type (statfs f_type in {@link DirectoryTimes#MOVING}); each
     * directory's attributes answer for its own file system ({@link FileAttributes#timesMove}).
     */
    @Override
    public boolean directoryTimesMove() {
        return directoryTimesMove;
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
        return containment.raceFree();
    }

    private void checkWritable(String op, RelPath p) throws FsException {
        if (readOnly) {
            throw new FsException(Errno.EROFS, op + " '" + p + "': read-only share");
        }
    }

    // ------------------------------------------------------------------------------- attributes

    @Override
    public FileAttributes stat(RelPath path) throws FsException {
        try (Loc l = containment.locate(path)) {
            return calls.lstat(l, path);
        }
    }

    @Override
    public List<DirEntry> list(RelPath dir) throws FsException {
        return dirs.list(dir);
    }

    @Override
    public DirNames listNames(RelPath dir) throws FsException {
        return dirs.listNames(dir);
    }

    @Override
    public PageAttributes attributes(RelPath dir, List<String> names) throws FsException {
        return dirs.attributes(dir, names);
    }

    @Override
    public FileAttributes syncDir(RelPath dir) throws FsException {
        return dirs.sync(dir);
    }

    // ------------------------------------------------------------------------------- files

    @Override
    public OpenFile open(RelPath path, int flags) throws FsException {
        boolean write = OpenFlags.writable(flags);
        if (readOnly && (write || (flags & OpenFlags.O_TRUNC) != 0)) {
            throw new FsException(Errno.EROFS, "open '" + path + "' for writing: read-only share");
        }
        try (Loc l = containment.locate(path)) {
            FileAttributes a = calls.lstat(l, path);
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
            return calls.open(l, flags, a, path, this);
        } catch (IOException e) {
            throw PosixErrors.translate("open", path, e);
        }
    }

    @Override
    public OpenFile create(RelPath path, int mode, int flags) throws FsException {
        return create(path, mode, flags, null);
    }

    @Override
    public OpenFile create(RelPath path, int mode, int flags, Owner owner) throws FsException {
        checkWritable("create", path);
        try (Loc l = containment.locate(path)) {
            OpenFile f = calls.create(l, flags, path, this, made -> {
                // Made as asked already (the server's own user and umask gave that owner and mode:
                // most creates): one stat instead of the parent's, a chown, a chmod and a stat.
                FileAttributes st = made.stat();
                if (owners.madeAs(owner, st) && (st.mode() & FileMode.PERMISSIONS) == (mode & FileMode.PERMISSIONS)) {
                    return st;
                }
                owners.giveAway(l, owner, path, made::chown);
                // the server process's umask applied at creation; the client already applied its own
                made.chmod(mode);
                return made.stat();
            });
            if (f != null) {
                return f;
            }
        } catch (IOException e) {
            throw PosixErrors.translate("create", path, e);
        }
        if ((flags & OpenFlags.O_EXCL) != 0) {
            throw new FsException(Errno.EEXIST, "create '" + path + "'");
        }
        return open(path, flags); // existing file: plain open (O_TRUNC honoured there)
    }

    private void chmod(Loc l, int mode, RelPath path) throws FsException {
        calls.chmod(l, mode & FileMode.PERMISSIONS, path);
    }

    @Override
    public FileAttributes mkdir(RelPath path, int mode) throws FsException {
        return mkdir(path, mode, null);
    }

    @Override
    public FileAttributes mkdir(RelPath path, int mode, Owner owner) throws FsException {
        checkWritable("mkdir", path);
        try (Loc l = containment.locate(path)) {
            calls.mkdir(l, path);
            owners.giveAway(l, owner, path);
            // keep the set-group-ID bit a set-group-ID parent passed on (the client's mode has none)
            chmod(l, mode | (calls.lstat(l, path).mode() & FileMode.S_ISGID), path);
            return calls.lstat(l, path);
        } catch (IOException e) {
            throw PosixErrors.translate("mkdir", path, e);
        }
    }

    @Override
    public void unlink(RelPath path) throws FsException {
        checkWritable("unlink", path);
        try (Loc l = containment.locate(path)) {
            calls.unlink(l, path);
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
        try (Loc l = containment.locate(path)) {
            calls.rmdir(l, path);
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
        try (Loc src = containment.locate(from); Loc dst = containment.locate(to)) {
            calls.rename(src, dst, flags, from + "' -> '" + to);
        } catch (IOException e) {
            throw PosixErrors.translate("rename", from + "' -> '" + to, e);
        }
    }

    @Override
    public FileAttributes link(RelPath existing, RelPath newPath) throws FsException {
        checkWritable("link", newPath);
        try (Loc src = containment.locate(existing); Loc dst = containment.locate(newPath)) {
            if (calls.lstat(src, existing).isDirectory()) {
                throw new FsException(Errno.EPERM, "link '" + existing + "': is a directory");
            }
            calls.link(src, dst, existing + "' -> '" + newPath);
            return calls.lstat(dst, newPath);
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
        try (Loc l = containment.locate(path)) {
            calls.symlink(target, l, path);
            owners.giveAway(l, owner, path);
            return calls.lstat(l, path);
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
        if (!calls.makesNodes()) {
            throw new FsException(Errno.EPERM, "mknod '" + path + "': needs the libc calls (java.nio makes no FIFOs)");
        }
        try (Loc l = containment.locate(path)) {
            calls.mknod(l, type | (mode & FileMode.PERMISSIONS), path);
            owners.giveAway(l, owner, path);
            chmod(l, mode, path);   // the server's umask applied at creation; the client applied its own
            return calls.lstat(l, path);
        }
    }

    @Override
    public String readlink(RelPath path) throws FsException {
        try (Loc l = containment.locate(path)) {
            return calls.readlink(l, path);
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
        if (file instanceof NativeOpenFile open
                && (AtCalls.FUTIMENS_AVAILABLE || changes.atime() == null && changes.mtime() == null)) {
            return open.setattr(changes); // the handle's file, whatever its name holds now
        }
        try (Loc l = containment.locate(path)) {
            if (changes.size().isPresent()) {
                long size = changes.size().getAsLong();
                if (file != null) {
                    file.truncate(size);
                } else {
                    FileAttributes a = calls.lstat(l, path);
                    if (a.isDirectory()) {
                        throw new FsException(Errno.EISDIR, "truncate '" + path + "'");
                    }
                    if (a.isSymlink()) {
                        throw new FsException(Errno.ELOOP, "truncate '" + path + "': symlink");
                    }
                    if (!a.isRegular()) {
                        throw new FsException(Errno.EINVAL, "truncate '" + path + "': not a regular file"); // as Linux
                    }
                    calls.truncate(l, size, path);
                }
            }
            if (changes.mode().isPresent()) {
                chmod(l, changes.mode().getAsInt(), path);
            }
            if (changes.uid().isPresent() || changes.gid().isPresent()) {
                calls.chown(l, changes.uid().orElse(-1), changes.gid().orElse(-1), path);
            }
            if (changes.atime() != null || changes.mtime() != null) {
                calls.utimens(l, changes.atime(), changes.mtime(), path);
            }
            return calls.lstat(l, path);
        } catch (IOException e) {
            throw PosixErrors.translate("setattr", path, e);
        }
    }

    // ------------------------------------------------------------------------------- xattrs

    @Override
    public byte[] getxattr(RelPath path, String name) throws FsException {
        return xattrs.get(path, name);
    }

    @Override
    public List<String> listxattr(RelPath path) throws FsException {
        return calls.xattrs() ? xattrs.list(path) : Backend.super.listxattr(path);
    }

    @Override
    public void setxattr(RelPath path, String name, byte[] value, int flags) throws FsException {
        checkWritable("setxattr", path);
        xattrs.set(path, name, value, flags);
    }

    @Override
    public void removexattr(RelPath path, String name) throws FsException {
        checkWritable("removexattr", path);
        xattrs.remove(path, name);
    }

    @Override
    public FsStats statfs() throws FsException {
        return calls.statfs(root);
    }

    /**
     * Cannot locate (ENOSYS). Linux can open a file by identity, {@code open_by_handle_at(2)},
     * but it takes a file handle from {@code name_to_handle_at(2)} (kept while the path still
     * worked), not an inode number, and it needs CAP_DAC_READ_SEARCH, which the server does not
     * run with; and an opened handle may lead outside the share. Nor is it needed as much: inotify
     * reports a rename as a pair (IN_MOVED_FROM/IN_MOVED_TO, one cookie), so a rename is lost only
     * with an IN_Q_OVERFLOW (an OVERFLOW to the clients, which resync).
     */
    @Override
    public RelPath locate(long ino) throws FsException {
        throw new FsException(Errno.ENOSYS, "posix backend: no open by inode number (open_by_handle_at needs a "
                + "file handle and CAP_DAC_READ_SEARCH)");
    }

    /** Linux: a recursive inotify watcher of the share (see InotifyWatcher); elsewhere ENOSYS. */
    @Override
    public AutoCloseable watch(ChangeListener listener) throws FsException {
        if (!System.getProperty("os.name", "").startsWith("Linux")) {
            throw new FsException(Errno.ENOSYS, "posix backend watches through inotify: Linux only");
        }
        return InotifyWatcher.start(root, listener);
    }

    @Override
    public void close() {
        // open files are closed by the server's handle table; only the root descriptor is ours
        containment.close();
    }
}
