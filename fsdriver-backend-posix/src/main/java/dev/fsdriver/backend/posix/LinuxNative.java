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
import java.util.Optional;

/**
 * The posix backend's only native calls (FFM, libc), for what java.nio cannot say: atomic
 * rename flags, symlink targets stored and read byte-exact, statvfs inode counts, and a cheap
 * lstat (java.nio's "unix:*" attribute map costs several times the syscall). One static
 * method per C function, named like it; each returns 0 or a result, or {@code -errno}.
 * {@link #AVAILABLE} is false off Linux/glibc; callers then fall back to java.nio.
 */
final class LinuxNative {
    static final int AT_FDCWD = -100;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle RENAMEAT2;
    private static final MethodHandle SYMLINK;
    private static final MethodHandle READLINK;
    private static final MethodHandle STATVFS;
    private static final MethodHandle LSTAT;
    /** struct stat layout: x86-64 and the generic one (aarch64) differ in mode/nlink/blksize. */
    private static final boolean X86_64 = "amd64".equals(System.getProperty("os.arch"))
            || "x86_64".equals(System.getProperty("os.arch"));
    private static final int STAT_SIZE = 144;

    /** True when every function above was found. */
    static final boolean AVAILABLE;
    /** True when {@link #lstat} can be used (glibc >= 2.33 on x86-64 or aarch64). */
    static final boolean LSTAT_AVAILABLE;

    static {
        MethodHandle renameat2 = null, symlink = null, readlink = null, statvfs = null, lstat = null;
        boolean ok = false;
        try {
            if (System.getProperty("os.name", "").startsWith("Linux")) {
                SymbolLookup libc = LINKER.defaultLookup();
                Linker.Option errno = Linker.Option.captureCallState("errno");
                renameat2 = find(libc, "renameat2", FunctionDescriptor.of(ValueLayout.JAVA_INT,
                        ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                        ValueLayout.JAVA_INT), errno);
                symlink = find(libc, "symlink", FunctionDescriptor.of(ValueLayout.JAVA_INT,
                        ValueLayout.ADDRESS, ValueLayout.ADDRESS), errno);
                readlink = find(libc, "readlink", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
                        ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG), errno);
                statvfs = find(libc, "statvfs", FunctionDescriptor.of(ValueLayout.JAVA_INT,
                        ValueLayout.ADDRESS, ValueLayout.ADDRESS), errno);
                String arch = System.getProperty("os.arch");
                if (arch.equals("amd64") || arch.equals("x86_64") || arch.equals("aarch64")) {
                    lstat = find(libc, "lstat", FunctionDescriptor.of(ValueLayout.JAVA_INT,
                            ValueLayout.ADDRESS, ValueLayout.ADDRESS), errno);
                }
                ok = renameat2 != null && symlink != null && readlink != null && statvfs != null;
            }
        } catch (RuntimeException | LinkageError e) {
            ok = false;
        }
        RENAMEAT2 = renameat2;
        SYMLINK = symlink;
        READLINK = readlink;
        STATVFS = statvfs;
        AVAILABLE = ok;
        LSTAT = ok ? lstat : null;
        LSTAT_AVAILABLE = LSTAT != null;
    }

    private LinuxNative() {}

    private static MethodHandle find(SymbolLookup lookup, String name, FunctionDescriptor fd, Linker.Option... options) {
        Optional<MemorySegment> sym = lookup.find(name);
        return sym.map(s -> LINKER.downcallHandle(s, fd, options)).orElse(null);
    }

    /** {@code int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags);} */
    static int renameat2(String oldPath, String newPath, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            int r = (int) RENAMEAT2.invokeExact(state, AT_FDCWD, cstr(arena, oldPath), AT_FDCWD, cstr(arena, newPath), flags);
            return r == 0 ? 0 : -(int) ERRNO.get(state, 0L);
        } catch (Throwable t) {
            throw new IllegalStateException("renameat2", t);
        }
    }

    /** {@code int symlink(const char *target, const char *linkpath);} */
    static int symlink(String target, String linkPath) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            int r = (int) SYMLINK.invokeExact(state, cstr(arena, target), cstr(arena, linkPath));
            return r == 0 ? 0 : -(int) ERRNO.get(state, 0L);
        } catch (Throwable t) {
            throw new IllegalStateException("symlink", t);
        }
    }

    /**
     * {@code ssize_t readlink(const char *pathname, char *buf, size_t bufsiz);} Returns the target
     * decoded as UTF-8 in {@code out[0]} and 0, or {@code -errno}.
     */
    static int readlink(String path, String[] out) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            MemorySegment buf = arena.allocate(4096);
            long n = (long) READLINK.invokeExact(state, cstr(arena, path), buf, 4096L);
            if (n < 0) {
                return -(int) ERRNO.get(state, 0L);
            }
            out[0] = new String(buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
            return 0;
        } catch (Throwable t) {
            throw new IllegalStateException("readlink", t);
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
                return -(int) ERRNO.get(state, 0L);
            }
            for (int i = 0; i < 11; i++) {
                out[i] = buf.getAtIndex(ValueLayout.JAVA_LONG, i);
            }
            return 0;
        } catch (Throwable t) {
            throw new IllegalStateException("statvfs", t);
        }
    }

    /** Indexes into the array {@link #lstat} fills. */
    static final int ST_DEV = 0, ST_INO = 1, ST_MODE = 2, ST_NLINK = 3, ST_UID = 4, ST_GID = 5, ST_RDEV = 6,
            ST_SIZE = 7, ST_BLKSIZE = 8, ST_BLOCKS = 9, ST_ATIME = 10, ST_ATIME_NS = 11, ST_MTIME = 12,
            ST_MTIME_NS = 13, ST_CTIME = 14, ST_CTIME_NS = 15, ST_FIELDS = 16;

    /**
     * {@code int lstat(const char *pathname, struct stat *statbuf);} Fills {@code out} (indexes
     * ST_*) and returns 0, or {@code -errno}. Offsets: x86-64 {@code struct stat} (nlink 8 bytes
     * at 16, mode at 24, blksize 8 bytes) or the generic one of aarch64 (mode at 16, nlink 4 bytes
     * at 20, blksize 4 bytes); the rest is shared.
     */
    static int lstat(String path, long[] out) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            MemorySegment st = arena.allocate(STAT_SIZE, 8);
            int r = (int) LSTAT.invokeExact(state, cstr(arena, path), st);
            if (r != 0) {
                return -(int) ERRNO.get(state, 0L);
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
            throw new IllegalStateException("lstat", t);
        }
    }

    private static MemorySegment cstr(Arena arena, String s) {
        return arena.allocateFrom(s, StandardCharsets.UTF_8);
    }
}
