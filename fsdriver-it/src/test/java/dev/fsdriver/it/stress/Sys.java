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
            O_APPEND = 02000, O_NOFOLLOW = 0400000, O_DIRECTORY = 0200000;
    static final int RENAME_NOREPLACE = 1, RENAME_EXCHANGE = 2;
    static final int AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100, AT_EMPTY_PATH = 0x1000;
    static final int S_IFMT = 0170000, S_IFDIR = 0040000, S_IFREG = 0100000, S_IFLNK = 0120000;
    private static final int STATX_BASIC_STATS = 0x7ff;

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

    private Sys() {}

    private static MethodHandle fn(String name, ValueLayout ret, ValueLayout... args) {
        MemorySegment addr = LINKER.defaultLookup().find(name).orElseThrow(() -> new UnsatisfiedLinkError(name));
        return LINKER.downcallHandle(addr, FunctionDescriptor.of(ret, args), Linker.Option.captureCallState("errno"));
    }

    /** Calls {@code h} with the errno capture first; returns the result or -errno. */
    private static long call(Arena a, MethodHandle h, Object... args) {
        MemorySegment st = a.allocate(CALL_STATE);
        Object[] all = new Object[args.length + 1];
        all[0] = st;
        System.arraycopy(args, 0, all, 1, args.length);
        try {
            long rc = ((Number) h.invokeWithArguments(all)).longValue();
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

    /** What lstat tells (statx: one layout on every architecture). */
    record Stat(int mode, long nlink, long size, long mtimeSec, int mtimeNsec, long atimeSec, int atimeNsec) {
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
                    b.get(ValueLayout.JAVA_LONG, 64), b.get(ValueLayout.JAVA_INT, 72));
        }
    }

    /** A readable name for -errno (the test output is read by people). */
    static String errno(long rc) {
        if (rc >= 0) {
            return "ok";
        }
        return switch ((int) -rc) {
            case 1 -> "EPERM"; case 2 -> "ENOENT"; case 5 -> "EIO"; case 9 -> "EBADF"; case 13 -> "EACCES";
            case 16 -> "EBUSY"; case 17 -> "EEXIST"; case 18 -> "EXDEV"; case 20 -> "ENOTDIR"; case 21 -> "EISDIR";
            case 22 -> "EINVAL"; case 27 -> "EFBIG"; case 28 -> "ENOSPC"; case 36 -> "ENAMETOOLONG";
            case 38 -> "ENOSYS"; case 39 -> "ENOTEMPTY"; case 40 -> "ELOOP"; case 95 -> "EOPNOTSUPP";
            case 107 -> "ENOTCONN"; case 116 -> "ESTALE";
            default -> "errno" + (-rc);
        };
    }
}
