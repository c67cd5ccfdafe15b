package dev.fsdriver.it.stress;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The system calls the stress test compares, through FFM, so that a result is the kernel's own
 * errno and not java.nio's reading of it. Each call returns its non-negative result or
 * {@code -errno}; nothing else is done around it (no lstat, no retry).
 */
final class Sys {
    static final int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0100, O_EXCL = 0200, O_TRUNC = 01000,
            O_APPEND = 02000, O_NOFOLLOW = 0400000, O_DIRECTORY = 0200000, O_DIRECT = 040000;
    static final int RENAME_NOREPLACE = 1, RENAME_EXCHANGE = 2;
    static final int AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100, AT_EMPTY_PATH = 0x1000;
    static final int S_IFMT = 0170000, S_IFDIR = 0040000, S_IFREG = 0100000, S_IFLNK = 0120000;
    private static final int STATX_BASIC_STATS = 0x7ff;
    /** O_DIRECT alignment of buffers, offsets and lengths (ext4's block; FUSE asks none). */
    static final int BLOCK = 4096;
    private static final long PAGE = 4096;
    private static final int PROT_READ = 1, PROT_WRITE = 2, MAP_SHARED = 1, MS_SYNC = 4;
    /** Not an errno: what {@link #mapped} answers when touching the mapping faulted. */
    static final int SIGBUS = 1007;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final ValueLayout I = ValueLayout.JAVA_INT, L = ValueLayout.JAVA_LONG, A = ValueLayout.ADDRESS;

    private static final MethodHandle OPEN = fn("open", I, A, I, I);
    private static final MethodHandle CLOSE = fn("close", I, I);
    private static final MethodHandle PWRITE = fn("pwrite", L, I, A, L, L);
    private static final MethodHandle PREAD = fn("pread", L, I, A, L, L);
    private static final MethodHandle FTRUNCATE = fn("ftruncate", I, I, L);
    private static final MethodHandle TRUNCATE = fn("truncate", I, A, L);
    private static final MethodHandle FSYNC = fn("fsync", I, I);
    private static final MethodHandle FDATASYNC = fn("fdatasync", I, I);
    private static final MethodHandle RENAMEAT2 = fn("renameat2", I, I, A, I, A, I);
    private static final MethodHandle LINK = fn("link", I, A, A);
    private static final MethodHandle SYMLINK = fn("symlink", I, A, A);
    private static final MethodHandle UNLINK = fn("unlink", I, A);
    private static final MethodHandle MKDIR = fn("mkdir", I, A, I);
    private static final MethodHandle RMDIR = fn("rmdir", I, A);
    private static final MethodHandle CHMOD = fn("chmod", I, A, I);
    private static final MethodHandle UTIMENSAT = fn("utimensat", I, I, A, A, I);
    private static final MethodHandle READLINK = fn("readlink", L, A, A, L);
    private static final MethodHandle STATX = fn("statx", I, I, A, I, I, A);
    private static final MethodHandle COPY_FILE_RANGE = fn("copy_file_range", L, I, A, I, A, L, I);
    private static final MethodHandle FCHOWNAT = fn("fchownat", I, I, A, I, I, I);
    private static final MethodHandle PREADV = fn("preadv", L, I, A, I, L);
    private static final MethodHandle PWRITEV = fn("pwritev", L, I, A, I, L);
    private static final MethodHandle PIPE2 = fn("pipe2", I, A, I);
    private static final MethodHandle SPLICE = fn("splice", L, I, A, I, A, L, I);
    private static final MethodHandle SYNC = fn("sync", null);
    private static final MethodHandle MMAP = fn("mmap", A, A, L, I, I, I, L);
    private static final MethodHandle MSYNC = fn("msync", I, A, L, I);
    private static final MethodHandle MUNMAP = fn("munmap", I, A, L);

    private Sys() {}

    private static MethodHandle fn(String name, ValueLayout ret, ValueLayout... args) {
        MemorySegment addr = LINKER.defaultLookup().find(name).orElseThrow(() -> new UnsatisfiedLinkError(name));
        FunctionDescriptor d = ret == null ? FunctionDescriptor.ofVoid(args) : FunctionDescriptor.of(ret, args);
        return LINKER.downcallHandle(addr, d, Linker.Option.captureCallState("errno"));
    }

    /** Calls {@code h} with the errno capture first; returns the result or -errno. */
    private static long call(Arena a, MethodHandle h, Object... args) {
        MemorySegment st = a.allocate(CALL_STATE);
        Object[] all = new Object[args.length + 1];
        all[0] = st;
        System.arraycopy(args, 0, all, 1, args.length);
        try {
            Object r = h.invokeWithArguments(all);
            // mmap answers an address, MAP_FAILED (-1) on error; sync answers nothing
            long rc = r instanceof MemorySegment m ? m.address() : r == null ? 0 : ((Number) r).longValue();
            return rc < 0 ? -(int) ERRNO.get(st, 0L) : rc;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static long path(MethodHandle h, String p, Object... rest) {
        try (Arena a = Arena.ofConfined()) {
            Object[] all = new Object[rest.length + 1];
            all[0] = a.allocateFrom(p);
            System.arraycopy(rest, 0, all, 1, rest.length);
            return call(a, h, all);
        }
    }

    private static long twoPaths(MethodHandle h, String p1, String p2) {
        try (Arena a = Arena.ofConfined()) {
            return call(a, h, a.allocateFrom(p1), a.allocateFrom(p2));
        }
    }

    static int open(String p, int flags, int mode) {
        return (int) path(OPEN, p, flags, mode);
    }

    static int close(int fd) {
        try (Arena a = Arena.ofConfined()) {
            return (int) call(a, CLOSE, fd);
        }
    }

    static long pwrite(int fd, byte[] data, long offset) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(Math.max(1, data.length));
            MemorySegment.copy(data, 0, buf, ValueLayout.JAVA_BYTE, 0, data.length);
            return call(a, PWRITE, fd, buf, (long) data.length, offset);
        }
    }

    /** Reads up to {@code len} bytes at {@code offset}: the bytes, or null with {@code rc[0]} = -errno. */
    static byte[] pread(int fd, int len, long offset, long[] rc) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(Math.max(1, len));
            rc[0] = call(a, PREAD, fd, buf, (long) len, offset);
            return rc[0] < 0 ? null : buf.asSlice(0, rc[0]).toArray(ValueLayout.JAVA_BYTE);
        }
    }

    static int ftruncate(int fd, long len) {
        try (Arena a = Arena.ofConfined()) {
            return (int) call(a, FTRUNCATE, fd, len);
        }
    }

    static int truncate(String p, long len) {
        return (int) path(TRUNCATE, p, len);
    }

    static int fsync(int fd) {
        try (Arena a = Arena.ofConfined()) {
            return (int) call(a, FSYNC, fd);
        }
    }

    static int fdatasync(int fd) {
        try (Arena a = Arena.ofConfined()) {
            return (int) call(a, FDATASYNC, fd);
        }
    }

    static int renameat2(String from, String to, int flags) {
        try (Arena a = Arena.ofConfined()) {
            return (int) call(a, RENAMEAT2, AT_FDCWD, a.allocateFrom(from), AT_FDCWD, a.allocateFrom(to), flags);
        }
    }

    static int link(String from, String to) {
        return (int) twoPaths(LINK, from, to);
    }

    static int symlink(String target, String p) {
        return (int) twoPaths(SYMLINK, target, p);
    }

    static int unlink(String p) {
        return (int) path(UNLINK, p);
    }

    static int mkdir(String p, int mode) {
        return (int) path(MKDIR, p, mode);
    }

    static int rmdir(String p) {
        return (int) path(RMDIR, p);
    }

    static int chmod(String p, int mode) {
        return (int) path(CHMOD, p, mode);
    }

    /** utimensat(AT_FDCWD, p, {atime, mtime}, flags) with explicit seconds and nanoseconds. */
    static int utimens(String p, long atimeSec, long atimeNsec, long mtimeSec, long mtimeNsec, int flags) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ts = a.allocate(ValueLayout.JAVA_LONG, 4);
            ts.setAtIndex(ValueLayout.JAVA_LONG, 0, atimeSec);
            ts.setAtIndex(ValueLayout.JAVA_LONG, 1, atimeNsec);
            ts.setAtIndex(ValueLayout.JAVA_LONG, 2, mtimeSec);
            ts.setAtIndex(ValueLayout.JAVA_LONG, 3, mtimeNsec);
            return (int) call(a, UTIMENSAT, AT_FDCWD, a.allocateFrom(p), ts, flags);
        }
    }

    /** The link's target, or null with {@code rc[0]} = -errno. */
    static String readlink(String p, long[] rc) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(4096);
            rc[0] = call(a, READLINK, a.allocateFrom(p), buf, 4096L);
            return rc[0] < 0 ? null : new String(buf.asSlice(0, rc[0]).toArray(ValueLayout.JAVA_BYTE),
                    java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    static long copyFileRange(int in, long inOff, int out, long outOff, long len) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment pin = a.allocateFrom(ValueLayout.JAVA_LONG, inOff);
            MemorySegment pout = a.allocateFrom(ValueLayout.JAVA_LONG, outOff);
            return call(a, COPY_FILE_RANGE, in, pin, out, pout, len, 0);
        }
    }

    /** fchownat(AT_FDCWD, p, uid, gid, flags); -1 leaves that id as it is. */
    static int chown(String p, int uid, int gid, int flags) {
        try (Arena a = Arena.ofConfined()) {
            return (int) call(a, FCHOWNAT, AT_FDCWD, a.allocateFrom(p), uid, gid, flags);
        }
    }

    /** An iovec array over {@code buf} cut in {@code pieces} parts (the last takes the rest). */
    private static MemorySegment iovecs(Arena a, MemorySegment buf, int pieces) {
        MemorySegment iov = a.allocate(16L * pieces, 8);
        long part = buf.byteSize() / pieces;
        for (int i = 0; i < pieces; i++) {
            long len = i == pieces - 1 ? buf.byteSize() - part * i : part;
            iov.set(ValueLayout.JAVA_LONG, 16L * i, buf.address() + part * i);
            iov.set(ValueLayout.JAVA_LONG, 16L * i + 8, len);
        }
        return iov;
    }

    /** pwritev of {@code data} in {@code pieces} buffers. */
    static long pwritev(int fd, byte[] data, long offset, int pieces) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(Math.max(1, data.length));
            MemorySegment.copy(data, 0, buf, ValueLayout.JAVA_BYTE, 0, data.length);
            return call(a, PWRITEV, fd, iovecs(a, buf.asSlice(0, data.length), pieces), pieces, offset);
        }
    }

    /** preadv into {@code pieces} buffers: the bytes, or null with {@code rc[0]} = -errno. */
    static byte[] preadv(int fd, int len, long offset, int pieces, long[] rc) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(Math.max(1, len));
            rc[0] = call(a, PREADV, fd, iovecs(a, buf.asSlice(0, len), pieces), pieces, offset);
            return rc[0] < 0 ? null : buf.asSlice(0, rc[0]).toArray(ValueLayout.JAVA_BYTE);
        }
    }

    /** pwrite from a buffer aligned for O_DIRECT (offset and length are the caller's to align). */
    static long alignedPwrite(int fd, byte[] data, long offset) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(Math.max(BLOCK, data.length), BLOCK);
            MemorySegment.copy(data, 0, buf, ValueLayout.JAVA_BYTE, 0, data.length);
            return call(a, PWRITE, fd, buf, (long) data.length, offset);
        }
    }

    /** pread into a buffer aligned for O_DIRECT; null with {@code rc[0]} = -errno. */
    static byte[] alignedPread(int fd, int len, long offset, long[] rc) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(Math.max(BLOCK, len), BLOCK);
            rc[0] = call(a, PREAD, fd, buf, (long) len, offset);
            return rc[0] < 0 ? null : buf.asSlice(0, rc[0]).toArray(ValueLayout.JAVA_BYTE);
        }
    }

    /**
     * Copies {@code len} bytes from {@code in} at {@code inOff} to {@code out} at {@code outOff}
     * through a pipe (splice in, splice out, 64 KiB at a time, as fsstress's splice): the bytes
     * copied (fewer at the end of the input), or -errno of the first call that failed.
     */
    static long splice(int in, long inOff, int out, long outOff, long len) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment pipe = a.allocate(ValueLayout.JAVA_INT, 2);
            long rc = call(a, PIPE2, pipe, 0);
            if (rc < 0) {
                throw new IllegalStateException("pipe2: " + errno(rc));
            }
            int r = pipe.getAtIndex(ValueLayout.JAVA_INT, 0), w = pipe.getAtIndex(ValueLayout.JAVA_INT, 1);
            MemorySegment pin = a.allocateFrom(ValueLayout.JAVA_LONG, inOff);
            MemorySegment pout = a.allocateFrom(ValueLayout.JAVA_LONG, outOff);
            long done = 0;
            try {
                while (done < len) {
                    long n = call(a, SPLICE, in, pin, w, MemorySegment.NULL, Math.min(len - done, 65536), 0);
                    if (n <= 0) {
                        return n < 0 ? n : done;
                    }
                    for (long left = n; left > 0; ) {
                        long m = call(a, SPLICE, r, MemorySegment.NULL, out, pout, left, 0);
                        if (m < 0) {
                            return m;
                        }
                        left -= m;
                        done += m;
                    }
                }
                return done;
            } finally {
                close(r);
                close(w);
            }
        }
    }

    static void sync() {
        try (Arena a = Arena.ofConfined()) {
            call(a, SYNC);
        }
    }

    /**
     * Maps {@code len} bytes of {@code fd} at {@code offset} shared and reads them (write: null)
     * or writes {@code data} into them, msync(MS_SYNC) and unmaps. The bytes read, or null with
     * {@code rc[0]} = -errno of mmap, msync or munmap (which failed first) or -{@link #SIGBUS}, else 0.
     */
    static byte[] mapped(int fd, long offset, int len, byte[] data, long[] rc) {
        long start = offset & ~(PAGE - 1);
        long span = offset - start + len;
        try (Arena a = Arena.ofConfined()) {
            int prot = data == null ? PROT_READ : PROT_READ | PROT_WRITE;
            rc[0] = call(a, MMAP, MemorySegment.NULL, span, prot, MAP_SHARED, fd, start);
            if (rc[0] < 0) {
                return null;
            }
            MemorySegment map = MemorySegment.ofAddress(rc[0]).reinterpret(span);
            byte[] out = null;
            long sync = 0;
            try {
                if (data == null) {
                    out = map.asSlice(offset - start, len).toArray(ValueLayout.JAVA_BYTE);
                } else {
                    MemorySegment.copy(data, 0, map, ValueLayout.JAVA_BYTE, offset - start, len);
                    sync = call(a, MSYNC, map, span, MS_SYNC);
                }
            } catch (InternalError sigbus) { // the JVM's word for SIGBUS in a mapping: a page past the file's end
                sync = -SIGBUS;
            }
            long unmap = call(a, MUNMAP, map, span);
            rc[0] = sync < 0 ? sync : unmap < 0 ? unmap : 0;
            return out;
        }
    }

    /** What lstat tells (statx: one layout on every architecture). */
    record Stat(int mode, long nlink, long size, long mtimeSec, int mtimeNsec, long atimeSec, int atimeNsec, int uid,
            int gid) {
        int type() {
            return mode & S_IFMT;
        }
    }

    /** lstat (or stat with {@code follow}); null with {@code rc[0]} = -errno. */
    static Stat stat(String p, boolean follow, long[] rc) {
        return statx(AT_FDCWD, p, follow ? 0 : AT_SYMLINK_NOFOLLOW, rc);
    }

    /** fstat; null with {@code rc[0]} = -errno. */
    static Stat fstat(int fd, long[] rc) {
        return statx(fd, "", AT_EMPTY_PATH, rc);
    }

    private static Stat statx(int dirfd, String p, int flags, long[] rc) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment b = a.allocate(256, 8);
            rc[0] = call(a, STATX, dirfd, a.allocateFrom(p), flags, STATX_BASIC_STATS, b);
            if (rc[0] < 0) {
                return null;
            }
            return new Stat(Short.toUnsignedInt(b.get(ValueLayout.JAVA_SHORT, 28)),
                    Integer.toUnsignedLong(b.get(ValueLayout.JAVA_INT, 16)),
                    b.get(ValueLayout.JAVA_LONG, 40),
                    b.get(ValueLayout.JAVA_LONG, 112), b.get(ValueLayout.JAVA_INT, 120),
                    b.get(ValueLayout.JAVA_LONG, 64), b.get(ValueLayout.JAVA_INT, 72),
                    b.get(ValueLayout.JAVA_INT, 20), b.get(ValueLayout.JAVA_INT, 24));
        }
    }

    /** A readable name for -errno (the test output is read by people). */
    static String errno(long rc) {
        if (rc >= 0) {
            return "ok";
        }
        return switch ((int) -rc) {
            case 1 -> "EPERM"; case 2 -> "ENOENT"; case 5 -> "EIO"; case 9 -> "EBADF"; case 13 -> "EACCES";
            case 16 -> "EBUSY"; case 17 -> "EEXIST"; case 18 -> "EXDEV"; case 19 -> "ENODEV"; case 20 -> "ENOTDIR";
            case 21 -> "EISDIR";
            case 22 -> "EINVAL"; case 27 -> "EFBIG"; case 28 -> "ENOSPC"; case 36 -> "ENAMETOOLONG";
            case 38 -> "ENOSYS"; case 39 -> "ENOTEMPTY"; case 40 -> "ELOOP"; case 95 -> "EOPNOTSUPP";
            case 107 -> "ENOTCONN"; case 116 -> "ESTALE"; case SIGBUS -> "SIGBUS";
            default -> "errno" + (-rc);
        };
    }
}
