package dev.fsdriver.backend.posix;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;

/**
 * The posix backend's only native calls (FFM, glibc), Linux x86-64 and aarch64: the *at
 * family relative to directory descriptors opened with openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS), which is what makes containment race-free; plus what java.nio cannot
 * say (rename flags, byte-exact symlink targets, statvfs inode counts, a cheap lstat).
 * One static method per C function, named like it; each returns its result or {@code -errno}.
 * {@link #AVAILABLE} is false elsewhere; the backend then falls back to java.nio.
 */
final class LinuxNative {
    static final int AT_FDCWD = -100;
    static final int AT_SYMLINK_NOFOLLOW = 0x100;
    static final int AT_EMPTY_PATH = 0x1000;
    static final int AT_REMOVEDIR = 0x200;
    static final long RESOLVE_NO_MAGICLINKS = 0x02;
    static final long RESOLVE_NO_SYMLINKS = 0x04;
    static final long RESOLVE_BENEATH = 0x08;
    private static final long SYS_OPENAT2 = 437; // same number on x86-64 and aarch64

    private static final boolean X86_64 = "amd64".equals(System.getProperty("os.arch"))
            || "x86_64".equals(System.getProperty("os.arch"));
    /** open(2) flags that differ between x86-64 and arm64. */
    static final int O_RDONLY = 0;
    static final int O_DIRECTORY = X86_64 ? 0200000 : 040000;
    static final int O_PATH = 010000000;
    static final int O_NOFOLLOW = X86_64 ? 0400000 : 0100000;
    static final int O_CLOEXEC = 02000000;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final int STAT_SIZE = 144; // x86-64; aarch64's is 128

    private static final MethodHandle SYSCALL_OPENAT2;
    private static final MethodHandle CLOSE;
    private static final MethodHandle FSTATAT;
    private static final MethodHandle FCHMODAT;
    private static final MethodHandle UNLINKAT;
    private static final MethodHandle RENAMEAT2;
    private static final MethodHandle SYMLINKAT;
    private static final MethodHandle READLINKAT;
    private static final MethodHandle STATVFS;
    private static final MethodHandle FCHOWNAT;
    private static final MethodHandle UTIMENSAT;
    private static final MethodHandle MKNODAT;
    private static final MethodHandle GETEUID;

    /** utimensat's tv_nsec values: the current time, and leave as it is. */
    static final long UTIME_NOW = (1L << 30) - 1;
    static final long UTIME_OMIT = (1L << 30) - 2;

    /** True when every function above was found (Linux, glibc >= 2.33, x86-64 or aarch64). */
    static final boolean AVAILABLE;

    static {
        MethodHandle[] h = new MethodHandle[13];
        boolean ok = false;
        try {
            String arch = System.getProperty("os.arch", "");
            if (System.getProperty("os.name", "").startsWith("Linux")
                    && (X86_64 || arch.equals("aarch64"))) {
                SymbolLookup libc = LINKER.defaultLookup();
                Linker.Option errno = Linker.Option.captureCallState("errno");
                ValueLayout I = ValueLayout.JAVA_INT, L = ValueLayout.JAVA_LONG, A = ValueLayout.ADDRESS;
                h[0] = find(libc, "syscall", FunctionDescriptor.of(L, L, L, A, A, L), errno, Linker.Option.firstVariadicArg(1));
                h[1] = find(libc, "close", FunctionDescriptor.of(I, I), errno);
                h[2] = find(libc, "fstatat", FunctionDescriptor.of(I, I, A, A, I), errno);
                h[3] = find(libc, "fchmodat", FunctionDescriptor.of(I, I, A, I, I), errno);
                h[4] = find(libc, "renameat2", FunctionDescriptor.of(I, I, A, I, A, I), errno);
                h[5] = find(libc, "symlinkat", FunctionDescriptor.of(I, A, I, A), errno);
                h[6] = find(libc, "readlinkat", FunctionDescriptor.of(L, I, A, A, L), errno);
                h[7] = find(libc, "statvfs", FunctionDescriptor.of(I, A, A), errno);
                h[8] = find(libc, "unlinkat", FunctionDescriptor.of(I, I, A, I), errno);
                h[9] = find(libc, "fchownat", FunctionDescriptor.of(I, I, A, I, I, I), errno);
                h[10] = find(libc, "utimensat", FunctionDescriptor.of(I, I, A, A, I), errno);
                h[11] = find(libc, "mknodat", FunctionDescriptor.of(I, I, A, I, L), errno);
                h[12] = find(libc, "geteuid", FunctionDescriptor.of(I));
                ok = true;
                for (MethodHandle m : h) {
                    ok &= m != null;
                }
            }
        } catch (RuntimeException | LinkageError e) {
            ok = false;
        }
        SYSCALL_OPENAT2 = h[0];
        CLOSE = h[1];
        FSTATAT = h[2];
        FCHMODAT = h[3];
        RENAMEAT2 = h[4];
        SYMLINKAT = h[5];
        READLINKAT = h[6];
        STATVFS = h[7];
        UNLINKAT = h[8];
        FCHOWNAT = h[9];
        UTIMENSAT = h[10];
        MKNODAT = h[11];
        GETEUID = h[12];
        AVAILABLE = ok;
    }

    private LinuxNative() {}

    private static MethodHandle find(SymbolLookup lookup, String name, FunctionDescriptor fd, Linker.Option... options) {
        return lookup.find(name).map(s -> LINKER.downcallHandle(s, fd, options)).orElse(null);
    }

    private static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    /**
     * {@code long syscall(SYS_openat2, int dirfd, const char *pathname, struct open_how *how, size_t size);}
     * with {@code struct open_how { u64 flags; u64 mode; u64 resolve; }}. Returns the fd or -errno
     * (-ENOSYS before Linux 5.6).
     */
    static int openat2(int dirfd, String path, int flags, long resolve) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            MemorySegment how = arena.allocate(24, 8);
            how.set(ValueLayout.JAVA_LONG, 0, Integer.toUnsignedLong(flags));
            how.set(ValueLayout.JAVA_LONG, 8, 0L);
            how.set(ValueLayout.JAVA_LONG, 16, resolve);
            long r = (long) SYSCALL_OPENAT2.invokeExact(state, SYS_OPENAT2, (long) dirfd, cstr(arena, path), how, 24L);
            return r < 0 ? -errno(state) : (int) r;
        } catch (Throwable t) {
            throw new IllegalStateException("openat2", t);
        }
    }

    /** {@code int close(int fd);} */
    static int close(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            int r = (int) CLOSE.invokeExact(state, fd);
            return r == 0 ? 0 : -errno(state);
        } catch (Throwable t) {
            throw new IllegalStateException("close", t);
        }
    }

    /** {@code int fchmodat(int dirfd, const char *pathname, mode_t mode, int flags);} (glibc refuses a symlink with EOPNOTSUPP under AT_SYMLINK_NOFOLLOW) */
    static int fchmodat(int dirfd, String path, int mode, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            int r = (int) FCHMODAT.invokeExact(state, dirfd, cstr(arena, path), mode, flags);
            return r == 0 ? 0 : -errno(state);
        } catch (Throwable t) {
            throw new IllegalStateException("fchmodat", t);
        }
    }

    /** {@code int mknodat(int dirfd, const char *pathname, mode_t mode, dev_t dev);} (FIFOs and sockets: dev 0) */
    static int mknodat(int dirfd, String path, int mode) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            int r = (int) MKNODAT.invokeExact(state, dirfd, cstr(arena, path), mode, 0L);
            return r == 0 ? 0 : -errno(state);
        } catch (Throwable t) {
            throw new IllegalStateException("mknodat", t);
        }
    }

    /** {@code uid_t geteuid(void);} */
    static int geteuid() {
        try {
            return (int) GETEUID.invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException("geteuid", t);
        }
    }

    /** {@code int fchownat(int dirfd, const char *pathname, uid_t owner, gid_t group, int flags);} -1 leaves one as it is. */
    static int fchownat(int dirfd, String path, int uid, int gid, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            int r = (int) FCHOWNAT.invokeExact(state, dirfd, cstr(arena, path), uid, gid, flags);
            return r == 0 ? 0 : -errno(state);
        } catch (Throwable t) {
            throw new IllegalStateException("fchownat", t);
        }
    }

    /**
     * {@code int utimensat(int dirfd, const char *pathname, const struct timespec times[2], int flags);}
     * Times in nanoseconds since the epoch, or {@link #UTIME_NOW} / {@link #UTIME_OMIT} as
     * {@code nowOrOmit} (then the time itself is ignored); index 0 is atime, 1 mtime.
     */
    static int utimensat(int dirfd, String path, long atimeNs, long atimeSpecial, long mtimeNs, long mtimeSpecial,
                         int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            MemorySegment times = arena.allocate(32, 8);
            timespec(times, 0, atimeNs, atimeSpecial);
            timespec(times, 16, mtimeNs, mtimeSpecial);
            int r = (int) UTIMENSAT.invokeExact(state, dirfd, cstr(arena, path), times, flags);
            return r == 0 ? 0 : -errno(state);
        } catch (Throwable t) {
            throw new IllegalStateException("utimensat", t);
        }
    }

    private static void timespec(MemorySegment at, long offset, long ns, long special) {
        if (special != 0) {
            at.set(ValueLayout.JAVA_LONG, offset, 0L);
            at.set(ValueLayout.JAVA_LONG, offset + 8, special);
        } else {
            at.set(ValueLayout.JAVA_LONG, offset, Math.floorDiv(ns, 1_000_000_000L));
            at.set(ValueLayout.JAVA_LONG, offset + 8, Math.floorMod(ns, 1_000_000_000L));
        }
    }

    /**
     * {@code int unlinkat(int dirfd, const char *pathname, int flags);} Without AT_REMOVEDIR a
     * directory fails EISDIR; with it anything else fails ENOTDIR: the kernel checks the type.
     */
    static int unlinkat(int dirfd, String path, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            int r = (int) UNLINKAT.invokeExact(state, dirfd, cstr(arena, path), flags);
            return r == 0 ? 0 : -errno(state);
        } catch (Throwable t) {
            throw new IllegalStateException("unlinkat", t);
        }
    }

    /** {@code int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags);} */
    static int renameat2(int oldDirfd, String oldPath, int newDirfd, String newPath, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            int r = (int) RENAMEAT2.invokeExact(state, oldDirfd, cstr(arena, oldPath), newDirfd, cstr(arena, newPath), flags);
            return r == 0 ? 0 : -errno(state);
        } catch (Throwable t) {
            throw new IllegalStateException("renameat2", t);
        }
    }

    /** {@code int symlinkat(const char *target, int newdirfd, const char *linkpath);} */
    static int symlinkat(String target, int dirfd, String linkPath) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            int r = (int) SYMLINKAT.invokeExact(state, cstr(arena, target), dirfd, cstr(arena, linkPath));
            return r == 0 ? 0 : -errno(state);
        } catch (Throwable t) {
            throw new IllegalStateException("symlinkat", t);
        }
    }

    /**
     * {@code ssize_t readlinkat(int dirfd, const char *pathname, char *buf, size_t bufsiz);}
     * Puts the target, decoded as UTF-8, in {@code out[0]}; returns 0 or -errno.
     */
    static int readlinkat(int dirfd, String path, String[] out) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            MemorySegment buf = arena.allocate(4096);
            long n = (long) READLINKAT.invokeExact(state, dirfd, cstr(arena, path), buf, 4096L);
            if (n < 0) {
                return -errno(state);
            }
            out[0] = new String(buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
            return 0;
        } catch (Throwable t) {
            throw new IllegalStateException("readlinkat", t);
        }
    }

    /**
     * {@code int statvfs(const char *path, struct statvfs *buf);} On 64-bit Linux the struct is
     * 11 unsigned longs (bsize, frsize, blocks, bfree, bavail, files, ffree, favail, fsid, flag,
     * namemax) then 6 ints of padding. Fills {@code out} with those 11 values.
     */
    static int statvfs(String path, long[] out) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            MemorySegment buf = arena.allocate(11 * 8 + 6 * 4 + 64, 8);
            int r = (int) STATVFS.invokeExact(state, cstr(arena, path), buf);
            if (r != 0) {
                return -errno(state);
            }
            for (int i = 0; i < 11; i++) {
                out[i] = buf.getAtIndex(ValueLayout.JAVA_LONG, i);
            }
            return 0;
        } catch (Throwable t) {
            throw new IllegalStateException("statvfs", t);
        }
    }

    /** Indexes into the array {@link #fstatat} fills. */
    static final int ST_DEV = 0, ST_INO = 1, ST_MODE = 2, ST_NLINK = 3, ST_UID = 4, ST_GID = 5, ST_RDEV = 6,
            ST_SIZE = 7, ST_BLKSIZE = 8, ST_BLOCKS = 9, ST_ATIME = 10, ST_ATIME_NS = 11, ST_MTIME = 12,
            ST_MTIME_NS = 13, ST_CTIME = 14, ST_CTIME_NS = 15, ST_FIELDS = 16;

    /**
     * {@code int fstatat(int dirfd, const char *pathname, struct stat *statbuf, int flags);}
     * Fills {@code out} (indexes ST_*) and returns 0, or -errno. Offsets: x86-64 {@code struct
     * stat} (nlink 8 bytes at 16, mode at 24, blksize 8 bytes) or the generic one of aarch64
     * (mode at 16, nlink 4 bytes at 20, blksize 4 bytes); the rest is shared.
     */
    static int fstatat(int dirfd, String path, long[] out, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            MemorySegment st = arena.allocate(STAT_SIZE, 8);
            int r = (int) FSTATAT.invokeExact(state, dirfd, cstr(arena, path), st, flags);
            if (r != 0) {
                return -errno(state);
            }
            out[ST_DEV] = st.get(ValueLayout.JAVA_LONG, 0);
            out[ST_INO] = st.get(ValueLayout.JAVA_LONG, 8);
            if (X86_64) {
                out[ST_NLINK] = st.get(ValueLayout.JAVA_LONG, 16);
                out[ST_MODE] = Integer.toUnsignedLong(st.get(ValueLayout.JAVA_INT, 24));
                out[ST_UID] = Integer.toUnsignedLong(st.get(ValueLayout.JAVA_INT, 28));
                out[ST_GID] = Integer.toUnsignedLong(st.get(ValueLayout.JAVA_INT, 32));
                out[ST_RDEV] = st.get(ValueLayout.JAVA_LONG, 40);
                out[ST_BLKSIZE] = st.get(ValueLayout.JAVA_LONG, 56);
            } else {
                out[ST_MODE] = Integer.toUnsignedLong(st.get(ValueLayout.JAVA_INT, 16));
                out[ST_NLINK] = Integer.toUnsignedLong(st.get(ValueLayout.JAVA_INT, 20));
                out[ST_UID] = Integer.toUnsignedLong(st.get(ValueLayout.JAVA_INT, 24));
                out[ST_GID] = Integer.toUnsignedLong(st.get(ValueLayout.JAVA_INT, 28));
                out[ST_RDEV] = st.get(ValueLayout.JAVA_LONG, 32);
                out[ST_BLKSIZE] = Integer.toUnsignedLong(st.get(ValueLayout.JAVA_INT, 56));
            }
            out[ST_SIZE] = st.get(ValueLayout.JAVA_LONG, 48);
            out[ST_BLOCKS] = st.get(ValueLayout.JAVA_LONG, 64);
            out[ST_ATIME] = st.get(ValueLayout.JAVA_LONG, 72);
            out[ST_ATIME_NS] = st.get(ValueLayout.JAVA_LONG, 80);
            out[ST_MTIME] = st.get(ValueLayout.JAVA_LONG, 88);
            out[ST_MTIME_NS] = st.get(ValueLayout.JAVA_LONG, 96);
            out[ST_CTIME] = st.get(ValueLayout.JAVA_LONG, 104);
            out[ST_CTIME_NS] = st.get(ValueLayout.JAVA_LONG, 112);
            return 0;
        } catch (Throwable t) {
            throw new IllegalStateException("fstatat", t);
        }
    }

    private static MemorySegment cstr(Arena arena, String s) {
        return arena.allocateFrom(s, StandardCharsets.UTF_8);
    }
}
