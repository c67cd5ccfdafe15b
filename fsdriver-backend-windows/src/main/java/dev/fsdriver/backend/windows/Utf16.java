package dev.fsdriver.backend.windows;

import java.nio.ByteBuffer;

/** UTF-16LE strings in native structures (lengths in bytes, no NUL). */
final class Utf16 {
    private Utf16() {}

    /** {@code byteLen} bytes at {@code off} of a little-endian buffer as a String. */
    static String read(ByteBuffer le, int off, int byteLen) {
        char[] c = new char[byteLen / 2];
        for (int i = 0; i < c.length; i++) {
            c[i] = le.getChar(off + 2 * i);
        }
        return new String(c);
    }

    /** Writes {@code s} at {@code off}; returns the byte count. */
    static int write(ByteBuffer le, int off, String s) {
        for (int i = 0; i < s.length(); i++) {
            le.putChar(off + 2 * i, s.charAt(i));
        }
        return 2 * s.length();
    }
}
