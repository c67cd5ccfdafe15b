package dev.fsdriver.client.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fsdriver.common.Errno;
import dev.fsdriver.common.FileMode;
import dev.fsdriver.fuse.BlockingFileSystem;
import dev.fsdriver.fuse.DirFiller;
import dev.fsdriver.fuse.FuseAttr;
import dev.fsdriver.fuse.FuseAttrReply;
import dev.fsdriver.fuse.FuseEntry;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.fuse.FuseFileSystem;
import dev.fsdriver.fuse.FuseOpen;
import dev.fsdriver.fuse.FuseRequest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The events layer's reads of the server: every lookup reference it does not hand on goes back,
 * only the applier's own requests reach the server, listings are read page by page and always
 * closed. "The server" has directory 1 with five names, listed two per page; each page read
 * raises the listing's event sequence by one (from 10).
 */
class ServerReadsTest {
    final List<String> calls = Collections.synchronizedList(new ArrayList<>());
    final List<String> names = List.of("a", "b", "c", "d", "e");
    final AtomicInteger pages = new AtomicInteger();
    volatile boolean listingFails;
    /** How many lookups and getattrs still fail ENOTCONN (the session was held elsewhere). */
    final AtomicInteger notConnected = new AtomicInteger();

    final FuseFileSystem server = new BlockingFileSystem() {
        @Override
        public FuseEntry lookup(FuseRequest req, long parent, String name) throws FuseException {
            assertThat(req).isInstanceOf(OwnReadsOver.Own.class);
            calls.add("lookup " + name);
            if (notConnected.getAndDecrement() > 0) {
                throw new FuseException(Errno.ENOTCONN);
            }
            if (!names.contains(name)) {
                throw new FuseException(Errno.ENOENT);
            }
            long node = 10 + names.indexOf(name);
            return new FuseEntry(node, 5, attr(node), 0, 0);
        }

        @Override
        public void forget(long nodeId, long nlookup) {
            calls.add("forget " + nodeId + " " + nlookup);
        }

        @Override
        public FuseAttrReply getattr(FuseRequest req, long nodeId, long fh) throws FuseException {
            calls.add("getattr " + nodeId);
            if (notConnected.getAndDecrement() > 0) {
                throw new FuseException(Errno.ENOTCONN);
            }
            if (nodeId == 99) {
                throw new FuseException(Errno.ENOENT);
            }
            return new FuseAttrReply(attr(nodeId), 0);
        }

        @Override
        public FuseOpen opendir(FuseRequest req, long nodeId, int flags) {
            calls.add("opendir " + nodeId);
            return new FuseOpen(7, 0);
        }

        @Override
        public void readdir(FuseRequest req, long nodeId, long fh, long offset, DirFiller filler) throws FuseException {
            if (listingFails) {
                throw new FuseException(Errno.EIO);
            }
            pages.incrementAndGet();
            List<String> all = new ArrayList<>(List.of(".", ".."));
            all.addAll(names);
            for (int i = (int) offset; i < Math.min(all.size(), offset + 2); i++) {
                if (!filler.add(all.get(i), 100 + i, FileMode.S_IFREG, i + 1)) {
                    return;
                }
            }
        }

        @Override
        public void releasedir(FuseRequest req, long nodeId, long fh) {
            calls.add("releasedir " + nodeId);
        }
    };
    final ServerReads reads = new ServerReads(OwnReadsOver.of(server, fh -> 9 + pages.get()));

    private static FuseAttr attr(long node) {
        return new FuseAttr(node + 100, 3, 1, 0, 0, 0, FileMode.S_IFREG | 0644, 1, 0, 0, 0, 4096);
    }

    @Test
    void aLookupKeepsItsReferenceForTheCallerOthersGiveItBack() throws Exception {
        assertThat(reads.lookup(1, "b").nodeId()).isEqualTo(11);
        assertThat(calls).containsExactly("lookup b");
        assertThat(reads.node(1, "c")).isEqualTo(12);
        assertThat(calls).endsWith("lookup c", "forget 12 1");
        assertThat(reads.node(1, "missing")).isZero();
        assertThatThrownBy(() -> reads.lookup(1, "missing")).isInstanceOf(FuseException.class);
        reads.giveBack(11);
        assertThat(calls).endsWith("forget 11 1");
    }

    @Test
    void holdsMeansTheSameNodeAndGenerationWithZeroMatchingAny() {
        assertThat(reads.holds(1, "a", 10, 5)).isTrue();
        assertThat(reads.holds(1, "a", 10, 0)).isTrue();
        assertThat(reads.holds(1, "a", 10, 6)).as("another generation: a new file at the same id").isFalse();
        assertThat(reads.holds(1, "a", 11, 5)).isFalse();
        assertThat(reads.holds(1, "missing", 10, 5)).isFalse();
        assertThat(calls).filteredOn(c -> c.startsWith("forget")).hasSize(4);
    }

    @Test
    void attributesAreReadOrNullWhenGone() {
        assertThat(reads.attr(12).ino()).isEqualTo(112);
        assertThat(reads.attr(99)).isNull();
    }

    @Test
    void aReadRefusedAsNotConnectedIsAskedOnceMore() throws Exception {
        // the first call after the channel quietly reconnected: SESSION_ELSEWHERE becomes ENOTCONN
        notConnected.set(1);
        assertThat(reads.lookup(1, "b").nodeId()).isEqualTo(11);
        assertThat(calls).containsExactly("lookup b", "lookup b");
        notConnected.set(1);
        assertThat(reads.attr(12).ino()).isEqualTo(112);
        notConnected.set(1);
        assertThat(reads.gone(12)).isFalse();
        notConnected.set(2);
        assertThatThrownBy(() -> reads.lookupFresh(1, "b"))
                .as("only once more").isInstanceOf(FuseException.class);
        assertThat(calls).endsWith("lookup b", "lookup b");
    }

    @Test
    void namesAreListedPageByPageUpToTheMaximumWithTheirPagesSequence() throws Exception {
        List<String> got = new ArrayList<>();
        long last = reads.listNames(1, 3, (name, ino, sequence) -> got.add(name + " " + ino + " " + sequence));
        assertThat(got).containsExactly("a 102 11", "b 103 11", "c 104 12");
        assertThat(last).isEqualTo(12);
        assertThat(calls).containsExactly("opendir 1", "releasedir 1");
    }

    @Test
    void aWholeListingHasTheLowestSequenceOfItsPages() throws Exception {
        ResyncListing listing = new ResyncListing(100);
        long sequence = reads.list(1, listing);
        Map<String, long[]> into = listing.names();
        assertThat(into).containsOnlyKeys(names);
        assertThat(into.get("e")[0]).isEqualTo(106);
        assertThat(sequence).as("the first page's").isEqualTo(10);
        assertThat(pages.get()).as("four pages and the empty one at the end").isEqualTo(5);
    }

    @Test
    void aListingThatFailsIsClosedAll() {
        listingFails = true;
        assertThatThrownBy(() -> reads.list(1, new ResyncListing(100))).isInstanceOf(FuseException.class);
        assertThatThrownBy(() -> reads.listNames(1, 10, (n, i, s) -> { })).isInstanceOf(FuseException.class);
        assertThat(calls).containsExactly("opendir 1", "releasedir 1", "opendir 1", "releasedir 1");
    }
}
