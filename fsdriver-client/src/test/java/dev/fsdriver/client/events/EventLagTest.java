package dev.fsdriver.client.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Lag from the server's seeing a change to its being applied here, on a clock the test sets. */
class EventLagTest {
    private final AtomicLong now = new AtomicLong(1_000_000);
    private final EventLag lag = new EventLag(now::get);

    @Test
    void countsSumsAndKeepsTheMaximumAndTellsTheListenerEachLag() {
        List<Long> heard = new ArrayList<>();
        lag.listen(heard::add);
        lag.applied(999_000);   // 1000 ns
        now.set(2_000_000);
        lag.applied(1_995_000); // 5000 ns
        lag.applied(1_998_000); // 2000 ns
        assertThat(lag.count()).isEqualTo(3);
        assertThat(lag.sumNanos()).isEqualTo(8000);
        assertThat(lag.maxNanos()).isEqualTo(5000);
        assertThat(lag.skewed()).isZero();
        assertThat(heard).containsExactly(1000L, 5000L, 2000L);
    }

    @Test
    void anEventWithoutTheServersTimeIsNotCounted() {
        lag.applied(0);
        assertThat(lag.count()).isZero();
        assertThat(lag.maxNanos()).isZero();
    }

    @Test
    void aClockBehindTheServersCountsAsNoLagAndAsSkewed() {
        lag.applied(1_000_500);   // seen 500 ns "after" now
        assertThat(lag.count()).isEqualTo(1);
        assertThat(lag.sumNanos()).isZero();
        assertThat(lag.maxNanos()).isZero();
        assertThat(lag.skewed()).isEqualTo(1);
    }

    @Test
    void unixNanosIsTheWallClock() {
        long before = System.currentTimeMillis() * 1_000_000L;
        long t = EventLag.unixNanos();
        long after = (System.currentTimeMillis() + 1) * 1_000_000L;
        assertThat(t).isBetween(before, after);
    }
}
