package dev.fsdriver.backend.windows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Builds little-endian native structures byte by byte, as Windows lays them out. */
final class Le {
    private final ByteBuffer b;

    Le(int capacity) {
        b = ByteBuffer.allocate(capacity).order(ByteOrder.LITTLE_ENDIAN);
    }

    Le u8(int off, int v) { b.put(off, (byte) v); return this; }
    Le u16(int off, int v) { b.putShort(off, (short) v); return this; }
    Le u32(int off, int v) { b.putInt(off, v); return this; }
    Le u64(int off, long v) { b.putLong(off, v); return this; }

    Le utf16(int off, String s) {
        for (int i = 0; i < s.length(); i++) {
            b.putChar(off + 2 * i, s.charAt(i));
        }
        return this;
    }

    Le bytes(int off, byte[] v) { b.put(off, v); return this; }

    /** Fills with a junk byte so that unread padding is visible if parsed by mistake. */
    Le junk() {
        for (int i = 0; i < b.capacity(); i++) {
            b.put(i, (byte) 0xCC);
        }
        return this;
    }

    ByteBuffer buffer() { return b; }

    static int align(int n, int a) { return (n + a - 1) / a * a; }
}
