package dev.fsdriver.client.events;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Remembers which paths this mount changed recently. The server already keeps the events of a
 * mount's own changes from coming back (see the server's Origins); this is what the client
 * still needs: an overflow resync (events lost, the directory listed again) must not announce
 * as new the names this mount created itself, whose IN_CREATE the kernel emitted already.
 *
 * <p>Every mutation through the mount marks its path(s); {@link #isEcho} is true for a marked
 * path within {@code windowNs} of the last mark.
 */
public final class EchoFilter {
    private final ConcurrentHashMap<String, Long> marks = new ConcurrentHashMap<>();
    private final long windowNs;
    private final LongSupplier clock;
    private volatile long lastSweep;

    public EchoFilter(long windowNs, LongSupplier nanoClock) {
        this.windowNs = windowNs;
        this.clock = nanoClock;
    }

    public EchoFilter() {
        this(5_000_000_000L, System::nanoTime);
    }

    /** This mount just changed {@code path} (share-relative; null = unknown, ignored). */
    public void mark(String path) {
        if (path == null) {
            return;
        }
        long now = clock.getAsLong();
        marks.put(path, now);
        if (now - lastSweep > windowNs * 4) {
            lastSweep = now;
            marks.values().removeIf(t -> now - t > windowNs);
        }
    }

    /** True if an event about {@code path} is (most likely) the echo of this mount's own change. */
    public boolean isEcho(String path) {
        return isEcho(path, clock.getAsLong());
    }

    /**
     * Like {@link #isEcho(String)} for an event that reached this client at {@code arrivedNs}
     * (same clock): the age that counts is the one at arrival, so a backlog in applying events
     * does not turn echoes into duplicates. A change marked after the event arrived cannot be
     * its cause.
     */
    public boolean isEcho(String path, long arrivedNs) {
        Long t = marks.get(path);
        return t != null && t <= arrivedNs && arrivedNs - t <= windowNs;
    }
}
