package dev.fsdriver.fuse;

import dev.fsdriver.common.Errno;
import dev.fsdriver.fuse.kernel.FuseKernel;
import dev.fsdriver.linux.ErrnoException;
import dev.fsdriver.linux.FileCalls;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Notifications written to the connection's fd as an unsolicited reply: fuse_out_header with
 * unique 0 and error = the notify code, then the notify struct. Each call uses its own native
 * buffer, so any thread may call at any time; the kernel serialises writes to the device.
 *
 * <p>Retrieves in flight wait in a concurrent map by their notify_unique until the dispatcher
 * hands over the kernel's NOTIFY_REPLY ({@link #retrieved}) or the session ends ({@link #close}).
 */
final class KernelNotifier implements FuseNotifier {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(KernelNotifier.class);
    private final int fd;
    private final int maxStore;
    private final AtomicLong retrieveIds = new AtomicLong(1);
    private final Map<Long, CompletableFuture<byte[]>> retrieving = new ConcurrentHashMap<>();
    private volatile boolean closed;

    KernelNotifier(int fd, int maxStore) {
        this.fd = fd;
        this.maxStore = maxStore;
    }

    @Override
    public int invalEntry(long parent, String name) {
        return invalEntry(parent, name, 0);
    }

    @Override
    public int expireEntry(long parent, String name) {
        return invalEntry(parent, name, FuseKernel.EXPIRE_ONLY);
    }

    private int invalEntry(long parent, String name, int flags) {
        byte[] n = Wire.bytes(name);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(FuseKernel.OUT_HEADER_SIZE + 16 + n.length + 1);
            Wire.put64(s, 16, parent);          // fuse_notify_inval_entry_out { parent, namelen, flags }
            Wire.put32(s, 24, n.length);
            Wire.put32(s, 28, flags);
            Wire.putBytes(s, 32, n);
            return send(s, FuseKernel.NOTIFY_INVAL_ENTRY);
        }
    }

    @Override
    public int invalInode(long nodeId, long offset, long length) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(FuseKernel.OUT_HEADER_SIZE + 24);
            Wire.put64(s, 16, nodeId);          // fuse_notify_inval_inode_out { ino, off, len }
            Wire.put64(s, 24, offset);
            Wire.put64(s, 32, length);
            return send(s, FuseKernel.NOTIFY_INVAL_INODE);
        }
    }

    @Override
    public int delete(long parent, long child, String name) {
        byte[] n = Wire.bytes(name);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(FuseKernel.OUT_HEADER_SIZE + 24 + n.length + 1);
            Wire.put64(s, 16, parent);          // fuse_notify_delete_out { parent, child, namelen, padding }
            Wire.put64(s, 24, child);
            Wire.put32(s, 32, n.length);
            Wire.put32(s, 36, 0);
            Wire.putBytes(s, 40, n);
            return send(s, FuseKernel.NOTIFY_DELETE);
        }
    }

    @Override
    public int store(long nodeId, long offset, ByteBuffer data) {
        int size = data.remaining();
        if (size > maxStore) {
            return -Errno.E2BIG;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(FuseKernel.OUT_HEADER_SIZE + 24 + size);
            Wire.put64(s, 16, nodeId);          // fuse_notify_store_out { nodeid, offset, size, padding }
            Wire.put64(s, 24, offset);
            Wire.put32(s, 32, size);
            Wire.put32(s, 36, 0);
            MemorySegment.copy(MemorySegment.ofBuffer(data), 0, s, 40, size);
            return send(s, FuseKernel.NOTIFY_STORE);
        }
    }

    @Override
    public CompletableFuture<byte[]> retrieve(long nodeId, long offset, int size) {
        CompletableFuture<byte[]> result = new CompletableFuture<>();
        long unique = retrieveIds.getAndIncrement();
        retrieving.put(unique, result);   // first: the kernel's answer may arrive before write(2) returns
        if (closed) {
            fail(unique, Errno.ENOTCONN);
            return result;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(FuseKernel.OUT_HEADER_SIZE + 32);
            Wire.put64(s, 16, unique);          // fuse_notify_retrieve_out { notify_unique, nodeid, offset, size, padding }
            Wire.put64(s, 24, nodeId);
            Wire.put64(s, 32, offset);
            Wire.put32(s, 40, size);
            Wire.put32(s, 44, 0);
            int r = send(s, FuseKernel.NOTIFY_RETRIEVE);
            if (r < 0) {
                fail(unique, -r);
            }
        }
        return result;
    }

    /** The kernel's NOTIFY_REPLY for retrieve {@code unique} (called by the dispatcher). */
    void retrieved(long unique, byte[] data) {
        CompletableFuture<byte[]> f = retrieving.remove(unique);
        if (f != null) {
            f.completeAsync(() -> data);   // the caller's continuations must not run on a request thread
        }
    }

    /** The connection is gone: retrieves still waiting fail with ENOTCONN. */
    void close() {
        closed = true;
        for (Long unique : retrieving.keySet()) {
            fail(unique, Errno.ENOTCONN);
        }
    }

    private void fail(long unique, int errno) {
        CompletableFuture<byte[]> f = retrieving.remove(unique);
        if (f != null) {
            f.completeExceptionally(new FuseException(errno));
        }
    }

    private int send(MemorySegment s, int code) {
        int len = (int) s.byteSize();
        Wire.put32(s, 0, len);
        Wire.put32(s, 4, code);
        Wire.put64(s, 8, 0);
        try {
            FileCalls.write(fd, s, len);
            return 0;
        } catch (ErrnoException e) {
            if (log.isDebugEnabled()) {
                log.debug("notify {} on node {}: errno {}", code, Wire.i64(s, 16), e.errno());
            }
            return -e.errno();
        }
    }
}
