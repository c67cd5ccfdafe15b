package dev.fsdriver.backend.posix;

import dev.fsdriver.backend.DirNames;
import dev.fsdriver.backend.FileAttributes;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.FsStats;
import dev.fsdriver.backend.OpenFile;
import dev.fsdriver.backend.PageAttributes;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.backend.SetAttributes;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The operations on one located file that differ between the libc calls ({@link LibcCalls}, errno
 * straight from the call, open files included: {@link NativeOpenFile}) and java.nio
 * ({@link NioCalls} and {@link PosixOpenFile}, where libc is unavailable). None follows
 * a final symlink. Failures of the libc calls arrive as {@link FsException}; java.nio's
 * IOExceptions are left to the backend, which translates them once per operation
 * ({@link PosixErrors}), except where a method says it translates itself. Implementations are
 * immutable (no locks: every call stands alone, relative to the Loc it is given).
 */
sealed interface PosixCalls permits LibcCalls, NioCalls {

    /** lstat of {@code l}; translates its own failures ({@code what} names the file in them). */
    FileAttributes lstat(Loc l, Object what) throws FsException;

    /**
     * Opens the existing regular file or directory at {@code l} ({@code a}: its lstat, just made),
     * never following a final symlink (ELOOP). {@code share} stats by path where the open file
     * cannot stat itself (java.nio).
     */
    OpenFile open(Loc l, int flags, FileAttributes a, RelPath path, PosixBackend share) throws FsException, IOException;

    /** What {@link #create} does to the new file before it is handed out (owner, mode); its attributes after. */
    interface Setup {
        FileAttributes run(NewFile f) throws FsException;
    }

    /**
     * The file {@link #create} just made, for its {@link Setup}: through its descriptor (libc:
     * three calls instead of seven by name), by its path in java.nio's mode.
     */
    interface NewFile {
        /** -1 leaves uid or gid as is. */
        void chown(int uid, int gid) throws FsException;

        void chmod(int perms) throws FsException;

        FileAttributes stat() throws FsException;
    }

    /**
     * Creates the file at {@code l} (O_CREAT|O_EXCL: a final symlink is never followed), runs
     * {@code setup} on it and returns it open; null when the name exists already.
     */
    OpenFile create(Loc l, int flags, RelPath path, PosixBackend share, Setup setup) throws FsException, IOException;

    /** truncate of the file at {@code l} without following it (shrinks, or grows with a hole). */
    void truncate(Loc l, long size, RelPath path) throws FsException, IOException;

    /**
     * The names of the directory {@link Containment#openDir} located (attributes null), and the
     * attributes of the directory they were read from. The libc calls open it once, never
     * following a final symlink, and read names and attributes from that descriptor.
     */
    DirNames names(Loc d, RelPath dir) throws FsException, IOException;

    /**
     * lstat of each of {@code names} in the directory {@link Containment#openDir} located (null
     * for a name gone meanwhile), and the attributes of the directory they were looked up in. The
     * libc calls open it once, never following a final symlink, and stat relative to that
     * descriptor (fstatat, fstat); java.nio stats by path, the directory last.
     */
    PageAttributes attributes(Loc d, RelPath dir, List<String> names) throws FsException, IOException;

    /** fsync(2) of the directory {@link Containment#openDir} located. */
    void syncDir(Loc d, RelPath dir) throws FsException, IOException;

    /** chmod that never follows a final symlink (EOPNOTSUPP on one, as Linux's lchmod); translates itself. */
    void chmod(Loc l, int perms, RelPath path) throws FsException;

    /** chown without following; -1 leaves uid or gid as is. */
    void chown(Loc l, int uid, int gid, RelPath path) throws FsException, IOException;

    /** Sets the times given (null leaves one as is), without following. */
    void utimens(Loc l, SetAttributes.TimeChange atime, SetAttributes.TimeChange mtime, RelPath path)
            throws FsException, IOException;

    /** mkdir with mode 0777 less the umask (the backend's chmod follows). */
    void mkdir(Loc l, RelPath path) throws FsException, IOException;

    /** Removes a non-directory (EISDIR on a directory). */
    void unlink(Loc l, RelPath path) throws FsException, IOException;

    /** Removes an empty directory (ENOTDIR on anything else). */
    void rmdir(Loc l, RelPath path) throws FsException, IOException;

    /** rename with RENAME_NOREPLACE / RENAME_EXCHANGE (flags already checked by the backend). */
    void rename(Loc src, Loc dst, int flags, String what) throws FsException, IOException;

    /** link(2) of {@code src} itself (a symlink is linked, not followed). */
    void link(Loc src, Loc dst, String what) throws FsException, IOException;

    void symlink(String target, Loc l, RelPath path) throws FsException, IOException;

    String readlink(Loc l, RelPath path) throws FsException, IOException;

    /** Whether {@link #mknod} can make FIFOs and sockets. */
    boolean makesNodes();

    /** mknod of a FIFO or socket, {@code mode} being type and permissions. */
    void mknod(Loc l, int mode, RelPath path) throws FsException;

    /** Whether the xattr calls are there (they need libc). */
    boolean xattrs();

    /** Whether new files can be given to the client's caller: only root may chown. */
    boolean givesAway();

    /** statvfs of the share; translates itself. */
    FsStats statfs(Path root) throws FsException;

    /**
     * Inode numbers are st_ino; a file on another device mounted below the share (st_dev differs
     * from the root's) gets {@code ino ^ mix(dev)} so that numbers from the two file systems rarely
     * collide. A collision is possible in theory and only confuses tools that compare inode numbers
     * (the server's node ids stay distinct).
     */
    static long foldDev(long ino, long dev, long rootDev) {
        return dev == rootDev ? ino : ino ^ Long.rotateLeft(dev * 0x9E3779B97F4A7C15L, 32);
    }
}
