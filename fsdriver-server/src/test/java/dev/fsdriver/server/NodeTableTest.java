package dev.fsdriver.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.common.Errno;
import org.junit.jupiter.api.Test;

/** Node ids follow renames and removals; ids are counted references. */
class NodeTableTest {
    private final NodeTable nodes = new NodeTable(2);

    private static RelPath p(String s) throws FsException {
        return RelPath.parse(s);
    }

    private static int errno(ThrowingCall c) {
        try {
            c.run();
            return 0;
        } catch (FsException e) {
            return e.errno();
        }
    }

    private interface ThrowingCall {
        void run() throws FsException;
    }

    @Test
    void aRenamedDirectoryTakesItsSubtreeAlong() throws Exception {
        long d = nodes.register(p("d"), 10, true);
        long f = nodes.register(p("d/e/f"), 11, false);
        nodes.renamed(p("d"), p("x"));
        assertThat(nodes.path(d)).isEqualTo(p("x"));
        assertThat(nodes.path(f)).isEqualTo(p("x/e/f"));
        assertThat(nodes.inoAt(p("d/e/f"))).isZero();
    }

    /** Issue 9 item 3's sequence: each side of an exchange takes its own subtree along. */
    @Test
    void exchangedDirectoriesSwapTheirSubtrees() throws Exception {
        long pd = nodes.register(p("x1/P"), 10, true);
        long q = nodes.register(p("x1/P/Q"), 11, true);
        long f = nodes.register(p("x1/P/Q/f"), 12, false);
        long rd = nodes.register(p("x1/R"), 20, true);
        long t = nodes.register(p("x1/R/T"), 21, true);
        long g = nodes.register(p("x1/R/T/g"), 22, false);
        nodes.exchanged(p("x1/P"), p("x1/R"));
        assertThat(nodes.path(pd)).isEqualTo(p("x1/R"));
        assertThat(nodes.path(q)).isEqualTo(p("x1/R/Q"));
        assertThat(nodes.path(rd)).isEqualTo(p("x1/P"));
        assertThat(nodes.path(t)).isEqualTo(p("x1/P/T"));
        nodes.exchanged(p("x1/R/Q/f"), p("x1/P/T/g"));
        assertThat(nodes.path(f)).isEqualTo(p("x1/P/T/g"));
        assertThat(nodes.path(g)).isEqualTo(p("x1/R/Q/f"));
        assertThat(nodes.inoAt(p("x1/R/Q/f"))).isEqualTo(22);
        nodes.renamed(p("x1/R"), p("x1/S"));
        assertThat(nodes.path(g)).isEqualTo(p("x1/S/Q/f"));
        assertThat(nodes.path(f)).isEqualTo(p("x1/P/T/g"));
    }

    @Test
    void aRemovedDirectoryDetachesEverythingBelowIt() throws Exception {
        long d = nodes.register(p("d"), 10, true);
        long f = nodes.register(p("d/f"), 11, false);
        long other = nodes.register(p("dx"), 12, false);
        nodes.removed(p("d"));
        assertThat(errno(() -> nodes.path(d))).isEqualTo(Errno.ENOENT);
        assertThat(errno(() -> nodes.path(f))).isEqualTo(Errno.ENOENT);
        assertThat(nodes.path(other)).as("a sibling sharing the prefix stays").isEqualTo(p("dx"));
    }

    @Test
    void anEmptyDirectoryRemovedByRmdirDetachesOnlyItself() throws Exception {
        long d = nodes.register(p("d"), 10, true);
        long stale = nodes.register(p("d/gone"), 11, false); // deleted behind the server's back
        nodes.removedEmptyDirectory(p("d"));
        assertThat(errno(() -> nodes.path(d))).isEqualTo(Errno.ENOENT);
        // the stale node is not looked for; a new file at its path gets a new id
        long again = nodes.register(p("d/gone"), 99, false);
        assertThat(again).isNotEqualTo(stale);
        assertThat(errno(() -> nodes.path(stale))).isEqualTo(Errno.ENOENT);
    }

    @Test
    void forgottenNodesAreGoneAndIdsAreNeverReused() throws Exception {
        long f = nodes.register(p("f"), 10, false);
        assertThat(nodes.register(p("f"), 10, false)).isEqualTo(f);
        nodes.forget(f, 1);
        assertThat(nodes.path(f)).isEqualTo(p("f"));
        nodes.forget(f, 1);
        assertThat(errno(() -> nodes.path(f))).isEqualTo(Errno.ESTALE);
        assertThat(nodes.register(p("f"), 10, false)).isNotEqualTo(f);
        assertThatThrownBy(() -> nodes.path(12345)).isInstanceOf(FsException.class);
    }
}
