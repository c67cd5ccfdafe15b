package dev.fsdriver.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.backend.Change;
import dev.fsdriver.backend.Change.Kind;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.RelPath;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The watcher's changes behind a search by file id: in order, the waiting bounded. */
class FollowQueueTest {
    private final List<Change> followed = new ArrayList<>();
    private final List<Change> hub = new ArrayList<>();
    private final List<Runnable> worker = new ArrayList<>();

    private static RelPath p(String s) throws FsException {
        return RelPath.parse(s);
    }

    private FollowQueue queue() throws FsException {
        RelPath held = p("held");
        RelPath found = p("found");
        return new FollowQueue("s", c -> c.kind() == Kind.DELETED && c.path().equals(held),
                c -> new Change(Kind.RENAMED, c.path(), found, true), followed::add, hub::add,
                worker::add);
    }

    @Test
    void changesWaitBehindASearchAndKeepTheirOrder() throws Exception {
        FollowQueue q = queue();
        q.accept(Change.of(Kind.CREATED, p("a"), false));
        q.accept(Change.of(Kind.DELETED, p("held"), true));
        q.accept(Change.of(Kind.CREATED, p("b"), false));
        assertThat(hub).containsExactly(Change.of(Kind.CREATED, p("a"), false));
        assertThat(worker).as("the search is handed off").hasSize(1);

        worker.remove(0).run();
        assertThat(hub).containsExactly(Change.of(Kind.CREATED, p("a"), false),
                new Change(Kind.RENAMED, p("held"), p("found"), true), Change.of(Kind.CREATED, p("b"), false));
        assertThat(followed).as("the search follows in the table itself")
                .containsExactly(Change.of(Kind.CREATED, p("a"), false), Change.of(Kind.CREATED, p("b"), false));

        q.accept(Change.of(Kind.CREATED, p("c"), false));
        assertThat(hub).last().isEqualTo(Change.of(Kind.CREATED, p("c"), false));
        assertThat(worker).isEmpty();
    }

    @Test
    void whatDoesNotFitBehindASearchIsDroppedForOneOverflowOfTheShare() throws Exception {
        FollowQueue q = queue();
        q.accept(Change.of(Kind.DELETED, p("held"), true));
        for (int i = 0; i < FollowQueue.MAX_WAITING + 5; i++) {
            q.accept(Change.of(Kind.CREATED, p("f" + i), false));
        }
        worker.remove(0).run();
        assertThat(hub).hasSize(FollowQueue.MAX_WAITING + 1);
        assertThat(hub.get(0).kind()).isEqualTo(Kind.RENAMED);
        assertThat(hub.get(hub.size() - 2)).isEqualTo(Change.of(Kind.CREATED, p("f" + (FollowQueue.MAX_WAITING - 2)), false));
        assertThat(hub).last().isEqualTo(Change.of(Kind.OVERFLOW, RelPath.ROOT, true));
    }
}
