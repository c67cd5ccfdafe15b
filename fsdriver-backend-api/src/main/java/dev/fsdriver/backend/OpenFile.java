package dev.fsdriver.backend;

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

    void truncate(long size) throws FsException;

    void sync(boolean dataOnly) throws FsException;

    @Override
    void close() throws FsException;
}
