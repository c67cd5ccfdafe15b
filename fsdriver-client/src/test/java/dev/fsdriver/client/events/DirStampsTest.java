package dev.fsdriver.client.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.common.FileMode;
import dev.fsdriver.fuse.FuseAttr;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The stamp rules on their own: only times the server vouches for and older than its clock by
 * the racy margin are kept, a stamp from a reply read before a drop does not outlive it, and
 * once stamps are off none is given or taken.
 */
class DirStampsTest {
    private static final long NOW = 1_800_000_000_000_000_000L;
    private static final long OLD = NOW - DirStamps.RACY_NANOS - 1;

    private static FuseAttr dir(long mtimeNs, long ctimeNs, boolean timesMove) {
        return new FuseAttr(10, 4096, 8, NOW, mtimeNs, ctimeNs, FileMode.S_IFDIR | 0755, 2, 0, 0, 0, 4096, timesMove);
    }

    private static DirStamps stamps() {
        DirStamps s = new DirStamps();
        s.serverClock(() -> NOW);
        return s;
    }

    @Test
    void keepsOnlyTimesTheServerVouchesForAndOlderThanTheRacyMargin() {
        DirStamps s = stamps();
        DirStamps.Slot kept = new DirStamps.Slot();
        s.take(kept, dir(OLD, OLD - 5, true), s.token());
        assertThat(s.vouching(kept)).containsExactly(OLD, OLD - 5);

        DirStamps.Slot racy = new DirStamps.Slot();
        s.take(racy, dir(OLD, NOW - DirStamps.RACY_NANOS + 1, true), s.token()); // the ctime is too new
        assertThat(s.vouching(racy)).isNull();

        DirStamps.Slot notVouched = new DirStamps.Slot();
        s.take(notVouched, dir(OLD, OLD, false), s.token());
        assertThat(s.vouching(notVouched)).isNull();

        DirStamps.Slot forgotten = new DirStamps.Slot() {
            @Override
            boolean forgotten() {
                return true;
            }
        };
        s.take(forgotten, dir(OLD, OLD, true), s.token());
        assertThat(s.vouching(forgotten)).isNull();
    }

    @Test
    void withoutAReadingOfTheServersClockNothingIsKept() {
        DirStamps s = new DirStamps();
        DirStamps.Slot n = new DirStamps.Slot();
        s.take(n, dir(OLD, OLD, true), s.token());
        assertThat(s.vouching(n)).isNull();
    }

    @Test
    void aReplyReadBeforeADropMakesNoStamp() {
        DirStamps s = stamps();
        long before = s.token();
        s.moveToken(); // an event of a name in the directory, while the reply was on its way
        DirStamps.Slot n = new DirStamps.Slot();
        s.take(n, dir(OLD, OLD, true), before);
        assertThat(s.vouching(n)).isNull();
        s.take(n, dir(OLD, OLD, true), s.token()); // a reply read after it
        assertThat(s.vouching(n)).isNotNull();
    }

    @Test
    void dropAllTakesEveryStampAndThoseOnTheirWay() {
        DirStamps s = stamps();
        DirStamps.Slot a = new DirStamps.Slot();
        DirStamps.Slot b = new DirStamps.Slot();
        long before = s.token();
        s.take(a, dir(OLD, OLD, true), before);
        s.dropAll(List.of(a, b));
        assertThat(s.vouching(a)).isNull();
        s.take(b, dir(OLD, OLD, true), before);
        assertThat(s.vouching(b)).isNull();
    }

    @Test
    void offDropsEveryStampAndNoneIsTakenAgain() {
        DirStamps s = stamps();
        DirStamps.Slot a = new DirStamps.Slot();
        DirStamps.Slot elsewhere = new DirStamps.Slot();
        s.take(a, dir(OLD, OLD, true), s.token());
        s.take(elsewhere, dir(OLD, OLD, true), s.token());
        assertThat(s.vouching(elsewhere)).isNotNull();
        s.off(600, 3, 1, List.of(a)); // `elsewhere` not among those dropped
        assertThat(s.vouching(a)).isNull();
        assertThat(s.vouching(elsewhere)).as("a stamp left in place is not given out either").isNull();
        DirStamps.Slot b = new DirStamps.Slot();
        s.take(b, dir(OLD, OLD, true), s.token());
        assertThat(s.vouching(b)).isNull();
    }
}
