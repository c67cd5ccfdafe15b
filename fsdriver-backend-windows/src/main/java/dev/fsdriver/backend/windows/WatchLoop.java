package dev.fsdriver.backend.windows;

import dev.fsdriver.backend.windows.win32.WindowsException;
import java.nio.ByteBuffer;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The watcher thread's loop, apart from the native calls (which {@link Port} stands for), so that
 * its decisions can be tested with a fake anywhere.
 *
 * <ul>
 *   <li>Every read is posted by this thread (I/O is cancelled when the thread that issued it
 *       exits: a read posted on a caller's pooled thread dies with that thread).</li>
 *   <li>After a completion with data the bytes are copied, the next read is posted, and only then
 *       are the copied records translated: changes made meanwhile land in the new read.</li>
 *   <li>Overflow (ERROR_NOTIFY_ENUM_DIR, or success with zero bytes): re-post first, then report
 *       OVERFLOW, so the client's rescan cannot miss what happens after it.</li>
 *   <li>Any other failed completion (ERROR_OPERATION_ABORTED not caused by close included) or a
 *       failure to post: logged, the root checked (gone: DELETED of the root and stop), then
 *       retried after a backoff (50 ms doubling up to 5 s, reset by the next completion with
 *       data; close ends the wait at once); once a read is posted again, OVERFLOW (events may
 *       have been lost meanwhile).</li>
 *   <li>On exit no read is left pending: the buffers may only be freed after that.</li>
 * </ul>
 */
final class WatchLoop {
    private static final Logger LOG = LoggerFactory.getLogger(WatchLoop.class);
    static final int POLL_MS = 1000;
    static final long BACKOFF_MIN_MS = 50;
    static final long BACKOFF_MAX_MS = 5000;

    /** What the loop needs from the OS. */
    interface Port {
        /** Posts a ReadDirectoryChanges(Ex)W; returns whether that read delivers extended records. */
        boolean arm() throws WindowsException;

        /** Waits up to {@code millis} for the posted read: ERROR_WAIT_TIMEOUT while still pending. */
        Completion await(int millis);

        /** Copies the first {@code bytes} bytes of the read's buffer. */
        ByteBuffer copy(int bytes);

        /** Cancels the posted read (no error if none is pending). */
        void cancel();

        /** True if the root path still opens as the directory being watched. */
        boolean rootStillThere();
    }

    /** The backoff's wait: returns after {@code millis} or as soon as close is requested. */
    interface Pause {
        void pause(long millis, CountDownLatch closeRequested) throws InterruptedException;
    }

    /** Waits on the close signal, so close never waits out a backoff (up to 5 s before). */
    static final Pause UNTIL_CLOSE = (millis, closeRequested) -> closeRequested.await(millis, TimeUnit.MILLISECONDS);

    /** A read's outcome: {@code error} 0 for success. */
    record Completion(int error, int bytes) {
        boolean timedOut() {
            return error == WinErrors.ERROR_WAIT_TIMEOUT;
        }
    }

    private final Port port;
    private final ChangeTranslator translator;
    private final String name;
    private final Pause pause;
    private final CountDownLatch closeRequested = new CountDownLatch(1);
    private volatile boolean closing;
    private long backoffMs;
    private int failures;
    private boolean pending;
    private boolean extended;

    WatchLoop(Port port, ChangeTranslator translator, String name) {
        this(port, translator, name, UNTIL_CLOSE);
    }

    WatchLoop(Port port, ChangeTranslator translator, String name, Pause pause) {
        this.port = port;
        this.translator = translator;
        this.name = name;
        this.pause = pause;
    }

    /** Posts the first read; a failure here is the caller's (watch() fails). */
    void start() throws WindowsException {
        extended = port.arm();
        pending = true;
    }

    /** Asks the loop to stop: it cancels its read and returns once the read has completed. */
    void requestClose() {
        closing = true;
        closeRequested.countDown(); // ends a backoff wait at once
        port.cancel();
    }

    boolean closing() {
        return closing;
    }

    /** The current backoff (0: none); for tests. */
    long backoffMs() {
        return backoffMs;
    }

    /** Runs until close or until the root is gone; never leaves a read pending. */
    void run() {
        try {
            while (pending) {
                Completion c = port.await(POLL_MS);
                if (c.timedOut()) {
                    if (closing) {
                        port.cancel(); // close() may have cancelled just before this thread re-posted
                    } else if (idle()) {
                        return;
                    }
                    continue;
                }
                pending = false;
                if (closing) {
                    translator.flush();
                    return;
                }
                completed(c);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            drain();
        }
    }

    /** Nothing came for a poll interval: a held rename half is a delete; is the root still there? */
    private boolean idle() {
        translator.flush();
        if (!port.rootStillThere()) {
            translator.rootGone();
            return true;
        }
        return false;
    }

    private void completed(Completion c) throws InterruptedException {
        boolean ext = extended;
        switch (c.error()) {
            case WinErrors.ERROR_SUCCESS -> {
                if (c.bytes() == 0) {
                    overflowed();
                    return;
                }
                ByteBuffer data = port.copy(c.bytes());
                WindowsException armFailure = tryArm();
                translator.completed(WinErrors.ERROR_SUCCESS, data, c.bytes(), ext);
                if (armFailure == null) {
                    recovered();
                } else {
                    failed("posting the next read failed: " + armFailure.getMessage());
                }
            }
            case WinErrors.ERROR_NOTIFY_ENUM_DIR -> overflowed();
            default -> {
                translator.flush();
                failed("read completed with Win32 error " + c.error());
            }
        }
    }

    /** The kernel dropped events: post the next read, then tell the client to rescan. */
    private void overflowed() throws InterruptedException {
        WindowsException armFailure = tryArm();
        if (armFailure == null) {
            translator.overflow();
        } else {
            failed("posting the next read failed: " + armFailure.getMessage()); // reports OVERFLOW once posted
        }
    }

    /** Posts the next read unless closing; returns the failure, null if posted (or closing). */
    private WindowsException tryArm() {
        if (closing) {
            return null;
        }
        try {
            extended = port.arm();
            pending = true;
            return null;
        } catch (WindowsException e) {
            return e;
        }
    }

    /** A failed read or post: events may be lost. Retry after the backoff unless the root is gone. */
    private void failed(String why) throws InterruptedException {
        while (!closing) {
            if (!port.rootStillThere()) {
                translator.rootGone();
                return;
            }
            backoffMs = backoffMs == 0 ? BACKOFF_MIN_MS : Math.min(BACKOFF_MAX_MS, backoffMs * 2);
            failures++;
            if (failures == 1) {
                LOG.warn("watcher for {}: {}; retrying (backoff from {} ms up to {} ms)", name, why, BACKOFF_MIN_MS, BACKOFF_MAX_MS);
            } else {
                LOG.debug("watcher for {}: {} (failure {}, next try in {} ms)", name, why, failures, backoffMs);
            }
            pause.pause(backoffMs, closeRequested);
            if (closing) {
                return;
            }
            WindowsException armFailure = tryArm();
            if (armFailure == null) {
                if (pending) {
                    translator.overflow(); // events between the failure and now are unknown
                }
                return;
            }
            why = "posting the next read failed: " + armFailure.getMessage();
        }
    }

    private void recovered() {
        if (failures > 0) {
            LOG.warn("watcher for {} works again after {} failure(s)", name, failures);
        }
        failures = 0;
        backoffMs = 0;
    }

    /** Leaves no read pending: cancels it and waits for its completion. */
    private void drain() {
        while (pending) {
            port.cancel();
            if (!port.await(POLL_MS).timedOut()) {
                pending = false;
            }
        }
    }
}
