package dev.fsdriver.fuse.kernel;

/**
 * Constants and struct sizes of linux/fuse.h. Offsets of individual fields are written where
 * the struct is decoded or encoded (with the struct name), all little-endian/native order.
 *
 * <p>The installed header says 7.38; the running kernel (6.18) speaks 7.45. Newer minors only
 * append fields to fuse_init_in/out (which are both 64 bytes since 7.36, with unused tails) and
 * add opcodes we answer ENOSYS, so one layout serves every minor we accept (7.31 and later).
 */
public final class FuseKernel {
    public static final int KERNEL_VERSION = 7;
    /** The minor version this implementation speaks (the newest it knows). */
    public static final int KERNEL_MINOR_VERSION = 45;
    /** The oldest minor accepted (fuse_init_out of full size, max_pages, flags as used here). */
    public static final int MIN_MINOR_VERSION = 31;

    public static final int IN_HEADER_SIZE = 40;     // fuse_in_header
    public static final int OUT_HEADER_SIZE = 16;    // fuse_out_header
    public static final int ATTR_SIZE = 88;          // fuse_attr
    public static final int ENTRY_OUT_SIZE = 128;    // fuse_entry_out
    public static final int ATTR_OUT_SIZE = 104;     // fuse_attr_out
    public static final int OPEN_OUT_SIZE = 16;      // fuse_open_out
    public static final int INIT_OUT_SIZE = 64;      // fuse_init_out
    public static final int STATFS_OUT_SIZE = 80;    // fuse_statfs_out
    public static final int DIRENT_SIZE = 24;        // fuse_dirent without name
    public static final int WRITE_IN_SIZE = 40;      // fuse_write_in
    /** Smallest read buffer the kernel accepts for /dev/fuse (FUSE_MIN_READ_BUFFER). */
    public static final int MIN_READ_BUFFER = 8192;
    /** Longest path, with its NUL (linux/limits.h); READLINK answers at most PATH_MAX - 1 bytes. */
    public static final int PATH_MAX = 4096;

    // fuse_init flags (flags | flags2 << 32)
    public static final long ASYNC_READ = 1L;
    public static final long POSIX_LOCKS = 1L << 1;
    public static final long ATOMIC_O_TRUNC = 1L << 3;
    public static final long EXPORT_SUPPORT = 1L << 4;
    public static final long BIG_WRITES = 1L << 5;
    public static final long DONT_MASK = 1L << 6;
    public static final long AUTO_INVAL_DATA = 1L << 12;
    public static final long DO_READDIRPLUS = 1L << 13;
    public static final long READDIRPLUS_AUTO = 1L << 14;
    public static final long ASYNC_DIO = 1L << 15;
    public static final long WRITEBACK_CACHE = 1L << 16;
    public static final long PARALLEL_DIROPS = 1L << 18;
    public static final long HANDLE_KILLPRIV = 1L << 19;
    public static final long MAX_PAGES = 1L << 22;
    public static final long CACHE_SYMLINKS = 1L << 23;
    /** The kernel takes an ENOSYS from OPENDIR as "no OPENDIR, RELEASEDIR from now on" (5.1+). */
    public static final long NO_OPENDIR_SUPPORT = 1L << 24;
    public static final long EXPLICIT_INVAL_DATA = 1L << 25;
    /** Set-id bits are the file system's to clear, but only when the request says so (the KILL_SUIDGID bits below). */
    public static final long HANDLE_KILLPRIV_V2 = 1L << 28;
    public static final long INIT_EXT = 1L << 30;

    // fuse_setattr_in.valid
    public static final int FATTR_MODE = 1;
    public static final int FATTR_UID = 1 << 1;
    public static final int FATTR_GID = 1 << 2;
    public static final int FATTR_SIZE = 1 << 3;
    public static final int FATTR_ATIME = 1 << 4;
    public static final int FATTR_MTIME = 1 << 5;
    public static final int FATTR_FH = 1 << 6;
    public static final int FATTR_ATIME_NOW = 1 << 7;
    public static final int FATTR_MTIME_NOW = 1 << 8;
    /** With HANDLE_KILLPRIV_V2: a chown, or a truncate by a caller without CAP_FSETID. */
    public static final int FATTR_KILL_SUIDGID = 1 << 11;

    /** fuse_write_in.write_flags, with HANDLE_KILLPRIV_V2: the writer lacks CAP_FSETID. */
    public static final int WRITE_KILL_SUIDGID = 1 << 2;
    /** fuse_open_in.open_flags, with HANDLE_KILLPRIV_V2: an O_TRUNC open by a caller without CAP_FSETID. */
    public static final int OPEN_KILL_SUIDGID = 1;

    public static final int GETATTR_FH = 1;
    public static final int FSYNC_FDATASYNC = 1;

    // enum fuse_notify_code
    public static final int NOTIFY_INVAL_INODE = 2;
    public static final int NOTIFY_INVAL_ENTRY = 3;
    /** fuse_notify_inval_entry_out.flags: expire the entry only, keep it hashed (7.38, kernel 6.2). */
    public static final int EXPIRE_ONLY = 1;
    public static final int NOTIFY_STORE = 4;
    public static final int NOTIFY_RETRIEVE = 5;
    public static final int NOTIFY_DELETE = 6;

    private FuseKernel() {}
}
