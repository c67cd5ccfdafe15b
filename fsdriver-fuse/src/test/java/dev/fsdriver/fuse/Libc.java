package dev.fsdriver.fuse;

import dev.fsdriver.linux.AtCalls;
import dev.fsdriver.linux.ErrnoException;
import dev.fsdriver.linux.FileCalls;

/**
 * System calls java.nio does not offer (renameat2 flags, SEEK_DATA/HOLE, copy_file_range,
 * mknod), so tests can reach the matching FUSE operations. The calls are the native layer's
 * (dev.fsdriver.linux); here each returns its result, or -errno, which is what tests compare.
 */
final class Libc {
    static final int RENAME_NOREPLACE = AtCalls.RENAME_NOREPLACE;
    static final int RENAME_EXCHANGE = AtCalls.RENAME_EXCHANGE;
    static final int SEEK_DATA = FileCalls.SEEK_DATA;
    static final int SEEK_HOLE = FileCalls.SEEK_HOLE;
    static final int O_RDONLY = FileCalls.O_RDONLY;
    static final int O_RDWR = FileCalls.O_RDWR;
    static final int O_WRONLY = 1;
    static final int S_IFREG = 0100000;

    private Libc() {}

    /** A call of the native layer that returns a number. */
    private interface Call {
        long run() throws ErrnoException;
    }

    private static long result(Call c) {
        try {
            return c.run();
        } catch (ErrnoException e) {
            return -e.errno();
        }
    }

    static int open(String path, int flags) {
        return (int) result(() -> FileCalls.open(path, flags, 0644));
    }

    static int close(int fd) {
        return (int) result(() -> {
            FileCalls.close(fd);
            return 0;
        });
    }

    static int renameat2(String from, String to, int flags) {
        return (int) result(() -> {
            AtCalls.renameat2(AtCalls.AT_FDCWD, from, AtCalls.AT_FDCWD, to, flags);
            return 0;
        });
    }

    static long lseek(int fd, long offset, int whence) {
        return result(() -> FileCalls.lseek(fd, offset, whence));
    }

    static long copyFileRange(int fdIn, long offIn, int fdOut, long offOut, long length) {
        return result(() -> FileCalls.copy_file_range(fdIn, offIn, fdOut, offOut, length));
    }

    static int rename(String from, String to) {
        return (int) result(() -> {
            FileCalls.rename(from, to);
            return 0;
        });
    }

    static int unlink(String path) {
        return (int) result(() -> {
            FileCalls.unlink(path);
            return 0;
        });
    }

    static int rmdir(String path) {
        return (int) result(() -> {
            FileCalls.rmdir(path);
            return 0;
        });
    }

    static int mknod(String path, int mode, long dev) {
        if (dev != 0) {
            throw new IllegalArgumentException("the native layer makes no device nodes");
        }
        return (int) result(() -> {
            FileCalls.mknod(path, mode);
            return 0;
        });
    }
}
