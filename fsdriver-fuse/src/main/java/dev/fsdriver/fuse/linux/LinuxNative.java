package dev.fsdriver.fuse.linux;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The one place where the FUSE layer calls libc (Linux x86-64 / arm64, glibc). Each method is
 * named like the C function, with its prototype in the Javadoc, and throws {@link ErrnoException}
 * on failure (errno captured right after the call).
 */
public final class LinuxNative {
    public static final int O_RDWR = 2;
    public static final int O_CLOEXEC = 0x80000;
    public static final long MS_RDONLY = 1;
    public static final long MS_NOSUID = 2;
    public static final long MS_NODEV = 4;
    public static final int MNT_DETACH = 2;
    public static final int AF_UNIX = 1;
    public static final int SOCK_STREAM = 1;
    public static final int SOCK_CLOEXEC = 0x80000;
    public static final int F_SETFD = 2;
    public static final int SOL_SOCKET = 1;
    public static final int SCM_RIGHTS = 1;
    /** _IOR(229, 0, uint32_t): attach a new /dev/fuse fd to the connection of another. */
    public static final long FUSE_DEV_IOC_CLONE = 0x8004E500L;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final ThreadLocal<MemorySegment> CAPTURE_BUF =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE));

    private static final MethodHandle OPEN = handle("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    private static final MethodHandle READ = handle("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle WRITE = handle("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle CLOSE = handle("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle IOCTL = handle("ioctl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS));
    private static final MethodHandle MOUNT = handle("mount",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS));
    private static final MethodHandle UMOUNT2 = handle("umount2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle STAT = handle("stat", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle SOCKETPAIR = handle("socketpair",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle RECVMSG = handle("recvmsg", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle FCNTL = handle("fcntl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle POSIX_SPAWNP = handle("posix_spawnp",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    private static final MethodHandle WAITPID = handle("waitpid", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle GETUID = LINKER.downcallHandle(
            LIBC.findOrThrow("getuid"), FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle GETGID = LINKER.downcallHandle(
            LIBC.findOrThrow("getgid"), FunctionDescriptor.of(JAVA_INT));

    private LinuxNative() {}

    private static MethodHandle handle(String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(LIBC.findOrThrow(name), fd, Linker.Option.captureCallState("errno"));
    }

    private static int errno(MemorySegment capture) {
        return (int) ERRNO.get(capture, 0L);
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }

    /** {@code int open(const char *pathname, int flags, mode_t mode)} */
    public static int open(String path, int flags) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cap = CAPTURE_BUF.get();
            int fd = (int) OPEN.invokeExact(cap, arena.allocateFrom(path), flags, 0);
            if (fd < 0) {
                throw new ErrnoException("open " + path, errno(cap));
            }
            return fd;
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Bytes of native memory a caller-provided errno capture area needs (see the overloads taking one). */
    public static long captureStateSize() {
        return CAPTURE.byteSize();
    }

    /** {@code ssize_t read(int fd, void *buf, size_t count)} */
    public static long read(int fd, MemorySegment buf, long count) throws ErrnoException {
        return read(fd, buf, count, CAPTURE_BUF.get());
    }

    /**
     * {@code ssize_t read(int fd, void *buf, size_t count)} with errno captured into {@code cap}
     * (at least {@link #captureStateSize()} bytes): for virtual threads, which would otherwise
     * each allocate a thread-local capture area.
     */
    public static long read(int fd, MemorySegment buf, long count, MemorySegment cap) throws ErrnoException {
        long n;
        try {
            n = (long) READ.invokeExact(cap, fd, buf, count);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (n < 0) {
            throw new ErrnoException("read", errno(cap));
        }
        return n;
    }

    /** {@code ssize_t write(int fd, const void *buf, size_t count)} */
    public static long write(int fd, MemorySegment buf, long count) throws ErrnoException {
        return write(fd, buf, count, CAPTURE_BUF.get());
    }

    /** {@code ssize_t write(int fd, const void *buf, size_t count)} with errno captured into {@code cap}. */
    public static long write(int fd, MemorySegment buf, long count, MemorySegment cap) throws ErrnoException {
        long n;
        try {
            n = (long) WRITE.invokeExact(cap, fd, buf, count);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (n < 0) {
            throw new ErrnoException("write", errno(cap));
        }
        return n;
    }

    /** {@code int close(int fd)} */
    public static void close(int fd) throws ErrnoException {
        MemorySegment cap = CAPTURE_BUF.get();
        int r;
        try {
            r = (int) CLOSE.invokeExact(cap, fd);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (r < 0) {
            throw new ErrnoException("close", errno(cap));
        }
    }

    /** {@code int ioctl(int fd, FUSE_DEV_IOC_CLONE, uint32_t *oldfd)}: attaches {@code fd} to {@code masterFd}'s connection. */
    public static void ioctlFuseDevClone(int fd, int masterFd) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cap = CAPTURE_BUF.get();
            MemorySegment arg = arena.allocateFrom(JAVA_INT, masterFd);
            int r = (int) IOCTL.invokeExact(cap, fd, FUSE_DEV_IOC_CLONE, arg);
            if (r < 0) {
                throw new ErrnoException("ioctl(FUSE_DEV_IOC_CLONE)", errno(cap));
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * {@code int mount(const char *source, const char *target, const char *filesystemtype,
     * unsigned long mountflags, const void *data)}
     */
    public static void mount(String source, String target, String fsType, long flags, String data)
            throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cap = CAPTURE_BUF.get();
            int r = (int) MOUNT.invokeExact(cap, arena.allocateFrom(source), arena.allocateFrom(target),
                    arena.allocateFrom(fsType), flags, arena.allocateFrom(data));
            if (r < 0) {
                throw new ErrnoException("mount " + target, errno(cap));
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code int stat(const char *path, struct stat *buf)}: only whether it fails, and with which errno (0: it works). */
    public static int statErrno(String path) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cap = CAPTURE_BUF.get();
            // struct stat: 144 bytes on x86-64, 128 on aarch64
            int r = (int) STAT.invokeExact(cap, arena.allocateFrom(path), arena.allocate(256, 8));
            return r == 0 ? 0 : errno(cap);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code int umount2(const char *target, int flags)} */
    public static void umount2(String target, int flags) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cap = CAPTURE_BUF.get();
            int r = (int) UMOUNT2.invokeExact(cap, arena.allocateFrom(target), flags);
            if (r < 0) {
                throw new ErrnoException("umount2 " + target, errno(cap));
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code int socketpair(int domain, int type, int protocol, int sv[2])} */
    public static int[] socketpair(int domain, int type, int protocol) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cap = CAPTURE_BUF.get();
            MemorySegment sv = arena.allocate(JAVA_INT, 2);
            int r = (int) SOCKETPAIR.invokeExact(cap, domain, type, protocol, sv);
            if (r < 0) {
                throw new ErrnoException("socketpair", errno(cap));
            }
            return new int[] {sv.getAtIndex(JAVA_INT, 0), sv.getAtIndex(JAVA_INT, 1)};
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code int fcntl(int fd, int cmd, int arg)} */
    public static int fcntl(int fd, int cmd, int arg) throws ErrnoException {
        MemorySegment cap = CAPTURE_BUF.get();
        int r;
        try {
            r = (int) FCNTL.invokeExact(cap, fd, cmd, arg);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (r < 0) {
            throw new ErrnoException("fcntl", errno(cap));
        }
        return r;
    }

    /**
     * {@code ssize_t recvmsg(int sockfd, struct msghdr *msg, int flags)} receiving one byte and
     * one SCM_RIGHTS file descriptor (what fusermount3 sends). Returns the fd, or -1 if the peer
     * sent none (closed the socket).
     */
    public static int recvmsgFd(int sock) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cap = CAPTURE_BUF.get();
            MemorySegment data = arena.allocate(8);
            MemorySegment iov = arena.allocate(16, 8);      // struct iovec { void *base; size_t len; }
            iov.set(ADDRESS, 0, data);
            iov.set(JAVA_LONG, 8, 1);
            MemorySegment control = arena.allocate(64, 8);
            MemorySegment msg = arena.allocate(56, 8);      // struct msghdr (x86-64 / arm64 layout)
            msg.set(ADDRESS, 16, iov);
            msg.set(JAVA_LONG, 24, 1);
            msg.set(ADDRESS, 32, control);
            msg.set(JAVA_LONG, 40, control.byteSize());
            long n;
            do {
                n = (long) RECVMSG.invokeExact(cap, sock, msg, 0);
            } while (n < 0 && errno(cap) == 4);
            if (n < 0) {
                throw new ErrnoException("recvmsg", errno(cap));
            }
            long controlLen = msg.get(JAVA_LONG, 40);
            // struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; unsigned char data[]; }
            if (n == 0 || controlLen < 20 || control.get(JAVA_INT, 8) != SOL_SOCKET
                    || control.get(JAVA_INT, 12) != SCM_RIGHTS) {
                return -1;
            }
            return control.get(JAVA_INT, 16);
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * {@code int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
     * const posix_spawnattr_t *attr, char *const argv[], char *const envp[])}: the child inherits
     * every fd without FD_CLOEXEC (unlike {@link ProcessBuilder}, which closes them).
     */
    public static int posix_spawnp(List<String> argv, List<String> envp) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pid = arena.allocate(JAVA_INT);
            MemorySegment args = stringArray(arena, argv);
            MemorySegment env = stringArray(arena, envp);
            int r = (int) POSIX_SPAWNP.invokeExact(CAPTURE_BUF.get(), pid, arena.allocateFrom(argv.getFirst()),
                    MemorySegment.NULL, MemorySegment.NULL, args, env);
            if (r != 0) {
                throw new ErrnoException("posix_spawnp " + argv.getFirst(), r);  // returns the error number
            }
            return pid.get(JAVA_INT, 0);
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static MemorySegment stringArray(Arena arena, List<String> strings) {
        MemorySegment array = arena.allocate(ADDRESS, strings.size() + 1);
        for (int i = 0; i < strings.size(); i++) {
            array.setAtIndex(ADDRESS, i, arena.allocateFrom(strings.get(i), StandardCharsets.UTF_8));
        }
        array.setAtIndex(ADDRESS, strings.size(), MemorySegment.NULL);
        return array;
    }

    /** {@code pid_t waitpid(pid_t pid, int *wstatus, int options)}; returns the raw wait status. */
    public static int waitpid(int pid) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cap = CAPTURE_BUF.get();
            MemorySegment status = arena.allocate(JAVA_INT);
            int r;
            do {
                r = (int) WAITPID.invokeExact(cap, pid, status, 0);
            } while (r < 0 && errno(cap) == 4);
            if (r < 0) {
                throw new ErrnoException("waitpid", errno(cap));
            }
            return status.get(JAVA_INT, 0);
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code uid_t getuid(void)} */
    public static int getuid() {
        try {
            return (int) GETUID.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code gid_t getgid(void)} */
    public static int getgid() {
        try {
            return (int) GETGID.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

}
