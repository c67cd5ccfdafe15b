package dev.fsdriver.client;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import com.google.protobuf.UnsafeByteOperations;
import dev.fsdriver.common.Errno;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.proto.v1.WriteReply;
import dev.fsdriver.proto.v1.WriteRequest;
import java.nio.ByteBuffer;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Write-behind for one open file: small sequential writes are coalesced into block-size
 * chunks; a full chunk (or the held-back data when the writer jumps) is sent asynchronously
 * with at most {@code maxChunks} in flight, after which the writer waits. {@link #flush} sends
 * what is held back and waits for everything in flight.
 *
 * <p>Errors: the first failure is remembered and thrown by the next write, flush or fsync of
 * this open file (at the latest on close), once.
 *
 * <p>Ordering: a chunk overlapping one still in flight waits for it; with O_APPEND (the server
 * appends wherever we say) chunks go one at a time.
 *
 * <p>Locking: {@code this} guards the buffer; the completion callbacks never take it (they
 * touch only {@code inflight}, {@code slots} and {@code error}), so waiting for slots or
 * chunks under it cannot deadlock.
 */
final class BlockWriter {
    private static final int MIN_BUFFER = 64 << 10;

    private final class Chunk {
        final long offset;
        final int length;
        final CompletableFuture<Void> done = new CompletableFuture<>();

        Chunk(long offset, int length) {
            this.offset = offset;
            this.length = length;
        }

        boolean overlaps(long off, int len) {
            return off < offset + length && offset < off + len;
        }
    }

    private final Connection connection;
    private final OpenNode node;
    private final long handle;
    private final int blockSize;
    private final boolean append;
    private final Semaphore slots;
    private final Set<Chunk> inflight = ConcurrentHashMap.newKeySet();
    private final AtomicReference<FuseException> error = new AtomicReference<>();

    // Guarded by this (bufLen is also read without the lock by dirty()).
    private byte[] buf;
    private long bufOffset;
    private volatile int bufLen;

    BlockWriter(Connection connection, OpenNode node, long handle, int blockSize, int maxChunks, boolean append) {
        this.connection = connection;
        this.node = node;
        this.handle = handle;
        this.blockSize = blockSize;
        this.append = append;
        this.slots = new Semaphore(append ? 1 : maxChunks);
    }

    /** Takes all of {@code src} for writing at {@code offset}; returns its length. */
    int write(long offset, ByteBuffer src) throws FuseException {
        throwPending();
        int total = src.remaining();
        synchronized (this) {
            if (bufLen > 0 && offset != bufOffset + bufLen) {
                sendLocked();
            }
            long pos = offset;
            while (src.hasRemaining()) {
                if (bufLen == 0) {
                    bufOffset = pos;
                }
                int n = Math.min(src.remaining(), blockSize - bufLen);
                reserveLocked(bufLen + n);
                src.get(buf, bufLen, n);
                bufLen += n;
                pos += n;
                if (bufLen == blockSize) {
                    sendLocked();
                }
            }
        }
        return total;
    }

    /** True while data is held back or in flight. */
    boolean dirty() {
        return bufLen > 0 || !inflight.isEmpty();
    }

    /** Sends what is held back, waits for everything in flight, and throws the first error since the last report. */
    void flush() throws FuseException {
        push();
        throwPending();
    }

    /**
     * Sends what is held back and waits for everything in flight; a write error stays pending
     * for this file's own write, flush or fsync (a stat or another file's read must not eat it).
     */
    void push() throws FuseException {
        synchronized (this) {
            if (bufLen > 0) {
                sendLocked();
            }
            for (Chunk c : inflight) {
                awaitLocked(c);
            }
        }
    }

    private void throwPending() throws FuseException {
        FuseException e = error.getAndSet(null);
        if (e != null) {
            throw e;
        }
    }

    /** Grows the buffer to hold {@code need} bytes: small files never get a block-size buffer. */
    private void reserveLocked(int need) {
        if (buf == null || buf.length < need) {
            int cap = buf == null ? MIN_BUFFER : buf.length;
            while (cap < need) {
                cap <<= 1;
            }
            byte[] bigger = new byte[Math.min(cap, blockSize)];
            if (buf != null) {
                System.arraycopy(buf, 0, bigger, 0, bufLen);
            }
            buf = bigger;
        }
    }

    private void sendLocked() throws FuseException {
        byte[] data = buf;
        int len = bufLen;
        long off = bufOffset;
        // The RPC keeps a reference to the bytes (retries): never reuse them.
        buf = null;
        bufLen = 0;
        for (Chunk c : inflight) {
            if (append || c.overlaps(off, len)) {
                awaitLocked(c);
            }
        }
        try {
            slots.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            record(connection.failure(e));
            throw connection.failure(e);
        }
        Chunk chunk = new Chunk(off, len);
        inflight.add(chunk);
        ListenableFuture<WriteReply> reply;
        try {
            reply = connection.filesAsync().write(WriteRequest.newBuilder()
                    .setHandle(handle).setOffset(off).setData(UnsafeByteOperations.unsafeWrap(data, 0, len)).build());
        } catch (RuntimeException e) {
            record(connection.failure(e));
            done(chunk);
            return;
        }
        Futures.addCallback(reply, new FutureCallback<WriteReply>() {
            @Override
            public void onSuccess(WriteReply r) {
                if (r.getWritten() != len) {
                    record(new FuseException(Errno.EIO, "short write: " + r.getWritten() + " of " + len));
                }
                done(chunk);
            }

            @Override
            public void onFailure(Throwable t) {
                record(connection.failure(t));
                done(chunk);
            }
        }, MoreExecutors.directExecutor());
    }

    private void done(Chunk chunk) {
        // Read-ahead blocks fetched while this chunk was on its way may predate it: drop them.
        node.generation.incrementAndGet();
        inflight.remove(chunk);
        slots.release();
        chunk.done.complete(null);
    }

    private void record(FuseException e) {
        error.compareAndSet(null, e);
    }

    private void awaitLocked(Chunk c) throws FuseException {
        try {
            c.done.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw connection.failure(e);
        } catch (ExecutionException e) {
            throw connection.failure(e);
        }
    }
}
