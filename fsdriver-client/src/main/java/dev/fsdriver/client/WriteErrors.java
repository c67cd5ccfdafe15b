package dev.fsdriver.client;

import dev.fsdriver.fuse.FuseException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The first write failure of one open file ({@link BlockWriter}) and who may take it: it is
 * thrown to every write, flush or fsync of the file until a process that wrote through it takes
 * it (reported once). The others that hold the file (a shell's background jobs inherit every
 * descriptor, and each one's exit closes them all) see it without taking it, so the writer's own
 * close or fsync still does.
 *
 * <p>Locking: none of its own (atomics, a concurrent set): failures are recorded from completion
 * callbacks, which must never take the writer's lock.
 */
final class WriteErrors {
    private static final int NO_WRITER = Integer.MIN_VALUE;

    private final AtomicReference<FuseException> error = new AtomicReference<>();
    /** The processes (kernel request pids) that wrote through this open file: who may take its error. */
    private final Set<Integer> writers = ConcurrentHashMap.newKeySet();
    /**
     * The pid of the last write, already in {@link #writers} (added before it is set here): a
     * process writing on adds itself once, not on every FUSE write.
     */
    private volatile int lastWriter = NO_WRITER;

    /** Process {@code pid} writes through this open file. */
    void wrote(int pid) {
        if (pid != lastWriter) {
            writers.add(pid);
            lastWriter = pid;
        }
    }

    /** Remembers {@code e} unless an earlier failure is still pending. */
    void record(FuseException e) {
        error.compareAndSet(null, e);
    }

    /** The error not yet taken, or null. */
    FuseException pending() {
        return error.get();
    }

    /** Throws the error not yet taken, taking it when {@code pid} wrote (or nobody did). */
    void throwPending(int pid) throws FuseException {
        FuseException e = error.get();
        if (e == null) {
            return;
        }
        if (writers.isEmpty() || writers.contains(pid)) {
            error.compareAndSet(e, null);
        }
        throw e;
    }
}
