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
 * rename flags, symlink targets stored and read byte-exact, statvfs inode counts. One static
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

    /** True when every function above was found. */
    static final boolean AVAILABLE;

    static {
        MethodHandle renameat2 = null, symlink = null, readlink = null, statvfs = null;
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

    private static MemorySegment cstr(Arena arena, String s) {
        return arena.allocateFrom(s, StandardCharsets.UTF_8);
    }
}
