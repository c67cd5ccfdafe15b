package dev.fsdriver.backend.windows;

import dev.fsdriver.common.Errno;

/**
 * The one table from Win32 error codes and NTSTATUS values to Linux errno (research
 * windows-mapping.md section 9; Cygwin errno.cc and Go's syscall_windows.go agree on most rows).
 * The gRPC code follows from the errno in the server's StatusCodec. Unknown codes are EIO.
 * Context-dependent refinements (ENOTDIR for a file in the middle of a path, EISDIR when a
 * directory is opened for writing, EAGAIN for byte-range locks) are made by the caller, which
 * knows the context.
 */
public final class WinErrors {
    // Win32 error codes (winerror.h).
    public static final int ERROR_SUCCESS = 0;
    public static final int ERROR_INVALID_FUNCTION = 1;
    public static final int ERROR_FILE_NOT_FOUND = 2;
    public static final int ERROR_PATH_NOT_FOUND = 3;
    public static final int ERROR_TOO_MANY_OPEN_FILES = 4;
    public static final int ERROR_ACCESS_DENIED = 5;
    public static final int ERROR_INVALID_HANDLE = 6;
    public static final int ERROR_NOT_ENOUGH_MEMORY = 8;
    public static final int ERROR_OUTOFMEMORY = 14;
    public static final int ERROR_NOT_SAME_DEVICE = 17;
    public static final int ERROR_NO_MORE_FILES = 18;
    public static final int ERROR_WRITE_PROTECT = 19;
    public static final int ERROR_SHARING_VIOLATION = 32;
    public static final int ERROR_LOCK_VIOLATION = 33;
    public static final int ERROR_HANDLE_EOF = 38;
    public static final int ERROR_HANDLE_DISK_FULL = 39;
    public static final int ERROR_NOT_SUPPORTED = 50;
    public static final int ERROR_BAD_NETPATH = 53;
    public static final int ERROR_NETNAME_DELETED = 64;
    public static final int ERROR_BAD_NET_NAME = 67;
    public static final int ERROR_FILE_EXISTS = 80;
    public static final int ERROR_INVALID_PARAMETER = 87;
    public static final int ERROR_BROKEN_PIPE = 109;
    public static final int ERROR_DISK_FULL = 112;
    public static final int ERROR_CALL_NOT_IMPLEMENTED = 120;
    public static final int ERROR_INSUFFICIENT_BUFFER = 122;
    public static final int ERROR_INVALID_NAME = 123;
    public static final int ERROR_NEGATIVE_SEEK = 131;
    public static final int ERROR_DIR_NOT_EMPTY = 145;
    public static final int ERROR_BAD_PATHNAME = 161;
    public static final int ERROR_ALREADY_EXISTS = 183;
    public static final int ERROR_FILENAME_EXCED_RANGE = 206;
    public static final int ERROR_MORE_DATA = 234;
    public static final int ERROR_INVALID_EA_NAME = 254;
    public static final int ERROR_EA_LIST_INCONSISTENT = 255;
    public static final int ERROR_WAIT_TIMEOUT = 258;
    public static final int ERROR_DIRECTORY = 267;
    public static final int ERROR_EAS_NOT_SUPPORTED = 282;
    public static final int ERROR_DELETE_PENDING = 303;
    public static final int ERROR_OPERATION_ABORTED = 995;
    public static final int ERROR_IO_INCOMPLETE = 996;
    public static final int ERROR_IO_PENDING = 997;
    public static final int ERROR_NOTIFY_ENUM_DIR = 1022;
    public static final int ERROR_IO_DEVICE = 1117;
    public static final int ERROR_TOO_MANY_LINKS = 1142;
    public static final int ERROR_USER_MAPPED_FILE = 1224;
    public static final int ERROR_PRIVILEGE_NOT_HELD = 1314;
    public static final int ERROR_FILE_CORRUPT = 1392;
    public static final int ERROR_NOT_ENOUGH_QUOTA = 1816;
    public static final int ERROR_CANT_ACCESS_FILE = 1920;
    public static final int ERROR_CANT_RESOLVE_FILENAME = 1921;
    public static final int ERROR_NOT_A_REPARSE_POINT = 4390;
    public static final int ERROR_INVALID_REPARSE_DATA = 4392;

    // NTSTATUS values (ntstatus.h), as Java ints.
    public static final int STATUS_SUCCESS = 0;
    public static final int STATUS_NOT_IMPLEMENTED = 0xC0000002;
    public static final int STATUS_INVALID_INFO_CLASS = 0xC0000003;
    public static final int STATUS_INVALID_PARAMETER = 0xC000000D;
    public static final int STATUS_ACCESS_DENIED = 0xC0000022;
    public static final int STATUS_OBJECT_NAME_INVALID = 0xC0000033;
    public static final int STATUS_OBJECT_NAME_NOT_FOUND = 0xC0000034;
    public static final int STATUS_OBJECT_NAME_COLLISION = 0xC0000035;
    public static final int STATUS_OBJECT_PATH_NOT_FOUND = 0xC000003A;
    public static final int STATUS_SHARING_VIOLATION = 0xC0000043;
    public static final int STATUS_EAS_NOT_SUPPORTED = 0xC000004F;
    public static final int STATUS_NO_EAS_ON_FILE = 0xC0000052;
    public static final int STATUS_DELETE_PENDING = 0xC0000056;
    public static final int STATUS_PRIVILEGE_NOT_HELD = 0xC0000061;
    public static final int STATUS_DISK_FULL = 0xC000007F;
    public static final int STATUS_FILE_IS_A_DIRECTORY = 0xC00000BA;
    public static final int STATUS_NOT_SUPPORTED = 0xC00000BB;
    public static final int STATUS_NOT_SAME_DEVICE = 0xC00000D4;
    public static final int STATUS_DIRECTORY_NOT_EMPTY = 0xC0000101;
    public static final int STATUS_NOT_A_DIRECTORY = 0xC0000103;
    public static final int STATUS_NAME_TOO_LONG = 0xC0000106;
    public static final int STATUS_CANNOT_DELETE = 0xC0000121;
    public static final int STATUS_REPARSE_POINT_ENCOUNTERED = 0xC000050B;

    private WinErrors() {}

    /** errno for a Win32 error code; EIO if unknown. */
    public static int fromWin32(int error) {
        return switch (error) {
            case ERROR_FILE_NOT_FOUND, ERROR_PATH_NOT_FOUND, ERROR_BAD_NETPATH, ERROR_BAD_NET_NAME,
                 ERROR_BAD_PATHNAME, ERROR_DELETE_PENDING, ERROR_NO_MORE_FILES, ERROR_NETNAME_DELETED -> Errno.ENOENT;
            case ERROR_ACCESS_DENIED, ERROR_CANT_ACCESS_FILE -> Errno.EACCES;
            case ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION, ERROR_USER_MAPPED_FILE -> Errno.EBUSY;
            case ERROR_DIR_NOT_EMPTY -> Errno.ENOTEMPTY;
            case ERROR_ALREADY_EXISTS, ERROR_FILE_EXISTS -> Errno.EEXIST;
            case ERROR_INVALID_NAME, ERROR_INVALID_PARAMETER, ERROR_NEGATIVE_SEEK, ERROR_INVALID_EA_NAME,
                 ERROR_EA_LIST_INCONSISTENT, ERROR_NOT_A_REPARSE_POINT -> Errno.EINVAL;
            case ERROR_DISK_FULL, ERROR_HANDLE_DISK_FULL -> Errno.ENOSPC;
            case ERROR_NOT_ENOUGH_QUOTA -> Errno.EDQUOT;
            case ERROR_NOT_SAME_DEVICE -> Errno.EXDEV;
            case ERROR_FILENAME_EXCED_RANGE -> Errno.ENAMETOOLONG;
            case ERROR_DIRECTORY -> Errno.ENOTDIR;
            case ERROR_NOT_SUPPORTED, ERROR_EAS_NOT_SUPPORTED -> Errno.EOPNOTSUPP;
            case ERROR_CALL_NOT_IMPLEMENTED, ERROR_INVALID_FUNCTION -> Errno.ENOSYS;
            case ERROR_PRIVILEGE_NOT_HELD -> Errno.EPERM;
            case ERROR_WRITE_PROTECT -> Errno.EROFS;
            case ERROR_INVALID_HANDLE -> Errno.EBADF;
            case ERROR_TOO_MANY_OPEN_FILES -> Errno.EMFILE;
            case ERROR_NOT_ENOUGH_MEMORY, ERROR_OUTOFMEMORY -> Errno.ENOMEM;
            case ERROR_INSUFFICIENT_BUFFER, ERROR_MORE_DATA -> Errno.ERANGE;
            case ERROR_TOO_MANY_LINKS -> Errno.EMLINK;
            case ERROR_CANT_RESOLVE_FILENAME -> Errno.ELOOP;
            case ERROR_OPERATION_ABORTED -> Errno.ECANCELED;
            case ERROR_WAIT_TIMEOUT -> Errno.ETIMEDOUT;
            case ERROR_BROKEN_PIPE -> Errno.EPIPE;
            default -> Errno.EIO; // includes ERROR_IO_DEVICE, ERROR_FILE_CORRUPT, ERROR_INVALID_REPARSE_DATA
        };
    }

    /**
     * errno for an NTSTATUS. The statuses that RtlNtStatusToDosError would blur are mapped first;
     * anything else goes through {@code dosError} (RtlNtStatusToDosError's answer) and the Win32 table.
     */
    public static int fromNtStatus(int status, int dosError) {
        return switch (status) {
            case STATUS_DELETE_PENDING, STATUS_OBJECT_NAME_NOT_FOUND, STATUS_OBJECT_PATH_NOT_FOUND -> Errno.ENOENT;
            case STATUS_FILE_IS_A_DIRECTORY -> Errno.EISDIR;
            case STATUS_NOT_A_DIRECTORY -> Errno.ENOTDIR;
            case STATUS_REPARSE_POINT_ENCOUNTERED -> Errno.ELOOP;
            case STATUS_CANNOT_DELETE -> Errno.EACCES;
            case STATUS_ACCESS_DENIED -> Errno.EACCES;
            case STATUS_OBJECT_NAME_COLLISION -> Errno.EEXIST;
            case STATUS_SHARING_VIOLATION -> Errno.EBUSY;
            case STATUS_DIRECTORY_NOT_EMPTY -> Errno.ENOTEMPTY;
            case STATUS_NOT_SAME_DEVICE -> Errno.EXDEV;
            case STATUS_DISK_FULL -> Errno.ENOSPC;
            case STATUS_EAS_NOT_SUPPORTED, STATUS_NOT_SUPPORTED, STATUS_INVALID_INFO_CLASS -> Errno.EOPNOTSUPP;
            case STATUS_NO_EAS_ON_FILE -> Errno.ENODATA;
            case STATUS_NOT_IMPLEMENTED -> Errno.ENOSYS;
            case STATUS_INVALID_PARAMETER, STATUS_OBJECT_NAME_INVALID -> Errno.EINVAL;
            case STATUS_PRIVILEGE_NOT_HELD -> Errno.EPERM;
            case STATUS_NAME_TOO_LONG -> Errno.ENAMETOOLONG;
            default -> fromWin32(dosError);
        };
    }

    /**
     * True when a call failed because the API, information class or flag is not supported on this
     * volume or OS (the research's fallback rule: never decide by OS version, decide by error).
     */
    public static boolean isUnsupported(int win32Error, int ntStatus) {
        return switch (ntStatus) {
            case STATUS_INVALID_INFO_CLASS, STATUS_NOT_IMPLEMENTED, STATUS_NOT_SUPPORTED, STATUS_INVALID_PARAMETER -> true;
            default -> switch (win32Error) {
                case ERROR_INVALID_PARAMETER, ERROR_NOT_SUPPORTED, ERROR_CALL_NOT_IMPLEMENTED, ERROR_INVALID_FUNCTION -> true;
                default -> false;
            };
        };
    }
}
