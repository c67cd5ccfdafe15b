package dev.fsdriver.linux;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.fsdriver.common.Errno;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;

/**
 * The *at family, relative to directory descriptors opened with openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS), which is what makes the posix backend's containment race-free; plus
 * what java.nio cannot say (rename flags, byte-exact symlink targets, statvfs inode counts, a
 * cheap lstat). Conventions as {@link FileCalls}. {@link #AVAILABLE} is false where a function
 * is missing (not Linux, glibc older than 2.33): callers then use java.nio.
 */
public final class AtCalls {
    public static final int AT_FDCWD = -100;
    public static final int AT_SYMLINK_NOFOLLOW = 0x100;
    public static final int AT_REMOVEDIR = 0x200;
    public static final int AT_EMPTY_PATH = 0x1000;
    public static final long RESOLVE_NO_MAGICLINKS = 0x02;
    public static final long RESOLVE_NO_SYMLINKS = 0x04;
    public static final long RESOLVE_BENEATH = 0x08;
    public static final int RENAME_NOREPLACE = 1;
    public static final int RENAME_EXCHANGE = 2;
    /** open(2) flags; those that differ between x86-64 and arm64 are picked at run time. */
    public static final int O_RDONLY = 0;
    public static final int O_DIRECTORY = Native.X86_64 ? 0200000 : 040000;
    public static final int O_NOFOLLOW = Native.X86_64 ? 0400000 : 0100000;
    public static final int O_PATH = 010000000;
    public static final int O_CLOEXEC = 02000000;
    /** utimensat's tv_nsec values: the current time, and leave as it is. */
    public static final long UTIME_NOW = (1L << 30) - 1;
    public static final long UTIME_OMIT = (1L << 30) - 2;

    /**
     * Indexes into the array {@link #fstatat} fills. ST_BTIME/ST_BTIME_NS: the birth time, both 0
     * where the file system does not give one (or statx is missing).
     */
    public static final int ST_DEV = 0, ST_INO = 1, ST_MODE = 2, ST_NLINK = 3, ST_UID = 4, ST_GID = 5, ST_RDEV = 6,
            ST_SIZE = 7, ST_BLKSIZE = 8, ST_BLOCKS = 9, ST_ATIME = 10, ST_ATIME_NS = 11, ST_MTIME = 12,
            ST_MTIME_NS = 13, ST_CTIME = 14, ST_CTIME_NS = 15, ST_BTIME = 16, ST_BTIME_NS = 17, ST_FIELDS = 18;

    private static final long SYS_OPENAT2 = 437; // same number on x86-64 and aarch64
    private static final int STAT_SIZE = 144;    // x86-64; aarch64's is 128
    private static final int STATX_SIZE = 256;   // struct statx, the same on every architecture
    private static final int STATX_BASIC_STATS = 0x7ff, STATX_BTIME = 0x800;

    private static final MethodHandle SYSCALL = Native.downcall("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG), Linker.Option.firstVariadicArg(1));
    private static final MethodHandle FSTATAT = Native.downcall("fstatat", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
    /** glibc >= 2.28; null before: {@link #fstatat} then has no birth time. */
    private static final MethodHandle STATX = Native.downcall("statx",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS));
    /** Cleared when the kernel (or a seccomp filter) refuses statx: fstatat from then on. */
    private static volatile boolean statxWorks = STATX != null;
    private static final MethodHandle FCHMODAT = Native.downcall("fchmodat", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    private static final MethodHandle RENAMEAT2 = Native.downcall("renameat2",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle SYMLINKAT = Native.downcall("symlinkat", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS));
    private static final MethodHandle READLINKAT = Native.downcall("readlinkat", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG));
    private static final MethodHandle STATVFS = Native.downcall("statvfs", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle UNLINKAT = Native.downcall("unlinkat", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle FCHOWNAT = Native.downcall("fchownat",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle UTIMENSAT = Native.downcall("utimensat", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
    /** Not in {@link #AVAILABLE}: only setting a write's mtime needs it (EOPNOTSUPP without). */
    private static final MethodHandle FUTIMENS = Native.downcall("futimens", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle FCHMOD = Native.downcall("fchmod", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle MKNODAT = Native.downcall("mknodat", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG));
    private static final MethodHandle MKDIRAT = Native.downcall("mkdirat", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle LINKAT = Native.downcall("linkat",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT));

    /** True when every function above was found (Linux, glibc >= 2.33, x86-64 or aarch64). */
    public static final boolean AVAILABLE = Stream.of(SYSCALL, FSTATAT, FCHMODAT, FCHMOD, RENAMEAT2, SYMLINKAT, READLINKAT,
            STATVFS, UNLINKAT, FCHOWNAT, UTIMENSAT, MKNODAT, MKDIRAT, LINKAT).allMatch(h -> h != null)
            && ProcessCalls.geteuidAvailable() && Native.exists("openat") && Native.exists("getdents64");

    /** Whether {@link #futimensMtime} can work (glibc has futimens). */
    public static final boolean FUTIMENS_AVAILABLE = FUTIMENS != null;

    private AtCalls() {}

    /** The posix backend's openat, linked on first use (a FUSE client never makes it). */
    private static final class Open {
        /** Variadic in C: the mode is the first variadic argument. */
        static final MethodHandle OPENAT = Native.downcall("openat",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(3));
    }

    /**
     * {@code long syscall(SYS_openat2, int dirfd, const char *pathname, struct open_how *how, size_t size)}
     * with {@code struct open_how { u64 flags; u64 mode; u64 resolve; }}. Returns the fd
     * (ENOSYS before Linux 5.6).
     */
    public static int openat2(int dirfd, String path, int flags, long resolve) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            MemorySegment how = a.allocate(24, 8);
            how.set(JAVA_LONG, 0, Integer.toUnsignedLong(flags));
            how.set(JAVA_LONG, 8, 0L);
            how.set(JAVA_LONG, 16, resolve);
            long r = (long) SYSCALL.invokeExact(st, SYS_OPENAT2, (long) dirfd, Native.cstr(a, path), how, 24L);
            if (r < 0) {
                throw Native.failure("openat2", st);
            }
            return (int) r;
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }

    /** {@code int fchmodat(int dirfd, const char *pathname, mode_t mode, int flags)} (glibc refuses a symlink with EOPNOTSUPP under AT_SYMLINK_NOFOLLOW) */
    public static void fchmodat(int dirfd, String path, int mode, int flags) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            if ((int) FCHMODAT.invokeExact(st, dirfd, Native.cstr(a, path), mode, flags) != 0) {
                throw Native.failure("fchmodat", st);
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }

    /** {@code int fchmod(int fd, mode_t mode)} */
    public static void fchmod(int fd, int mode) throws ErrnoException {
        try {
            MemorySegment st = Native.state();
            if ((int) FCHMOD.invokeExact(st, fd, mode) != 0) {
                throw Native.failure("fchmod", st);
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }

    /** {@code int mknodat(int dirfd, const char *pathname, mode_t mode, dev_t dev)} (FIFOs and sockets: dev 0) */
    public static void mknodat(int dirfd, String path, int mode) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            if ((int) MKNODAT.invokeExact(st, dirfd, Native.cstr(a, path), mode, 0L) != 0) {
                throw Native.failure("mknodat", st);
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }

    /**
     * {@code int openat(int dirfd, const char *pathname, int flags, mode_t mode)}: the file's
     * descriptor (flags from {@link FileCalls} and this class; {@code mode} only with O_CREAT).
     */
    public static int openat(int dirfd, String path, int flags, int mode) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            int fd = (int) Open.OPENAT.invokeExact(st, dirfd, Native.cstr(a, path), flags, mode);
            if (fd < 0) {
                throw Native.failure("openat", st);
            }
            return fd;
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }

    /** {@code int mkdirat(int dirfd, const char *pathname, mode_t mode)} */
    public static void mkdirat(int dirfd, String path, int mode) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            if ((int) MKDIRAT.invokeExact(st, dirfd, Native.cstr(a, path), mode) != 0) {
                throw Native.failure("mkdirat", st);
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }

    /**
     * {@code int linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, int flags)}
     * (flags 0: a symlink source is linked itself, not followed)
     */
    public static void linkat(int oldDirfd, String oldPath, int newDirfd, String newPath) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            if ((int) LINKAT.invokeExact(st, oldDirfd, Native.cstr(a, oldPath), newDirfd, Native.cstr(a, newPath), 0) != 0) {
                throw Native.failure("linkat", st);
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }

    /** {@code int fchownat(int dirfd, const char *pathname, uid_t owner, gid_t group, int flags)}; -1 leaves one as it is. */
    public static void fchownat(int dirfd, String path, int uid, int gid, int flags) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            if ((int) FCHOWNAT.invokeExact(st, dirfd, Native.cstr(a, path), uid, gid, flags) != 0) {
                throw Native.failure("fchownat", st);
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }

    /**
     * {@code int utimensat(int dirfd, const char *pathname, const struct timespec times[2], int flags)}
     * Times in nanoseconds since the epoch, or {@link #UTIME_NOW} / {@link #UTIME_OMIT} as the
     * {@code special} of one (then its time is ignored); index 0 is atime, 1 mtime.
     */
    public static void utimensat(int dirfd, String path, long atimeNs, long atimeSpecial, long mtimeNs,
                                 long mtimeSpecial, int flags) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            MemorySegment times = a.allocate(32, 8);
            timespec(times, 0, atimeNs, atimeSpecial);
            timespec(times, 16, mtimeNs, mtimeSpecial);
            if ((int) UTIMENSAT.invokeExact(st, dirfd, Native.cstr(a, path), times, flags) != 0) {
                throw Native.failure("utimensat", st);
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }

    /**
     * {@code int futimens(int fd, const struct timespec times[2])}, the mtime set to {@code mtimeNs}
     * and the atime left ({@link #UTIME_OMIT}). (glibc's utimensat refuses a NULL path: EINVAL.)
     */
    public static void futimensMtime(int fd, long mtimeNs) throws ErrnoException {
        futimens(fd, 0, UTIME_OMIT, mtimeNs, 0);
    }

    /** {@code int futimens(int fd, const struct timespec times[2])}: as {@link #utimensat}, through a descriptor. */
    public static void futimens(int fd, long atimeNs, long atimeSpecial, long mtimeNs, long mtimeSpecial)
            throws ErrnoException {
        if (FUTIMENS == null) {
            throw new ErrnoException("futimens", Errno.EOPNOTSUPP);
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            MemorySegment times = a.allocate(32, 8);
            timespec(times, 0, atimeNs, atimeSpecial);
            timespec(times, 16, mtimeNs, mtimeSpecial);
            if ((int) FUTIMENS.invokeExact(st, fd, times) != 0) {
                throw Native.failure("futimens", st);
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }

    private static void timespec(MemorySegment at, long offset, long ns, long special) {
        if (special != 0) {
            at.set(JAVA_LONG, offset, 0L);
            at.set(JAVA_LONG, offset + 8, special);
        } else {
            at.set(JAVA_LONG, offset, Math.floorDiv(ns, 1_000_000_000L));
            at.set(JAVA_LONG, offset + 8, Math.floorMod(ns, 1_000_000_000L));
        }
    }

    /**
     * {@code int unlinkat(int dirfd, const char *pathname, int flags)} Without AT_REMOVEDIR a
     * directory fails EISDIR; with it anything else fails ENOTDIR: the kernel checks the type.
     */
    public static void unlinkat(int dirfd, String path, int flags) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            if ((int) UNLINKAT.invokeExact(st, dirfd, Native.cstr(a, path), flags) != 0) {
                throw Native.failure("unlinkat", st);
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }

    /** {@code int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags)} */
    public static void renameat2(int oldDirfd, String oldPath, int newDirfd, String newPath, int flags)
            throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            if ((int) RENAMEAT2.invokeExact(st, oldDirfd, Native.cstr(a, oldPath), newDirfd, Native.cstr(a, newPath), flags) != 0) {
                throw Native.failure("renameat2", st);
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }

    /** {@code int symlinkat(const char *target, int newdirfd, const char *linkpath)} */
    public static void symlinkat(String target, int dirfd, String linkPath) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            if ((int) SYMLINKAT.invokeExact(st, Native.cstr(a, target), dirfd, Native.cstr(a, linkPath)) != 0) {
                throw Native.failure("symlinkat", st);
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }

    /** {@code ssize_t readlinkat(int dirfd, const char *pathname, char *buf, size_t bufsiz)}: the target, decoded as UTF-8. */
    public static String readlinkat(int dirfd, String path) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            MemorySegment buf = a.allocate(4096);
            long n = (long) READLINKAT.invokeExact(st, dirfd, Native.cstr(a, path), buf, 4096L);
            if (n < 0) {
                throw Native.failure("readlinkat", st);
            }
            return new String(buf.asSlice(0, n).toArray(JAVA_BYTE), StandardCharsets.UTF_8);
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }

    /**
     * {@code int statvfs(const char *path, struct statvfs *buf)} On 64-bit Linux the struct is
     * 11 unsigned longs (bsize, frsize, blocks, bfree, bavail, files, ffree, favail, fsid, flag,
     * namemax) then 6 ints of padding. Fills {@code out} with those 11 values.
     */
    public static void statvfs(String path, long[] out) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            MemorySegment buf = a.allocate(11 * 8 + 6 * 4 + 64, 8);
            if ((int) STATVFS.invokeExact(st, Native.cstr(a, path), buf) != 0) {
                throw Native.failure("statvfs", st);
            }
            for (int i = 0; i < 11; i++) {
                out[i] = buf.getAtIndex(JAVA_LONG, i);
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }

    /**
     * {@code int fstatat(int dirfd, const char *pathname, struct stat *statbuf, int flags)}
     * Fills {@code out} (indexes ST_*). Offsets: x86-64 {@code struct stat} (nlink 8 bytes at
     * 16, mode at 24, blksize 8 bytes) or the generic one of aarch64 (mode at 16, nlink 4 bytes
     * at 20, blksize 4 bytes); the rest is shared. Done with statx(2) where there is one, which
     * also gives the birth time (the server's file identity stamp besides the inode number).
     */
    public static void fstatat(int dirfd, String path, long[] out, int flags) throws ErrnoException {
        if (statxWorks && statx(dirfd, path, out, flags)) {
            return;
        }
        out[ST_BTIME] = 0;
        out[ST_BTIME_NS] = 0;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            MemorySegment s = a.allocate(STAT_SIZE, 8);
            if ((int) FSTATAT.invokeExact(st, dirfd, Native.cstr(a, path), s, flags) != 0) {
                throw Native.failure("fstatat", st);
            }
            out[ST_DEV] = s.get(JAVA_LONG, 0);
            out[ST_INO] = s.get(JAVA_LONG, 8);
            if (Native.X86_64) {
                out[ST_NLINK] = s.get(JAVA_LONG, 16);
                out[ST_MODE] = Integer.toUnsignedLong(s.get(JAVA_INT, 24));
                out[ST_UID] = Integer.toUnsignedLong(s.get(JAVA_INT, 28));
                out[ST_GID] = Integer.toUnsignedLong(s.get(JAVA_INT, 32));
                out[ST_RDEV] = s.get(JAVA_LONG, 40);
                out[ST_BLKSIZE] = s.get(JAVA_LONG, 56);
            } else {
                out[ST_MODE] = Integer.toUnsignedLong(s.get(JAVA_INT, 16));
                out[ST_NLINK] = Integer.toUnsignedLong(s.get(JAVA_INT, 20));
                out[ST_UID] = Integer.toUnsignedLong(s.get(JAVA_INT, 24));
                out[ST_GID] = Integer.toUnsignedLong(s.get(JAVA_INT, 28));
                out[ST_RDEV] = s.get(JAVA_LONG, 32);
                out[ST_BLKSIZE] = Integer.toUnsignedLong(s.get(JAVA_INT, 56));
            }
            out[ST_SIZE] = s.get(JAVA_LONG, 48);
            out[ST_BLOCKS] = s.get(JAVA_LONG, 64);
            out[ST_ATIME] = s.get(JAVA_LONG, 72);
            out[ST_ATIME_NS] = s.get(JAVA_LONG, 80);
            out[ST_MTIME] = s.get(JAVA_LONG, 88);
            out[ST_MTIME_NS] = s.get(JAVA_LONG, 96);
            out[ST_CTIME] = s.get(JAVA_LONG, 104);
            out[ST_CTIME_NS] = s.get(JAVA_LONG, 112);
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }

    /**
     * {@code int statx(int dirfd, const char *pathname, int flags, unsigned mask, struct statx *buf)}
     * into {@code out} as {@link #fstatat} fills it. False (nothing filled) when statx is refused
     * (ENOSYS, or EPERM from a seccomp filter of an old container runtime): the caller uses fstatat.
     */
    private static boolean statx(int dirfd, String path, long[] out, int flags) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            MemorySegment s = a.allocate(STATX_SIZE, 8);
            if ((int) STATX.invokeExact(st, dirfd, Native.cstr(a, path), flags, STATX_BASIC_STATS | STATX_BTIME, s) != 0) {
                ErrnoException e = Native.failure("statx", st);
                if (e.errno() == Errno.ENOSYS || e.errno() == Errno.EPERM) {
                    statxWorks = false;
                    return false;
                }
                throw e;
            }
            int mask = s.get(JAVA_INT, 0);
            out[ST_BLKSIZE] = Integer.toUnsignedLong(s.get(JAVA_INT, 4));
            out[ST_NLINK] = Integer.toUnsignedLong(s.get(JAVA_INT, 16));
            out[ST_UID] = Integer.toUnsignedLong(s.get(JAVA_INT, 20));
            out[ST_GID] = Integer.toUnsignedLong(s.get(JAVA_INT, 24));
            out[ST_MODE] = Short.toUnsignedLong(s.get(JAVA_SHORT, 28));
            out[ST_INO] = s.get(JAVA_LONG, 32);
            out[ST_SIZE] = s.get(JAVA_LONG, 40);
            out[ST_BLOCKS] = s.get(JAVA_LONG, 48);
            out[ST_ATIME] = s.get(JAVA_LONG, 64);
            out[ST_ATIME_NS] = Integer.toUnsignedLong(s.get(JAVA_INT, 72));
            boolean born = (mask & STATX_BTIME) != 0;
            out[ST_BTIME] = born ? s.get(JAVA_LONG, 80) : 0;
            out[ST_BTIME_NS] = born ? Integer.toUnsignedLong(s.get(JAVA_INT, 88)) : 0;
            out[ST_CTIME] = s.get(JAVA_LONG, 96);
            out[ST_CTIME_NS] = Integer.toUnsignedLong(s.get(JAVA_INT, 104));
            out[ST_MTIME] = s.get(JAVA_LONG, 112);
            out[ST_MTIME_NS] = Integer.toUnsignedLong(s.get(JAVA_INT, 120));
            out[ST_RDEV] = makedev(s.get(JAVA_INT, 128), s.get(JAVA_INT, 132));
            out[ST_DEV] = makedev(s.get(JAVA_INT, 136), s.get(JAVA_INT, 140));
            return true;
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }

    /** glibc's makedev: st_dev and st_rdev as stat(2) gives them. */
    static long makedev(int major, int minor) {
        long ma = Integer.toUnsignedLong(major), mi = Integer.toUnsignedLong(minor);
        return ((ma & 0xfffff000L) << 32) | ((ma & 0xfffL) << 8) | ((mi & 0xffffff00L) << 12) | (mi & 0xffL);
    }
}
