package dev.fsdriver.client;

import com.google.protobuf.UnsafeByteOperations;
import dev.fsdriver.client.cache.KnownAttrs;
import dev.fsdriver.proto.v1.SetAttrRequest;
import dev.fsdriver.proto.v1.WriteExtent;
import dev.fsdriver.proto.v1.WriteRequest;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One chunk of an open file's write-behind ({@link BlockWriter}): bytes coalesced for one Write
 * call, numbered in the order they were written (a chunk kept after a lost connection is sent
 * again in that order). The bytes are the RPC's too (retries, sending again): never reused.
 * Besides its own range it may carry ranges written before it elsewhere in the file
 * ({@link #earlier}, WriteRequest.earlier), written by the server in order before it.
 *
 * <p>Locking: none; all is final but where it went out last, written by whoever sends it (under
 * the writer's lock) and read by the completion callback, so volatile.
 */
final class WriteChunk {
    /** A range of bytes held back before the chunk's own (bytes never reused, as the chunk's). */
    record Range(long offset, byte[] data, int length) {
        boolean overlaps(long off, int len) {
            return off < offset + length && offset < off + len;
        }
    }

    final long seq;
    /** Ranges written before this chunk's own, in that order, sent in the same call. */
    final List<Range> earlier;
    final long offset;
    final byte[] data;
    final int length;
    /** Whether any write in it asked for the set-id bits to be cleared (FUSE_WRITE_KILL_SUIDGID). */
    final boolean killSuidgid;
    /** The mtime the server is to set after writing it (a stat was answered with it, see AttrsAhead); 0: none. */
    final long mtimeNs;
    /**
     * A change of attributes held after the data (HeldSetAttrs), for the server to make after
     * writing it (WriteRequest.then, capability "write-setattr"); null: none.
     */
    final SetAttrRequest then;
    /** Completed when the server answered or the call failed (it is no longer in flight). */
    final CompletableFuture<Void> done = new CompletableFuture<>();

    /** The server handle this chunk went out with last (volatile: read by the completion). */
    volatile long sentWith;
    /** {@link KnownAttrs#epoch()} when it went out last. */
    volatile long sentAt;

    WriteChunk(long seq, List<Range> earlier, long offset, byte[] data, int length, boolean killSuidgid, long mtimeNs,
               SetAttrRequest then) {
        this.mtimeNs = mtimeNs;
        this.then = then;
        this.seq = seq;
        this.earlier = List.copyOf(earlier);
        this.offset = offset;
        this.data = data;
        this.length = length;
        this.killSuidgid = killSuidgid;
    }

    /** Whether any of its ranges overlaps {@code len} bytes at {@code off}. */
    boolean overlaps(long off, int len) {
        if (off < offset + length && offset < off + len) {
            return true;
        }
        for (Range r : earlier) {
            if (r.overlaps(off, len)) {
                return true;
            }
        }
        return false;
    }

    /** Whether any of its ranges overlaps any of {@code other}'s. */
    boolean overlaps(WriteChunk other) {
        if (other.overlaps(offset, length)) {
            return true;
        }
        for (Range r : earlier) {
            if (other.overlaps(r.offset(), r.length())) {
                return true;
            }
        }
        return false;
    }

    /** The bytes of all its ranges (what the server's reply says it wrote). */
    int bytes() {
        int n = length;
        for (Range r : earlier) {
            n += r.length();
        }
        return n;
    }

    /** The request to send it with server handle {@code handle}, at attributes epoch {@code epoch}; remembers both. */
    WriteRequest request(long handle, long epoch) {
        sentWith = handle;
        sentAt = epoch;
        WriteRequest.Builder b = WriteRequest.newBuilder().setHandle(sentWith).setOffset(offset)
                .setData(UnsafeByteOperations.unsafeWrap(data, 0, length)).setKillSuidgid(killSuidgid);
        for (Range r : earlier) {
            b.addEarlier(WriteExtent.newBuilder().setOffset(r.offset())
                    .setData(UnsafeByteOperations.unsafeWrap(r.data(), 0, r.length())));
        }
        if (mtimeNs != 0) {
            b.setSetMtimeNs(mtimeNs);
        }
        if (then != null) {
            b.setThen(then);
        }
        return b.build();
    }
}
