package dev.fsdriver.fuse;

import static dev.fsdriver.fuse.Wire.i32;
import static dev.fsdriver.fuse.Wire.i64;
import static dev.fsdriver.fuse.Wire.put32;
import static dev.fsdriver.fuse.Wire.put64;

import dev.fsdriver.common.Errno;
import dev.fsdriver.fuse.kernel.FuseKernel;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * The kernel's structs of more than a field or two, decoded from a request or encoded into a
 * reply payload at {@link FuseKernel#OUT_HEADER_SIZE}: fuse_setattr_in, fuse_statfs_out, the
 * getxattr/listxattr answers, and packed fuse_dirent / fuse_direntplus records. Single fields
 * and the common replies (entry, attributes, open) are {@link Wire}'s.
 *
 * <p>Stateless, but for the one listing a {@link Dirents} fills.
 */
final class Payloads {
    private static final int OUT = FuseKernel.OUT_HEADER_SIZE;

    private Payloads() {
    }

    /** fuse_setattr_in { valid, padding, fh, size, lock_owner, atime, mtime, ctime, atimensec, mtimensec, ctimensec, mode, unused4, uid, gid, unused5 } */
    static FuseSetAttr setAttr(MemorySegment in, boolean killAlways) {
        int valid = i32(in, 0);
        long fh = (valid & FuseKernel.FATTR_FH) != 0 ? i64(in, 8) : -1;
        boolean atimeNow = (valid & FuseKernel.FATTR_ATIME_NOW) != 0;
        boolean mtimeNow = (valid & FuseKernel.FATTR_MTIME_NOW) != 0;
        return new FuseSetAttr(fh,
                (valid & FuseKernel.FATTR_SIZE) != 0 ? OptionalLong.of(i64(in, 16)) : OptionalLong.empty(),
                (valid & FuseKernel.FATTR_MODE) != 0 ? OptionalInt.of(i32(in, 68)) : OptionalInt.empty(),
                (valid & FuseKernel.FATTR_UID) != 0 ? OptionalInt.of(i32(in, 76)) : OptionalInt.empty(),
                (valid & FuseKernel.FATTR_GID) != 0 ? OptionalInt.of(i32(in, 80)) : OptionalInt.empty(),
                (valid & FuseKernel.FATTR_ATIME) != 0 && !atimeNow
                        ? OptionalLong.of(i64(in, 32) * 1_000_000_000L + Integer.toUnsignedLong(i32(in, 56)))
                        : OptionalLong.empty(),
                atimeNow,
                (valid & FuseKernel.FATTR_MTIME) != 0 && !mtimeNow
                        ? OptionalLong.of(i64(in, 40) * 1_000_000_000L + Integer.toUnsignedLong(i32(in, 60)))
                        : OptionalLong.empty(),
                mtimeNow,
                killAlways || (valid & FuseKernel.FATTR_KILL_SUIDGID) != 0);
    }

    /** fuse_statfs_out { blocks, bfree, bavail, files, ffree, bsize, namelen, frsize, padding, spare[6] } */
    static int statfs(MemorySegment out, FuseStatfs st) {
        MemorySegment o = out.asSlice(OUT, FuseKernel.STATFS_OUT_SIZE);
        o.fill((byte) 0);
        put64(o, 0, st.blocks());
        put64(o, 8, st.bfree());
        put64(o, 16, st.bavail());
        put64(o, 24, st.files());
        put64(o, 32, st.ffree());
        put32(o, 40, st.bsize());
        put32(o, 44, st.namelen());
        put32(o, 48, st.frsize());
        return FuseKernel.STATFS_OUT_SIZE;
    }

    /** listxattr's answer: each name followed by a NUL. */
    static byte[] xattrNames(List<String> names) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (String n : names) {
            b.writeBytes(Wire.bytes(n));
            b.write(0);
        }
        return b.toByteArray();
    }

    /**
     * A getxattr or listxattr answer for a buffer of {@code size} bytes: the value's length alone
     * when {@code size} is 0 (fuse_getxattr_out), ERANGE when it does not fit, else the value
     * (refused, EIO, beyond {@code limit}, the reply buffer's room).
     */
    static int xattr(MemorySegment out, int size, long limit, byte[] value) throws FuseException {
        if (size == 0) {
            put32(out, OUT, value.length);   // fuse_getxattr_out { size, padding }
            put32(out, OUT + 4, 0);
            return 8;
        }
        if (value.length > size) {
            throw new FuseException(Errno.ERANGE);
        }
        if (value.length > limit) {
            throw new IllegalStateException("reply of " + value.length + " bytes exceeds the limit " + limit);
        }
        Wire.putBytes(out, OUT, value);
        return value.length;
    }

    /**
     * Packs one READDIR (fuse_dirent) or READDIRPLUS (fuse_direntplus: an entry, then the dirent)
     * reply into {@code dst}, refusing the entry that does not fit.
     */
    static final class Dirents implements DirFiller, DirPlusFiller {
        private final MemorySegment dst;
        private final long size;
        private int used;
        /** The offsets after the first and the last entry added (where a next request may go on), or -1: none added. */
        private long first = -1;
        private long last = -1;

        Dirents(MemorySegment dst) {
            this.dst = dst;
            this.size = dst.byteSize();
        }

        /** The bytes filled so far: the reply's payload length. */
        int used() {
            return used;
        }

        long first() {
            return first;
        }

        long last() {
            return last;
        }

        @Override
        public boolean add(String name, long ino, int mode, long next) {
            byte[] n = Wire.bytes(name);
            int rec = Wire.align8(FuseKernel.DIRENT_SIZE + n.length);
            if (used + rec > size) {
                return false;
            }
            putDirent(dst, used, ino, next, mode, n, rec);
            used += rec;
            if (first < 0) {
                first = next;
            }
            last = next;
            return true;
        }

        @Override
        public boolean add(String name, FuseEntry entry, long next) {
            byte[] n = Wire.bytes(name);
            int rec = Wire.align8(FuseKernel.ENTRY_OUT_SIZE + FuseKernel.DIRENT_SIZE + n.length);
            if (used + rec > size) {
                return false;
            }
            long at = used;
            Wire.putEntry(dst, at, entry);
            FuseAttr a = entry.attr();
            putDirent(dst, at + FuseKernel.ENTRY_OUT_SIZE, a != null ? a.ino() : 1, next,
                    a != null ? a.mode() : 0, n, rec - FuseKernel.ENTRY_OUT_SIZE);
            used += rec;
            if (first < 0) {
                first = next;
            }
            last = next;
            return true;
        }
    }

    /** fuse_dirent { ino, off, namelen, type, name[] } padded with zeros to {@code rec}. */
    private static void putDirent(MemorySegment s, long at, long ino, long next, int mode, byte[] name, int rec) {
        put64(s, at, ino);
        put64(s, at + 8, next);
        put32(s, at + 16, name.length);
        put32(s, at + 20, (mode >>> 12) & 0xF);
        Wire.putBytes(s, at + 24, name);
        for (long i = at + 24 + name.length; i < at + rec; i++) {
            s.set(ValueLayout.JAVA_BYTE, i, (byte) 0);
        }
    }
}
