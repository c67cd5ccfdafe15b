package dev.fsdriver.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The handles of listings without OPENDIR: found by offset, one request at a time, all given back. */
class DirCursorsTest {
    private final AtomicLong now = new AtomicLong();
    private final DirCursors cursors = new DirCursors(now::get);

    @Test
    void aListingGoesOnWithItsHandleAndGivesItBackAtItsEnd() {
        assertThat(cursors.take(5, 0)).as("offset 0 starts a listing").isNull();
        DirCursors.Cursor c = cursors.opened(5, 42);
        assertThat(cursors.served(c, 1, 30)).isEmpty();
        assertThat(cursors.take(5, 31)).as("past its page").isNull();
        assertThat(cursors.take(6, 30)).as("another directory").isNull();
        assertThat(cursors.take(5, 30)).isSameAs(c);
        assertThat(cursors.take(5, 30)).as("taken: one request at a time").isNull();
        assertThat(cursors.served(c, 31, 60)).isEmpty();
        assertThat(cursors.take(5, 60)).isSameAs(c);
        assertThat(cursors.served(c, -1, -1)).as("an empty page: the end").containsExactly(c);
        assertThat(cursors.waiting()).isZero();
    }

    @Test
    void aProgramThatTookPartOfAPageGoesOnWithItsListing() {
        DirCursors.Cursor c = cursors.opened(5, 42);
        cursors.served(c, 1, 30);
        assertThat(cursors.take(5, 17)).as("a small buffer took the entries up to offset 17").isSameAs(c);
        cursors.served(c, 18, 40);
        assertThat(cursors.take(5, 18)).as("then only the first of the next page").isSameAs(c);
    }

    @Test
    void twoListingsEndingAPageAtTheSameOffsetEachGoOnWithOne() {
        DirCursors.Cursor a = cursors.opened(5, 1);
        DirCursors.Cursor b = cursors.opened(5, 2);
        cursors.served(a, 1, 30);
        cursors.served(b, 1, 30);
        assertThat(cursors.waiting()).isEqualTo(2);
        DirCursors.Cursor first = cursors.take(5, 30);
        DirCursors.Cursor second = cursors.take(5, 30);
        assertThat(List.of(first, second)).containsExactlyInAnyOrder(a, b);
        assertThat(cursors.take(5, 30)).isNull();
        assertThat(cursors.served(first, -1, -1)).containsExactly(first);
        assertThat(cursors.served(second, -1, -1)).containsExactly(second);
    }

    @Test
    void aListingWhosePageEndedThereIsPreferredToOneThatOnlyTookItIn() {
        DirCursors.Cursor wide = cursors.opened(5, 1);
        DirCursors.Cursor ended = cursors.opened(5, 2);
        cursors.served(wide, 1, 50);
        cursors.served(ended, 1, 20);
        assertThat(cursors.take(5, 20)).isSameAs(ended);
        assertThat(cursors.take(5, 20)).isSameAs(wide);
    }

    @Test
    void aListingStoppedEarlyIsGivenBackOnceIdleOrWhenTooManyWait() {
        DirCursors.Cursor stopped = cursors.opened(5, 1);
        cursors.served(stopped, 1, 30);
        now.addAndGet(DirCursors.IDLE_NANOS - 1);
        DirCursors.Cursor other = cursors.opened(6, 2);
        assertThat(cursors.served(other, 1, 10)).as("not idle long enough yet").isEmpty();
        now.addAndGet(1);
        DirCursors.Cursor third = cursors.opened(7, 3);
        assertThat(cursors.served(third, 1, 10)).as("idle for IDLE_NANOS").containsExactly(stopped);
        assertThat(cursors.take(5, 30)).isNull();

        for (int i = 0; i < DirCursors.MAX_OPEN; i++) {
            cursors.served(cursors.opened(100 + i, 1000 + i), 1, 10);
        }
        assertThat(cursors.waiting()).isEqualTo(DirCursors.MAX_OPEN);
        assertThat(cursors.take(6, 10)).as("the least recently used went first").isNull();
        assertThat(cursors.take(7, 10)).isNull();
        assertThat(cursors.take(100, 10)).isNotNull();
    }
}
