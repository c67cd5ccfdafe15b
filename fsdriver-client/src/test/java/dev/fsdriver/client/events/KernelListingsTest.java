package dev.fsdriver.client.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.client.cache.CacheStats;
import dev.fsdriver.common.FileMode;
import dev.fsdriver.fuse.BlockingFileSystem;
import dev.fsdriver.fuse.DirFiller;
import dev.fsdriver.fuse.DirPlusFiller;
import dev.fsdriver.fuse.FuseAttr;
import dev.fsdriver.fuse.FuseEntry;
import dev.fsdriver.fuse.FuseFileSystem;
import dev.fsdriver.fuse.FuseOpen;
import dev.fsdriver.fuse.FuseRequest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Listings as the events layer hands them to the kernel: what the kernel and the watchers are
 * told of each entry shown, names being announced held back, and listings answered locally.
 * "The server" lists directory 1 as a (file, node 11), d (directory, node 12), z (file, node 13).
 */
class KernelListingsTest {
    final CachePolicy policy = new CachePolicy(3_600_000_000_000L, 1_000_000_000L);
    final KernelView view = new KernelView();
    final KnownNames watched = new KnownNames();
    final KnownDirs dirs = new KnownDirs(policy, new CacheStats(), watched);
    final List<String> serverCalls = Collections.synchronizedList(new ArrayList<>());
    final FuseRequest req = new EventAwareFileSystemTest.Req(1);

    private static FuseEntry entry(long node, int type) {
        return new FuseEntry(node, 0, new FuseAttr(node + 100, 0, 0, 0, 0, 0, type | 0644, 1, 0, 0, 0, 4096), 1, 1);
    }

    private static final List<Map.Entry<String, FuseEntry>> LISTING = List.of(Map.entry("a", entry(11, FileMode.S_IFREG)),
            Map.entry("d", entry(12, FileMode.S_IFDIR)), Map.entry("z", entry(13, FileMode.S_IFREG)));

    final FuseFileSystem server = new BlockingFileSystem() {
        @Override
        public FuseOpen opendir(FuseRequest r, long nodeId, int flags) {
            serverCalls.add("opendir " + nodeId);
            return new FuseOpen(42, 0);
        }

        @Override
        public void readdirplus(FuseRequest r, long nodeId, long fh, long offset, DirPlusFiller filler) {
            serverCalls.add("readdirplus " + nodeId);
            for (int i = (int) offset; i < LISTING.size() && filler.add(LISTING.get(i).getKey(), LISTING.get(i).getValue(), i + 1); i++) {
                // until the kernel's buffer is full
            }
        }

        @Override
        public void readdir(FuseRequest r, long nodeId, long fh, long offset, DirFiller filler) {
            serverCalls.add("readdir " + nodeId);
            for (int i = (int) offset; i < LISTING.size(); i++) {
                FuseAttr a = LISTING.get(i).getValue().attr();
                if (!filler.add(LISTING.get(i).getKey(), a.ino(), a.mode(), i + 1)) {
                    return;
                }
            }
        }

        @Override
        public void releasedir(FuseRequest r, long nodeId, long fh) {
            serverCalls.add("releasedir " + nodeId);
        }

        @Override
        public void forget(long nodeId, long nlookup) {
            serverCalls.add("forget " + nodeId + " " + nlookup);
        }
    };
    /** Entries handed out with generation 3 and the policy's timeouts (77 here), listing sequence 9. */
    final KernelListings listings = new KernelListings(new InjectionGate(server, null), view, dirs, policy, watched,
            fh -> 9, e -> new FuseEntry(e.nodeId(), 3, e.attr(), 77, 77));

    private List<String> listPlus(long dir, long fh, int accept) throws Exception {
        List<String> shown = new ArrayList<>();
        listings.readdirplus(req, dir, fh, 0, (name, e, next) -> {
            if (shown.size() == accept) {
                return false;
            }
            return shown.add(name + " " + e.nodeId() + " " + e.generation() + " " + e.entryTimeoutNs());
        });
        return shown;
    }

    @Test
    void whileEventsFlowTheKernelKeepsListingsInItsPageCache() throws Exception {
        assertThat(listings.opendir(req, 1, 0).openFlags()).isZero();
        policy.setLive(true);
        assertThat(listings.opendir(req, 1, 0).openFlags()).isEqualTo(FuseOpen.FOPEN_CACHE_DIR | FuseOpen.FOPEN_KEEP_CACHE);
    }

    @Test
    void eachEntryShownIsHandedOutAndToldToTheKernelViewAndTheWatchers() throws Exception {
        policy.setLive(true);
        long fh = listings.opendir(req, 1, 0).fh();
        assertThat(listPlus(1, fh, 2)).containsExactly("a 11 3 77", "d 12 3 77");
        assertThat(view.child(1, "a")).isEqualTo(11);
        assertThat(view.generation(11)).isEqualTo(3);
        assertThat(view.child(1, "z")).as("not shown: the kernel's buffer was full").isZero();
        assertThat(watched.of(1)).containsOnlyKeys("a", "d").containsEntry("a", 111L);
        assertThat(dirs.dirAttr(12)).as("a directory's attributes, kept while events flow").isNotNull();
        assertThat(dirs.dirAttr(11)).isNull();
    }

    @Test
    void plainListingsTellTheWatchersToo() throws Exception {
        long fh = listings.opendir(req, 1, 0).fh();
        List<String> shown = new ArrayList<>();
        listings.readdir(req, 1, fh, 0, (name, ino, mode, next) -> shown.add(name));
        assertThat(shown).containsExactly("a", "d", "z");
        assertThat(watched.of(1)).containsOnlyKeys("a", "d", "z");
        assertThat(view.child(1, "a")).as("no entry: the kernel took no reference").isZero();
    }

    @Test
    void aNameAboutToBeAnnouncedIsShownWithoutItsNodeAndTheReferenceGoesBack() throws Exception {
        listings.announcing(1, "d");
        long fh = listings.opendir(req, 1, 0).fh();
        assertThat(listPlus(1, fh, 3)).containsExactly("a 11 3 77", "d 0 0 0", "z 13 3 77");
        assertThat(serverCalls).contains("forget 12 1");
        assertThat(view.child(1, "d")).isZero();
        listings.announced(1, "d");
        assertThat(listPlus(1, fh, 3)).contains("d 12 3 77");
    }

    @Test
    void aDirectoryMadeHereIsListedWithoutTheServer() throws Exception {
        policy.setLive(true);
        dirs.createdDir(5);
        dirs.madeIn(5, "x", entry(21, FileMode.S_IFREG));
        List<String> shown = new ArrayList<>();
        listings.readdirplus(req, 5, 43, 0, (name, e, next) -> shown.add(name + " " + e.nodeId() + " " + e.attr().ino()));
        assertThat(shown).containsExactly(". 0 5", ".. 0 1", "x 0 121");
        assertThat(serverCalls).isEmpty();
    }

    @Test
    void releasingADirectoryTellsTheApplierWhichWasListed() throws Exception {
        List<Long> released = new ArrayList<>();
        listings.onDirOpened(released::add);
        long fh = listings.opendir(req, 1, 0).fh();
        listings.releasedir(req, 1, fh);
        assertThat(released).containsExactly(1L);
        assertThat(serverCalls).containsExactly("opendir 1", "releasedir 1");
    }
}
