package dev.fsdriver.backend;

import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * Which attributes to change; absent fields stay. Times: {@link TimeChange#NOW} is the
 * server's current time (UTIME_NOW), {@code null} leaves the time (UTIME_OMIT).
 */
public record SetAttributes(
        OptionalLong size,
        OptionalInt mode,
        OptionalInt uid,
        OptionalInt gid,
        TimeChange atime,
        TimeChange mtime) {

    public static final SetAttributes NONE =
            new SetAttributes(OptionalLong.empty(), OptionalInt.empty(), OptionalInt.empty(), OptionalInt.empty(), null, null);

    public boolean isEmpty() {
        return size.isEmpty() && mode.isEmpty() && uid.isEmpty() && gid.isEmpty() && atime == null && mtime == null;
    }

    public boolean mutates() {
        return !isEmpty();
    }

    /** A time to set: nanoseconds since the epoch, or now. */
    public record TimeChange(boolean now, long ns) {
        public static final TimeChange NOW = new TimeChange(true, 0);

        public static TimeChange at(long ns) {
            return new TimeChange(false, ns);
        }
    }
}
