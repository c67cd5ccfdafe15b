package dev.fsdriver.client.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.proto.v1.Attr;
import dev.fsdriver.proto.v1.DirEntry;
import dev.fsdriver.proto.v1.Node;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class KeptListingsTest {
    private final List<Long> forgotten = new ArrayList<>();
    private long now = 1_000;
    private final KeptListings kept = new KeptListings(4, 100, forgotten::add, () -> now);

    /** {@code n} entries with nodes base+1 .. base+n. */
    private static List<DirEntry> page(long base, int n) {
        List<DirEntry> page = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            page.add(DirEntry.newBuilder().setName("f" + i).setCursor(i)
                    .setNode(Node.newBuilder().setId(base + i).setAttr(Attr.newBuilder().setMode(0100644))).build());
        }
        return page;
    }

    private KeptListings.Kept listing(long base, int n, long expires) {
        return new KeptListings.Kept(page(base, n), new BitSet(), 0, expires, 0);
    }

    @Test
    void theEntriesInAllAreBoundedAndTheLeastRecentlyUsedGoFirstWithTheirReferences() {
        kept.put(1, listing(100, 40, 10_000));
        kept.put(2, listing(200, 40, 10_000));
        kept.get(1); // used: 2 is now the least recently used
        kept.put(3, listing(300, 40, 10_000));

        assertThat(kept.entries()).isEqualTo(80);
        assertThat(kept.get(2)).isNull();
        assertThat(kept.get(1)).isNotNull();
        assertThat(forgotten).hasSize(40).allMatch(id -> id > 200 && id <= 240);
    }

    @Test
    void theDirectoriesAreBoundedToo() {
        for (long d = 1; d <= 5; d++) {
            kept.put(d, listing(d * 100, 1, 10_000));
        }
        assertThat(kept.directories()).isEqualTo(4);
        assertThat(kept.get(1)).isNull();
        assertThat(forgotten).containsExactly(101L);
    }

    @Test
    void expiredListingsGoAtTheNextAddNotOnlyWhenAskedFor() {
        kept.put(1, listing(100, 10, 2_000));
        now = 3_000;
        kept.put(2, listing(200, 10, 10_000));

        assertThat(kept.directories()).isEqualTo(1);
        assertThat(kept.entries()).isEqualTo(10);
        assertThat(forgotten).hasSize(10).allMatch(id -> id > 100 && id <= 110);
    }

    @Test
    void aListingLargerThanTheBoundIsGivenBackAtOnce() {
        kept.put(1, listing(100, 101, 10_000));
        assertThat(kept.directories()).isZero();
        assertThat(forgotten).hasSize(101);
    }

    @Test
    void onlyTheReferencesTheKernelNeverTookAreGivenBackAndNoneTwice() {
        KeptListings.Kept k = listing(100, 3, 10_000);
        kept.put(1, k);
        assertThat(k.lookup("f2").node().getId()).isEqualTo(102);
        assertThat(k.lookup("f2")).isEqualTo(KeptListings.Answer.ASK); // its reference is spent
        assertThat(k.lookup("nope")).isEqualTo(KeptListings.Answer.ABSENT);
        assertThat(k.lookup("F1")).isEqualTo(KeptListings.Answer.ASK); // another case: the server decides

        kept.clear();
        kept.clear();
        k.giveBack(forgotten::add);
        assertThat(forgotten).containsExactlyInAnyOrder(101L, 103L);
        assertThat(k.lookup("f3")).isEqualTo(KeptListings.Answer.ASK);
    }

    @Test
    void aListingTakenForAReaddirIsNoLongerGivenBackHere() {
        KeptListings.Kept k = listing(100, 2, 10_000);
        kept.put(1, k);
        k.lookup("f1");
        BitSet given = kept.remove(1).take();
        assertThat(given.get(0)).isTrue();
        assertThat(given.get(1)).isFalse();
        kept.clear();
        k.giveBack(forgotten::add);
        assertThat(forgotten).isEmpty();
    }
}
