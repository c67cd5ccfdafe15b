package dev.fsdriver.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.common.Errno;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Node ids follow renames and removals; ids are counted references. */
class NodeIdsTest {
    private final NodeIds nodes = new NodeIds(2);

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
        assertThat(nodes.register(p("f"), 10, false)).as("the same file: the same id").isEqualTo(f);
        assertThatThrownBy(() -> nodes.path(12345)).isInstanceOf(FsException.class);
    }

    @Test
    void idsComeFromTheInodeNumberSoAFreshTableGivesTheSameIds() throws Exception {
        long d = nodes.register(p("d"), 10, true);
        long f = nodes.register(p("d/f"), 11, false);
        assertThat(d).isEqualTo(10);
        assertThat(f).isEqualTo(11);
        NodeIds restarted = new NodeIds(2);
        assertThatThrownBy(() -> restarted.path(f)).isInstanceOf(FsException.class);
        assertThat(restarted.register(p("d"), 10, true)).isEqualTo(d);
        assertThat(restarted.register(p("d/f"), 11, false)).isEqualTo(f);
        assertThat(restarted.path(f)).isEqualTo(p("d/f"));
    }

    @Test
    void hardLinksAreOneNodeThatKeepsAPathWhileANameIsLeft() throws Exception {
        long h1 = nodes.register(p("h1"), 20, false);
        long h2 = nodes.register(p("d/h2"), 20, false);
        assertThat(h2).isEqualTo(h1);
        assertThat(nodes.size()).isEqualTo(2); // root and the file
        nodes.removed(p("h1"));
        assertThat(nodes.path(h1)).isEqualTo(p("d/h2"));
        nodes.renamed(p("d/h2"), p("h3"));
        assertThat(nodes.path(h1)).isEqualTo(p("h3"));
        nodes.removed(p("h3"));
        assertThat(errno(() -> nodes.path(h1))).isEqualTo(Errno.ENOENT);
    }

    @Test
    void renamingALinkOntoAnotherLinkOfTheSameFileChangesNothing() throws Exception {
        long a = nodes.register(p("a"), 30, false);
        nodes.register(p("b"), 30, false);
        nodes.renamed(p("a"), p("b"));
        assertThat(nodes.inoAt(p("a"))).isEqualTo(30);
        assertThat(nodes.inoAt(p("b"))).isEqualTo(30);
        assertThat(nodes.path(a)).as("the name found last").isEqualTo(p("b"));
    }

    @Test
    void inodeNumbersThatCannotBeIdsAndReusedNumbersGetOtherIds() throws Exception {
        long one = nodes.register(p("one"), 1, false);
        long zero = nodes.register(p("zero"), 0, false);
        long big = nodes.register(p("big"), NodeIdSpace.OVERFLOW + 5, false);
        long negative = nodes.register(p("negative"), -7, false); // an unsigned 64-bit number above 2^63
        assertThat(negative).isBetween(NodeIdSpace.OVERFLOW, NodeIdSpace.MAX_ID - 1);
        assertThat(nodes.register(p("mapped"), 1L << 62, false)).as("Windows' mapped numbers").isEqualTo(1L << 62);
        assertThat(one).isNotEqualTo(NodeIds.ROOT_ID);
        assertThat(List.of(one, zero, big)).allMatch(id -> id >= NodeIdSpace.OVERFLOW && id < NodeIdSpace.MAX_ID).doesNotHaveDuplicates();
        assertThat(nodes.path(one)).isEqualTo(p("one"));

        long old = nodes.register(p("old"), 40, false);
        nodes.removed(p("old")); // unlinked while the kernel still holds it
        long reused = nodes.register(p("new"), 40, false); // the file system gave its number to a new file
        assertThat(reused).isNotEqualTo(old);
        assertThat(errno(() -> nodes.path(old))).isEqualTo(Errno.ENOENT);
        assertThat(nodes.path(reused)).isEqualTo(p("new"));
    }

    /**
     * A hard link made to a file that got a deleted (still referenced) file's inode number is the
     * live file's node, not a third one: its mode and link count went stale (stress seeds 1, 3).
     */
    @Test
    void aHardLinkToAFileWithAReusedInodeNumberIsTheLiveNode() throws Exception {
        long old = nodes.register(p("old"), 40, false);
        nodes.removed(p("old")); // unlinked while the kernel still holds it
        long reused = nodes.register(p("new"), 40, false);
        long link = nodes.register(p("d/link"), 40, false);
        assertThat(link).isEqualTo(reused).isNotEqualTo(old);
        assertThat(nodes.idOf(40)).isEqualTo(reused);
        nodes.removed(p("new"));
        assertThat(nodes.path(reused)).isEqualTo(p("d/link"));
        nodes.forget(old, 1);
        assertThat(nodes.register(p("d/link"), 40, false)).isEqualTo(reused);
    }

    /**
     * The inode number of a node whose name went stale (renamed or deleted behind the server's
     * back, the event not followed yet) found at another path: a file of another type, or one
     * with a single name, is not another name of that node; the stale names must not stay first
     * (every call through the node failed ENOENT: ConcurrentStress seed 2).
     */
    @Test
    void aStaleNodeIsNotTakenForAHardLinkOfAFileWithItsNumber() throws Exception {
        int lnk = 0120000, reg = 0100000;
        long symlink = nodes.register(p("l1"), 50, 0, false, lnk, 1);
        long file = nodes.register(p("f4"), 50, 0, false, reg, 1); // deleted, its number given to a new file
        assertThat(file).isNotEqualTo(symlink);
        assertThat(nodes.path(file)).isEqualTo(p("f4"));
        assertThat(nodes.inoAt(p("l1"))).isZero();

        long a = nodes.register(p("a"), 60, 0, false, reg, 1);
        assertThat(nodes.register(p("b"), 60, 0, false, reg, 1)).as("renamed: its only name now").isEqualTo(a);
        assertThat(nodes.path(a)).isEqualTo(p("b"));
        assertThat(nodes.inoAt(p("a"))).isZero();
        assertThat(nodes.register(p("c"), 60, 0, false, reg, 2)).as("a hard link").isEqualTo(a);
        assertThat(nodes.inoAt(p("b"))).isEqualTo(60);
        assertThat(nodes.path(a)).as("the name found last").isEqualTo(p("c"));
    }

    /**
     * A hard link's stale first name (renamed behind the server's back, its event followed
     * wrong or not yet) is not the one calls use once a lookup found another name on the disk:
     * every open through the node failed ENOENT, for good (ConcurrentStress seed 43).
     */
    @Test
    void theNameALookupFoundLastIsTheOneCallsUse() throws Exception {
        int reg = 0100000;
        long n = nodes.register(p("stale"), 70, 0, false, reg, 2);
        assertThat(nodes.register(p("d/a"), 70, 0, false, reg, 2)).isEqualTo(n);
        assertThat(nodes.path(n)).isEqualTo(p("d/a"));
        assertThat(nodes.register(p("stale"), 70, 0, false, reg, 2)).isEqualTo(n);
        assertThat(nodes.path(n)).isEqualTo(p("stale"));
        assertThat(nodes.register(p("d/a"), 70, 0, false, reg, 2)).isEqualTo(n);
        assertThat(nodes.path(n)).isEqualTo(p("d/a"));
        nodes.removed(p("d/a"));
        assertThat(nodes.path(n)).isEqualTo(p("stale"));
    }

    /**
     * Issue 9: a file deleted behind the server's back and a new one given its inode number at
     * the same path (ext4 does that at once): only the generation tells them apart. The new file
     * is another node, never the old one's id; the old node is not that file any more.
     */
    @Test
    void aNewFileWithTheInodeNumberOfAKnownOneIsAnotherNodeWhenItsGenerationDiffers() throws Exception {
        int reg = 0100000, dir = 0040000;
        long old = nodes.register(p("f"), 70, 1111, false, reg, 1);
        assertThat(nodes.register(p("f"), 70, 1111, false, reg, 1)).as("the same file").isEqualTo(old);
        long reborn = nodes.register(p("f"), 70, 2222, false, reg, 1);
        assertThat(reborn).isNotEqualTo(old);
        assertThat(nodes.path(reborn)).isEqualTo(p("f"));
        assertThat(nodes.isFile(old, 70, 2222)).isFalse();
        assertThat(nodes.isFile(reborn, 70, 2222)).isTrue();
        assertThat(nodes.isFile(reborn, 70, 0)).as("generation not known: the number decides").isTrue();

        // at another path: not a rename of the old file, nor a hard link of it
        long a = nodes.register(p("a"), 80, 1111, false, reg, 1);
        long b = nodes.register(p("b"), 80, 3333, false, reg, 1);
        assertThat(b).isNotEqualTo(a);
        assertThat(nodes.path(b)).isEqualTo(p("b"));

        // a directory found under the number of a known one is not that one moved here
        long d = nodes.register(p("d"), 90, 1111, true, dir, 2);
        long e = nodes.register(p("e"), 90, 4444, true, dir, 2);
        assertThat(e).isNotEqualTo(d);
        assertThat(nodes.path(d)).isEqualTo(p("d"));
    }

    /**
     * Issue 16: a directory's rename moves one entry; every node known below it has its new path
     * afterwards (and none the old one), at any depth, hard links and siblings untouched.
     */
    @Test
    void aRenameOfADirectoryWithManyKnownNodesBelowItMovesThemAll() throws Exception {
        long top = nodes.register(p("tree"), 10, true);
        long sibling = nodes.register(p("treex/f"), 11, false);
        List<Long> files = new ArrayList<>();
        long ino = 1000;
        for (int d = 0; d < 50; d++) {
            nodes.register(p("tree/d" + d), ino++, true);
            for (int f = 0; f < 200; f++) {
                files.add(nodes.register(p("tree/d" + d + "/sub/f" + f), ino++, false));
            }
        }
        long link = nodes.register(p("elsewhere"), 1000 + 2, false); // a hard link of tree/d0/sub/f1
        nodes.renamed(p("tree"), p("a/tree2"));
        assertThat(nodes.path(top)).isEqualTo(p("a/tree2"));
        for (int i = 0; i < files.size(); i++) {
            int d = i / 200;
            if (files.get(i) != link) { // the hard link: below
                assertThat(nodes.path(files.get(i))).isEqualTo(p("a/tree2/d" + d + "/sub/f" + (i % 200)));
            }
        }
        assertThat(nodes.inoAt(p("tree/d3/sub/f7"))).isZero();
        assertThat(nodes.inoAt(p("a/tree2/d3/sub/f7"))).isNotZero();
        assertThat(nodes.path(sibling)).isEqualTo(p("treex/f"));
        assertThat(nodes.path(link)).as("the name found last").isEqualTo(p("elsewhere"));
        assertThat(nodes.inoAt(p("a/tree2/d0/sub/f1"))).as("its other name, moved").isEqualTo(1002);

        nodes.removed(p("a/tree2"));
        assertThat(files).filteredOn(id -> id != link).allMatch(id -> errno(() -> nodes.path(id)) == Errno.ENOENT);
        assertThat(nodes.path(link)).as("the other name of a file below is left").isEqualTo(p("elsewhere"));
        assertThat(nodes.idOf(1005)).as("a deleted file is no live node").isEqualTo(1005);
        assertThat(nodes.register(p("a/tree2"), 10, true)).as("a new directory with the number").isNotEqualTo(top);
    }

    /** A directory displaced by another file and found again elsewhere brings its subtree. */
    @Test
    void aDisplacedDirectoryFoundElsewhereBringsItsSubtree() throws Exception {
        long d = nodes.register(p("d"), 10, true);
        long f = nodes.register(p("d/e/f"), 11, false);
        long file = nodes.register(p("d"), 12, false); // d renamed behind the server's back, a file made at d
        assertThat(errno(() -> nodes.path(f))).isEqualTo(Errno.ENOENT);
        assertThat(nodes.register(p("x/d2"), 10, true)).isEqualTo(d);
        assertThat(nodes.path(f)).isEqualTo(p("x/d2/e/f"));
        assertThat(nodes.path(file)).isEqualTo(p("d"));
    }
}
