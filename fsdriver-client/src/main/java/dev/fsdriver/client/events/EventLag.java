package dev.fsdriver.client.events;

import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

/**
 * Event lag: from the server seeing a change (the event's {@code seen_unix_nanos}) to this mount
 * having applied the event (caches invalidated, watchers told), on the two machines' wall clocks.
 * Kept as count, sum and maximum for {@code fsdriver status}; each value also goes to a listener
 * (the CLI's histogram, with --metrics-listen). A clock behind the server's would give a negative
 * lag: it is counted as 0, and the times it happened are counted apart ({@link #skewed}).
 */
public final class EventLag {
    private final LongSupplier wallNanos;
    private final LongAdder count = new LongAdder();
    private final LongAdder sumNanos = new LongAdder();
    private final LongAccumulator maxNanos = new LongAccumulator(Math::max, 0);
    private final LongAdder skewed = new LongAdder();
    private volatile LongConsumer listener = nanos -> { };

    EventLag(LongSupplier wallNanos) {
        this.wallNanos = wallNanos;
    }

    static long unixNanos() {
        java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    /** An event seen by the server at {@code seenUnixNanos} (0: not known, not counted) is applied now. */
    void applied(long seenUnixNanos) {
        if (seenUnixNanos <= 0) {
            return;
        }
        long lag = wallNanos.getAsLong() - seenUnixNanos;
        if (lag < 0) {
            skewed.increment();
            lag = 0;
        }
        count.increment();
        sumNanos.add(lag);
        maxNanos.accumulate(lag);
        listener.accept(lag);
    }

    /** Also tells {@code l} each lag, in nanoseconds (one listener). */
    public void listen(LongConsumer l) {
        this.listener = l;
    }

    /** Events whose lag was measured. */
    public long count() {
        return count.sum();
    }

    public long sumNanos() {
        return sumNanos.sum();
    }

    public long maxNanos() {
        return maxNanos.get();
    }

    /** Events that arrived before the server saw them by the clocks: the mount's clock is behind. */
    public long skewed() {
        return skewed.sum();
    }
}
