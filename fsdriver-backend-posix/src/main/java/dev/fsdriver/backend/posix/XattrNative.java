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
import java.util.ArrayList;
import java.util.List;

/**
 * The posix backend's extended-attribute calls (FFM, glibc), apart from {@link LinuxNative} so
 * that they move as one piece. Each takes a path and whether to follow a final symlink: the
 * backend passes /proc/self/fd/DIRFD/NAME (DIRFD opened beneath the share root) with
 * follow = false, so neither an intermediate nor the final component is a symlink followed,
 * and the root's own /proc/self/fd/ROOTFD with follow = true (that magic link is the root).
 * Conventions as in {@link LinuxNative}: the result or {@code -errno}.
 */
final class XattrNative {
    /** Linux XATTR_SIZE_MAX and XATTR_LIST_MAX: no value or list is larger. */
    private static final int MAX = 65536;
    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    /** [follow ? 1 : 0]: getxattr/lgetxattr and so on. */
    private static final MethodHandle[] GET = new MethodHandle[2];
    private static final MethodHandle[] SET = new MethodHandle[2];
    private static final MethodHandle[] LIST = new MethodHandle[2];
    private static final MethodHandle[] REMOVE = new MethodHandle[2];
    static final boolean AVAILABLE;

    static {
        boolean ok = false;
        try {
            if (LinuxNative.AVAILABLE) {
                SymbolLookup libc = LINKER.defaultLookup();
                Linker.Option errno = Linker.Option.captureCallState("errno");
                ValueLayout I = ValueLayout.JAVA_INT, L = ValueLayout.JAVA_LONG, A = ValueLayout.ADDRESS;
                String[] prefix = {"l", ""};
                for (int f = 0; f < 2; f++) {
                    GET[f] = find(libc, prefix[f] + "getxattr", FunctionDescriptor.of(L, A, A, A, L), errno);
                    SET[f] = find(libc, prefix[f] + "setxattr", FunctionDescriptor.of(I, A, A, A, L, I), errno);
                    LIST[f] = find(libc, prefix[f] + "listxattr", FunctionDescriptor.of(L, A, A, L), errno);
                    REMOVE[f] = find(libc, prefix[f] + "removexattr", FunctionDescriptor.of(I, A, A), errno);
                }
                ok = true;
                for (MethodHandle[] hs : new MethodHandle[][] {GET, SET, LIST, REMOVE}) {
                    ok &= hs[0] != null && hs[1] != null;
                }
            }
        } catch (RuntimeException | LinkageError e) {
            ok = false;
        }
        AVAILABLE = ok;
    }

    private XattrNative() {}

    private static MethodHandle find(SymbolLookup lookup, String name, FunctionDescriptor fd, Linker.Option... options) {
        return lookup.find(name).map(s -> LINKER.downcallHandle(s, fd, options)).orElse(null);
    }

    private static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    private static int f(boolean follow) {
        return follow ? 1 : 0;
    }

    /** {@code ssize_t [l]getxattr(path, name, value, size)}: the value in {@code out[0]}; 0 or -errno. */
    static int getxattr(String path, boolean follow, String name, byte[][] out) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            MemorySegment buf = arena.allocate(MAX);
            long n = (long) GET[f(follow)].invokeExact(state, cstr(arena, path), cstr(arena, name), buf, (long) MAX);
            if (n < 0) {
                return -errno(state);
            }
            out[0] = buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
            return 0;
        } catch (Throwable t) {
            throw new IllegalStateException("getxattr", t);
        }
    }

    /** {@code ssize_t [l]listxattr(path, list, size)}: the names in {@code out}; 0 or -errno. */
    static int listxattr(String path, boolean follow, List<String> out) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            MemorySegment buf = arena.allocate(MAX);
            long n = (long) LIST[f(follow)].invokeExact(state, cstr(arena, path), buf, (long) MAX);
            if (n < 0) {
                return -errno(state);
            }
            byte[] all = buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
            int start = 0;
            for (int i = 0; i < all.length; i++) {
                if (all[i] == 0) {
                    out.add(new String(all, start, i - start, StandardCharsets.UTF_8));
                    start = i + 1;
                }
            }
            return 0;
        } catch (Throwable t) {
            throw new IllegalStateException("listxattr", t);
        }
    }

    /** {@code int [l]setxattr(path, name, value, size, flags)}: 0 or -errno. */
    static int setxattr(String path, boolean follow, String name, byte[] value, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            MemorySegment v = arena.allocate(Math.max(1, value.length));
            MemorySegment.copy(value, 0, v, ValueLayout.JAVA_BYTE, 0, value.length);
            int r = (int) SET[f(follow)].invokeExact(state, cstr(arena, path), cstr(arena, name), v,
                    (long) value.length, flags);
            return r == 0 ? 0 : -errno(state);
        } catch (Throwable t) {
            throw new IllegalStateException("setxattr", t);
        }
    }

    /** {@code int [l]removexattr(path, name)}: 0 or -errno. */
    static int removexattr(String path, boolean follow, String name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            int r = (int) REMOVE[f(follow)].invokeExact(state, cstr(arena, path), cstr(arena, name));
            return r == 0 ? 0 : -errno(state);
        } catch (Throwable t) {
            throw new IllegalStateException("removexattr", t);
        }
    }

    private static MemorySegment cstr(Arena arena, String s) {
        return arena.allocateFrom(s, StandardCharsets.UTF_8);
    }
}
