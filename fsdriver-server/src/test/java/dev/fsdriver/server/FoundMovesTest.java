package dev.fsdriver.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.backend.Change;
import dev.fsdriver.backend.Change.Kind;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.RelPath;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What makes a watcher's change the report of a move the server found and published itself. */
class FoundMovesTest {
    private final FoundMoves moves = new FoundMoves();

    private static RelPath p(String s) throws FsException {
        return RelPath.parse(s);
    }

    @Test
    void theOldNamesDeleteOrTheSameRenameIsSpentOnce() throws Exception {
        moves.found(p("work"), p("a/work"));
        moves.found(p("src"), p("b/src"));
        assertThat(moves.published(Change.of(Kind.DELETED, p("work"), true))).isTrue();
        assertThat(moves.published(Change.of(Kind.DELETED, p("work"), true))).as("spent").isFalse();
        assertThat(moves.published(new Change(Kind.RENAMED, p("src"), p("b/src"), true))).isTrue();
    }

    @Test
    void aRenameElsewhereIsNewsAndDropsTheRecord() throws Exception {
        moves.found(p("work"), p("a/work"));
        assertThat(moves.published(new Change(Kind.RENAMED, p("work"), p("c/work"), true))).isFalse();
        assertThat(moves.published(Change.of(Kind.DELETED, p("work"), true))).as("dropped with the rename").isFalse();
    }

    @Test
    void aCreateOrARenameToTheOldNameMakesItsLaterDeleteReal() throws Exception {
        moves.found(p("work"), p("a/work"));
        moves.found(p("src"), p("a/src"));
        assertThat(moves.published(Change.of(Kind.CREATED, p("work"), true))).isFalse();
        assertThat(moves.published(Change.of(Kind.DELETED, p("work"), true))).as("the new one's delete").isFalse();
        assertThat(moves.published(new Change(Kind.RENAMED, p("x"), p("src"), true))).isFalse();
        assertThat(moves.published(Change.of(Kind.DELETED, p("src"), true))).as("the moved-in one's delete").isFalse();
    }

    @Test
    void aLossOrForgettingDropsRecords() throws Exception {
        moves.found(p("work"), p("a/work"));
        moves.found(p("src"), p("a/src"));
        assertThat(moves.published(Change.of(Kind.MODIFIED, p("other"), false))).isFalse();
        moves.forget(p("src"));
        assertThat(moves.published(Change.of(Kind.DELETED, p("src"), true))).isFalse();
        assertThat(moves.published(Change.of(Kind.OVERFLOW, RelPath.ROOT, true))).isFalse();
        assertThat(moves.published(Change.of(Kind.DELETED, p("work"), true))).as("cleared by the loss").isFalse();
    }

    @Test
    void theOldestRecordsGoBeyondTheLimit() throws Exception {
        for (int i = 0; i <= FoundMoves.MAX; i++) {
            moves.found(p("d" + i), p("moved/d" + i));
        }
        assertThat(moves.published(Change.of(Kind.DELETED, p("d0"), true))).isFalse();
        assertThat(moves.published(Change.of(Kind.DELETED, p("d1"), true))).isTrue();
        assertThat(moves.published(Change.of(Kind.DELETED, p("d" + FoundMoves.MAX), true))).isTrue();
    }

    @Test
    void theFilteredHubGetsAllButTheReports() throws Exception {
        List<Change> hub = new ArrayList<>();
        var filtered = moves.unlessPublished("s", hub::add);
        moves.found(p("work"), p("a/work"));
        filtered.onChange(Change.of(Kind.DELETED, p("work"), true));
        filtered.onChange(Change.of(Kind.CREATED, p("f"), false));
        assertThat(hub).containsExactly(Change.of(Kind.CREATED, p("f"), false));
    }

    /** Wine's CREATED of the new name is the report of the same move; once the name leaves again, a CREATED there is real. */
    @Test
    void theNewNamesCreateIsSpentOnceUntilItLeaves() throws Exception {
        moves.found(p("work"), p("a/work"));
        assertThat(moves.published(Change.of(Kind.CREATED, p("a/work"), true))).isTrue();
        assertThat(moves.published(Change.of(Kind.CREATED, p("a/work"), true))).as("spent").isFalse();
        assertThat(moves.published(Change.of(Kind.DELETED, p("work"), true))).as("the other side").isTrue();

        moves.arrived(p("b/src"), p("src"));
        assertThat(moves.published(Change.of(Kind.DELETED, p("b/src"), true))).as("a real delete").isFalse();
        assertThat(moves.published(Change.of(Kind.CREATED, p("b/src"), true))).as("then a real create").isFalse();
    }
}
