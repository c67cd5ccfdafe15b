package dev.fsdriver.linux;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;

/**
 * inotify and what its reader waits with: inotify_init1, inotify_add_watch, inotify_rm_watch,
 * poll, eventfd (read, write and close are {@link FileCalls}). Conventions as {@link FileCalls}.
 */
public final class InotifyCalls {
    public static final int IN_MODIFY = 0x00000002;
    public static final int IN_ATTRIB = 0x00000004;
    public static final int IN_CLOSE_WRITE = 0x00000008;
    public static final int IN_MOVED_FROM = 0x00000040;
    public static final int IN_MOVED_TO = 0x00000080;
    public static final int IN_CREATE = 0x00000100;
    public static final int IN_DELETE = 0x00000200;
    public static final int IN_DELETE_SELF = 0x00000400;
    public static final int IN_MOVE_SELF = 0x00000800;
    public static final int IN_UNMOUNT = 0x00002000;
    public static final int IN_Q_OVERFLOW = 0x00004000;
    public static final int IN_IGNORED = 0x00008000;
    public static final int IN_ONLYDIR = 0x01000000;
    public static final int IN_DONT_FOLLOW = 0x02000000;
    public static final int IN_EXCL_UNLINK = 0x04000000;
    public static final int IN_ISDIR = 0x40000000;
    public static final int IN_NONBLOCK = 0x800;      // O_NONBLOCK
    public static final int IN_CLOEXEC = 0x80000;     // O_CLOEXEC
    public static final int EFD_NONBLOCK = 0x800;
    public static final int EFD_CLOEXEC = 0x80000;
    public static final short POLLIN = 0x1;

    /** struct inotify_event { int wd; uint32_t mask; uint32_t cookie; uint32_t len; char name[]; } */
    public static final int EVENT_HEADER_BYTES = 16;

    /** struct pollfd { int fd; short events; short revents; } */
    public static final StructLayout POLLFD = MemoryLayout.structLayout(
            JAVA_INT.withName("fd"), JAVA_SHORT.withName("events"), JAVA_SHORT.withName("revents"));

    private static final MethodHandle INOTIFY_INIT1 = Native.downcall("inotify_init1", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle INOTIFY_ADD_WATCH = Native.downcall("inotify_add_watch",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle INOTIFY_RM_WATCH = Native.downcall("inotify_rm_watch", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle POLL = Native.downcall("poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle EVENTFD = Native.downcall("eventfd", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));

    private InotifyCalls() {}

    /** {@code int inotify_init1(int flags)} */
    public static int inotify_init1(int flags) throws ErrnoException {
        MemorySegment st = Native.state();
        int r;
        try {
            r = (int) INOTIFY_INIT1.invokeExact(st, flags);
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
        return check("inotify_init1", r, st);
    }

    /** {@code int inotify_add_watch(int fd, const char *pathname, uint32_t mask)} */
    public static int inotify_add_watch(int fd, String pathname, int mask) throws ErrnoException {
        MemorySegment st = Native.state();
        int r;
        try (Arena a = Arena.ofConfined()) {
            r = (int) INOTIFY_ADD_WATCH.invokeExact(st, fd, Native.cstr(a, pathname), mask);
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
        return check("inotify_add_watch", r, st);
    }

    /** {@code int inotify_rm_watch(int fd, int wd)} */
    public static int inotify_rm_watch(int fd, int wd) throws ErrnoException {
        MemorySegment st = Native.state();
        int r;
        try {
            r = (int) INOTIFY_RM_WATCH.invokeExact(st, fd, wd);
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
        return check("inotify_rm_watch", r, st);
    }

    /** {@code int poll(struct pollfd *fds, nfds_t nfds, int timeout)} */
    public static int poll(MemorySegment fds, long nfds, int timeout) throws ErrnoException {
        MemorySegment st = Native.state();
        int r;
        try {
            r = (int) POLL.invokeExact(st, fds, nfds, timeout);
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
        return check("poll", r, st);
    }

    /** {@code int eventfd(unsigned int initval, int flags)} */
    public static int eventfd(int initval, int flags) throws ErrnoException {
        MemorySegment st = Native.state();
        int r;
        try {
            r = (int) EVENTFD.invokeExact(st, initval, flags);
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
        return check("eventfd", r, st);
    }

    private static int check(String function, int r, MemorySegment st) throws ErrnoException {
        if (r == -1) {
            throw Native.failure(function, st);
        }
        return r;
    }
}
