package dev.fsdriver.fuse;

/**
 * fuse_open_out: the file handle the file system chose and the FOPEN_* flags that steer the
 * kernel's page cache for this open file.
 */
public record FuseOpen(long fh, int openFlags) {
    /** Bypass the page cache for this open file. */
    public static final int FOPEN_DIRECT_IO = 1;
    /** Keep the page cache from earlier opens (the file has not changed). */
    public static final int FOPEN_KEEP_CACHE = 1 << 1;
    /** The file is not seekable. */
    public static final int FOPEN_NONSEEKABLE = 1 << 2;
    /** Allow caching this directory's listing (opendir only). */
    public static final int FOPEN_CACHE_DIR = 1 << 3;
    /** The file is a stream (no file position). */
    public static final int FOPEN_STREAM = 1 << 4;
    /** Don't flush on close (the file system has nothing to flush). */
    public static final int FOPEN_NOFLUSH = 1 << 5;
    /** Allow parallel direct writes on the same file. */
    public static final int FOPEN_PARALLEL_DIRECT_WRITES = 1 << 6;

    public static FuseOpen of(long fh) {
        return new FuseOpen(fh, 0);
    }
}
