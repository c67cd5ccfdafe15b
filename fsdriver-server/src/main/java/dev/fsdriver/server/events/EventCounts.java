package dev.fsdriver.server.events;

import java.util.concurrent.atomic.LongAdder;

/** What the Watch streams of one server did, for metrics: events sent, and dropped with an overflow for slow clients. */
public final class EventCounts {
    private final LongAdder sent = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private final LongAdder overflows = new LongAdder();

    /** Events sent to clients. */
    public long sent() {
        return sent.sum();
    }

    /** Events a too slow client's queue held when it was replaced by an overflow. */
    public long dropped() {
        return dropped.sum();
    }

    /** Overflows queued for too slow clients (one per overflow a client receives). */
    public long overflows() {
        return overflows.sum();
    }

    void sent(int n) {
        sent.add(n);
    }

    void overflowed(int droppedEvents, boolean newOverflow) {
        dropped.add(droppedEvents);
        if (newOverflow) {
            overflows.increment();
        }
    }
}
