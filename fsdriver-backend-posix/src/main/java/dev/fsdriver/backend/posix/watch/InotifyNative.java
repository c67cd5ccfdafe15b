package dev.fsdriver.backend.posix.watch;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The only place the watcher calls native code: Linux inotify, poll and eventfd through FFM.
 * One static method per C function, named like it, prototype in the Javadoc. Each returns the
 * C result and throws {@link NativeException} (errno) where the C call returned -1.
 * Linux x86_64/aarch64 only (struct layouts are the same on both).
 */
final class InotifyNative {
    static final int IN_MODIFY = 0x00000002;
    static final int IN_ATTRIB = 0x00000004;
    static final int IN_CLOSE_WRITE = 0x00000008;
    static final int IN_MOVED_FROM = 0x00000040;
    static final int IN_MOVED_TO = 0x00000080;
    static final int IN_CREATE = 0x00000100;
    static final int IN_DELETE = 0x00000200;
    static final int IN_DELETE_SELF = 0x00000400;
    static final int IN_MOVE_SELF = 0x00000800;
    static final int IN_UNMOUNT = 0x00002000;
    static final int IN_Q_OVERFLOW = 0x00004000;
    static final int IN_IGNORED = 0x00008000;
    static final int IN_ONLYDIR = 0x01000000;
    static final int IN_DONT_FOLLOW = 0x02000000;
    static final int IN_EXCL_UNLINK = 0x04000000;
    static final int IN_ISDIR = 0x40000000;

    static final int IN_NONBLOCK = 0x800;      // O_NONBLOCK
    static final int IN_CLOEXEC = 0x80000;     // O_CLOEXEC
    static final int EFD_NONBLOCK = 0x800;
    static final int EFD_CLOEXEC = 0x80000;
    static final short POLLIN = 0x1;

    static final int EINTR = 4;
    static final int EAGAIN = 11;

    /** struct inotify_event { int wd; uint32_t mask; uint32_t cookie; uint32_t len; char name[]; } */
    static final int EVENT_HEADER_BYTES = 16;

    /** struct pollfd { int fd; short events; short revents; } */
    static final StructLayout POLLFD = java.lang.foreign.MemoryLayout.structLayout(
            ValueLayout.JAVA_INT.withName("fd"),
            ValueLayout.JAVA_SHORT.withName("events"),
            ValueLayout.JAVA_SHORT.withName("revents"));

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final Linker.Option CCS = Linker.Option.captureCallState("errno");
    private static final StructLayout CCS_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CCS_LAYOUT.varHandle(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));
    /** One errno capture buffer per thread: no allocation per call. */
    private static final ThreadLocal<MemorySegment> CALL_STATE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CCS_LAYOUT));

    private static final MethodHandle INOTIFY_INIT1 = downcall("inotify_init1",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle INOTIFY_ADD_WATCH = downcall("inotify_add_watch",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle INOTIFY_RM_WATCH = downcall("inotify_rm_watch",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle READ = downcall("read",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    private static final MethodHandle WRITE = downcall("write",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    private static final MethodHandle POLL = downcall("poll",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    private static final MethodHandle EVENTFD = downcall("eventfd",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle CLOSE = downcall("close",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    private InotifyNative() {}

    /** Errno from a failed call; cheap (no stack trace). */
    static final class NativeException extends Exception {
        final int errno;

        NativeException(String call, int errno) {
            super(call + " failed, errno " + errno, null, false, false);
            this.errno = errno;
        }
    }

    /** {@code int inotify_init1(int flags);} */
    static int inotify_init1(int flags) throws NativeException {
        try {
            MemorySegment st = CALL_STATE.get();
            return check("inotify_init1", (int) INOTIFY_INIT1.invokeExact(st, flags), st);
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** {@code int inotify_add_watch(int fd, const char *pathname, uint32_t mask);} */
    static int inotify_add_watch(int fd, String pathname, int mask) throws NativeException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment path = arena.allocateFrom(pathname);
            MemorySegment st = CALL_STATE.get();
            return check("inotify_add_watch", (int) INOTIFY_ADD_WATCH.invokeExact(st, fd, path, mask), st);
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** {@code int inotify_rm_watch(int fd, int wd);} */
    static int inotify_rm_watch(int fd, int wd) throws NativeException {
        try {
            MemorySegment st = CALL_STATE.get();
            return check("inotify_rm_watch", (int) INOTIFY_RM_WATCH.invokeExact(st, fd, wd), st);
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** {@code ssize_t read(int fd, void *buf, size_t count);} */
    static long read(int fd, MemorySegment buf, long count) throws NativeException {
        try {
            MemorySegment st = CALL_STATE.get();
            long n = (long) READ.invokeExact(st, fd, buf, count);
            if (n < 0) {
                throw new NativeException("read", (int) ERRNO.get(st, 0L));
            }
            return n;
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** {@code ssize_t write(int fd, const void *buf, size_t count);} */
    static long write(int fd, MemorySegment buf, long count) throws NativeException {
        try {
            MemorySegment st = CALL_STATE.get();
            long n = (long) WRITE.invokeExact(st, fd, buf, count);
            if (n < 0) {
                throw new NativeException("write", (int) ERRNO.get(st, 0L));
            }
            return n;
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** {@code int poll(struct pollfd *fds, nfds_t nfds, int timeout);} */
    static int poll(MemorySegment fds, long nfds, int timeout) throws NativeException {
        try {
            MemorySegment st = CALL_STATE.get();
            return check("poll", (int) POLL.invokeExact(st, fds, nfds, timeout), st);
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** {@code int eventfd(unsigned int initval, int flags);} */
    static int eventfd(int initval, int flags) throws NativeException {
        try {
            MemorySegment st = CALL_STATE.get();
            return check("eventfd", (int) EVENTFD.invokeExact(st, initval, flags), st);
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** {@code int close(int fd);} */
    static int close(int fd) throws NativeException {
        try {
            MemorySegment st = CALL_STATE.get();
            return check("close", (int) CLOSE.invokeExact(st, fd), st);
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private static int check(String call, int rc, MemorySegment st) throws NativeException {
        if (rc == -1) {
            throw new NativeException(call, (int) ERRNO.get(st, 0L));
        }
        return rc;
    }

    private static MethodHandle downcall(String name, FunctionDescriptor fd) {
        MemorySegment sym = LIBC.find(name).orElseThrow(() -> new UnsatisfiedLinkError(name));
        return LINKER.downcallHandle(sym, fd, CCS);
    }
}
