package dev.fsdriver.backend.windows;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class FileTimesTest {
    private static long unixNs(Instant i) {
        return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }

    @Test
    void unixEpochIsTheKnownFiletime() {
        assertThat(FileTimes.toUnixNanos(116_444_736_000_000_000L)).isZero();
        assertThat(FileTimes.toFileTime(0)).isEqualTo(116_444_736_000_000_000L);
    }

    @Test
    void knownInstantConvertsBothWays() {
        // 2024-02-29T12:34:56.789012300Z, FILETIME 133536836967890123.
        Instant t = Instant.parse("2024-02-29T12:34:56.7890123Z");
        long ft = FileTimes.toFileTime(unixNs(t));
        assertThat(ft).isEqualTo(133_536_836_967_890_123L);
        assertThat(FileTimes.toUnixNanos(ft)).isEqualTo(unixNs(t));
    }

    @Test
    void zeroFiletimeMeansUnsetAndReadsAsEpoch() {
        assertThat(FileTimes.toUnixNanos(0)).isZero();
        assertThat(FileTimes.toUnixNanos(FileTimes.SUSPEND_UPDATES)).isZero();
    }

    @Test
    void pre1970TimesAreNegative() {
        Instant t = Instant.parse("1969-07-20T20:17:40Z");
        long ft = FileTimes.toFileTime(unixNs(t));
        assertThat(ft).isLessThan(FileTimes.UNIX_EPOCH_FILETIME).isPositive();
        assertThat(FileTimes.toUnixNanos(ft)).isEqualTo(unixNs(t));
    }

    @Test
    void negativeSubTickNanosRoundTowardMinusInfinity() {
        // -1 ns is 1969-12-31T23:59:59.999999999: its tick is the one before the epoch.
        assertThat(FileTimes.toFileTime(-1)).isEqualTo(FileTimes.UNIX_EPOCH_FILETIME - 1);
        assertThat(FileTimes.toFileTime(-100)).isEqualTo(FileTimes.UNIX_EPOCH_FILETIME - 1);
        assertThat(FileTimes.toFileTime(-101)).isEqualTo(FileTimes.UNIX_EPOCH_FILETIME - 2);
        // Positive values truncate (also floor).
        assertThat(FileTimes.toFileTime(199)).isEqualTo(FileTimes.UNIX_EPOCH_FILETIME + 1);
    }

    @Test
    void filetimeBeyondYear2262SaturatesAtLongMax() {
        assertThat(FileTimes.toUnixNanos(Long.MAX_VALUE)).isEqualTo(Long.MAX_VALUE);
        long lastRepresentable = FileTimes.UNIX_EPOCH_FILETIME + Long.MAX_VALUE / 100;
        assertThat(FileTimes.toUnixNanos(lastRepresentable)).isEqualTo(Long.MAX_VALUE / 100 * 100);
        assertThat(FileTimes.toUnixNanos(lastRepresentable + 1)).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void filetimeBefore1677SaturatesAtLongMin() {
        assertThat(FileTimes.toUnixNanos(1)).isEqualTo(Long.MIN_VALUE);
    }

    @Test
    void unixExtremesMapIntoValidFiletimes() {
        assertThat(FileTimes.toFileTime(Long.MAX_VALUE)).isEqualTo(FileTimes.UNIX_EPOCH_FILETIME + Long.MAX_VALUE / 100);
        // Long.MIN_VALUE ns is 1677, after 1601: a positive FILETIME, never the 0 "unchanged" marker.
        assertThat(FileTimes.toFileTime(Long.MIN_VALUE)).isPositive();
        assertThat(FileTimes.toUnixNanos(FileTimes.toFileTime(Long.MIN_VALUE)))
                .isLessThanOrEqualTo(Long.MIN_VALUE + 100);
    }
}
