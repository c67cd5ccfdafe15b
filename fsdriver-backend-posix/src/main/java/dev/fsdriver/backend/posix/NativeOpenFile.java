package dev.fsdriver.backend.posix;

import dev.fsdriver.backend.CloseOnLastUse;
import dev.fsdriver.backend.FileAttributes;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.OpenFile;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.backend.SetAttributes;
import dev.fsdriver.common.Errno;
import dev.fsdriver.linux.AtCalls;
import dev.fsdriver.linux.ErrnoException;
import dev.fsdriver.linux.FileCalls;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * An open file of the native mode: a descriptor from openat ({@link LibcCalls#open}), pread and
 * pwrite at explicit offsets (one instance serves concurrent requests without a lock), fstat,
 * ftruncate, fsync. Every failure carries the errno of its own call. O_APPEND is the kernel's:
 * each pwrite appends atomically, whatever the offset. Direct buffers (the server's) are read into
 * and written from in place; a heap buffer goes through native memory of its size, as the JDK's
 * FileChannel does. Every use of the descriptor is bracketed by {@link #inUse}: a release while a
 * call is in flight closes it after that call, so the number is never reused under it.
 */
final class NativeOpenFile implements OpenFile {
    private final LibcCalls calls;
    /** Share-relative path at open: for messages only (the descriptor is the file). */
    private final RelPath path;
    private final int fd;
    private final CloseOnLastUse inUse;

    NativeOpenFile(LibcCalls calls, RelPath path, int fd) {
        this.calls = calls;
        this.path = path;
        this.fd = fd;
        this.inUse = new CloseOnLastUse(this::closeFd);
    }

    @Override
    public int read(long offset, ByteBuffer dst) throws FsException {
        int want = dst.remaining();
        int total;
        inUse.enter();
        try {
            if (dst.isDirect()) {
                total = pread(MemorySegment.ofBuffer(dst), want, offset);
            } else {
                try (Arena a = Arena.ofConfined()) {
                    MemorySegment tmp = a.allocate(Math.max(want, 1));
                    total = pread(tmp, want, offset);
                    MemorySegment.copy(tmp, 0, MemorySegment.ofBuffer(dst), 0, total);
                }
            }
        } finally {
            inUse.exit();
        }
        dst.position(dst.position() + total);
        return total;
    }

    /** Reads until {@code want} bytes came or end of file. */
    private int pread(MemorySegment buf, int want, long offset) throws FsException {
        int total = 0;
        while (total < want) {
            long n;
            try {
                n = FileCalls.pread(fd, buf.asSlice(total), want - total, offset + total);
            } catch (ErrnoException e) {
                if (e.errno() == Errno.EINTR) {
                    continue;
                }
                throw LibcCalls.failed(e, "read", path);
            }
            if (n == 0) {
                break;
            }
            total += (int) n;
        }
        return total;
    }

    @Override
    public int write(long offset, ByteBuffer src) throws FsException {
        int want = src.remaining();
        inUse.enter();
        try {
            if (src.isDirect()) {
                pwrite(MemorySegment.ofBuffer(src), want, offset);
            } else {
                try (Arena a = Arena.ofConfined()) {
                    MemorySegment tmp = a.allocate(Math.max(want, 1));
                    MemorySegment.copy(MemorySegment.ofBuffer(src), 0, tmp, 0, want);
                    pwrite(tmp, want, offset);
                }
            }
        } finally {
            inUse.exit();
        }
        src.position(src.limit());
        return want;
    }

    /** Writes all {@code want} bytes (a short write goes on after what was written). */
    private void pwrite(MemorySegment buf, int want, long offset) throws FsException {
        int total = 0;
        while (total < want) {
            long n;
            try {
                n = FileCalls.pwrite(fd, buf.asSlice(total), want - total, offset + total);
            } catch (ErrnoException e) {
                if (e.errno() == Errno.EINTR) {
                    continue;
                }
                throw LibcCalls.failed(e, "write", path);
            }
            if (n == 0) {
                throw new FsException(Errno.EIO, "write '" + path + "': no progress");
            }
            total += (int) n;
        }
    }

    /** fstat of the descriptor: the file's own attributes, whatever became of its name. */
    @Override
    public FileAttributes stat() throws FsException {
        inUse.enter();
        try {
            return calls.fstat(fd, path);
        } finally {
            inUse.exit();
        }
    }

    @Override
    public boolean statsItself() {
        return true;
    }

    /**
     * The attribute changes of a SetAttr through this handle, on the descriptor (the file itself,
     * whatever became of its name; no path to resolve again); its attributes after. Truncate first,
     * as the backend's setattr by name does.
     */
    FileAttributes setattr(SetAttributes changes) throws FsException {
        inUse.enter();
        try {
            if (changes.size().isPresent()) {
                FileCalls.ftruncate(fd, changes.size().getAsLong());
            }
            if (changes.mode().isPresent()) {
                calls.fchmod(fd, changes.mode().getAsInt(), path);
            }
            if (changes.uid().isPresent() || changes.gid().isPresent()) {
                calls.fchown(fd, changes.uid().orElse(-1), changes.gid().orElse(-1), path);
            }
            if (changes.atime() != null || changes.mtime() != null) {
                calls.futimens(fd, changes.atime(), changes.mtime(), path);
            }
            return calls.fstat(fd, path);
        } catch (ErrnoException e) {
            throw LibcCalls.failed(e, "truncate", path);
        } finally {
            inUse.exit();
        }
    }

    @Override
    public void truncate(long size) throws FsException {
        inUse.enter();
        try {
            FileCalls.ftruncate(fd, size);
        } catch (ErrnoException e) {
            throw LibcCalls.failed(e, "truncate", path);
        } finally {
            inUse.exit();
        }
    }

    @Override
    public void sync(boolean dataOnly) throws FsException {
        inUse.enter();
        try {
            if (dataOnly) {
                FileCalls.fdatasync(fd);
            } else {
                FileCalls.fsync(fd);
            }
        } catch (ErrnoException e) {
            throw LibcCalls.failed(e, dataOnly ? "fdatasync" : "fsync", path);
        } finally {
            inUse.exit();
        }
    }

    @Override
    public void setMtime(long ns) throws FsException {
        inUse.enter();
        try {
            AtCalls.futimensMtime(fd, ns);
        } catch (ErrnoException e) {
            throw LibcCalls.failed(e, "futimens", path);
        } finally {
            inUse.exit();
        }
    }

    @Override
    public void close() throws FsException {
        inUse.close();
    }

    private void closeFd() throws FsException {
        try {
            FileCalls.close(fd);
        } catch (ErrnoException e) {
            throw LibcCalls.failed(e, "close", path);   // Linux released the descriptor all the same
        }
    }
}
