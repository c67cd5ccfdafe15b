package dev.fsdriver.client.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.client.cache.CacheStats;
import dev.fsdriver.client.cache.CacheStats.Cache;
import dev.fsdriver.common.FileMode;
import dev.fsdriver.fuse.FuseAttr;
import dev.fsdriver.fuse.FuseEntry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What the events layer answers about directories without the server, and what makes it forget. */
class KnownDirsTest {
    private final CachePolicy policy = new CachePolicy(3_600_000_000_000L, 1_000_000_000L);
    private final CacheStats caches = new CacheStats();
    private final KnownDirs dirs = new KnownDirs(policy, caches, new KnownNames());

    @BeforeEach
    void live() {
        policy.setLive(true);
    }

    private static FuseAttr attr(long ino, int type) {
        return new FuseAttr(ino, 0, 0, 0, 0, 0, type | 0755, 1, 0, 0, 0, 4096);
    }

    private static FuseEntry entry(long node, int type) {
        return new FuseEntry(node, 0, attr(node + 100, type), 0, 0);
    }

    @Test
    void aDirectoryMadeHereIsKnownWholeSoAMissingNameNeedsNoServer() {
        dirs.createdDir(10);
        assertThat(dirs.knownAbsent(10, "x")).isTrue();
        dirs.madeIn(10, "a", entry(11, FileMode.S_IFREG));
        assertThat(dirs.knownAbsent(10, "a")).isFalse();
        assertThat(dirs.knows(10, "a")).isTrue();
        assertThat(dirs.knownAbsent(20, "x")).as("a directory not made here").isFalse();
        assertThat(dirs.goneFrom(10, "a")).isEqualTo(new KnownDirs.Made(111, FileMode.S_IFREG));
        assertThat(dirs.knownAbsent(10, "a")).isTrue();
    }

    @Test
    void namesRemovedHereAreAbsentUntilMadeAgainInAnyCase() {
        dirs.removedByThisMount(5, "journal");
        assertThat(dirs.knownAbsent(5, "journal")).isTrue();
        assertThat(dirs.knownAbsent(5, "other")).isFalse();
        dirs.madeIn(5, "JOURNAL", KnownDirs.UNKNOWN);   // a share may not tell case apart
        assertThat(dirs.knownAbsent(5, "journal")).isFalse();
    }

    @Test
    void nothingIsKnownWhileEventsDoNotFlow() {
        policy.setLive(false);
        dirs.createdDir(10);
        dirs.removedByThisMount(5, "gone");
        dirs.rememberDir(10, attr(110, FileMode.S_IFDIR), dirs.epoch());
        assertThat(dirs.knownAbsent(10, "x")).isFalse();
        assertThat(dirs.knownAbsent(5, "gone")).isFalse();
        assertThat(dirs.dirAttr(10)).isNull();
    }

    @Test
    void aChangeElsewhereForgetsEverything() {
        dirs.createdDir(10);
        dirs.removedByThisMount(5, "gone");
        dirs.rememberDir(10, attr(110, FileMode.S_IFDIR), dirs.epoch());
        assertThat(dirs.dirAttr(10)).isNotNull();
        dirs.changedElsewhere();
        assertThat(dirs.knownAbsent(10, "x")).isFalse();
        assertThat(dirs.knownAbsent(5, "gone")).isFalse();
        assertThat(dirs.dirAttr(10)).isNull();
    }

    @Test
    void directoryAttributesAreKeptOnlyWhenNothingChangedSinceTheirFetchBegan() {
        FuseAttr a = attr(110, FileMode.S_IFDIR);
        dirs.rememberDir(10, a, dirs.epoch());
        assertThat(dirs.dirAttr(10)).isSameAs(a);
        long fetchOf11 = dirs.epoch();
        dirs.dirChanged(12);   // the mount changed some directory while 11's attributes were fetched
        dirs.rememberDir(11, attr(111, FileMode.S_IFDIR), fetchOf11);
        assertThat(dirs.dirAttr(11)).isNull();
        dirs.rememberDir(13, attr(113, FileMode.S_IFREG), dirs.epoch());
        assertThat(dirs.dirAttr(13)).as("not a directory").isNull();
        assertThat(dirs.dirAttr(10)).as("another directory's change").isSameAs(a);
        dirs.dirChanged(10);
        assertThat(dirs.dirAttr(10)).isNull();
        dirs.rememberDir(10, a, dirs.epoch());
        dirs.forgotten(10);
        assertThat(dirs.dirAttr(10)).isNull();
    }

    @Test
    void aLocalListingIsSortedNumberedAsTheServersAndStableForItsOpenDirectory() {
        dirs.createdDir(10);
        dirs.madeIn(10, "b", entry(12, FileMode.S_IFREG));
        dirs.madeIn(10, "a", entry(11, FileMode.S_IFDIR));
        List<Map.Entry<String, KnownDirs.Made>> listing = dirs.localListing(10, 7, 0);
        assertThat(listing).extracting(Map.Entry::getKey).containsExactly("a", "b");
        assertThat(caches.hits(Cache.DIRECTORY)).isEqualTo(1);
        dirs.madeIn(10, "c", entry(13, FileMode.S_IFREG));
        assertThat(dirs.localListing(10, 7, 4)).as("later offsets of the same listing").isSameAs(listing);

        List<String> filled = new ArrayList<>();
        KnownDirs.serveLocal(10, listing, 0, (name, ino, mode, next) -> filled.add(name + " " + ino + " " + next));
        assertThat(filled).containsExactly(". 10 1", ".. 1 2", "a 111 3", "b 112 4");
        filled.clear();
        KnownDirs.serveLocal(10, listing, 3, (name, ino, mode, next) -> filled.add(name + " " + next));
        assertThat(filled).containsExactly("b 4");
        filled.clear();
        KnownDirs.serveLocal(10, listing, 0, (name, ino, mode, next) -> filled.add(name) && filled.size() < 2);
        assertThat(filled).as("a full buffer stops the listing").containsExactly(".", "..");

        assertThat(dirs.localListing(10, 8, 0)).extracting(Map.Entry::getKey).containsExactly("a", "b", "c");
        dirs.closed(7);
        assertThat(dirs.localListing(10, 7, 4)).isNull();
    }

    @Test
    void aNameOfUnknownTypeSendsTheListingToTheServer() {
        dirs.createdDir(10);
        dirs.madeIn(10, "x", (FuseEntry) null);
        assertThat(dirs.localListing(10, 7, 0)).isNull();
        assertThat(dirs.localListing(99, 8, 0)).as("a directory not made here").isNull();
        assertThat(caches.hits(Cache.DIRECTORY)).isZero();
    }
}
