package dev.fsdriver.linux;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.fsdriver.common.Errno;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * Mounting a FUSE file system: mount, umount2, the /dev/fuse clone ioctl, and the socket pair
 * over which fusermount3 passes back the /dev/fuse descriptor. Conventions as {@link FileCalls}.
 */
public final class MountCalls {
    public static final long MS_RDONLY = 1;
    public static final long MS_NOSUID = 2;
    public static final long MS_NODEV = 4;
    public static final int MNT_DETACH = 2;
    public static final int AF_UNIX = 1;
    public static final int SOCK_STREAM = 1;
    public static final int SOCK_CLOEXEC = 02000000;
    static final int SOL_SOCKET = 1;
    static final int SCM_RIGHTS = 1;
    /** _IOR(229, 0, uint32_t): attach a new /dev/fuse fd to the connection of another. */
    static final long FUSE_DEV_IOC_CLONE = 0x8004E500L;

    private static final MethodHandle IOCTL = Native.downcall("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle MOUNT = Native.downcall("mount",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS));
    private static final MethodHandle UMOUNT2 = Native.downcall("umount2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle SOCKETPAIR = Native.downcall("socketpair",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle RECVMSG = Native.downcall("recvmsg", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));

    private MountCalls() {}

    /** statfs and fstatfs, linked at their first use only: every mount loads this class, only a server's backend calls them. */
    private static final class Statfs {
        static final MethodHandle STATFS = Native.downcall("statfs", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        static final MethodHandle FSTATFS = Native.downcall("fstatfs", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    }

    /** {@code int ioctl(int fd, FUSE_DEV_IOC_CLONE, uint32_t *oldfd)}: attaches {@code fd} to {@code masterFd}'s connection. */
    public static void ioctlFuseDevClone(int fd, int masterFd) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            if ((int) IOCTL.invokeExact(st, fd, FUSE_DEV_IOC_CLONE, arena.allocateFrom(JAVA_INT, masterFd)) < 0) {
                throw Native.failure("ioctl(FUSE_DEV_IOC_CLONE)", st);
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }

    /**
     * {@code int mount(const char *source, const char *target, const char *filesystemtype,
     * unsigned long mountflags, const void *data)}
     */
    public static void mount(String source, String target, String fsType, long flags, String data)
            throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            if ((int) MOUNT.invokeExact(st, Native.cstr(a, source), Native.cstr(a, target), Native.cstr(a, fsType), flags,
                    Native.cstr(a, data)) < 0) {
                throw Native.failure("mount " + target, st);
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }

    /**
     * {@code int statfs(const char *path, struct statfs *buf)}: the file system's magic number
     * ({@code f_type}, the struct's first field, a long on x86-64 and aarch64). ENOSYS where
     * there is no statfs (not Linux).
     */
    public static long statfsType(String path) throws ErrnoException {
        MethodHandle statfs = Statfs.STATFS;
        if (statfs == null) {
            throw new ErrnoException("statfs", Errno.ENOSYS);
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            MemorySegment buf = a.allocate(256, 8); // struct statfs: 120 bytes on both
            if ((int) statfs.invokeExact(st, Native.cstr(a, path), buf) != 0) {
                throw Native.failure("statfs " + path, st);
            }
            return buf.get(JAVA_LONG, 0);
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }

    /**
     * {@code int fstatfs(int fd, struct statfs *buf)}: {@link #statfsType}'s f_type of the file
     * open as {@code fd} (an O_PATH descriptor will do), whatever its name now names.
     */
    public static long fstatfsType(int fd) throws ErrnoException {
        MethodHandle fstatfs = Statfs.FSTATFS;
        if (fstatfs == null) {
            throw new ErrnoException("fstatfs", Errno.ENOSYS);
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            MemorySegment buf = a.allocate(256, 8);
            if ((int) fstatfs.invokeExact(st, fd, buf) != 0) {
                throw Native.failure("fstatfs", st);
            }
            return buf.get(JAVA_LONG, 0);
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }

    /** {@code int umount2(const char *target, int flags)} */
    public static void umount2(String target, int flags) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            if ((int) UMOUNT2.invokeExact(st, Native.cstr(a, target), flags) < 0) {
                throw Native.failure("umount2 " + target, st);
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }

    /** {@code int socketpair(int domain, int type, int protocol, int sv[2])} */
    public static int[] socketpair(int domain, int type, int protocol) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            MemorySegment sv = arena.allocate(JAVA_INT, 2);
            if ((int) SOCKETPAIR.invokeExact(st, domain, type, protocol, sv) < 0) {
                throw Native.failure("socketpair", st);
            }
            return new int[] {sv.getAtIndex(JAVA_INT, 0), sv.getAtIndex(JAVA_INT, 1)};
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }

    /**
     * {@code ssize_t recvmsg(int sockfd, struct msghdr *msg, int flags)} receiving one byte and
     * one SCM_RIGHTS file descriptor (what fusermount3 sends); retried on EINTR. Returns the fd,
     * or -1 if the peer sent none (closed the socket).
     */
    public static int recvmsgFd(int sock) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment st = Native.state();
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
                n = (long) RECVMSG.invokeExact(st, sock, msg, 0);
            } while (n < 0 && Native.errno(st) == Errno.EINTR);
            if (n < 0) {
                throw Native.failure("recvmsg", st);
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
            throw Native.unexpected(t);
        }
    }
}
