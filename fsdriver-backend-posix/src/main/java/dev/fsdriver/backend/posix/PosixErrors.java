package dev.fsdriver.backend.posix;

import dev.fsdriver.backend.FsException;
import dev.fsdriver.common.Errno;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.NotLinkException;
import java.nio.file.ReadOnlyFileSystemException;

/**
 * The posix backend's translation of java.nio's exceptions to errno, by their type only (table in
 * docs/errors.md). In the libc modes, the default ({@link LibcCalls}, {@link NativeOpenFile}),
 * every path operation, readdir (getdents64), and every open file's open, read, write, ftruncate,
 * fsync and close goes through {@code dev.fsdriver.linux} and carries the errno captured from the
 * call itself ({@code LibcCalls.failed}); none of it comes here.
 *
 * <p>What does come here is java.nio's: every call of the portable mode ({@link NioCalls},
 * {@link PosixOpenFile}: {@link PosixBackend#openPortable}), which runs where the native layer is
 * not there ({@code AtCalls.AVAILABLE} false: not Linux, an architecture whose struct layouts
 * {@code dev.fsdriver.linux} does not know, or a libc without one of its functions). java.nio
 * gives a type to only some errnos (those below); the others arrive as a plain
 * FileSystemException or IOException whose only trace of the errno is strerror text, which is not
 * read (it depends on the C library and the locale): they are EIO, logged with their cause.
 * docs/errors.md lists what the portable mode thus reports as EIO. Call sites decide first the
 * errors whose meaning depends on the operation (a type check before a rename, a read of a
 * directory), then fall back here.
 */
final class PosixErrors {
    private PosixErrors() {}

    /** The errno {@code e} stands for, by its type; EIO for any other. */
    static int errno(Throwable e) {
        return switch (e) {
            case NoSuchFileException _ -> Errno.ENOENT;
            case FileAlreadyExistsException _ -> Errno.EEXIST;
            case DirectoryNotEmptyException _ -> Errno.ENOTEMPTY;
            case AccessDeniedException _ -> Errno.EACCES;
            case NotDirectoryException _ -> Errno.ENOTDIR;
            case FileSystemLoopException _ -> Errno.ELOOP;
            case NotLinkException _ -> Errno.EINVAL;
            case AtomicMoveNotSupportedException _ -> Errno.EXDEV; // java.nio's type for a rename's EXDEV
            case ClosedChannelException _ -> Errno.EBADF;
            case NonReadableChannelException _ -> Errno.EBADF;
            case NonWritableChannelException _ -> Errno.EBADF;
            case ReadOnlyFileSystemException _ -> Errno.EROFS;
            case UnsupportedOperationException _ -> Errno.EOPNOTSUPP;
            default -> Errno.EIO;
        };
    }

    /** {@code e} as an FsException naming operation {@code op} and the share-relative path. */
    static FsException translate(String op, Object path, Throwable e) {
        int errno = errno(e);
        String msg = op + " '" + path + "'";
        // Unknown errors keep their cause (stack trace) for the one log line the server writes.
        return errno == Errno.EIO ? new FsException(errno, msg + ": " + e, e) : new FsException(errno, msg);
    }
}
