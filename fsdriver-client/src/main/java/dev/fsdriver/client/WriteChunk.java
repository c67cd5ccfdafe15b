package dev.fsdriver.client;

import com.google.protobuf.UnsafeByteOperations;
import dev.fsdriver.proto.v1.WriteRequest;
import java.util.concurrent.CompletableFuture;

/**
 * One chunk of an open file's write-behind ({@link BlockWriter}): bytes coalesced for one Write
 * call, numbered in the order they were written (a chunk kept after a lost connection is sent
 * again in that order). The bytes are the RPC's too (retries, sending again): never reused.
 *
 * <p>Locking: none; all is final but where it went out last, written by whoever sends it (under
 * the writer's lock) and read by the completion callback, so volatile.
 */
final class WriteChunk {
    final long seq;
    final long offset;
    final byte[] data;
    final int length;
    /** Whether any write in it asked for the set-id bits to be cleared (FUSE_WRITE_KILL_SUIDGID). */
    final boolean killSuidgid;
    /** Completed when the server answered or the call failed (it is no longer in flight). */
    final CompletableFuture<Void> done = new CompletableFuture<>();

    /** The server handle this chunk went out with last (volatile: read by the completion). */
    volatile long sentWith;
    /** {@link KnownAttrs#epoch()} when it went out last. */
    volatile long sentAt;

    WriteChunk(long seq, long offset, byte[] data, int length, boolean killSuidgid) {
        this.seq = seq;
        this.offset = offset;
        this.data = data;
        this.length = length;
        this.killSuidgid = killSuidgid;
    }

    boolean overlaps(long off, int len) {
        return off < offset + length && offset < off + len;
    }

    /** The request to send it with server handle {@code handle}, at attributes epoch {@code epoch}; remembers both. */
    WriteRequest request(long handle, long epoch) {
        sentWith = handle;
        sentAt = epoch;
        return WriteRequest.newBuilder().setHandle(sentWith).setOffset(offset)
                .setData(UnsafeByteOperations.unsafeWrap(data, 0, length)).setKillSuidgid(killSuidgid).build();
    }
}
