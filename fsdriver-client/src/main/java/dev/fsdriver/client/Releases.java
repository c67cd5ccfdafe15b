package dev.fsdriver.client;

import java.util.Arrays;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Server handles given back in batches (ReleaseMany, capability "release-many"): the kernel does
 * not wait for a RELEASE and nobody sees its outcome, so a close need not cost a call of its own
 * (untar, npm install and cp make, write and close a file per entry). A handle waits here at most
 * {@link #DELAY_MILLIS}, or until {@link #BATCH} have gathered, and all go before any call that
 * removes or moves a name ({@link #sendNow}): Windows refuses to rename a directory while a file
 * under it is open, and a file deleted while open stays visible until its last handle closes.
 *
 * <p>Locking: {@code this} guards the batch; a batch is started (handed to the transport, not
 * waited for) outside it, since starting a call may wait for a reconnect's Hello, and
 * {@link #sendNow} returns only once every batch taken before it has been started: a call
 * started after that goes out on the connection after those releases, and the server serves a
 * connection's calls in that order.
 */
final class Releases implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Releases.class);
    static final int BATCH = 256;
    static final long DELAY_MILLIS = 10;

    private final Consumer<long[]> send;
    private final ScheduledExecutorService timer;
    private final long[] batch = new long[BATCH]; // guarded by this
    private int size; // guarded by this
    private boolean scheduled; // guarded by this
    /** Batches taken and not yet started; guarded by this. */
    private int starting;

    /** {@code send} starts one ReleaseMany call for the handles it is given, without waiting. */
    Releases(Consumer<long[]> send) {
        this.send = send;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "fsdriver-release");
            t.setDaemon(true);
            return t;
        });
    }

    /** Gives {@code serverHandle} back with the next batch. */
    void release(long serverHandle) {
        long[] full = null;
        synchronized (this) {
            batch[size++] = serverHandle;
            if (size == BATCH) {
                full = take();
            } else if (!scheduled) {
                try {
                    timer.schedule(this::sendNow, DELAY_MILLIS, TimeUnit.MILLISECONDS);
                    scheduled = true;
                } catch (RejectedExecutionException closed) {
                    full = take(); // the mount is ending: no batch waits
                }
            }
        }
        if (full != null) {
            start(full);
        }
    }

    /**
     * Starts the call for every handle gathered so far, and returns once every batch taken
     * before has been started too (see the class comment on order).
     */
    void sendNow() {
        long[] handles;
        synchronized (this) {
            scheduled = false; // a timer that fires later finds nothing, or a new batch
            handles = size == 0 ? null : take();
        }
        if (handles != null) {
            start(handles);
        }
        synchronized (this) {
            boolean interrupted = false;
            while (starting > 0) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The batch gathered, now being started ({@link #start} must follow). */
    private long[] take() {
        long[] handles = Arrays.copyOf(batch, size);
        size = 0;
        starting++;
        return handles;
    }

    private void start(long[] handles) {
        try {
            send.accept(handles);
        } catch (RuntimeException e) {
            // the server drops a connection's handles when it goes; nobody sees a release's outcome
            log.debug("release of {} handles not sent: {}", handles.length, e.toString());
        } finally {
            synchronized (this) {
                starting--;
                notifyAll();
            }
        }
    }

    /** Handles waiting (for tests). */
    synchronized int waiting() {
        return size;
    }

    @Override
    public void close() {
        sendNow();
        timer.shutdownNow();
    }
}
