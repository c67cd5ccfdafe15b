package dev.fsdriver.backend.posix.watch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.RelPath;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The watch table on its own (no inotify): paths by walking up, renames, exchanges, removal. */
class WatchTreeTest {
    private static final int ROOT = 1;

    /** root(1) -> p(2) -> c(3), root -> r(4) -> d(5). */
    private static WatchTree tree() {
        WatchTree t = new WatchTree();
        t.setRoot(ROOT);
        t.put(2, ROOT, "p");
        t.put(3, 2, "c");
        t.put(4, ROOT, "r");
        t.put(5, 4, "d");
        return t;
    }

    private static RelPath rel(String p) throws FsException {
        return RelPath.parse(p);
    }

    @Test
    void aPathIsFoundByWalkingUpToTheRoot() throws FsException {
        WatchTree t = tree();
        assertThat(t.pathOf(ROOT)).isEqualTo(RelPath.ROOT);
        assertThat(t.pathOf(3)).isEqualTo(rel("p/c"));
        assertThat(t.pathOf(99)).as("unknown watch").isNull();
        assertThat(t.size()).isEqualTo(5);
    }

    @Test
    void renamingADirectoryMovesOneEntryAndEverythingBelowFollows() throws FsException {
        WatchTree t = tree();
        t.put(2, 4, "moved");
        assertThat(t.pathOf(2)).isEqualTo(rel("r/moved"));
        assertThat(t.pathOf(3)).isEqualTo(rel("r/moved/c"));
    }

    @Test
    void anExchangeKeepsBothSubtreesApart() throws FsException {
        // RENAME_EXCHANGE p <-> r arrives as p -> r, then r -> p: between the halves two watches
        // have the name r, and children() tells the watcher it must ask IN_MOVE_SELF which one moved.
        WatchTree t = tree();
        t.put(2, ROOT, "r");
        assertThat(t.children(ROOT, "r")).containsExactlyInAnyOrder(2, 4);
        t.put(4, ROOT, "p");
        assertThat(t.pathOf(3)).isEqualTo(rel("r/c"));
        assertThat(t.pathOf(5)).isEqualTo(rel("p/d"));
    }

    @Test
    void removingASubtreeTakesEveryWatchBelowItButNeverTheRoot() {
        WatchTree t = tree();
        assertThat(t.removeSubtrees(Set.of(2))).containsExactlyInAnyOrder(2, 3);
        assertThat(t.pathOf(3)).isNull();
        assertThat(t.size()).isEqualTo(3);
        assertThat(t.removeSubtrees(Set.of(ROOT))).as("the root stays watched").containsExactlyInAnyOrder(4, 5);
        assertThat(t.size()).isEqualTo(1);
        assertThat(t.remove(ROOT)).isTrue();
        assertThat(t.remove(ROOT)).as("IN_IGNORED of a watch already gone").isFalse();
    }
}
