package dev.fsdriver.client.cache;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.util.concurrent.Futures;
import dev.fsdriver.common.FileMode;
import dev.fsdriver.proto.v1.Attr;
import dev.fsdriver.proto.v1.DirEntry;
import dev.fsdriver.proto.v1.Node;
import dev.fsdriver.proto.v1.ReadDirReply;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * When the read-ahead of directories fetches a first page (a descent only, not a kept listing)
 * and what becomes of a page nobody takes in time: its entries' references go back.
 */
class DirReadAheadTest {
    private static final long TTL = 1_000;

    private final List<Long> listed = new ArrayList<>();
    private final List<Long> givenBack = new ArrayList<>();
    private final AtomicLong clock = new AtomicLong();
    private final DirReadAhead dirs = new DirReadAhead(r -> {
        listed.add(r.getNode());
        return Futures.immediateFuture(ReadDirReply.newBuilder().addEntries(dir(r.getNode() * 10)).setEof(true).build());
    }, 512, givenBack::add, TTL, clock::get, () -> true);

    private static DirEntry dir(long node) {
        return DirEntry.newBuilder().setName("d" + node).setType(FileMode.S_IFDIR)
                .setNode(Node.newBuilder().setId(node).setAttr(Attr.newBuilder().setMode(FileMode.S_IFDIR | 0755)))
                .build();
    }

    @Test
    void aDirectoryNotFoundInAListingFirstIsNoDescent() {
        dirs.listed(21, 0, List.of(dir(22), dir(23)));
        assertThat(listed).isEmpty();
        dirs.listed(22, 0, List.of(dir(24)));
        assertThat(listed).as("22 was found in 21's listing: a descent").containsExactly(24L);
    }

    @Test
    void aDirectoryWhoseListingIsKeptIsNotFetchedAhead() {
        dirs.skipKept(d -> d == 22);
        dirs.listed(1, 0, List.of(dir(21)));
        dirs.listed(21, 0, List.of(dir(22), dir(23)));
        assertThat(listed).containsExactly(23L);
    }

    @Test
    void aPageNotTakenWithinItsTtlIsGivenBackUnused() {
        dirs.listed(1, 0, List.of(dir(21)));
        dirs.listed(21, 0, List.of(dir(22)));
        clock.addAndGet(TTL + 1);
        assertThat(dirs.takeListing(22)).isNull();
        assertThat(givenBack).containsExactly(220L);
        assertThat(dirs.waiting()).isZero();
    }

    @Test
    void aPageTakenInTimeIsTheListingAndIsTakenOnce() {
        dirs.listed(1, 0, List.of(dir(21)));
        dirs.listed(21, 0, List.of(dir(22)));
        assertThat(dirs.takeListing(22).getEntries(0).getNode().getId()).isEqualTo(220L);
        assertThat(dirs.takeListing(22)).isNull();
        assertThat(givenBack).isEmpty();
    }

    @Test
    void aDropGivesBackEveryPageWaiting() {
        dirs.listed(1, 0, List.of(dir(21)));
        dirs.listed(21, 0, List.of(dir(22), dir(23)));
        dirs.dropAll();
        assertThat(givenBack).containsExactlyInAnyOrder(220L, 230L);
        assertThat(dirs.takeListing(22)).isNull();
    }
}
