package dev.fsdriver.backend;

import dev.fsdriver.common.Errno;
import java.util.ArrayList;
import java.util.List;

/**
 * One served directory ("share") as a file system with POSIX meaning. Addressed by
 * {@link RelPath}; the server maps node ids to paths and keeps that map right across renames.
 *
 * <p>Containment is the backend's duty: no operation may follow a symbolic link (or junction,
 * or any reparse point) out of the share. Intermediate components are resolved without
 * following links; a final component that is a link is operated on as a link (stat/lstat
 * semantics: {@link #stat} never follows). Read-only shares are enforced by the server before
 * calling in, and again here where the backend was opened read-only.
 *
 * <p>Errors: {@link FsException} with a Linux errno, translated in one place per backend.
 * Implementations are thread-safe; calls run concurrently, with no global lock around I/O.
 */
public interface Backend extends AutoCloseable {

    /** "posix" or "windows": shown in HelloReply.backend and in logs. */
    String kind();

    /**
     * Whether {@link OpenFile#setMtime} works through this backend's open files (then the server
     * lists the "write-mtime" capability for the share). The default: no.
     */
    default boolean setsMtimeThroughHandle() {
        return false;
    }

    /**
     * Whether {@link OpenFile#stat} gives the inode number and generation that listings and stats
     * by path give for the same file, so that the server may check that a file it opened by a
     * node's path is still that node's (a read by node). Not on Windows, where a file's number
     * may be keyed by its path or its volume (see the Windows backend's inode numbers). The
     * default: no.
     */
    default boolean identifiesOpenFiles() {
        return false;
    }

    /**
     * Whether the share's file system moves a directory's mtime and ctime at once with every
     * name made, removed or moved in it (ext4, xfs, btrfs, tmpfs, NTFS, ReFS; not FAT, exFAT, nor
     * most network or FUSE file systems). Then the server lists the "dir-times-move" capability
     * for the share, and a client may take a directory's unchanged times as proof that no name
     * in it changed (its overflow resync, docs/posix.md "Change events"), but only for a
     * directory whose own attributes say so ({@link FileAttributes#timesMove}): the share may
     * hold other file systems mounted below its root. The default: no.
     */
    default boolean directoryTimesMove() {
        return false;
    }

    /** Whether names compare case-insensitively (NTFS directories by default). */
    default boolean caseInsensitive() {
        return false;
    }

    /** lstat: attributes of the file at {@code path}, not following a final symlink. */
    FileAttributes stat(RelPath path) throws FsException;

    /**
     * The whole listing of directory {@code dir}, without "." and "..", each name with its
     * attributes, in a stable order for one call. Names whose attributes cannot be read (raced
     * with a delete) are left out.
     */
    List<DirEntry> list(RelPath dir) throws FsException;

    /**
     * Directory {@code dir} for a listing served in pages: as {@link #list}, but a backend that
     * pays a call per name for attributes leaves them null, and they are read page by page with
     * {@link #attributes} (the first page of a 100,000-entry directory no longer waits for
     * 100,000 stats, nor the kernel for the last page's). Such a backend also gives the
     * attributes of the directory it read. The default is {@link #list}, attributes included.
     */
    default DirNames listNames(RelPath dir) throws FsException {
        return new DirNames(null, list(dir));
    }

    /**
     * The attributes of the entries {@code names} of directory {@code dir}, each as {@link #stat}
     * gives it (null for a name gone meanwhile), and those of the directory they were looked up
     * in: a rename may have put another directory at {@code dir} since its names were listed.
     * The default stats by path, the directory after its names (one replaced meanwhile shows):
     * that is the contract for a backend that does not override it, and the least an override
     * must give (the posix backend's native modes stat relative to the directory opened once).
     * A directory that is gone or no directory now fails (ENOENT, ENOTDIR, ELOOP).
     */
    default PageAttributes attributes(RelPath dir, List<String> names) throws FsException {
        List<FileAttributes> out = new ArrayList<>(names.size());
        for (String name : names) {
            try {
                out.add(stat(dir.resolve(name)));
            } catch (FsException e) {
                if (e.errno() != Errno.ENOENT) {
                    throw e;
                }
                out.add(null);
            }
        }
        return new PageAttributes(stat(dir), out);
    }

    /** Opens an existing regular file; {@code flags} are open(2) flags (O_TRUNC, O_APPEND honoured). */
    OpenFile open(RelPath path, int flags) throws FsException;

    /** Creates (or with no O_EXCL, opens) the regular file at {@code path} with permission bits {@code mode}. */
    OpenFile create(RelPath path, int mode, int flags) throws FsException;

    /**
     * {@link #create(RelPath, int, int)}, a file made belonging to {@code owner} where the backend
     * can give files away (see {@link Owner}); the default leaves it to the server's user.
     */
    default OpenFile create(RelPath path, int mode, int flags, Owner owner) throws FsException {
        return create(path, mode, flags);
    }

    FileAttributes mkdir(RelPath path, int mode) throws FsException;

    /** {@link #mkdir(RelPath, int)} for {@code owner}: see {@link #create(RelPath, int, int, Owner)}. */
    default FileAttributes mkdir(RelPath path, int mode, Owner owner) throws FsException {
        return mkdir(path, mode);
    }

    /**
     * Makes a FIFO or a socket ({@code mode}: S_IFIFO or S_IFSOCK with permission bits) for
     * {@code owner} (may be null). Device types fail EPERM; the default refuses every type (EPERM).
     */
    default FileAttributes mknod(RelPath path, int mode, Owner owner) throws FsException {
        throw new FsException(Errno.EPERM, "mknod '" + path + "': " + kind() + " backend makes no special files");
    }

    void unlink(RelPath path) throws FsException;

    void rmdir(RelPath path) throws FsException;

    /**
     * Makes the entries of directory {@code dir} durable (fsync of a directory, which programs
     * do after a rename or create they rely on), and returns the attributes of the directory it
     * synced: the caller checks that it is the one it meant (a rename may have put another at
     * that path meanwhile). A backend without such a call (Windows has no flush of a directory)
     * syncs nothing and returns what is at that path (the default).
     */
    default FileAttributes syncDir(RelPath dir) throws FsException {
        return stat(dir);
    }

    /** @param flags 0, RENAME_NOREPLACE or RENAME_EXCHANGE (which may fail EINVAL) */
    void rename(RelPath from, RelPath to, int flags) throws FsException;

    /** Hard link {@code newPath} to the file at {@code existing}; returns its attributes. */
    FileAttributes link(RelPath existing, RelPath newPath) throws FsException;

    /** Creates symlink {@code path} -> {@code target} (stored as given, never followed by the server). */
    FileAttributes symlink(RelPath path, String target) throws FsException;

    /** {@link #symlink(RelPath, String)} for {@code owner}: see {@link #create(RelPath, int, int, Owner)}. */
    default FileAttributes symlink(RelPath path, String target, Owner owner) throws FsException {
        return symlink(path, target);
    }

    String readlink(RelPath path) throws FsException;

    /**
     * Applies {@code changes} to the file at {@code path}, through {@code file} when the change
     * came through an open file (may be null). Returns the attributes after the change.
     */
    FileAttributes setattr(RelPath path, OpenFile file, SetAttributes changes) throws FsException;

    FsStats statfs() throws FsException;

    /**
     * The value of extended attribute {@code name} (a user.* name: the server answers the other
     * namespaces) of the file at {@code path}, not following a final symlink. ENODATA when it has
     * none of that name; the default: EOPNOTSUPP (this backend keeps no extended attributes).
     */
    default byte[] getxattr(RelPath path, String name) throws FsException {
        throw new FsException(Errno.EOPNOTSUPP, "getxattr '" + path + "': " + kind() + " backend keeps no xattrs");
    }

    /**
     * The user.* extended attribute names of the file at {@code path} (see {@link #getxattr}).
     * The default: none, as Linux lists for a file system without xattrs (not an error).
     */
    default List<String> listxattr(RelPath path) throws FsException {
        stat(path);
        return List.of();
    }

    /**
     * Sets extended attribute {@code name}; {@code flags} as setxattr(2): XATTR_CREATE (EEXIST
     * when it is there), XATTR_REPLACE (ENODATA when it is not). A symlink refuses user.* (EPERM).
     */
    default void setxattr(RelPath path, String name, byte[] value, int flags) throws FsException {
        throw new FsException(Errno.EOPNOTSUPP, "setxattr '" + path + "': " + kind() + " backend keeps no xattrs");
    }

    /** Removes extended attribute {@code name}: ENODATA when there is none. */
    default void removexattr(RelPath path, String name) throws FsException {
        throw new FsException(Errno.EOPNOTSUPP, "removexattr '" + path + "': " + kind() + " backend keeps no xattrs");
    }

    /**
     * Where the file with inode number {@code ino} is now, found by its file id rather than by a
     * path: the server asks when the path it has for a node a client holds went stale (a
     * directory renamed on the server's side while its change events were lost; issue 10, B6).
     * Returns a path strictly below the share root (never the root, never outside), or null when
     * no such file is found below the root. A hint only: the server stats the path through
     * {@link #stat} and takes it only when it is that file (number, generation, type). Reads no
     * data and changes nothing; may be slow (a backend may search the share). The default: ENOSYS,
     * this backend cannot locate a file by its id (the server then stops asking).
     */
    default RelPath locate(long ino) throws FsException {
        throw new FsException(Errno.ENOSYS, kind() + " backend cannot locate a file by its id");
    }

    /**
     * Starts watching the whole share (recursively) and reports to {@code listener} until the
     * returned handle is closed. Default: not supported (ENOSYS).
     */
    default AutoCloseable watch(ChangeListener listener) throws FsException {
        throw new FsException(Errno.ENOSYS, kind() + " backend has no watcher");
    }

    @Override
    void close();
}
