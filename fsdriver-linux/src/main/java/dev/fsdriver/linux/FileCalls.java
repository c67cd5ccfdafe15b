package dev.fsdriver.linux;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * File descriptors and path-based calls: open, read, write, pread, pwrite, fsync, fdatasync,
 * ftruncate, close, fcntl, lseek, copy_file_range, and the one-VFS-operation path calls (mkdir, mknod, unlink...) the client's
 * injector makes on its own mount. One static method per C function, named like it, prototype
 * in the Javadoc; each returns the C result and throws {@link ErrnoException} where it failed.
 */
public final class FileCalls {
    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 1;
    public static final int O_RDWR = 2;
    /** The same on x86-64 and aarch64 (asm-generic); O_NOFOLLOW and O_DIRECTORY are not: {@link AtCalls}. */
    public static final int O_CREAT = 0100;
    public static final int O_EXCL = 0200;
    public static final int O_TRUNC = 01000;
    public static final int O_APPEND = 02000;
    public static final int O_NONBLOCK = 04000;
    public static final int O_NOCTTY = 0400;
    public static final int O_DSYNC = 010000;
    public static final int O_SYNC = 04010000;
    public static final int O_CLOEXEC = 02000000;
    public static final int F_SETFD = 2;
    public static final int SEEK_DATA = 3;
    public static final int SEEK_HOLE = 4;

    private static final MethodHandle OPEN = Native.downcall("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    private static final MethodHandle READ = Native.downcall("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle WRITE = Native.downcall("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle CLOSE = Native.downcall("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle FCNTL = Native.downcall("fcntl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle LSEEK = Native.downcall("lseek", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT));
    private static final MethodHandle COPY_FILE_RANGE = Native.downcall("copy_file_range",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle STAT = Native.downcall("stat", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle MKNOD = Native.downcall("mknod", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG));
    private static final MethodHandle MKDIR = Native.downcall("mkdir", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle SYMLINK = Native.downcall("symlink", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle UNLINK = Native.downcall("unlink", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle RMDIR = Native.downcall("rmdir", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle RENAME = Native.downcall("rename", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle TRUNCATE = Native.downcall("truncate", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle CHMOD = Native.downcall("chmod", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));

    private FileCalls() {}

    /** The posix backend's open-file calls, linked on first use (a FUSE client never makes them). */
    private static final class Positional {
        static final MethodHandle PREAD = Native.downcall("pread",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
        static final MethodHandle PWRITE = Native.downcall("pwrite",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
        static final MethodHandle FSYNC = Native.downcall("fsync", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        static final MethodHandle FDATASYNC = Native.downcall("fdatasync", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        static final MethodHandle FTRUNCATE = Native.downcall("ftruncate", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG));
    }

    /** {@code int open(const char *pathname, int flags, mode_t mode)} */
    public static int open(String path, int flags, int mode) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            int fd = (int) OPEN.invokeExact(st, Native.cstr(a, path), flags, mode);
            if (fd < 0) {
                throw Native.failure("open " + path, st);
            }
            return fd;
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }

    /** Bytes of native memory a caller-provided errno capture area needs (the overloads taking one). */
    public static long captureStateSize() {
        return Native.stateSize();
    }

    /** {@code ssize_t read(int fd, void *buf, size_t count)} */
    public static long read(int fd, MemorySegment buf, long count) throws ErrnoException {
        return read(fd, buf, count, Native.state());
    }

    /**
     * {@code ssize_t read(int fd, void *buf, size_t count)} with errno captured into {@code state}
     * (at least {@link #captureStateSize()} bytes, e.g. the tail of the caller's own buffer).
     */
    public static long read(int fd, MemorySegment buf, long count, MemorySegment state) throws ErrnoException {
        long n;
        try {
            n = (long) READ.invokeExact(state, fd, buf, count);
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
        if (n < 0) {
            throw Native.failure("read", state);
        }
        return n;
    }

    /** {@code ssize_t write(int fd, const void *buf, size_t count)} */
    public static long write(int fd, MemorySegment buf, long count) throws ErrnoException {
        return write(fd, buf, count, Native.state());
    }

    /** {@code ssize_t write(int fd, const void *buf, size_t count)} with errno captured into {@code state}. */
    public static long write(int fd, MemorySegment buf, long count, MemorySegment state) throws ErrnoException {
        long n;
        try {
            n = (long) WRITE.invokeExact(state, fd, buf, count);
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
        if (n < 0) {
            throw Native.failure("write", state);
        }
        return n;
    }

    /**
     * {@code ssize_t pread(int fd, void *buf, size_t count, off_t offset)}: {@code buf} native
     * memory (a direct buffer's segment), the file position untouched.
     */
    public static long pread(int fd, MemorySegment buf, long count, long offset) throws ErrnoException {
        MemorySegment st = Native.state();
        long n;
        try {
            n = (long) Positional.PREAD.invokeExact(st, fd, buf, count, offset);
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
        if (n < 0) {
            throw Native.failure("pread", st);
        }
        return n;
    }

    /** {@code ssize_t pwrite(int fd, const void *buf, size_t count, off_t offset)} (O_APPEND: at the end, whatever the offset) */
    public static long pwrite(int fd, MemorySegment buf, long count, long offset) throws ErrnoException {
        MemorySegment st = Native.state();
        long n;
        try {
            n = (long) Positional.PWRITE.invokeExact(st, fd, buf, count, offset);
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
        if (n < 0) {
            throw Native.failure("pwrite", st);
        }
        return n;
    }

    /** {@code int fsync(int fd)} */
    public static void fsync(int fd) throws ErrnoException {
        intCall(Positional.FSYNC, "fsync", fd);
    }

    /** {@code int fdatasync(int fd)} */
    public static void fdatasync(int fd) throws ErrnoException {
        intCall(Positional.FDATASYNC, "fdatasync", fd);
    }

    /** {@code int ftruncate(int fd, off_t length)}: shrinks or grows (a hole) */
    public static void ftruncate(int fd, long length) throws ErrnoException {
        MemorySegment st = Native.state();
        int r;
        try {
            r = (int) Positional.FTRUNCATE.invokeExact(st, fd, length);
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
        if (r < 0) {
            throw Native.failure("ftruncate", st);
        }
    }

    /** A call {@code int f(int fd)} returning -1 and errno on failure. */
    private static void intCall(MethodHandle h, String name, int fd) throws ErrnoException {
        MemorySegment st = Native.state();
        int r;
        try {
            r = (int) h.invokeExact(st, fd);
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
        if (r < 0) {
            throw Native.failure(name, st);
        }
    }

    /** {@code int close(int fd)} */
    public static void close(int fd) throws ErrnoException {
        MemorySegment st = Native.state();
        int r;
        try {
            r = (int) CLOSE.invokeExact(st, fd);
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
        if (r < 0) {
            throw Native.failure("close", st);
        }
    }

    /** {@code int close(int fd)} where nothing can be done about a failure (cleanup, error paths). */
    public static void closeQuietly(int fd) {
        try {
            close(fd);
        } catch (ErrnoException ignored) {
            // the descriptor is released even when close reports an error (Linux)
        }
    }

    /** {@code int fcntl(int fd, int cmd, int arg)} */
    public static int fcntl(int fd, int cmd, int arg) throws ErrnoException {
        MemorySegment st = Native.state();
        int r;
        try {
            r = (int) FCNTL.invokeExact(st, fd, cmd, arg);
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
        if (r < 0) {
            throw Native.failure("fcntl", st);
        }
        return r;
    }

    /** {@code off_t lseek(int fd, off_t offset, int whence)} */
    public static long lseek(int fd, long offset, int whence) throws ErrnoException {
        MemorySegment st = Native.state();
        long r;
        try {
            r = (long) LSEEK.invokeExact(st, fd, offset, whence);
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
        if (r < 0) {
            throw Native.failure("lseek", st);
        }
        return r;
    }

    /**
     * {@code ssize_t copy_file_range(int fd_in, off_t *off_in, int fd_out, off_t *off_out,
     * size_t len, unsigned int flags)} with explicit offsets (the files' positions stay).
     */
    public static long copy_file_range(int fdIn, long offIn, int fdOut, long offOut, long length)
            throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            long n = (long) COPY_FILE_RANGE.invokeExact(st, fdIn, a.allocateFrom(JAVA_LONG, offIn), fdOut,
                    a.allocateFrom(JAVA_LONG, offOut), length, 0);
            if (n < 0) {
                throw Native.failure("copy_file_range", st);
            }
            return n;
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }

    /** {@code int stat(const char *path, struct stat *buf)}: only whether it works (the struct is dropped). */
    public static void stat(String path) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            // struct stat: 144 bytes on x86-64, 128 on aarch64
            if ((int) STAT.invokeExact(st, Native.cstr(a, path), a.allocate(256, 8)) < 0) {
                throw Native.failure("stat " + path, st);
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }

    /** {@code int mknod(const char *path, mode_t mode, dev_t dev)} (dev 0: no device nodes) */
    public static void mknod(String path, int mode) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            if ((int) MKNOD.invokeExact(st, Native.cstr(a, path), mode, 0L) < 0) {
                throw Native.failure("mknod " + path, st);
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }

    /** {@code int mkdir(const char *path, mode_t mode)} */
    public static void mkdir(String path, int mode) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            if ((int) MKDIR.invokeExact(st, Native.cstr(a, path), mode) < 0) {
                throw Native.failure("mkdir " + path, st);
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }

    /** {@code int symlink(const char *target, const char *linkpath)} */
    public static void symlink(String target, String path) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            if ((int) SYMLINK.invokeExact(st, Native.cstr(a, target), Native.cstr(a, path)) < 0) {
                throw Native.failure("symlink " + path, st);
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }

    /** {@code int unlink(const char *path)} */
    public static void unlink(String path) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            if ((int) UNLINK.invokeExact(st, Native.cstr(a, path)) < 0) {
                throw Native.failure("unlink " + path, st);
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }

    /** {@code int rmdir(const char *path)} */
    public static void rmdir(String path) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            if ((int) RMDIR.invokeExact(st, Native.cstr(a, path)) < 0) {
                throw Native.failure("rmdir " + path, st);
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }

    /** {@code int rename(const char *oldpath, const char *newpath)} */
    public static void rename(String from, String to) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            if ((int) RENAME.invokeExact(st, Native.cstr(a, from), Native.cstr(a, to)) < 0) {
                throw Native.failure("rename " + from, st);
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }

    /** {@code int truncate(const char *path, off_t length)} */
    public static void truncate(String path, long length) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            if ((int) TRUNCATE.invokeExact(st, Native.cstr(a, path), length) < 0) {
                throw Native.failure("truncate " + path, st);
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }

    /** {@code int chmod(const char *path, mode_t mode)} */
    public static void chmod(String path, int mode) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            if ((int) CHMOD.invokeExact(st, Native.cstr(a, path), mode) < 0) {
                throw Native.failure("chmod " + path, st);
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }
}
