package dev.fsdriver.linux;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Extended attributes by path: getxattr, setxattr, listxattr, removexattr and their l* forms
 * (which do not follow a final symlink), chosen by {@code follow}. The posix backend passes
 * /proc/self/fd/DIRFD/NAME (DIRFD opened beneath the share root) with follow = false, and the
 * root's own /proc/self/fd/ROOTFD magic link with follow = true. Conventions as {@link FileCalls}.
 */
public final class XattrCalls {
    /** Linux XATTR_SIZE_MAX and XATTR_LIST_MAX: no value or name list is larger. */
    private static final int MAX = 65536;

    private static final MethodHandle GET = get("lgetxattr");
    private static final MethodHandle GET_FOLLOW = get("getxattr");
    private static final MethodHandle SET = set("lsetxattr");
    private static final MethodHandle SET_FOLLOW = set("setxattr");
    private static final MethodHandle LIST = list("llistxattr");
    private static final MethodHandle LIST_FOLLOW = list("listxattr");
    private static final MethodHandle REMOVE = remove("lremovexattr");
    private static final MethodHandle REMOVE_FOLLOW = remove("removexattr");

    /** True when every function above was found (Linux). */
    public static final boolean AVAILABLE = Stream.of(GET, GET_FOLLOW, SET, SET_FOLLOW, LIST, LIST_FOLLOW, REMOVE,
            REMOVE_FOLLOW).allMatch(h -> h != null);

    private XattrCalls() {}

    private static MethodHandle get(String name) {
        return Native.downcall(name, FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG));
    }

    private static MethodHandle set(String name) {
        return Native.downcall(name, FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT));
    }

    private static MethodHandle list(String name) {
        return Native.downcall(name, FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG));
    }

    private static MethodHandle remove(String name) {
        return Native.downcall(name, FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    }

    /** {@code ssize_t [l]getxattr(path, name, value, size)}: the value. */
    public static byte[] getxattr(String path, boolean follow, String name) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            MemorySegment buf = a.allocate(MAX);
            long n = (long) (follow ? GET_FOLLOW : GET).invokeExact(st, Native.cstr(a, path), Native.cstr(a, name), buf, (long) MAX);
            if (n < 0) {
                throw Native.failure("getxattr", st);
            }
            return buf.asSlice(0, n).toArray(JAVA_BYTE);
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }

    /** {@code ssize_t [l]listxattr(path, list, size)}: the names, every namespace. */
    public static List<String> listxattr(String path, boolean follow) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            MemorySegment buf = a.allocate(MAX);
            long n = (long) (follow ? LIST_FOLLOW : LIST).invokeExact(st, Native.cstr(a, path), buf, (long) MAX);
            if (n < 0) {
                throw Native.failure("listxattr", st);
            }
            byte[] all = buf.asSlice(0, n).toArray(JAVA_BYTE);
            List<String> names = new ArrayList<>();
            int start = 0;
            for (int i = 0; i < all.length; i++) {
                if (all[i] == 0) {
                    names.add(new String(all, start, i - start, StandardCharsets.UTF_8));
                    start = i + 1;
                }
            }
            return names;
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }

    /** {@code int [l]setxattr(path, name, value, size, flags)} */
    public static void setxattr(String path, boolean follow, String name, byte[] value, int flags) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            MemorySegment v = a.allocate(Math.max(1, value.length));
            MemorySegment.copy(value, 0, v, JAVA_BYTE, 0, value.length);
            if ((int) (follow ? SET_FOLLOW : SET).invokeExact(st, Native.cstr(a, path), Native.cstr(a, name), v,
                    (long) value.length, flags) != 0) {
                throw Native.failure("setxattr", st);
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }

    /** {@code int [l]removexattr(path, name)} */
    public static void removexattr(String path, boolean follow, String name) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            if ((int) (follow ? REMOVE_FOLLOW : REMOVE).invokeExact(st, Native.cstr(a, path), Native.cstr(a, name)) != 0) {
                throw Native.failure("removexattr", st);
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }
}
