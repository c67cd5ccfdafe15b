package dev.fsdriver.server.events;

import dev.fsdriver.backend.Change.Kind;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.server.events.EventHub.Event;
import java.util.ArrayList;
import java.util.List;

/**
 * The last published events of a hub, a ring of fixed capacity, for clients that resume from a
 * cursor. Not thread-safe: guarded by the hub's monitor.
 */
final class EventHistory {
    private final Event[] ring;
    private int head; // index of the oldest event
    private int size;

    EventHistory(int capacity) {
        this.ring = new Event[capacity];
    }

    void add(Event e) {
        if (size == ring.length) {
            ring[head] = e;
            head = (head + 1) % ring.length;
        } else {
            ring[(head + size) % ring.length] = e;
            size++;
        }
    }

    /**
     * The events after {@code resumeAfter} when the history reaches back that far, else null;
     * {@code lastSequence} is the newest event's sequence.
     */
    List<Event> after(long resumeAfter, long lastSequence) {
        long oldest = lastSequence - size + 1;
        if (resumeAfter < oldest - 1 || resumeAfter >= lastSequence) {
            return null;
        }
        int skip = (int) (resumeAfter - oldest + 1);
        List<Event> replay = new ArrayList<>(size - skip);
        for (int i = skip; i < size; i++) {
            replay.add(ring[(head + i) % ring.length]);
        }
        return replay;
    }

    /** The sequence just before the oldest retained event (for logs). */
    long reachesBackTo(long lastSequence) {
        return lastSequence - size;
    }

    /** One OVERFLOW(root) at {@code sequence}: what a client whose cursor is outside the history gets. */
    static Event overflow(long sequence, long lostAfter) {
        return new Event(sequence, Kind.OVERFLOW, RelPath.ROOT, null, true, 0, lostAfter);
    }
}
