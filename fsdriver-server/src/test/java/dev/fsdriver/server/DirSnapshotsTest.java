package dev.fsdriver.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.backend.DirEntry;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Directory listings kept for ReadDir pagination: cursors, node checks, eviction by count and by size. */
class DirSnapshotsTest {
    private static List<DirEntry> entries(int n) {
        return IntStream.range(0, n).mapToObj(i -> new DirEntry("n" + i, null)).toList();
    }

    @Test
    void aCursorFindsItsSnapshotForItsNodeOnly() {
        DirSnapshots snapshots = new DirSnapshots(4, 100);
        DirSnapshots.Snapshot s = snapshots.add(10, entries(3), 0, null);
        long cursor = DirSnapshots.cursor(s.id(), 2);
        assertThat(DirSnapshots.position(cursor)).isEqualTo(2);
        assertThat(snapshots.find(10, cursor)).isSameAs(s);
        assertThat(snapshots.find(11, cursor)).as("another directory's cursor").isNull();
        assertThat(snapshots.find(10, 0)).as("cursor 0 lists afresh").isNull();
    }

    @Test
    void theLeastRecentlyUsedGoesWhenFull() {
        DirSnapshots snapshots = new DirSnapshots(2, 100);
        DirSnapshots.Snapshot a = snapshots.add(1, entries(1), 0, null);
        DirSnapshots.Snapshot b = snapshots.add(2, entries(1), 0, null);
        assertThat(snapshots.find(1, DirSnapshots.cursor(a.id(), 1))).isSameAs(a);   // a used after b
        DirSnapshots.Snapshot c = snapshots.add(3, entries(1), 0, null);
        assertThat(snapshots.find(2, DirSnapshots.cursor(b.id(), 1))).as("b evicted").isNull();
        assertThat(snapshots.find(1, DirSnapshots.cursor(a.id(), 1))).isSameAs(a);
        assertThat(snapshots.find(3, DirSnapshots.cursor(c.id(), 1))).isSameAs(c);
    }

    @Test
    void entriesTogetherStayUnderTheirBound() {
        DirSnapshots snapshots = new DirSnapshots(10, 100);
        DirSnapshots.Snapshot big = snapshots.add(1, entries(80), 0, null);
        DirSnapshots.Snapshot small = snapshots.add(2, entries(15), 0, null);
        DirSnapshots.Snapshot next = snapshots.add(3, entries(30), 0, null);
        assertThat(snapshots.find(1, DirSnapshots.cursor(big.id(), 1))).as("80 + 15 + 30 > 100: oldest out").isNull();
        assertThat(snapshots.find(2, DirSnapshots.cursor(small.id(), 1))).isSameAs(small);
        assertThat(snapshots.find(3, DirSnapshots.cursor(next.id(), 1))).isSameAs(next);
    }

    /** A listing read to its end: a big one goes at once (issue 16), a small one stays for a page asked again. */
    @Test
    void aListingReadToItsEndGoesAtOnceIfBig() {
        DirSnapshots snapshots = new DirSnapshots(10, 100_000);
        DirSnapshots.Snapshot big = snapshots.add(1, entries(DirSnapshots.DONE_MAX_ENTRIES + 1), 0, null);
        DirSnapshots.Snapshot small = snapshots.add(2, entries(5), 0, null);
        snapshots.done(big);
        snapshots.done(small);
        assertThat(snapshots.find(1, DirSnapshots.cursor(big.id(), 1))).isNull();
        assertThat(snapshots.find(2, DirSnapshots.cursor(small.id(), 3)).entries()).isSameAs(small.entries());
        assertThat(snapshots.size()).isEqualTo(1);
    }
}
