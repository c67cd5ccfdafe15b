package dev.fsdriver.backend.posix;

import dev.fsdriver.backend.FsException;
import dev.fsdriver.common.Errno;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.NotLinkException;
import java.nio.file.ReadOnlyFileSystemException;
import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;

/**
 * The posix backend's translation of java.nio's exceptions to errno (table in docs/errors.md).
 * In the native modes (libc calls: {@link LibcCalls}, {@link NativeOpenFile}) every path
 * operation, readdir (getdents64), and every open file's open, read, write, ftruncate, fsync and
 * close goes through {@code dev.fsdriver.linux} and carries the errno captured from the call itself
 * ({@code LibcCalls.failed}); none of it comes here. java.nio exceptions are mapped by type first.
 *
 * <p>Where text remains the only way: the JDK reports any errno other than EACCES, ENOENT, EEXIST
 * and ELOOP as a plain {@link FileSystemException} or IOException whose only trace of it is
 * strerror(errno) ({@code sun.nio.fs.UnixException.translateToIOException}, {@code
 * sun.nio.ch.IOUtil}); for those {@link #fromReason} matches glibc's English text (a localised
 * strerror would come out as EIO). That remains in one place only: the portable mode
 * ({@link NioCalls}, {@link PosixOpenFile}: {@link PosixBackend#openPortable}), which is what runs where the native layer is not there ({@code AtCalls.AVAILABLE} false: not
 * Linux, an architecture whose struct layouts {@code dev.fsdriver.linux} does not know (only
 * x86-64 and aarch64), or a libc without one of its functions, e.g. glibc before 2.33); it needs
 * nothing but java.nio.
 * {@link #FROM_TEXT} counts the mappings (PosixFileErrnoTest checks the native mode makes none).
 * Call sites handle errors whose meaning depends on the operation first, then fall back here.
 */
final class PosixErrors {
    /** How many errors {@link #fromReason} mapped from text: the tests check the native mode makes none. */
    static final LongAdder FROM_TEXT = new LongAdder();

    private PosixErrors() {}

    /** The errno {@code e} stands for; EIO when nothing matches. */
    static int errno(Throwable e) {
        return switch (e) {
            case NoSuchFileException _ -> Errno.ENOENT;
            case FileAlreadyExistsException _ -> Errno.EEXIST;
            case DirectoryNotEmptyException _ -> Errno.ENOTEMPTY;
            case AccessDeniedException _ -> Errno.EACCES;
            case NotDirectoryException _ -> Errno.ENOTDIR;
            case FileSystemLoopException _ -> Errno.ELOOP;
            case NotLinkException _ -> Errno.EINVAL;
            case ClosedChannelException _ -> Errno.EBADF;
            case NonReadableChannelException _ -> Errno.EBADF;
            case NonWritableChannelException _ -> Errno.EBADF;
            case ReadOnlyFileSystemException _ -> Errno.EROFS;
            case UnsupportedOperationException _ -> Errno.EOPNOTSUPP;
            case FileSystemException f -> fromReason(f.getReason());
            case IOException io -> fromReason(io.getMessage());
            default -> Errno.EIO;
        };
    }

    /** strerror text (glibc, C/English locale) to errno: only for java.nio's untyped exceptions (see above). */
    static int fromReason(String reason) {
        FROM_TEXT.increment();
        if (reason == null) {
            return Errno.EIO;
        }
        String r = reason.toLowerCase(Locale.ROOT);
        if (r.contains("no space left")) return Errno.ENOSPC;
        if (r.contains("read-only file system")) return Errno.EROFS;
        if (r.contains("directory not empty")) return Errno.ENOTEMPTY;
        if (r.contains("not a directory")) return Errno.ENOTDIR;
        if (r.contains("is a directory")) return Errno.EISDIR;
        if (r.contains("too many levels of symbolic links")) return Errno.ELOOP;
        if (r.contains("file exists")) return Errno.EEXIST;
        if (r.contains("no such file")) return Errno.ENOENT;
        if (r.contains("permission denied")) return Errno.EACCES;
        if (r.contains("operation not permitted")) return Errno.EPERM;
        if (r.contains("invalid cross-device link")) return Errno.EXDEV;
        if (r.contains("too many links")) return Errno.EMLINK;
        if (r.contains("file name too long")) return Errno.ENAMETOOLONG;
        if (r.contains("invalid argument")) return Errno.EINVAL;
        if (r.contains("disk quota exceeded")) return Errno.EDQUOT;
        if (r.contains("file too large")) return Errno.EFBIG;
        if (r.contains("too many open files in system")) return Errno.ENFILE;
        if (r.contains("too many open files")) return Errno.EMFILE;
        if (r.contains("device or resource busy")) return Errno.EBUSY;
        if (r.contains("text file busy")) return Errno.ETXTBSY;
        if (r.contains("operation not supported")) return Errno.EOPNOTSUPP;
        if (r.contains("function not implemented")) return Errno.ENOSYS;
        if (r.contains("stale file handle")) return Errno.ESTALE;
        if (r.contains("bad file descriptor")) return Errno.EBADF;
        if (r.contains("cannot allocate memory")) return Errno.ENOMEM;
        if (r.contains("value too large")) return Errno.EOVERFLOW;
        if (r.contains("interrupted system call")) return Errno.EINTR;
        if (r.contains("input/output error")) return Errno.EIO;
        return Errno.EIO;
    }

    /** {@code e} as an FsException naming operation {@code op} and the share-relative path. */
    static FsException translate(String op, Object path, Throwable e) {
        int errno = errno(e);
        String msg = op + " '" + path + "'";
        // Unknown errors keep their cause (stack trace) for the one log line the server writes.
        return errno == Errno.EIO ? new FsException(errno, msg + ": " + e, e) : new FsException(errno, msg);
    }
}
