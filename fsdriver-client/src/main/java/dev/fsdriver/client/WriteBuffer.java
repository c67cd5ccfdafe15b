package dev.fsdriver.client;

import dev.fsdriver.proto.v1.SetAttrRequest;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The bytes one open file holds back ({@link BlockWriter}): a buffer of sequential writes, and
 * the ranges held before it when a write jumped away ({@link #holdApart}), at most one block in
 * all, until {@link #take} makes them one chunk to send (WriteRequest.earlier, then the buffer).
 *
 * <p>Locking: none of its own; guarded by its BlockWriter's monitor (see there). Only
 * {@link #isEmpty} and {@link #bytes} may be read without it: the buffer's length is volatile
 * (BlockWriter#dirty), the bytes a hint for the free-space check.
 */
final class WriteBuffer {
    private static final int MIN_BUFFER = 64 << 10;

    private final int blockSize;
    /** Ranges one call may carry ({@code WriteRequest.earlier} and its own); 1: the server takes one. */
    private final int maxRanges;
    // Ranges held back before buf's: never empty while buf is (bufLen > 0), so bufLen alone says "held back".
    private final List<WriteChunk.Range> earlier = new ArrayList<>();
    private int earlierBytes;
    private byte[] buf;
    private long bufOffset;
    private volatile int bufLen;
    /** Some write held back in buf asked for the set-id bits to be cleared. */
    private boolean bufKill;

    WriteBuffer(int blockSize, int maxRanges) {
        this.blockSize = blockSize;
        this.maxRanges = maxRanges;
    }

    /** True when nothing is held back. */
    boolean isEmpty() {
        return bufLen == 0;
    }

    /** The bytes held back, the earlier ranges' and the buffer's. */
    int bytes() {
        return earlierBytes + bufLen;
    }

    /** True when a write at {@code offset} continues the buffer (or nothing is held back). */
    boolean continues(long offset) {
        return bufLen == 0 || offset == bufOffset + bufLen;
    }

    /** True when a whole block is held back: it goes now. */
    boolean full() {
        return earlierBytes + bufLen == blockSize;
    }

    /**
     * Takes from {@code src}, written at {@code pos}, as much as the block has room for;
     * returns how much. {@code kill}: that write asked for the set-id bits to be cleared.
     */
    int add(long pos, ByteBuffer src, boolean kill) {
        if (bufLen == 0) {
            bufOffset = pos;
        }
        int n = Math.min(src.remaining(), blockSize - earlierBytes - bufLen);
        reserve(bufLen + n);
        bufKill |= kill;
        src.get(buf, bufLen, n);
        bufLen += n;
        return n;
    }

    /**
     * A write of {@code length} bytes at {@code offset} jumps away from what is held back: keeps
     * that as an earlier range of the next call, if it may (within {@code maxRanges} ranges and one
     * block, overlapping none of them); false: it must be sent first. Asked only when the write
     * does not {@link #continues} the buffer, so with bytes in it; with none there is nothing to
     * keep apart (true: the write starts the buffer, as {@code continues} says).
     */
    boolean holdApart(long offset, int length) {
        if (bufLen == 0) {
            return true; // else an empty range kept (buf may be null), against earlier's invariant
        }
        if (length == 0 || earlier.size() + 2 > maxRanges || earlierBytes + bufLen + length > blockSize
                || (offset < bufOffset + bufLen && bufOffset < offset + length)) {
            return false;
        }
        for (WriteChunk.Range r : earlier) {
            if (r.overlaps(offset, length)) {
                return false;
            }
        }
        // a range keeps an array of its size: what is held stays within two blocks (the buffer's and the ranges')
        byte[] kept = buf.length > bufLen ? Arrays.copyOf(buf, bufLen) : buf;
        earlier.add(new WriteChunk.Range(bufOffset, kept, bufLen));
        earlierBytes += bufLen;
        buf = null;
        bufLen = 0;
        return true;
    }

    /** Whether what is held back writes some of {@code length} bytes at {@code offset}. */
    boolean overlaps(long offset, int length) {
        if (bufLen > 0 && offset < bufOffset + bufLen && bufOffset < offset + length) {
            return true;
        }
        for (WriteChunk.Range r : earlier) {
            if (r.overlaps(offset, length)) {
                return true;
            }
        }
        return false;
    }

    /** Where what is held back ends (the buffer's offset when nothing is). */
    long end() {
        long end = bufOffset + bufLen;
        for (WriteChunk.Range r : earlier) {
            end = Math.max(end, r.offset() + r.length());
        }
        return end;
    }

    /**
     * Everything held back, as chunk {@code seq} ({@code mtimeNs} and {@code then} as {@link
     * WriteChunk} says); nothing is held back after. The bytes go with the chunk, never reused.
     */
    WriteChunk take(long seq, long mtimeNs, SetAttrRequest then) {
        WriteChunk chunk = new WriteChunk(seq, earlier, bufOffset, buf, bufLen, bufKill, mtimeNs, then);
        clear();
        return chunk;
    }

    /** Drops what is held back. */
    void clear() {
        earlier.clear();
        earlierBytes = 0;
        buf = null;
        bufLen = 0;
        bufKill = false;
    }

    /** Grows the buffer to hold {@code need} bytes: small files never get a block-size buffer. */
    private void reserve(int need) {
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
}
