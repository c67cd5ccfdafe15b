package dev.fsdriver.client.events;

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
 */
final class ServerClock implements LongSupplier {
    private volatile long now;
    private volatile boolean timesMove;

    ServerClock(long helloUnixNanos, boolean timesMove) {
        this.now = helloUnixNanos;
        this.timesMove = timesMove;
    }

    /** A Hello's reading (0: not given) and whether that share's directory times move. */
    void hello(long serverUnixNanos, boolean directoryTimesMove) {
        this.timesMove = directoryTimesMove;
        this.now = serverUnixNanos;
    }

    /**
     * An event's {@code seen_unix_nanos}; 0 (an older server's event) keeps the reading before,
     * which can only be behind the server's clock (a stricter check, never a laxer one).
     */
    void event(long seenUnixNanos) {
        if (seenUnixNanos > 0) {
            now = seenUnixNanos;
        }
    }

    /** Another server process answers: no reading of its clock yet. */
    void newServer() {
        now = 0;
    }

    /** The reading, 0 when none may be used (see above). */
    @Override
    public long getAsLong() {
        return timesMove ? now : 0;
    }
}
