package dev.fsdriver.client.events;

import dev.fsdriver.client.LocalWrites;
import dev.fsdriver.linux.ErrnoException;
import dev.fsdriver.linux.ProcessCalls;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Performs, on the mount itself, the VFS operation that makes the kernel emit the inotify event
 * for a change the server reported (the kernel emits fsnotify events only for operations that
 * pass through the VFS; FUSE invalidations emit none). The file system recognises the
 * requests these operations cause by the caller's thread id, answers those that match
 * {@link #current()} locally (see {@link Injection}) and refuses all others
 * ({@link InjectionGate}): nothing an injection causes reaches the server.
 *
 * <p>Threads: every injected system call runs on one dedicated platform thread
 * ("fsdriver-inject"), started here and kept for the injector's life, so that its thread id is
 * fixed and never another thread's (a pool could replace a thread and a new one take its id).
 * That thread does nothing else. {@link #perform} hands it the call and waits: it must never
 * run on a FUSE request thread, and its caller must hold no lock that a request thread may take.
 * Injections are serialised by the single thread.
 */
final class Injector implements AutoCloseable {
    private final String mountPoint;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = Thread.ofPlatform().name("fsdriver-inject").daemon().unstarted(r);
        return t;
    });
    /** The id of the injecting thread (what FUSE reports as a request's pid). */
    private final int tid;
    private volatile Injection current;
    /** The mount's own writes, which an injected size must never contradict (see {@link LocalWrites}). */
    private final LocalWrites writes;
    /** True on an injecting thread while it runs an injection (see {@link #requireInjectingThread}). */
    private static final ThreadLocal<Boolean> INJECTING = ThreadLocal.withInitial(() -> false);

    /** {@code writes}: of the file system the mount's requests reach (RemoteFileSystem.events().writes()). */
    Injector(Path mountPoint, LocalWrites writes) {
        this.mountPoint = mountPoint.toAbsolutePath().toString();
        this.writes = writes;
        this.tid = call(ProcessCalls::gettid);
    }

    /** The injection in progress, or null. Read by request threads. */
    Injection current() {
        return current;
    }

    LocalWrites writes() {
        return writes;
    }

    /** The injecting thread's id. */
    int tid() {
        return tid;
    }

    /** True for any request made by the injecting thread, with or without an injection in progress. */
    boolean isInjectorThread(int pid) {
        return pid == tid;
    }

    /** True for a request caused by the injection in progress (made by the injecting thread). */
    boolean isInjected(int pid) {
        return current != null && pid == tid;
    }

    String absolute(String sharePath) {
        return sharePath.isEmpty() ? mountPoint : mountPoint + "/" + sharePath;
    }

    /** A system call on the mount ({@link InjectedCalls}). */
    @FunctionalInterface
    interface Syscall {
        void call() throws ErrnoException;
    }

    /**
     * Runs {@code syscall} on the injecting thread with {@code injection} in force; returns 0, or
     * the negative errno it failed with (what the event applier counts and logs).
     */
    int perform(Injection injection, Syscall syscall) {
        return call(() -> {
            if (ProcessCalls.gettid() != tid) { // cannot happen (tasks never end the thread); never inject unrecognised
                throw new IllegalStateException("the injecting thread was replaced");
            }
            current = injection;
            INJECTING.set(true);
            try {
                syscall.call();
                return 0;
            } catch (ErrnoException e) {
                return -e.errno();
            } finally {
                INJECTING.set(false);
                current = null;
            }
        });
    }

    /**
     * Throws unless called inside {@link #perform}: a system call on the mount from any other
     * thread would not be recognised as the injector's, and so not stopped at the gate.
     */
    static void requireInjectingThread() {
        if (!INJECTING.get()) {
            throw new IllegalStateException("system calls on the mount are made inside Injector.perform only");
        }
    }

    private <T> T call(Callable<T> task) {
        Future<T> f = thread.submit(task);
        try {
            return f.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while injecting", e);
        }
    }

    /** Ends the injecting thread (after the mount is gone: its id stays the refused one). */
    @Override
    public void close() {
        thread.shutdownNow();
    }
}
