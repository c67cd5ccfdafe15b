package dev.fsdriver.backend;

import dev.fsdriver.common.Errno;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps an OS handle (a Windows HANDLE, a file descriptor) open while any operation still uses it.
 * {@link #close()} marks it closed at once: later {@link #enter()} calls fail EBADF, and the
 * handle itself is closed by whoever leaves last (close() itself when nothing is in flight).
 * Without this a release racing an offloaded read or write closes the handle under it, and the
 * kernel may hand the same HANDLE / fd number to the next open file: the in-flight write then
 * lands in another file.
 *
 * <p>Lock-free: one atomic word, bit 0 = closed, the rest = operations in flight (times 2). The
 * state "closed, none in flight" (1) is reached exactly once, so the handle is closed exactly once.
 * close() never waits (a release must not block on a slow disk).
 */
public final class CloseOnLastUse {
    /** Closes the OS handle; runs once. */
    @FunctionalInterface
    public interface Closer {
        void close() throws FsException;
    }

    private final AtomicLong state = new AtomicLong();
    private final Closer closer;

    public CloseOnLastUse(Closer closer) {
        this.closer = closer;
    }

    /** Starts an operation on the handle; EBADF once {@link #close()} has been called. Pair with {@link #exit()}. */
    public void enter() throws FsException {
        long s;
        do {
            s = state.get();
            if ((s & 1) != 0) {
                throw new FsException(Errno.EBADF, "file already released");
            }
        } while (!state.compareAndSet(s, s + 2));
    }

    /** Ends an operation; closes the handle if it was released meanwhile and this was the last one. */
    public void exit() {
        if (state.addAndGet(-2) == 1) {
            closeQuietly();
        }
    }

    /** True once {@link #close()} was called (the handle may still be open for operations in flight). */
    public boolean isClosed() {
        return (state.get() & 1) != 0;
    }

    /**
     * Releases the handle: closes it now if nothing uses it (errors propagate), else leaves that
     * to the last operation in flight. A second call does nothing.
     */
    public void close() throws FsException {
        long s;
        do {
            s = state.get();
            if ((s & 1) != 0) {
                return;
            }
        } while (!state.compareAndSet(s, s | 1));
        if (s == 0) {
            closer.close();
        }
    }

    private void closeQuietly() {
        try {
            closer.close();
        } catch (FsException | RuntimeException e) {
            // Deferred close after the last operation: its caller has long returned, nobody to tell.
        }
    }
}
