package dev.fsdriver.client.events;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Recognises the server's reports of changes this mount made itself, so that a program
 * watching the mount sees the kernel's own event for its change exactly once and never a
 * second, injected copy.
 *
 * <p>Every mutation through the mount marks its path(s); an event for a marked path within
 * {@code windowNs} of the last mark is an echo. A change made on the server to the same path
 * inside that window is taken for an echo too: its attributes are still invalidated (see
 * {@link EventApplier}), only the injected inotify event is lost — the price of a server that
 * cannot tell who made a change.
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
