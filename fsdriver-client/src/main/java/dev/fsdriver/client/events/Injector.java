package dev.fsdriver.client.events;

import java.nio.file.Path;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Performs, on the mount itself, the VFS operation that makes the kernel emit the inotify event
 * for a change the server reported (the kernel emits fsnotify events only for operations that
 * pass through the VFS; FUSE invalidations emit none). The file system recognises the
 * requests these operations cause by the caller's pid (this process) while {@link #current()}
 * is set, and answers them locally (see {@link Injection}); nothing reaches the server.
 *
 * <p>Threads and locks: {@link #perform} blocks in a system call on the mount until the FUSE
 * request threads answer it. It must never run on a FUSE request thread, and its caller must
 * hold no lock that a request thread may take. Injections are serialised by {@code lock}, which
 * only injector callers take.
 */
final class Injector {
    private final String mountPoint;
    private final ReentrantLock lock = new ReentrantLock();
    private volatile Injection current;
    private volatile int currentTid;

    Injector(Path mountPoint) {
        this.mountPoint = mountPoint.toAbsolutePath().toString();
    }

    /** The injection in progress, or null. Read by request threads. */
    Injection current() {
        return current;
    }

    /** True for a request caused by the injection in progress (made by the injecting thread). */
    boolean isInjected(int pid) {
        return current != null && pid == currentTid;
    }

    String absolute(String sharePath) {
        return sharePath.isEmpty() ? mountPoint : mountPoint + "/" + sharePath;
    }

    /**
     * Runs {@code syscall} with {@code injection} in force; returns its result (0 or -errno).
     * Must run on a platform thread: a virtual thread could move to another carrier (another
     * thread id) between taking the id and the system call.
     */
    int perform(Injection injection, java.util.function.IntSupplier syscall) {
        if (Thread.currentThread().isVirtual()) {
            throw new IllegalStateException("injections need a platform thread");
        }
        lock.lock();
        try {
            currentTid = LibC.gettid();
            current = injection;
            return syscall.getAsInt();
        } finally {
            current = null;
            lock.unlock();
        }
    }
}
