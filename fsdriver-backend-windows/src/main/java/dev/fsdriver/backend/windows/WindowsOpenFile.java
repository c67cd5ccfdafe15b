package dev.fsdriver.backend.windows;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import dev.fsdriver.backend.CloseOnLastUse;
import dev.fsdriver.backend.FileAttributes;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.OpenFile;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.backend.windows.win32.Win32;
import dev.fsdriver.backend.windows.win32.WindowsException;
import dev.fsdriver.common.Errno;
import java.nio.ByteBuffer;

/**
 * An open regular file: positional ReadFile/WriteFile on a synchronous handle (the OVERLAPPED
 * only carries the offset, so concurrent calls need no lock of ours: the I/O manager serialises
 * them per file object). Heap buffers go through the thread's 1 MiB native scratch.
 * Every use of the handle is bracketed by {@link #inUse} (B8): a release while a read or write
 * is in flight closes the HANDLE only after it, so a reused HANDLE value never receives it.
 */
final class WindowsOpenFile implements OpenFile {
    private final WindowsBackend backend;
    private final Handle handle;
    private final RelPath path; // as opened; for error messages and id fallbacks only
    private final boolean append;
    private final boolean writeAttributes;
    private final CloseOnLastUse inUse;

    WindowsOpenFile(WindowsBackend backend, Handle handle, RelPath path, boolean append, boolean writeAttributes) {
        this.backend = backend;
        this.handle = handle;
        this.path = path;
        this.append = append;
        this.writeAttributes = writeAttributes;
        this.inUse = new CloseOnLastUse(handle::close);
    }

    /** Work on the handle, held open meanwhile. */
    interface HandleUse<T> {
        T apply(Handle h) throws WindowsException, FsException;
    }

    /**
     * Runs {@code use} on the handle if it was opened with FILE_WRITE_ATTRIBUTES and is not
     * released; returns false (nothing run) otherwise.
     */
    boolean withAttributeHandle(HandleUse<?> use) throws WindowsException, FsException {
        if (!writeAttributes) {
            return false;
        }
        try {
            inUse.enter();
        } catch (FsException released) {
            return false;
        }
        try {
            use.apply(handle);
            return true;
        } finally {
            inUse.exit();
        }
    }

    private <T> T using(String op, HandleUse<T> use) throws FsException {
        inUse.enter();
        try {
            return use.apply(handle);
        } catch (WindowsException e) {
            throw backend.error(e, op, path);
        } finally {
            inUse.exit();
        }
    }

    private static Memory overlapped(long offset) {
        Memory ov = new Memory(Win32.OVERLAPPED_SIZE);
        ov.clear();
        ov.setInt(16, (int) offset);
        ov.setInt(20, (int) (offset >>> 32));
        return ov;
    }

    @Override
    public int read(long offset, ByteBuffer dst) throws FsException {
        if (offset < 0) {
            throw new FsException(Errno.EINVAL, "negative offset");
        }
        int n = dst.remaining();
        if (n == 0) {
            return 0;
        }
        return using("read", h -> {
            try (Memory ov = overlapped(offset)) {
                if (dst.isDirect()) {
                    int r = Win32.ReadFile(h.h, Native.getDirectBufferPointer(dst).share(dst.position()), n, ov);
                    dst.position(dst.position() + r);
                    return r;
                }
                Memory io = Scratch.get().io();
                int r = Win32.ReadFile(h.h, io, (int) Math.min(n, io.size()), ov);
                dst.put(io.getByteBuffer(0, r));
                return r;
            }
        });
    }

    @Override
    public int write(long offset, ByteBuffer src) throws FsException {
        if (offset < 0 && !append) {
            throw new FsException(Errno.EINVAL, "negative offset");
        }
        return using("write", h -> {
            int total = 0;
            while (src.hasRemaining()) {
                // 0xFFFFFFFF:FFFFFFFF means "at the end of file" (O_APPEND).
                long at = append ? -1L : offset + total;
                try (Memory ov = overlapped(at)) {
                    int w;
                    if (src.isDirect()) {
                        Pointer p = Native.getDirectBufferPointer(src).share(src.position());
                        w = Win32.WriteFile(h.h, p, src.remaining(), ov);
                        src.position(src.position() + w);
                    } else {
                        Memory io = Scratch.get().io();
                        int n = (int) Math.min(src.remaining(), io.size());
                        ByteBuffer chunk = src.slice(src.position(), n);
                        io.getByteBuffer(0, n).put(chunk);
                        w = Win32.WriteFile(h.h, io, n, ov);
                        src.position(src.position() + w);
                    }
                    if (w == 0) {
                        throw new FsException(Errno.EIO, "write of 0 bytes to " + path);
                    }
                    total += w;
                }
            }
            return total;
        });
    }

    @Override
    public FileAttributes stat() throws FsException {
        return using("fstat", h -> backend.attrs(h, path));
    }

    @Override
    public void truncate(long size) throws FsException {
        using("truncate", h -> {
            backend.setEndOfFile(h, size);
            return null;
        });
    }

    @Override
    public void sync(boolean dataOnly) throws FsException {
        if (!writeAttributes) {
            // Opened read-only (writeAttributes is set exactly for writable opens): FlushFileBuffers
            // needs write access and fails with ERROR_ACCESS_DENIED, where Linux fsync returns 0.
            // Nothing was written through this handle; other handles flush their own writes.
            return;
        }
        using("fsync", h -> {
            Win32.FlushFileBuffers(h.h);
            return null;
        });
    }

    // No setMtime (OpenFile's default, EOPNOTSUPP, and no "write-mtime" for a Windows share):
    // once LastWriteTime is set explicitly through a handle, NTFS and FastFAT stop updating it
    // for later writes through that handle, so a file kept open would keep the set time while
    // it changes. See docs/windows.md.

    @Override
    public void close() throws FsException {
        inUse.close();
    }
}
