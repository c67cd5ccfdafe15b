package dev.fsdriver.client.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.fuse.FuseNotifier;
import dev.fsdriver.proto.v1.ChangeEvent;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Which kept listings a change of names made elsewhere drops: all of them, not only its
 * directory's (a change the server's watcher missed left a listing wrong for good,
 * ConcurrentStressTest seed 308).
 */
class ListingDropsTest {
    final LinkedBlockingQueue<Long> dropped = new LinkedBlockingQueue<>();
    final KernelKeptListings kept = new KernelKeptListings();
    final ListingDrops drops = new ListingDrops(kept, new FuseNotifier() {
        @Override public int invalEntry(long parent, String name) { throw new AssertionError("entries stay"); }
        @Override public int invalInode(long nodeId, long offset, long length) {
            assertThat(offset).as("pages and attributes").isZero();
            dropped.add(nodeId);
            return 0;
        }
        @Override public int delete(long parent, long child, String name) { throw new AssertionError(); }
        @Override public int store(long nodeId, long offset, ByteBuffer data) { throw new AssertionError(); }
        @Override public CompletableFuture<byte[]> retrieve(long nodeId, long offset, int size) { throw new AssertionError(); }
    });

    @AfterEach
    void close() {
        drops.close();
        kept.kept(1);
        drops.applied(); // after the mount's end: nothing to drop, no failure
    }

    private List<Long> droppedNow() throws InterruptedException {
        List<Long> all = new ArrayList<>();
        Long first = dropped.poll(5, TimeUnit.SECONDS);
        if (first != null) {
            all.add(first);
            Thread.sleep(50);
            dropped.drainTo(all);
        }
        return all;
    }

    @Test
    void anyChangeOfNamesMadeElsewhereDropsEveryKeptListingOnce() throws Exception {
        kept.kept(7);
        kept.kept(9);
        // a file written elsewhere: listings stay
        drops.received(List.of(ChangeEvent.newBuilder().setKind(ChangeEvent.Kind.MODIFIED).setPath("elsewhere/f").build()));
        assertThat(dropped.poll(200, TimeUnit.MILLISECONDS)).isNull();
        // a file deleted in a directory neither of them is
        drops.received(List.of(ChangeEvent.newBuilder().setKind(ChangeEvent.Kind.DELETED).setPath("elsewhere/f").build()));
        assertThat(droppedNow()).containsExactlyInAnyOrder(7L, 9L);
        drops.applied(); // nothing kept since
        drops.received(List.of());
        assertThat(dropped.poll(200, TimeUnit.MILLISECONDS)).isNull();
    }

    @Test
    void aListingKeptWhileAnEventWasAppliedGoesOnceItIs() throws Exception {
        drops.received(List.of(ChangeEvent.newBuilder().setKind(ChangeEvent.Kind.CREATED).setPath("d/new").build()));
        kept.kept(11); // read to its end from pages that may predate the event
        drops.applied();
        assertThat(droppedNow()).containsExactly(11L);
        assertThat(kept.isEmpty()).isTrue();
    }
}
