package dev.fsdriver.server;

import dev.fsdriver.backend.FsException;
import dev.fsdriver.common.OpenFlags;
import dev.fsdriver.proto.v1.WriteRequest;
import dev.fsdriver.protocol.Protocol;
import dev.fsdriver.server.HandleTable.OpenedFile;
import java.nio.ByteBuffer;

/**
 * Where a call that moves data runs and what it copies through: reads, and writes that may wait
 * for the disk, on the server's io pool ({@link Rpc#offload}) with a 1 MiB direct buffer per
 * thread; a small write that waits for nothing on the network thread that decoded it, with a
 * 64 KiB one ({@link FilesService#write}).
 */
final class DataCalls {
    private DataCalls() {}

    /**
     * Per-thread data buffer. Reads, and writes that may wait, run on the server's io pool (platform threads,
     * one per data call in flight: a handful on a busy server): each keeps one direct buffer of
     * the largest read or write (1 MiB), which the backend reads into or writes from. Without
     * it, every write of a heap buffer made the JDK allocate, zero and free a temporary direct
     * buffer of its size (the launcher keeps the JDK from caching buffers above 256 KiB).
     */
    private static final ThreadLocal<ByteBuffer> BUFFER =
            ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(Protocol.MAX_IO_BYTES));
    /** Data of a write {@link #isSmall} and answered on a network thread, which keeps no 1 MiB buffer. */
    private static final int SMALL_WRITE = 64 * 1024;
    private static final ThreadLocal<ByteBuffer> SMALL_BUFFER =
            ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(SMALL_WRITE));

    /** A write of at most 64 KiB in all that neither syncs nor truncates: no wait for the disk. */
    static boolean isSmall(WriteRequest req) {
        if (req.getSync() || req.hasThen() && req.getThen().hasSize() || req.getEarlierCount() > 0) {
            return false;
        }
        return req.getData().size() <= SMALL_WRITE;
    }

    /**
     * Whether {@code req} may be answered on the network thread: {@link #isSmall} and through a
     * handle not opened O_SYNC or O_DSYNC (each such write waits for the device: a database's
     * log written with O_DSYNC). An unknown handle: the io pool, which answers the error.
     */
    static boolean answersOnNetworkThread(WriteRequest req) {
        if (!isSmall(req)) {
            return false;
        }
        try {
            OpenedFile fh = CallContext.share().handles.get(CallContext.owner(), req.getHandle(), OpenedFile.class);
            return (fh.flags() & OpenFlags.O_DSYNC) == 0; // O_SYNC has the O_DSYNC bit
        } catch (FsException e) {
            return false;
        }
    }

    /** This thread's buffer for a read (of at most 1 MiB). */
    static ByteBuffer buffer() {
        return BUFFER.get();
    }

    /** This thread's buffer for {@code req}'s data: the small one for a write {@link #isSmall}. */
    static ByteBuffer buffer(WriteRequest req) {
        return isSmall(req) ? SMALL_BUFFER.get() : BUFFER.get();
    }
}
