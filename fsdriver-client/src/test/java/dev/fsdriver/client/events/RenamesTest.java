package dev.fsdriver.client.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.fuse.FuseEntry;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.fuse.FuseFileSystem;
import dev.fsdriver.fuse.FuseFileSystem.Reply;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What a RENAMED decides on its own, without injection: a late event (the kernel was told of the
 * server's current file after the rename) moves nothing, and the two halves of an exchange drop
 * both entries once, the second half changing nothing.
 */
class RenamesTest {
    private static final EventAwareFileSystemTest.Req OTHER = new EventAwareFileSystemTest.Req(1);

    final EventApplierTest.Server server = new EventApplierTest.Server();
    final EventApplierTest.Kernel kernel = new EventApplierTest.Kernel();
    final KernelView view = new KernelView();
    final EchoFilter echo = new EchoFilter();
    final EventAwareFileSystem fs = new EventAwareFileSystem(server, OwnReadsOver.of(server), view, echo,
            new CachePolicy(3_600_000_000_000L, 1_000_000_000L), null);
    final EventApplier applier = new EventApplier(fs, view, echo, null, kernel);
    final Renames renames = new Renames(applier, fs, view, null, kernel, fs.watchedNames());

    long held(long parent, String name) throws FuseException {
        return Reply.<FuseEntry>await(r -> fs.lookup(OTHER, parent, name, r)).nodeId();
    }

    @Test
    void aLateRenameOfAFileTheServerStillHasAtTheOldNameMovesNothing() throws Exception {
        long d = held(FuseFileSystem.ROOT_ID, "d1");
        long e = held(FuseFileSystem.ROOT_ID, "d2");
        long f = held(d, "f");
        renames.renamed("d1/f", "d2/g", false);
        assertThat(kernel.calls).containsExactly("invalInode " + d + " 0", "invalInode " + e + " 0",
                "invalEntry " + e + " g");
        assertThat(view.child(d, "f")).as("still held where the server has it").isEqualTo(f);
    }

    @Test
    void anExchangeDropsBothEntriesAtItsFirstHalfAndItsSecondHalfChangesNothing() throws Exception {
        long d = held(FuseFileSystem.ROOT_ID, "d1");
        long a = held(d, "a");
        long b = held(d, "b");
        server.nodes.put(d + "/a", b); // RENAME_EXCHANGE a <-> b on the server
        server.nodes.put(d + "/b", a);
        renames.renamed("d1/a", "d1/b", false);
        List<String> firstHalf = List.copyOf(kernel.calls);
        assertThat(firstHalf).contains("invalEntry " + d + " a", "invalEntry " + d + " b")
                .noneMatch(c -> c.startsWith("delete"));
        assertThat(view.child(d, "a")).isZero();
        assertThat(view.child(d, "b")).isZero();
        renames.renamed("d1/b", "d1/a", false);
        assertThat(kernel.calls).as("the second half").isEqualTo(firstHalf);
    }

    @Test
    void aRenameAfterAnExchangesFirstHalfThatIsNotItsSecondIsApplied() throws Exception {
        long d = held(FuseFileSystem.ROOT_ID, "d1");
        long a = held(d, "a");
        long b = held(d, "b");
        server.nodes.put(d + "/a", b);
        server.nodes.put(d + "/b", a);
        renames.renamed("d1/a", "d1/b", false);
        int before = kernel.calls.size();
        renames.renamed("d1/x", "d1/y", false);
        assertThat(kernel.calls.subList(before, kernel.calls.size())).contains("invalEntry " + d + " y");
        // the exchange's second half is no longer awaited: a rename b -> a now is applied, not skipped
        int later = kernel.calls.size();
        renames.renamed("d1/b", "d1/a", false);
        assertThat(kernel.calls.subList(later, kernel.calls.size())).isNotEmpty();
    }

    /**
     * Issue 10: the server publishes a directory its Lookup found moved; the kernel of the mount
     * that looked it up holds it at the new name already (the view still at the old one too).
     * Before, the new name's entry was dropped (a process working inside lost its working
     * directory) and a rename injected over it; now only the old name goes.
     */
    @Test
    void aDirectoryTheKernelHoldsAtItsNewNameAlreadyStaysThere() throws Exception {
        long a = held(FuseFileSystem.ROOT_ID, "da");
        long w = held(FuseFileSystem.ROOT_ID, "dwork");
        server.nodes.put(a + "/dwork", w); // moved on the server, and looked up there
        server.removed.add(FuseFileSystem.ROOT_ID + "/dwork");
        assertThat(held(a, "dwork")).isEqualTo(w);
        int before = kernel.calls.size();
        renames.renamed("dwork", "da/dwork", true);
        assertThat(kernel.calls.subList(before, kernel.calls.size()))
                .noneMatch(c -> c.equals("invalEntry " + a + " dwork")).noneMatch(c -> c.startsWith("delete"));
        assertThat(view.child(a, "dwork")).isEqualTo(w);
        assertThat(view.child(FuseFileSystem.ROOT_ID, "dwork")).isZero();
    }

    /** The same RENAMED after this mount's overflow resync moved the directory itself: nothing to do. */
    @Test
    void aRenameThisMountAppliedAlreadyDropsNothing() throws Exception {
        long a = held(FuseFileSystem.ROOT_ID, "da");
        long w = held(a, "dwork"); // where the resync found it; the old name is gone from the view
        int before = kernel.calls.size();
        renames.renamed("dwork", "da/dwork", true);
        assertThat(kernel.calls.subList(before, kernel.calls.size()))
                .noneMatch(c -> c.equals("invalEntry " + a + " dwork")).noneMatch(c -> c.startsWith("delete"));
        assertThat(view.child(a, "dwork")).isEqualTo(w);
    }

    /** A file renamed over a name the kernel holds (an editor's save from Windows) still drops that name's entry. */
    @Test
    void aFileRenamedOverAHeldNameStillDropsItsEntry() throws Exception {
        long d = held(FuseFileSystem.ROOT_ID, "d1");
        long old = held(d, "file");
        server.nodes.put(d + "/file", old + 1000); // the saved file, another node
        server.removed.add(d + "/tmp");
        renames.renamed("d1/tmp", "d1/file", false);
        assertThat(kernel.calls).contains("invalEntry " + d + " file");
    }

    /**
     * A file the kernel holds at both names, the new one from a listing made after the rename on
     * the server: the RENAMED still moves it (the new name's entry dropped, the rename applied),
     * so that watchers see the move. A CI run caught the early return for directories taking
     * this case too: no IN_MOVED_FROM/IN_MOVED_TO at all (ChangeEventsEndToEndTest).
     */
    @Test
    void aFileTheKernelHoldsAtBothNamesIsStillMoved() throws Exception {
        long d = held(FuseFileSystem.ROOT_ID, "d1");
        long e = held(FuseFileSystem.ROOT_ID, "d2");
        long f = held(d, "f");
        server.nodes.put(e + "/g", f); // renamed on the server, and listed at the new name
        server.removed.add(d + "/f");
        assertThat(held(e, "g")).isEqualTo(f);
        int before = kernel.calls.size();
        renames.renamed("d1/f", "d2/g", false);
        assertThat(kernel.calls.subList(before, kernel.calls.size())).contains("invalEntry " + e + " g");
    }
}
