package dev.fsdriver.client.events;

import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

/**
 * The events layer's reading of the server's clock (ns since the Unix epoch), against which a
 * directory's times are checked before they are kept as its stamp ({@link KernelView#stamp}):
 * Hello's {@code server_unix_nanos}, then each event's {@code seen_unix_nanos}. The latest
 * reading, never the highest: after the server's clock stepped back, an earlier higher reading
 * would make times within the margin of the server's real "now" look old enough to vouch.
 * 0 (nothing stamped) until a reading comes, after another server process answered, and always
 * when the share's directory times do not move with its names (no "dir-times-move" in Hello):
 * there unchanged times vouch for nothing.
 *
 * <p>Threads: Hello's reading comes on a transport thread, events' on the events thread, and
 * {@link #getAsLong} is read on request threads. The reading and the share's answer are one
 * immutable {@link Reading}, replaced whole (compare-and-set, so an event's reading never puts
 * back the answer of a Hello it raced with): a reader never pairs one Hello's answer with
 * another's reading.
 */
final class ServerClock implements LongSupplier {
    /** A reading of the server's clock (0: none) and whether that share's directory times move. */
    private record Reading(long now, boolean timesMove) {}

    private final AtomicReference<Reading> reading;

    ServerClock(long helloUnixNanos, boolean timesMove) {
        this.reading = new AtomicReference<>(new Reading(helloUnixNanos, timesMove));
    }

    /** A Hello's reading (0: not given) and whether that share's directory times move. */
    void hello(long serverUnixNanos, boolean directoryTimesMove) {
        reading.set(new Reading(serverUnixNanos, directoryTimesMove));
    }

    /**
     * An event's {@code seen_unix_nanos}; 0 (an older server's event) keeps the reading before,
     * which can only be behind the server's clock (a stricter check, never a laxer one).
     */
    void event(long seenUnixNanos) {
        if (seenUnixNanos > 0) {
            reading.updateAndGet(r -> new Reading(seenUnixNanos, r.timesMove()));
        }
    }

    /** Another server process answers: no reading of its clock yet. */
    void newServer() {
        reading.updateAndGet(r -> new Reading(0, r.timesMove()));
    }

    /** The reading, 0 when none may be used (see above). */
    @Override
    public long getAsLong() {
        Reading r = reading.get();
        return r.timesMove() ? r.now() : 0;
    }
}
