package dev.fsdriver.client;

import java.util.Arrays;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Server handles given back in batches (ReleaseMany, capability "release-many"): the kernel does
 * not wait for a RELEASE and nobody sees its outcome, so a close need not cost a call of its own
 * (untar, npm install and cp make, write and close a file per entry). A handle waits here at most
 * {@link #DELAY_MILLIS}, or until {@link #BATCH} have gathered, and all go with the next call that
 * makes, removes or moves a name, released by the server before it makes the change
 * ({@link #takeForCall}): Windows refuses to rename a directory while a file under it is open,
 * and where it has no POSIX delete (FAT, SMB) a file deleted while open keeps its name, so that
 * nothing can be made under it, until its last handle closes.
 *
 * <p>Locking: {@code this} guards the batch; a batch is started (handed to the transport, not
 * waited for) outside it, since starting a call may wait for a reconnect's Hello, and
 * {@link #sendNow} and {@link #takeForCall} return only once every batch taken before has been
 * started: a call started after that goes out on the connection after those releases, and the
 * server serves a connection's calls in that order.
 */
final class Releases implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Releases.class);
    static final int BATCH = 256;
    static final long DELAY_MILLIS = 10;
    static final long RETRY_MILLIS = 1000;

    private final Consumer<long[]> send;
    private final long delayMillis;
    private final ScheduledExecutorService timer;
    private final long[] batch = new long[BATCH]; // guarded by this
    private int size; // guarded by this
    private boolean scheduled; // guarded by this
    /** Batches taken and not yet started; guarded by this. */
    private int starting;
    /** The mount is ending; guarded by this. */
    private boolean closed;

    /** {@code send} starts one ReleaseMany call for the handles it is given, without waiting. */
    Releases(Consumer<long[]> send) {
        this(send, DELAY_MILLIS);
    }

    /** With a handle's longest wait of {@code delayMillis} (tests). */
    Releases(Consumer<long[]> send, long delayMillis) {
        this.send = send;
        this.delayMillis = delayMillis;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "fsdriver-release");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Gives {@code serverHandle} back with the next batch. Never starts a call on the caller's
     * thread (it may be a transport thread, where nothing may wait for a Hello): a full batch is
     * started on the timer's; once the mount is ending, at once.
     */
    void release(long serverHandle) {
        long[] now = null;
        synchronized (this) {
            batch[size++] = serverHandle;
            if (closed) {
                now = take();
            } else if (size == BATCH) {
                long[] full = take();
                timer.execute(() -> start(full)); // the timer stops only after closed is set
            } else if (!scheduled) {
                scheduled = true;
                timer.schedule(this::sendGathered, delayMillis, TimeUnit.MILLISECONDS);
            }
        }
        if (now != null) {
            start(now);
        }
    }

    /**
     * The timer's task: starts what has gathered, and does not wait for other batches (the timer
     * thread may be the one that must start them).
     */
    private void sendGathered() {
        long[] handles;
        synchronized (this) {
            scheduled = false; // a timer that fires later finds nothing, or a new batch
            handles = size == 0 ? null : take();
        }
        if (handles != null) {
            start(handles);
        }
    }

    /**
     * Starts the call for every handle gathered so far, and returns once every batch taken
     * before has been started too (see the class comment on order).
     */
    void sendNow() {
        sendGathered();
        synchronized (this) {
            awaitStarted();
        }
    }

    /**
     * Every handle gathered so far, for the caller to send with the call it starts next
     * (NameRequest.release_first and the like), once every batch taken before has been started
     * (see the class comment on order). Empty: none.
     */
    synchronized long[] takeForCall() {
        long[] handles = size == 0 ? NONE : Arrays.copyOf(batch, size); // most name changes carry none
        size = 0;
        awaitStarted();
        return handles;
    }

    private static final long[] NONE = {};

    private void awaitStarted() { // holding this
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

    /**
     * Handles whose batch did not reach the server (it was away): gathered again a second later,
     * not at once, which would spin while the server is away. Once the mount is ending, dropped
     * (the server closes a session's files when it ends).
     */
    void later(long[] handles) {
        synchronized (this) {
            if (closed) {
                return;
            }
            timer.schedule(() -> {
                for (long h : handles) {
                    release(h);
                }
            }, RETRY_MILLIS, TimeUnit.MILLISECONDS); // the timer stops only after closed is set
        }
    }

    /** Handles waiting (for tests). */
    synchronized int waiting() {
        return size;
    }

    /**
     * The mount is ending: a close from now on goes at once, the batches scheduled go (waited for
     * up to a second: the timer may be waiting for a Hello), and then what is left.
     */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
        }
        timer.shutdown();
        try {
            timer.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sendGathered();
    }
}
