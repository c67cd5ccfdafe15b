package dev.fsdriver.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.SettableFuture;
import dev.fsdriver.proto.v1.DirEntry;
import dev.fsdriver.proto.v1.Node;
import dev.fsdriver.proto.v1.ReadDirReply;
import dev.fsdriver.proto.v1.ReadDirRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The next listing page asked for ahead: used only for its own cursor and while fresh, else given back. */
class PagesAheadTest {
    private final List<Long> givenBack = new ArrayList<>();
    private final List<ReadDirRequest> asked = new ArrayList<>();
    private long now = 1_000;

    private static ReadDirReply page(long... nodes) {
        ReadDirReply.Builder b = ReadDirReply.newBuilder().setEventSequence(7);
        for (long n : nodes) {
            b.addEntries(DirEntry.newBuilder().setName("f" + n).setCursor(n).setNode(Node.newBuilder().setId(n)));
        }
        return b.build();
    }

    private PagesAhead pages(Function<ReadDirRequest, ListenableFuture<ReadDirReply>> lister) {
        return new PagesAhead(r -> {
            asked.add(r);
            return lister.apply(r);
        }, givenBack::add, () -> now, 100, 1000);
    }

    @Test
    void thePageAfterTheCursorAskedForIsTakenAndKeepsItsReferences() {
        PagesAhead p = pages(r -> Futures.immediateFuture(page(11, 12)));
        PagesAhead.Ahead a = p.start(5, 10, 3);
        assertThat(asked).singleElement().satisfies(r -> {
            assertThat(r.getNode()).isEqualTo(5);
            assertThat(r.getCursor()).isEqualTo(10);
            assertThat(r.getPlus()).isTrue();
            assertThat(r.getMaxEntries()).isEqualTo(1000);
        });
        assertThat(a.epoch()).isEqualTo(3);
        assertThat(p.take(a, 10)).isEqualTo(page(11, 12));
        assertThat(givenBack).isEmpty();
    }

    @Test
    void aPageForAnotherCursorOrNoneIsGivenBack() {
        PagesAhead p = pages(r -> Futures.immediateFuture(page(11, 12)));
        assertThat(p.take(p.start(5, 10, 0), 4)).isNull();
        assertThat(givenBack).containsExactly(11L, 12L);
        givenBack.clear();
        assertThat(p.take(p.start(5, 10, 0), -1)).isNull(); // the kernel went on with names only
        assertThat(givenBack).containsExactly(11L, 12L);
    }

    @Test
    void aPageTakenAfterItsTtlIsGivenBackAndNotUsed() {
        PagesAhead p = pages(r -> Futures.immediateFuture(page(11)));
        PagesAhead.Ahead a = p.start(5, 10, 0);
        now += 101;
        assertThat(p.take(a, 10)).isNull();
        assertThat(givenBack).containsExactly(11L);
    }

    @Test
    void aPageGivenBackBeforeItsReplyCameIsGivenBackWhenItComes() {
        SettableFuture<ReadDirReply> reply = SettableFuture.create();
        PagesAhead p = pages(r -> reply);
        p.giveBack(p.start(5, 10, 0));
        assertThat(givenBack).isEmpty();
        reply.set(page(11, 12));
        assertThat(givenBack).containsExactly(11L, 12L);
    }

    @Test
    void aFailedPageIsNotUsedAndCountedNothing() {
        PagesAhead p = pages(r -> Futures.immediateFailedFuture(new IllegalStateException("down")));
        assertThat(p.take(p.start(5, 10, 0), 10)).isNull();
        assertThat(givenBack).isEmpty();
        assertThat(pages(r -> {
            throw new IllegalStateException("not connected");
        }).start(5, 10, 0)).isNull();
    }
}
