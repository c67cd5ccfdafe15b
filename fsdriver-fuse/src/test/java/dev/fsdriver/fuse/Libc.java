package dev.fsdriver.fuse;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * System calls java.nio does not offer (renameat2 flags, SEEK_DATA/HOLE, copy_file_range,
 * mknod), so tests can reach the matching FUSE operations. Each returns the result, or -errno.
 */
final class Libc {
    static final int AT_FDCWD = -100;
    static final int RENAME_NOREPLACE = 1;
    static final int RENAME_EXCHANGE = 2;
    static final int SEEK_DATA = 3;
    static final int SEEK_HOLE = 4;
    static final int O_RDONLY = 0;
    static final int O_RDWR = 2;
    static final int S_IFREG = 0100000;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    private static final MethodHandle OPEN = handle("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    private static final MethodHandle CLOSE = handle("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle RENAMEAT2 = handle("renameat2",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle LSEEK = handle("lseek", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT));
    private static final MethodHandle COPY_FILE_RANGE = handle("copy_file_range",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle MKNOD = handle("mknod", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG));

    private Libc() {}

    private static MethodHandle handle(String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow(name), fd,
                Linker.Option.captureCallState("errno"));
    }

    private static long result(long r, MemorySegment cap) {
        return r < 0 ? -(int) ERRNO.get(cap, 0L) : r;
    }

    static int open(String path, int flags) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(CAPTURE);
            return (int) result((int) OPEN.invokeExact(cap, a.allocateFrom(path), flags, 0644), cap);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static int close(int fd) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(CAPTURE);
            return (int) result((int) CLOSE.invokeExact(cap, fd), cap);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static int renameat2(String from, String to, int flags) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(CAPTURE);
            return (int) result((int) RENAMEAT2.invokeExact(cap, AT_FDCWD, a.allocateFrom(from), AT_FDCWD,
                    a.allocateFrom(to), flags), cap);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static long lseek(int fd, long offset, int whence) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(CAPTURE);
            return result((long) LSEEK.invokeExact(cap, fd, offset, whence), cap);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static long copyFileRange(int fdIn, long offIn, int fdOut, long offOut, long length) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(CAPTURE);
            MemorySegment in = a.allocateFrom(JAVA_LONG, offIn);
            MemorySegment out = a.allocateFrom(JAVA_LONG, offOut);
            return result((long) COPY_FILE_RANGE.invokeExact(cap, fdIn, in, fdOut, out, length, 0), cap);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static int mknod(String path, int mode, long dev) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(CAPTURE);
            return (int) result((int) MKNOD.invokeExact(cap, a.allocateFrom(path), mode, dev), cap);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
