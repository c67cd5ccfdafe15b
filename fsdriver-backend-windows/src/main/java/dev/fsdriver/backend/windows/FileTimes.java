package dev.fsdriver.backend.windows;

/**
 * FILETIME (100 ns ticks since 1601-01-01 UTC) to and from Unix nanoseconds.
 *
 * <p>Java's long nanoseconds cover 1677..2262, FILETIME covers 1601..30828: conversions
 * saturate instead of overflowing. FILETIME 0 means "not set" on Windows (and "leave unchanged"
 * in FILE_BASIC_INFO), so it reads as the Unix epoch and is never produced for a real time.
 * Negative Unix times round toward minus infinity (floor), so a time never moves later
 * than the instant it stands for and ordering is kept.
 */
public final class FileTimes {
    /** FILETIME of 1970-01-01T00:00:00Z. */
    public static final long UNIX_EPOCH_FILETIME = 116_444_736_000_000_000L;
    /** FILE_BASIC_INFO: leave this time unchanged. */
    public static final long UNCHANGED = 0;
    /** FILE_BASIC_INFO: stop automatic updates of this time through the handle. */
    public static final long SUSPEND_UPDATES = -1;
    /** FILE_BASIC_INFO: resume automatic updates of this time through the handle. */
    public static final long RESUME_UPDATES = -2;

    private static final long MAX_TICKS_FROM_EPOCH = Long.MAX_VALUE / 100;
    private static final long MIN_TICKS_FROM_EPOCH = Long.MIN_VALUE / 100;

    private FileTimes() {}

    /** Unix ns for a FILETIME; 0 (unset) is the epoch; out-of-range values saturate. */
    public static long toUnixNanos(long fileTime) {
        if (fileTime == 0) {
            return 0;
        }
        if (fileTime < 0) {
            // Not a time (negative FILETIMEs are control values); treat as unset.
            return 0;
        }
        long ticks = fileTime - UNIX_EPOCH_FILETIME; // cannot overflow: fileTime >= 0
        if (ticks > MAX_TICKS_FROM_EPOCH) {
            return Long.MAX_VALUE;
        }
        if (ticks < MIN_TICKS_FROM_EPOCH) {
            return Long.MIN_VALUE;
        }
        return ticks * 100;
    }

    /**
     * FILETIME for Unix ns, floored to 100 ns. Times before 1601 become 1 (the earliest time
     * that is not the "unchanged" marker 0).
     */
    public static long toFileTime(long unixNanos) {
        long ticks = Math.floorDiv(unixNanos, 100L);
        // ticks >= Long.MIN_VALUE/100, so adding the epoch offset cannot overflow.
        long ft = ticks + UNIX_EPOCH_FILETIME;
        return ft < 1 ? 1 : ft;
    }
}
