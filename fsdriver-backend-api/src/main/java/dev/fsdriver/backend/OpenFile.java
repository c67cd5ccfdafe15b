package dev.fsdriver.backend;

import dev.fsdriver.common.Errno;
import java.nio.ByteBuffer;

/**
 * An open regular file. Positional I/O only (no file pointer): safe to use from several
 * threads at once. {@link #close()} is called exactly once, by the server's handle table.
 */
public interface OpenFile extends AutoCloseable {

    /** Reads into {@code dst} at {@code offset}; returns the bytes read, 0 at or past end of file. */
    int read(long offset, ByteBuffer dst) throws FsException;

    /** Writes all of {@code src} at {@code offset} (at the end if opened O_APPEND); returns the count. */
    int write(long offset, ByteBuffer src) throws FsException;

    FileAttributes stat() throws FsException;

    /**
     * Whether {@link #stat} reads this open file itself (fstat), current whatever its name holds
     * now, with the inode number and generation listings give (the posix backend's native files);
     * not where it goes by a path or keeps what it saw at open (java.nio's channels, Windows).
     */
    default boolean statsItself() {
        return false;
    }

    void truncate(long size) throws FsException;

    void sync(boolean dataOnly) throws FsException;

    /**
     * Sets the file's modification time to {@code ns} (nanoseconds since the epoch) through this
     * open file, the access time left as it is: a client answered stat with that time while it
     * held the data back ({@code WriteRequest.set_mtime_ns}). Through the open file, not the path:
     * the file may have no name any more. EOPNOTSUPP: this backend cannot (see
     * {@link Backend#setsMtimeThroughHandle}).
     */
    default void setMtime(long ns) throws FsException {
        throw new FsException(Errno.EOPNOTSUPP, "setting the mtime through an open file");
    }

    @Override
    void close() throws FsException;
}
