package dev.fsdriver.fuse;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import dev.fsdriver.fuse.kernel.FuseKernel;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Encoding and decoding of fuse.h structs in native memory (native byte order). */
final class Wire {
    private Wire() {}

    /** A request that does not match its opcode's layout (truncated, missing NUL). */
    static final class MalformedRequest extends RuntimeException {
        MalformedRequest(String message) {
            super(message, null, false, false);
        }
    }

    static int i32(MemorySegment s, long off) {
        return s.get(JAVA_INT_UNALIGNED, off);
    }

    static long i64(MemorySegment s, long off) {
        return s.get(JAVA_LONG_UNALIGNED, off);
    }

    static int u16(MemorySegment s, long off) {
        return Short.toUnsignedInt(s.get(JAVA_SHORT_UNALIGNED, off));
    }

    static void put32(MemorySegment s, long off, int v) {
        s.set(JAVA_INT_UNALIGNED, off, v);
    }

    static void put64(MemorySegment s, long off, long v) {
        s.set(JAVA_LONG_UNALIGNED, off, v);
    }

    static void put16(MemorySegment s, long off, int v) {
        s.set(JAVA_SHORT_UNALIGNED, off, (short) v);
    }

    /** Index of the NUL ending the string at {@code off}. */
    static long nul(MemorySegment s, long off) {
        long size = s.byteSize();
        for (long i = off; i < size; i++) {
            if (s.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i) == 0) {
                return i;
            }
        }
        throw new MalformedRequest("string not NUL-terminated");
    }

    /** A name or link target that is not UTF-8: the server keeps Unicode names (EILSEQ). */
    static final class NotUtf8 extends RuntimeException {
        NotUtf8() {
            super("not UTF-8", null, false, false);
        }
    }

    /**
     * The UTF-8 string in {@code [off, end)}. Strict: replacing bad bytes with U+FFFD would make
     * two names one file on the server.
     */
    static String string(MemorySegment s, long off, long end) {
        byte[] bytes = s.asSlice(off, end - off).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        String str = new String(bytes, StandardCharsets.UTF_8);
        if (str.indexOf('\uFFFD') >= 0) { // a bad byte, or a real U+FFFD: only then the strict decoder
            try {
                StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes));
            } catch (CharacterCodingException e) {
                throw new NotUtf8();
            }
        }
        return str;
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static void putBytes(MemorySegment s, long off, byte[] b) {
        MemorySegment.copy(b, 0, s, java.lang.foreign.ValueLayout.JAVA_BYTE, off, b.length);
    }

    /** fuse_attr (88 bytes) at {@code off}. */
    static void putAttr(MemorySegment s, long off, FuseAttr a) {
        put64(s, off, a.ino());
        put64(s, off + 8, a.size());
        put64(s, off + 16, a.blocks());
        put64(s, off + 24, Math.floorDiv(a.atimeNs(), 1_000_000_000L));
        put64(s, off + 32, Math.floorDiv(a.mtimeNs(), 1_000_000_000L));
        put64(s, off + 40, Math.floorDiv(a.ctimeNs(), 1_000_000_000L));
        put32(s, off + 48, (int) Math.floorMod(a.atimeNs(), 1_000_000_000L));
        put32(s, off + 52, (int) Math.floorMod(a.mtimeNs(), 1_000_000_000L));
        put32(s, off + 56, (int) Math.floorMod(a.ctimeNs(), 1_000_000_000L));
        put32(s, off + 60, a.mode());
        put32(s, off + 64, a.nlink());
        put32(s, off + 68, a.uid());
        put32(s, off + 72, a.gid());
        put32(s, off + 76, a.rdev());
        put32(s, off + 80, a.blksize());
        put32(s, off + 84, 0);
    }

    /** fuse_entry_out (128 bytes) at {@code off}. */
    static void putEntry(MemorySegment s, long off, FuseEntry e) {
        put64(s, off, e.nodeId());
        put64(s, off + 8, e.generation());
        put64(s, off + 16, Math.max(0, e.entryTimeoutNs()) / 1_000_000_000L);
        put64(s, off + 24, Math.max(0, e.attrTimeoutNs()) / 1_000_000_000L);
        put32(s, off + 32, (int) (Math.max(0, e.entryTimeoutNs()) % 1_000_000_000L));
        put32(s, off + 36, (int) (Math.max(0, e.attrTimeoutNs()) % 1_000_000_000L));
        if (e.attr() != null) {
            putAttr(s, off + 40, e.attr());
        } else {
            s.asSlice(off + 40, FuseKernel.ATTR_SIZE).fill((byte) 0);
        }
    }

    /** fuse_attr_out (104 bytes) at {@code off}. */
    static void putAttrOut(MemorySegment s, long off, FuseAttrReply r) {
        long t = Math.max(0, r.attrTimeoutNs());
        put64(s, off, t / 1_000_000_000L);
        put32(s, off + 8, (int) (t % 1_000_000_000L));
        put32(s, off + 12, 0);
        putAttr(s, off + 16, r.attr());
    }

    /** fuse_open_out (16 bytes) at {@code off}. */
    static void putOpen(MemorySegment s, long off, long fh, int openFlags) {
        put64(s, off, fh);
        put32(s, off + 8, openFlags);
        put32(s, off + 12, 0);
    }

    static int align8(int n) {
        return (n + 7) & ~7;
    }
}
