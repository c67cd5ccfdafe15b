package dev.fsdriver.client.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.proto.v1.Attr;
import dev.fsdriver.proto.v1.DirEntry;
import dev.fsdriver.proto.v1.Node;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Which kept listings a change through the mount drops, what the others still answer (issue 13),
 * and how one follows the mount's own changes of its directory's names (issue 17).
 */
class RemoteCachesTest {
    private final List<Long> forgotten = new ArrayList<>();
    private final RemoteCaches caches = new RemoteCaches(
            new Prefetcher(null, r -> null, null, r -> null, 1024, 0, 100, 1_000_000_000L, System::nanoTime, id -> {}),
            new CacheStats(), forgotten::add, System::nanoTime);

    RemoteCachesTest() {
        caches.enableWhile(() -> true);
        caches.childrenFrom((parent, name) -> name.equals("f1") ? parent * 100 + 1 : 0);
    }

    /** Lists {@code dir} (entries f1..f3, nodes dir*100+1..3) as a lookup would, fetched now. */
    private void listed(long dir) {
        caches.keepLookupListing(dir, fetched(dir, caches.relistEpoch()));
    }

    private static KeptListings.Kept fetched(long dir, long epoch) {
        List<DirEntry> page = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            page.add(DirEntry.newBuilder().setName("f" + i).setCursor(i)
                    .setNode(Node.newBuilder().setId(dir * 100 + i).setAttr(Attr.newBuilder().setMode(0100644))).build());
        }
        return new KeptListings.Kept(page, new BitSet(), epoch, System.nanoTime() + 60_000_000_000L, 0);
    }

    private KeptListings.Answer lookup(long dir, String name) {
        KeptListings.Kept k = caches.lookupListing(dir);
        return k == null ? null : k.lookup(name, caches.currentSince(k.epoch));
    }

    @Test
    void aChangedDirectoryLosesItsListingTheOthersKeepTheirs() {
        listed(1);
        listed(2);
        assertThat(lookup(1, "f2").node().getId()).isEqualTo(102);

        caches.changing(1);

        assertThat(caches.lookupListing(1)).isNull();
        assertThat(forgotten).containsExactlyInAnyOrder(101L, 103L); // 102 went to the kernel
        assertThat(lookup(2, "f3").node().getId()).isEqualTo(203);
        assertThat(lookup(2, "nope")).isEqualTo(KeptListings.Answer.ABSENT);
    }

    @Test
    void aChangedNodeIsAskedTheServerUnderEveryListedName() {
        listed(1);
        listed(2);
        caches.changing(102); // chmod, a write, a link: its attributes as listed are old
        caches.attrs().drop(203); // a write's failure, an xattr: through KnownAttrs

        assertThat(lookup(1, "f2")).isEqualTo(KeptListings.Answer.ASK);
        assertThat(lookup(2, "f3")).isEqualTo(KeptListings.Answer.ASK);
        assertThat(lookup(1, "f3").node().getId()).isEqualTo(103);
        assertThat(lookup(1, "nope")).isEqualTo(KeptListings.Answer.ABSENT);
        // a listing again of the directory (rm -rf's second pass) would hand the kernel 102 as listed
        assertThat(caches.takeListing(1)).isNull();
        assertThat(caches.takeListing(2)).isNull();
    }

    @Test
    void aListingFetchedWhileItsDirectoryChangedIsNotKept() {
        long before = caches.relistEpoch();
        caches.changing(3); // a create in it, reported before the listing's reply came
        caches.keepLookupListing(3, fetched(3, before));

        assertThat(caches.lookupListing(3)).isNull();
        assertThat(forgotten).containsExactlyInAnyOrder(301L, 302L, 303L);
    }

    @Test
    void aNameWhoseNodeIsNotKnownDropsEveryListingUnlessItIsARenamesTarget() {
        listed(1);
        listed(2);
        listed(3);
        caches.nameChanging(1, "f1"); // known: node 101
        assertThat(caches.lookupListing(1)).isNull();
        assertThat(lookup(2, "f1").node().getId()).isEqualTo(201);

        caches.nameChanging(2, "new", true); // a rename's target the kernel holds no node for: absent
        assertThat(caches.lookupListing(2)).isNull();
        assertThat(lookup(3, "f2").node().getId()).isEqualTo(302);

        listed(4);
        caches.nameChanging(3, "f9"); // an unlink of a name whose node is not known: anything may be stale
        assertThat(caches.lookupListing(4)).isNull();
        listed(5);
        caches.changedElsewhere();
        assertThat(caches.lookupListing(5)).isNull();
    }

    @Test
    void aChangeElsewhereForgetsTheLayerAboveToo() {
        int[] forgot = {0};
        caches.alsoChangedElsewhere(() -> {
            forgot[0]++;
            assertThat(caches.lookupListing(6)).as("these first").isNull();
        });
        listed(6);
        caches.changing(6);
        assertThat(forgot[0]).as("a change through the mount is not one elsewhere").isZero();
        listed(6);
        caches.changedElsewhere();
        assertThat(forgot[0]).isEqualTo(1);
    }

    @Test
    void aNodeMadeWithTheIdOfARemovedDirectoryDoesNotGetItsListing() {
        listed(7);
        caches.changing(7); // mkdir answered with node 7 (an inode number reused)
        assertThat(caches.lookupListing(7)).isNull();
    }

    // ---- own changes applied to the kept listing (issue 17: an editor's atomic save)

    private static Node file(long id) {
        return Node.newBuilder().setId(id).setAttr(Attr.newBuilder().setMode(0100644).setIno(id)).build();
    }

    /** Attributes known current for node 150 only; references lent for nodes in {@code held}. */
    private KeptListings.Answer lookupWith(long dir, String name, List<Long> held) {
        KeptListings.Kept k = caches.lookupListing(dir);
        return k == null ? null : k.lookup(name, caches.currentSince(k.epoch), new KeptListings.NodeAnswers() {
            @Override
            public Attr attrs(long node) {
                return node == 150 ? Attr.newBuilder().setMode(0100644).setIno(150).setSize(7).build() : null;
            }

            @Override
            public boolean lend(long node, long generation) {
                return held.contains(node);
            }
        });
    }

    @Test
    void anAtomicSaveKeepsTheListingCurrentInsteadOfDroppingIt() {
        listed(1);
        caches.namesChanging(1);
        assertThat(caches.lookupListing(1)).isNull(); // set aside while the create goes on
        caches.namesChanged(1, k -> k.made(".f2.tmp", file(150)));
        caches.changing(150); // the new file, written after
        assertThat(lookup(1, ".f2.tmp")).isEqualTo(KeptListings.Answer.ASK); // the kernel's already, no attributes known
        assertThat(lookup(1, "nope")).isEqualTo(KeptListings.Answer.ABSENT);

        caches.namesChanging(1); // rename .f2.tmp -> f2: both names in one directory
        caches.namesChanging(1);
        caches.namesChanged(1, k -> k.renamed(".f2.tmp", "f2", caches::forget));

        assertThat(forgotten).containsExactly(102L); // f2's old node: its listed reference, never the kernel's
        assertThat(lookup(1, ".f2.tmp")).isEqualTo(KeptListings.Answer.ABSENT);
        assertThat(lookupWith(1, "f2", List.of())).isEqualTo(KeptListings.Answer.ASK); // the kernel does not hold it
        KeptListings.Answer again = lookupWith(1, "f2", List.of(150L)); // the rename's target, looked up again
        assertThat(again.node().getId()).isEqualTo(150);
        assertThat(again.node().getAttr().getSize()).isEqualTo(7); // the attributes known now, not the create's
        assertThat(lookup(1, "f3").node().getId()).isEqualTo(103); // the others as listed

        caches.namesChanging(1);
        caches.namesChanged(1, k -> k.removed("f1", caches::forget));
        assertThat(lookup(1, "f1")).isEqualTo(KeptListings.Answer.ABSENT);
        assertThat(forgotten).containsExactly(102L, 101L);
        assertThat(caches.takeListing(1)).isNull(); // its cursors are no listing's: a listing asks the server
        assertThat(lookup(1, "nope")).isEqualTo(KeptListings.Answer.ABSENT); // and leaves it to lookups
    }

    @Test
    void anOwnChangeThatFailsOrMeetsAnotherChangeDropsTheListing() {
        listed(1);
        caches.namesChanging(1);
        caches.namesChanged(1, null); // failed, or not known how
        assertThat(caches.lookupListing(1)).isNull();

        listed(2);
        caches.namesChanging(2);
        caches.changedElsewhere(); // an event while the create went on
        caches.namesChanged(2, k -> k.made("new", file(250)));
        assertThat(caches.lookupListing(2)).isNull();

        listed(3);
        caches.namesChanging(3);
        caches.changing(3); // another change of the directory meanwhile
        caches.namesChanged(3, k -> k.made("new", file(350)));
        assertThat(caches.lookupListing(3)).isNull();

        listed(4);
        caches.namesChanging(4);
        caches.namesChanged(4, k -> k.removed("not-listed", caches::forget)); // not as the listing says
        assertThat(caches.lookupListing(4)).isNull();

        listed(5);
        caches.namesChanging(5);
        caches.namesChanged(5, k -> k.made("F1", file(550))); // another case of a listed name (NTFS)
        assertThat(caches.lookupListing(5)).isNull();
    }

    /**
     * A review: a file's data written through the mount is held back after its write(); what the
     * read-ahead fetched of it before that data reached the server was used by a later open (the
     * old content). A write's reply drops everything fetched ahead.
     */
    @Test
    void aWritesReplyDropsWhatWasFetchedAhead() throws Exception {
        Prefetcher ahead = new Prefetcher(h -> { }, r -> com.google.common.util.concurrent.Futures.immediateFuture(
                dev.fsdriver.proto.v1.OpenReply.newBuilder().setData(com.google.protobuf.ByteString.copyFromUtf8("old"))
                        .build()), null, r -> null, 1024, 4, 100, 60_000_000_000L, System::nanoTime, id -> { });
        RemoteCaches withAhead = new RemoteCaches(ahead, new CacheStats(), forgotten::add, System::nanoTime);
        ahead.enableWhile(() -> true);
        List<DirEntry> page = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            page.add(DirEntry.newBuilder().setName("f" + i).setCursor(i).setType(0100000)
                    .setNode(Node.newBuilder().setId(700 + i).setAttr(Attr.newBuilder().setMode(0100644).setSize(3)))
                    .build());
        }
        ahead.listed(7, 0, page);
        ahead.opened(701);
        assertThat(ahead.waiting()).as("702 and 703 fetched ahead").isEqualTo(2);

        withAhead.attrs().written(703, Attr.newBuilder().setMode(0100644).setSize(9).build(), withAhead.attrs().epoch());

        assertThat(ahead.take(703)).isNull();
        assertThat(ahead.waiting()).isZero();
    }
}
