package dev.fsdriver.server.events;

import dev.fsdriver.backend.RelPath;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The event storms of an {@link EventHub}: more than {@code threshold} events under one directory
 * within a window start a storm on the deepest directory over the threshold (narrowed to where
 * most of its events are); the hub replaces them by one OVERFLOW and suppresses the events under
 * it until the storm ends. This class counts and decides; the hub publishes.
 *
 * <p>Not thread-safe: guarded by the hub's monitor, which calls it only from its synchronized
 * methods (as it does {@link Debouncer}).
 */
final class Storms {
    static final class Storm {
        final RelPath dir;
        final long until;
        /** The last sequence published before its changes began to be suppressed (its OVERFLOWs' lostAfter). */
        final long lostAfter;

        Storm(RelPath dir, long until, long lostAfter) {
            this.dir = dir;
            this.until = until;
            this.lostAfter = lostAfter;
        }
    }

    private final int threshold;
    private final long windowNanos;
    private final Map<RelPath, Integer> counts = new HashMap<>();
    private final List<Storm> storms = new ArrayList<>();
    private long windowStart;

    Storms(int threshold, long windowNanos, long now) {
        this.threshold = threshold;
        this.windowNanos = windowNanos;
        this.windowStart = now;
    }

    boolean isEmpty() {
        return storms.isEmpty();
    }

    /** The storm {@code p} falls in, or null. */
    Storm of(RelPath p) {
        for (Storm s : storms) {
            if (p.startsWith(s.dir)) {
                return s;
            }
        }
        return null;
    }

    /**
     * Counts a change in {@code dir} against it and every ancestor; if one goes over the
     * threshold, starts a storm on the deepest such directory (narrowed to where most of its events
     * are) and returns it: the caller publishes its OVERFLOW. Null: no storm.
     *
     * @param lastSequence the last sequence published (the loss starts after it)
     */
    Storm count(RelPath dir, long now, long lastSequence) {
        if (now - windowStart >= windowNanos) {
            counts.clear();
            windowStart = now;
        }
        RelPath hit = null;
        for (RelPath d = dir; ; d = d.parent()) {
            int n = counts.merge(d, 1, Integer::sum);
            if (n > threshold && hit == null) {
                hit = d;
            }
            if (d.isRoot()) {
                break;
            }
        }
        if (hit == null) {
            return null;
        }
        RelPath h = narrow(hit);
        int count = counts.getOrDefault(h, 0);
        for (RelPath d = h.parent(); !h.isRoot(); d = d.parent()) {
            counts.computeIfPresent(d, (k, v) -> v - count);
            if (d.isRoot()) {
                break;
            }
        }
        // The trigger (counted above) is lost from here on: the loss starts after the last sequence
        // published, or earlier with a narrower storm this one replaces (its end OVERFLOW goes).
        long lostAfter = lastSequence;
        for (Storm s : storms) {
            if (s.dir.startsWith(h)) {
                lostAfter = Math.min(lostAfter, s.lostAfter);
            }
        }
        storms.removeIf(s -> s.dir.startsWith(h)); // a wider storm replaces narrower ones
        Storm started = new Storm(h, now + windowNanos, lostAfter);
        storms.add(started);
        counts.keySet().removeIf(d -> d.startsWith(h));
        return started;
    }

    /**
     * From the directory that went over the threshold, descends while one child subtree holds
     * more than half of its events: the overflow then covers where the storm is, not the root.
     */
    private RelPath narrow(RelPath hit) {
        RelPath dir = hit;
        while (true) {
            int total = counts.getOrDefault(dir, 0);
            RelPath next = null;
            for (Map.Entry<RelPath, Integer> e : counts.entrySet()) {
                RelPath d = e.getKey();
                if (d.depth() == dir.depth() + 1 && d.startsWith(dir) && e.getValue() * 2 > total) {
                    next = d;
                    break;
                }
            }
            if (next == null) {
                return dir;
            }
            dir = next;
        }
    }

    /** Ends the storms that are over at {@code now}; returns them, in the order they started. */
    List<Storm> endOver(long now) {
        List<Storm> ended = new ArrayList<>(0);
        for (Iterator<Storm> it = storms.iterator(); it.hasNext(); ) {
            Storm s = it.next();
            if (s.until - now <= 0) {
                it.remove();
                ended.add(s);
            }
        }
        return ended;
    }

    /** When the first storm still going ends, Long.MAX_VALUE if none is. */
    long nextEnd() {
        long next = Long.MAX_VALUE;
        for (Storm s : storms) {
            next = Math.min(next, s.until);
        }
        return next;
    }
}
