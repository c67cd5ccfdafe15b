package dev.fsdriver.client.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.protobuf.ByteString;
import dev.fsdriver.common.FileMode;
import dev.fsdriver.proto.v1.Attr;
import dev.fsdriver.proto.v1.DirEntry;
import dev.fsdriver.proto.v1.Node;
import dev.fsdriver.proto.v1.OpenManyReply;
import dev.fsdriver.proto.v1.OpenManyRequest;
import dev.fsdriver.proto.v1.OpenOutcome;
import dev.fsdriver.proto.v1.OpenReply;
import dev.fsdriver.proto.v1.OpenRequest;
import dev.fsdriver.proto.v1.ReadDirReply;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.stream.LongStream;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The read-ahead's coherence with change events: a fetched file is never used once an event came
 * after its request went (ConcurrentStress seed 1: a file 7051 bytes on the server read 0 bytes
 * on the mount for good, issue 9).
 */
class PrefetcherTest {
    private static final long DIR = 5;

    private static DirEntry small(long node) {
        return DirEntry.newBuilder().setName("f" + node).setType(FileMode.S_IFREG)
                .setNode(Node.newBuilder().setId(node).setAttr(Attr.newBuilder().setMode(FileMode.S_IFREG | 0644).setSize(1)))
                .build();
    }

    private static OpenReply whole(String content) {
        return OpenReply.newBuilder().setHandle(0).setData(ByteString.copyFromUtf8(content)).build();
    }

    private static Prefetcher prefetcher(Function<OpenRequest, ListenableFuture<OpenReply>> opener) {
        Prefetcher p = new Prefetcher(null, opener, null, r -> Futures.immediateFuture(ReadDirReply.getDefaultInstance()), 4096, 4,
                512, Long.MAX_VALUE / 2, System::nanoTime, n -> { });
        p.enableWhile(() -> true);
        p.listed(DIR, 0, List.of(small(11), small(12), small(13)));
        return p;
    }

    /**
     * The event arrives while the read-ahead's request is on its way, before its reply is stored:
     * the drop found nothing to drop, and the reply (the file before the change) was used later.
     */
    @Test
    void aReadAheadWhoseRequestAnEventOvertookIsNotUsed() {
        Prefetcher[] p = new Prefetcher[1];
        List<Long> asked = new ArrayList<>();
        p[0] = prefetcher(r -> {
            asked.add(r.getNode());
            ListenableFuture<OpenReply> before = Futures.immediateFuture(whole("before the change"));
            p[0].dropAll(); // the change's event, applied on the events thread meanwhile
            return before;
        });
        p[0].opened(11);
        assertThat(asked).containsExactly(12L, 13L);
        assertThat(p[0].take(12)).isNull();
        assertThat(p[0].take(13)).isNull();
    }

    @Test
    void aReadAheadWithNoEventSinceItsRequestIsUsed() throws Exception {
        Prefetcher p = prefetcher(r -> Futures.immediateFuture(whole("content " + r.getNode())));
        p.opened(11);
        assertThat(p.take(12).get().getData().toStringUtf8()).isEqualTo("content 12");
        p.dropAll();
        assertThat(p.take(13)).isNull();
    }

    private static DirEntry dir(long node) {
        return DirEntry.newBuilder().setName("d" + node).setType(FileMode.S_IFDIR)
                .setNode(Node.newBuilder().setId(node).setAttr(Attr.newBuilder().setMode(FileMode.S_IFDIR | 0755)))
                .build();
    }

    /**
     * The same for a directory's first page fetched ahead (a program descending a tree): its
     * entries' attributes, from before the change, would have gone to the kernel, long cached
     * (ConcurrentStress seeds 1, 13, 18: a file 0 bytes on the mount, names missing, for good).
     */
    @Test
    void aDirectoryPageWhoseRequestAnEventOvertookIsNotUsed() {
        Prefetcher[] p = new Prefetcher[1];
        List<Long> given = new ArrayList<>();
        List<Long> listed = new ArrayList<>();
        ReadDirReply before = ReadDirReply.newBuilder().addEntries(small(31)).setEof(true).build();
        p[0] = new Prefetcher(null, r -> Futures.immediateFuture(whole("x")), null, r -> {
            listed.add(r.getNode());
            p[0].dropAll(); // the change's event, applied on the events thread meanwhile
            return Futures.immediateFuture(before);
        }, 4096, 4, 512, Long.MAX_VALUE / 2, System::nanoTime, given::add);
        p[0].enableWhile(() -> true);
        p[0].listed(1, 0, List.of(dir(21)));  // the root lists d21...
        p[0].listed(21, 0, List.of(dir(22))); // ...then d21 itself: a descent, d22 is fetched ahead
        assertThat(listed).containsExactly(22L);
        assertThat(p[0].takeListing(22)).isNull();
        assertThat(given).as("its entries' references given back").containsExactly(31L);
    }

    /**
     * A walk is fetched ahead only a few directories beyond where it is: a run ahead longer than
     * the walk gets through within the pages' ttl was mostly given back unused and listed again.
     */
    @Test
    void aWalkIsFetchedAheadOnlyAFewDirectoriesBeyondWhereItIs() {
        List<Long> listed = new ArrayList<>();
        Prefetcher p = new Prefetcher(null, r -> Futures.immediateFuture(whole("x")), null, r -> {
            listed.add(r.getNode());
            return Futures.immediateFuture(ReadDirReply.newBuilder().setEof(true).build());
        }, 4096, 4, 512, Long.MAX_VALUE / 2, System::nanoTime, n -> { });
        p.enableWhile(() -> true);
        p.listed(1, 0, List.of(dir(21)));
        p.listed(21, 0, LongStream.range(100, 200).mapToObj(PrefetcherTest::dir).toList());
        assertThat(listed).as("before: all 100").hasSize(Prefetcher.MAX_DIRS_AHEAD);
        assertThat(p.takeListing(100)).isNotNull();
        assertThat(listed).hasSize(Prefetcher.MAX_DIRS_AHEAD + 1).endsWith(100L + Prefetcher.MAX_DIRS_AHEAD);
    }

    // ------------------------------------------------------------------------------ OpenMany

    private static DirEntry sized(long node, int size) {
        return DirEntry.newBuilder().setName("f" + node).setType(FileMode.S_IFREG)
                .setNode(Node.newBuilder().setId(node).setAttr(Attr.newBuilder().setMode(FileMode.S_IFREG | 0644).setSize(size)))
                .build();
    }

    /** A prefetcher over a directory of {@code count} files of {@code size} bytes (nodes from 100), with a server that has OpenMany. */
    private static Prefetcher batched(int count, int size, List<OpenManyRequest> asked,
                                      Function<OpenManyRequest, OpenManyReply> server) {
        Prefetcher p = new Prefetcher(null, r -> {
            throw new AssertionError("one Open per file although the server has OpenMany");
        }, r -> {
            asked.add(r);
            return Futures.immediateFuture(server.apply(r));
        }, r -> Futures.immediateFuture(ReadDirReply.getDefaultInstance()), 1 << 20, 8, 512, Long.MAX_VALUE / 2,
                System::nanoTime, n -> { });
        p.enableWhile(() -> true);
        p.listed(DIR, 0, LongStream.range(100, 100 + count).mapToObj(n -> sized(n, size)).toList());
        return p;
    }

    private static OpenManyReply allWhole(OpenManyRequest r) {
        OpenManyReply.Builder b = OpenManyReply.newBuilder();
        r.getNodesList().forEach(n -> b.addOutcomes(OpenOutcome.newBuilder().setOpened(whole("content " + n))));
        return b.build();
    }

    /** Opens the files from 100 in order as a program would, each taking its reply fetched ahead. */
    private static void walk(Prefetcher p, int count) throws Exception {
        p.opened(100); // the program's own open of the first file went to the server
        for (long n = 101; n < 100 + count; n++) {
            assertThat(p.take(n)).as("file " + n + " fetched ahead").isNotNull();
            assertThat(p.take(n)).as("taken once").isNull();
            p.opened(n);
        }
    }

    /**
     * Issue 13: grep -r over a tree made one Open per file (17,855 for the JDK tree). A walk in
     * listing order now fetches the files ahead in OpenMany calls of 64, the next when fewer
     * than 32 are still ahead: 200 small files, 4 calls, every file but the first answered by them.
     */
    @Test
    void aWalkInListingOrderFetchesItsSmallFilesSixtyFourAtATime() throws Exception {
        List<OpenManyRequest> asked = new ArrayList<>();
        Prefetcher p = batched(200, 100, asked, PrefetcherTest::allWhole);
        walk(p, 200);
        assertThat(asked).extracting(OpenManyRequest::getNodesCount).containsExactly(64, 64, 64, 7);
        assertThat(asked.get(0).getNodes(0)).isEqualTo(101L);
        assertThat(asked.get(1).getNodes(0)).as("after 33 opened: 31 ahead").isEqualTo(165L);
        assertThat(asked.get(0).getInlineMax()).isEqualTo(1 << 20);
    }

    /**
     * Issue 13: grep -r made an Open for the first file of each directory it reached, then an
     * OpenMany for the files after it. That first open now goes in that OpenMany: a directory of
     * up to 64 small files read in listing order costs one call.
     */
    @Test
    void theFirstOpenOfAWalkGoesWithTheFilesAfterItInOneCall() throws Exception {
        List<OpenManyRequest> asked = new ArrayList<>();
        Prefetcher p = batched(40, 100, asked, PrefetcherTest::allWhole);
        assertThat(p.take(100)).as("nothing fetched yet").isNull();
        assertThat(p.openWithNext(100).get().getData().toStringUtf8()).isEqualTo("content 100");
        p.opened(100);
        for (long n = 101; n < 140; n++) {
            assertThat(p.take(n)).as("file " + n + " came with the first").isNotNull();
            p.opened(n);
        }
        assertThat(asked).extracting(OpenManyRequest::getNodesCount).containsExactly(40);
        assertThat(asked.get(0).getNodes(0)).isEqualTo(100L);

        asked.clear();
        Prefetcher more = batched(100, 100, asked, PrefetcherTest::allWhole);
        assertThat(more.openWithNext(100)).isNotNull();
        more.opened(100);
        for (long n = 101; n < 200; n++) {
            assertThat(more.take(n)).as("file " + n).isNotNull();
            more.opened(n);
        }
        assertThat(asked).extracting(OpenManyRequest::getNodesCount).containsExactly(64, 36);
    }

    /** Only the next file of a walk in listing order, and only once: a second open or a jump asks the server itself. */
    @Test
    void anOpenOutOfOrderOrAgainIsNotBatched() throws Exception {
        List<OpenManyRequest> asked = new ArrayList<>();
        Prefetcher p = batched(40, 100, asked, PrefetcherTest::allWhole);
        assertThat(p.openWithNext(105)).as("not the next in order").isNull();
        assertThat(p.openWithNext(100)).isNotNull();
        p.opened(100);
        assertThat(p.openWithNext(100)).as("opened again").isNull();
        assertThat(asked).hasSize(1);
    }

    /**
     * A review of the change above: after a drop (the mount's own write, an event) an in-order
     * open whose batch was asked for already is not batched again. cp -r out of the mount writes
     * between its opens: each open waited for a new call's worth of files, dropped by the next write.
     */
    @Test
    void anOpenWhoseBatchWasDroppedIsNotBatchedAgain() throws Exception {
        List<OpenManyRequest> asked = new ArrayList<>();
        Prefetcher p = batched(100, 100, asked, PrefetcherTest::allWhole);
        assertThat(p.openWithNext(100)).isNotNull();
        p.opened(100);
        p.dropAll();
        assertThat(p.take(101)).as("dropped").isNull();
        assertThat(p.openWithNext(101)).as("asked for already: its own Open").isNull();
        assertThat(asked).hasSize(1);
        p.opened(101);
        assertThat(asked).as("the read-ahead goes on after it").hasSize(2);
        assertThat(asked.get(1).getNodes(0)).isEqualTo(102L);
    }

    /**
     * Reads of files whose opens the mount answered alone (the kernel lost their pages): the
     * first read of a pass fetches the file with the next ones; a read that continues a pass
     * whose batch a drop took away is not batched again (cp -r from the mount into it), nor one
     * out of order; a new pass from the listing's first file fetches again.
     */
    @Test
    void aReadOfAFileWhosePagesWereLostComesWithTheNextOnes() throws Exception {
        List<OpenManyRequest> asked = new ArrayList<>();
        Prefetcher p = batched(40, 100, asked, PrefetcherTest::allWhole);
        assertThat(p.readWithNext(100).get().getData().toStringUtf8()).isEqualTo("content 100");
        assertThat(asked).extracting(OpenManyRequest::getNodesCount).containsExactly(40);
        for (long n = 101; n < 110; n++) {
            assertThat(p.take(n)).as("file " + n + " came with the first").isNotNull();
            p.opened(n);
        }
        p.dropAll();
        assertThat(p.take(110)).as("dropped").isNull();
        assertThat(p.readWithNext(110)).as("the pass goes on: not fetched again").isNull();
        assertThat(p.readWithNext(111)).as("nor at the file after it (a review: every second file fetched 64)").isNull();
        assertThat(p.readWithNext(120)).as("out of order: a Read of its own").isNull();
        assertThat(asked).hasSize(1);
        assertThat(p.readWithNext(100)).as("a new pass, from the listing's first file").isNotNull();
        assertThat(asked).hasSize(2);
        assertThat(asked.get(1).getNodes(0)).isEqualTo(100L);
    }

    /** The first file counts in the MiB of its batch too (a review: 100 KiB files, 11 asked, the 11th never read). */
    @Test
    void theFirstOpensBatchAsksForAtMostAMebibyteWithIt() throws Exception {
        List<OpenManyRequest> asked = new ArrayList<>();
        int size = 100 << 10;
        Prefetcher p = batched(30, size, asked, PrefetcherTest::allWhole);
        assertThat(p.openWithNext(100)).isNotNull();
        assertThat(asked).hasSize(1);
        assertThat((long) asked.get(0).getNodesCount() * size).isLessThanOrEqualTo(Prefetcher.MANY_BYTES);
        assertThat(asked.get(0).getNodesCount()).isEqualTo(10);
    }

    /** Larger files: a call asks for at most a MiB by the listing's sizes (the server's budget for one reply). */
    @Test
    void aCallAsksForAtMostAMebibyte() throws Exception {
        List<OpenManyRequest> asked = new ArrayList<>();
        int size = 300 << 10;
        Prefetcher p = batched(30, size, asked, PrefetcherTest::allWhole);
        walk(p, 30);
        assertThat(asked).extracting(OpenManyRequest::getNodesCount).allMatch(n -> n * size <= Prefetcher.MANY_BYTES);
        assertThat(asked.stream().mapToInt(OpenManyRequest::getNodesCount).sum()).isEqualTo(29);
        assertThat(asked).hasSizeLessThanOrEqualTo(10);
    }

    @Test
    void aFileTheServerDidNotReadIsOpenedByTheProgramItself() throws Exception {
        Prefetcher p = batched(10, 100, new ArrayList<>(), r -> OpenManyReply.newBuilder()
                .addOutcomes(OpenOutcome.newBuilder().setOpened(whole("one")))
                .addOutcomes(OpenOutcome.newBuilder().setErrno(13))          // EACCES
                .addOutcomes(OpenOutcome.getDefaultInstance())               // too large now
                .build());                                                   // and no outcome for the rest
        p.opened(100);
        assertThat(p.take(101).get().getData().toStringUtf8()).isEqualTo("one");
        for (long n : new long[] {102, 103, 104}) {
            assertThatThrownBy(() -> p.take(n).get()).as("file " + n).isInstanceOf(ExecutionException.class);
        }
    }

    /** As for single opens: an event while the OpenMany is on its way makes none of its files usable. */
    @Test
    void anOpenManyWhoseRequestAnEventOvertookIsNotUsed() {
        Prefetcher[] p = new Prefetcher[1];
        p[0] = batched(10, 100, new ArrayList<>(), r -> {
            p[0].dropAll(); // the change's event, applied on the events thread meanwhile
            return allWhole(r);
        });
        p[0].opened(100);
        for (long n = 101; n < 110; n++) {
            assertThat(p[0].take(n)).as("file " + n).isNull();
        }
    }

    /**
     * A directory page fetched ahead that is the whole directory is the events layer's baseline
     * of its names: on a slow walk (grep -r) the baseline of each directory ahead was a second
     * listing from the server (JDK tree: about one ReadDir per directory more).
     */
    @Test
    void aWholePageFetchedAheadIsTheDirectorysBaseline() {
        List<String> told = new ArrayList<>();
        Prefetcher p = new Prefetcher(null, r -> Futures.immediateFuture(whole("x")), null, r -> Futures.immediateFuture(
                switch ((int) r.getNode()) {
                    case 22 -> ReadDirReply.newBuilder().addEntries(sized(31, 1).toBuilder().setIno(131)).setEof(true)
                            .setEventSequence(7).build();
                    case 23 -> ReadDirReply.newBuilder().addEntries(sized(32, 1)).setEof(false).setEventSequence(7).build();
                    default -> ReadDirReply.newBuilder().addEntries(sized(33, 1)).setEof(true).build(); // an older server
                }), 4096, 4, 512, Long.MAX_VALUE / 2, System::nanoTime, n -> { });
        p.wholeListingsTo((dir, names, sequence) -> told.add(dir + " " + names + " after " + sequence));
        p.enableWhile(() -> true);
        p.listed(1, 0, List.of(dir(21)));
        p.listed(21, 0, List.of(dir(22), dir(23), dir(24))); // a descent: all three fetched ahead
        assertThat(told).containsExactly("22 {f31=131} after 7");
    }
}
