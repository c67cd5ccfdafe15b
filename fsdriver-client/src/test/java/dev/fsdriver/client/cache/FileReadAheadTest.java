package dev.fsdriver.client.cache;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.util.concurrent.Futures;
import com.google.protobuf.ByteString;
import dev.fsdriver.common.FileMode;
import dev.fsdriver.proto.v1.Attr;
import dev.fsdriver.proto.v1.DirEntry;
import dev.fsdriver.proto.v1.Node;
import dev.fsdriver.proto.v1.OpenReply;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Which files the read-ahead of files fetches (one Open per file, no OpenMany): only for opens
 * in listing order, only small regular files, and what it does with a reply it cannot use.
 */
class FileReadAheadTest {
    private static final long DIR = 5;
    private static final int INLINE_MAX = 4096;
    private static final long TTL = 1_000;

    private final List<Long> asked = new ArrayList<>();
    private final List<Long> released = new ArrayList<>();
    private final AtomicLong clock = new AtomicLong();
    private long handle;
    private final FileReadAhead files = new FileReadAhead(r -> {
        asked.add(r.getNode());
        return Futures.immediateFuture(OpenReply.newBuilder().setHandle(handle)
                .setData(ByteString.copyFromUtf8("content " + r.getNode())).build());
    }, null, released::add, INLINE_MAX, 2, TTL, clock::get, () -> true);

    private static DirEntry file(long node, long size) {
        return DirEntry.newBuilder().setName("f" + node).setType(FileMode.S_IFREG)
                .setNode(Node.newBuilder().setId(node).setAttr(Attr.newBuilder().setMode(FileMode.S_IFREG | 0644).setSize(size)))
                .build();
    }

    private void listed(long... nodes) {
        List<DirEntry> page = new ArrayList<>();
        for (long n : nodes) {
            page.add(file(n, 1));
        }
        files.listed(DIR, 0, page);
    }

    @Test
    void anOpenOutOfListingOrderFetchesNothingTheNextInOrderDoes() {
        listed(11, 12, 13, 14, 15);
        files.opened(13);
        assertThat(asked).as("a program that skips around is not walking the listing").isEmpty();
        files.opened(14);
        assertThat(asked).containsExactly(15L);
    }

    /** A directory listed again in another order: the new order counts, the old one's positions are gone. */
    @Test
    void aDirectoryListedAgainIsWalkedInItsNewOrder() {
        listed(11, 12, 13, 14);
        listed(14, 13, 12, 11);
        files.opened(14);
        assertThat(asked).as("14 was the last of the old listing, it is the first of the new").containsExactly(13L, 12L);
    }

    /** A file listed in two directories (a hard link): the later listing has it. */
    @Test
    void aFileListedInAnotherDirectoryIsWalkedThere() {
        listed(11, 12, 13);
        files.listed(DIR + 1, 0, List.of(file(12, 1), file(21, 1), file(22, 1)));
        files.opened(12);
        assertThat(asked).containsExactly(21L, 22L);
    }

    /** Past the bound of positions everything is forgotten and the next listings count again. */
    @Test
    void pastTheBoundOfPositionsListingsStartOver() {
        long[] many = new long[Prefetcher.MAX_POSITIONS + 1];
        for (int i = 0; i < many.length; i++) {
            many[i] = 1000 + i;
        }
        listed(many);
        listed(11, 12, 13); // over the bound: cleared, this one not kept
        files.opened(1000);
        assertThat(asked).isEmpty();
        listed(11, 12, 13);
        files.opened(11);
        assertThat(asked).containsExactly(12L, 13L);
    }

    @Test
    void aFileLargerThanARepliesInlineDataIsNotFetchedAhead() {
        files.listed(DIR, 0, List.of(file(11, 1), file(12, INLINE_MAX + 1), file(13, 1), file(14, 1)));
        files.opened(11);
        assertThat(asked).containsExactly(13L, 14L);
    }

    @Test
    void aReplyOlderThanItsTtlIsNotUsed() throws Exception {
        listed(11, 12, 13);
        files.opened(11);
        assertThat(files.take(12).get().getData().toStringUtf8()).isEqualTo("content 12");
        clock.addAndGet(TTL + 1);
        assertThat(files.take(13)).isNull();
        assertThat(files.waiting()).isZero();
    }

    /** The file grew past inline_max between its listing and the read-ahead: the server opened it for real. */
    @Test
    void aReplyThatCameWithAServerHandleGivesItBack() {
        handle = 77;
        listed(11, 12);
        files.opened(11);
        assertThat(released).containsExactly(77L);
    }

    @Test
    void aSecondListingOfTheDirectoryReplacesTheOrderOfTheFirst() {
        listed(11, 12, 13);
        listed(21, 22, 23);
        files.opened(11);
        assertThat(asked).as("11 is in no listing now").isEmpty();
        files.opened(21);
        assertThat(asked).containsExactly(22L, 23L);
    }
}
