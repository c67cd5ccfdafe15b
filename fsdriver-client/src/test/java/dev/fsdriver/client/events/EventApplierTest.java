package dev.fsdriver.client.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.common.Errno;
import dev.fsdriver.common.FileMode;
import dev.fsdriver.fuse.BlockingFileSystem;
import dev.fsdriver.fuse.FuseAttr;
import dev.fsdriver.fuse.FuseAttrReply;
import dev.fsdriver.fuse.FuseCreated;
import dev.fsdriver.fuse.FuseEntry;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.fuse.FuseFileSystem.Reply;
import dev.fsdriver.fuse.FuseFileSystem;
import dev.fsdriver.fuse.FuseNotifier;
import dev.fsdriver.fuse.FuseOpen;
import dev.fsdriver.fuse.FuseRequest;
import dev.fsdriver.proto.v1.ChangeEvent;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * What the applier tells the kernel for each kind of event, without injection (a mount whose
 * events are not injected, or a parent nobody can watch): which entries, attributes and pages it
 * drops, and what it forgets of the kernel's names. The injected half runs through a real kernel
 * in InjectionThroughTheKernelTest and ChangeEventsEndToEndTest.
 */
class EventApplierTest {
    private static final int FILE = FileMode.S_IFREG | 0644;
    private static final int DIR = FileMode.S_IFDIR | 0755;
    private static final EventAwareFileSystemTest.Req OTHER = new EventAwareFileSystemTest.Req(1);

    /** "The server": names in directories, node ids handed out once per name; names starting with 'd' are directories. */
    static final class Server implements BlockingFileSystem {
        final Map<String, Long> nodes = new HashMap<>();
        /** Names removed on the server ("parent/name"): a change is on the server before its event. */
        final Set<String> removed = new HashSet<>();
        long next = 10;

        private long node(long parent, String name) {
            return nodes.computeIfAbsent(parent + "/" + name, k -> next++);
        }

        private static int mode(String name) {
            return name.startsWith("d") ? DIR : FILE;
        }

        @Override
        public FuseEntry lookup(FuseRequest req, long parent, String name) throws FuseException {
            if (name.startsWith("gone") || removed.contains(parent + "/" + name)) {
                throw new FuseException(Errno.ENOENT);
            }
            long id = node(parent, name);
            return new FuseEntry(id, 0, EventAwareFileSystemTest.attr(id, mode(name), 7), 5, 5);
        }

        @Override
        public FuseAttrReply getattr(FuseRequest req, long nodeId, long fh) {
            return new FuseAttrReply(EventAwareFileSystemTest.attr(nodeId, FILE, 7), 5);
        }

        @Override
        public FuseCreated create(FuseRequest req, long parent, String name, int mode, int flags, int umask) {
            long id = node(parent, name);
            return new FuseCreated(new FuseEntry(id, 0, EventAwareFileSystemTest.attr(id, FILE, 0), 5, 5), FuseOpen.of(1));
        }
    }

    /** Records what the applier tells the kernel, in order. */
    static final class Kernel implements FuseNotifier {
        final List<String> calls = Collections.synchronizedList(new ArrayList<>());
        volatile boolean failing;

        private int record(String call) {
            if (failing) {
                throw new IllegalStateException("notifier broken");
            }
            calls.add(call);
            return 0;
        }

        @Override
        public int invalEntry(long parent, String name) {
            return record("invalEntry " + parent + " " + name);
        }

        @Override
        public int invalInode(long nodeId, long offset, long length) {
            return record("invalInode " + nodeId + " " + offset);
        }

        @Override
        public int delete(long parent, long child, String name) {
            return record("delete " + parent + " " + child + " " + name);
        }

        @Override
        public int store(long nodeId, long offset, ByteBuffer data) {
            return record("store " + nodeId);
        }

        @Override
        public CompletableFuture<byte[]> retrieve(long nodeId, long offset, int size) {
            return CompletableFuture.failedFuture(new UnsupportedOperationException());
        }
    }

    final Server server = new Server();
    final Kernel kernel = new Kernel();
    final KernelView view = new KernelView();
    final EchoFilter echo = new EchoFilter();
    final CachePolicy policy = new CachePolicy(3_600_000_000_000L, 1_000_000_000L);
    final EventAwareFileSystem fs = new EventAwareFileSystem(server, OwnReadsOver.of(server), view, echo, policy, null);
    final EventApplier applier = new EventApplier(fs, view, echo, null, kernel);
    long seq;

    /** The kernel looks {@code name} up in {@code parent} (and so holds it); returns its node. */
    long held(long parent, String name) throws FuseException {
        return Reply.<FuseEntry>await(r -> fs.lookup(OTHER, parent, name, r)).nodeId();
    }

    void apply(ChangeEvent.Kind kind, String path) {
        apply(ChangeEvent.newBuilder().setKind(kind).setPath(path));
    }

    void apply(ChangeEvent.Builder e) {
        applier.apply(e.setSequence(++seq).build());
    }

    @Test
    void eventsUnderNamesTheKernelDoesNotHoldTellItNothing() {
        apply(ChangeEvent.Kind.CREATED, "d1/new");
        apply(ChangeEvent.Kind.DELETED, "d1/f");
        apply(ChangeEvent.Kind.MODIFIED, "d1/f");
        apply(ChangeEvent.Kind.ATTRIB, "d1/f");
        apply(ChangeEvent.newBuilder().setKind(ChangeEvent.Kind.RENAMED).setPath("d1/f").setNewPath("d2/g"));
        assertThat(kernel.calls).isEmpty();
        assertThat(applier.appliedCount()).isEqualTo(5);
    }

    @Test
    void createdDropsTheNegativeEntryAndTheParentsListing() throws Exception {
        long d = held(FuseFileSystem.ROOT_ID, "d1");
        apply(ChangeEvent.Kind.CREATED, "d1/new");
        assertThat(kernel.calls).containsExactly("invalEntry " + d + " new", "invalInode " + d + " 0");
    }

    @Test
    void aCreatedEventForTheFileThisMountMadeAndTheKernelHoldsChangesNothing() throws Exception {
        long d = held(FuseFileSystem.ROOT_ID, "d1");
        fs.create(OTHER, d, "mine", FILE, 0, 0);
        apply(ChangeEvent.Kind.CREATED, "d1/mine");
        assertThat(kernel.calls).isEmpty();
        // someone else's file under that name: the server has another node there now
        server.nodes.put(d + "/mine", 999L);
        apply(ChangeEvent.Kind.CREATED, "d1/mine");
        assertThat(kernel.calls).containsExactly("invalEntry " + d + " mine", "invalInode " + d + " 0");
    }

    /**
     * A directory made elsewhere that this mount looked up before its CREATED arrived is still
     * announced (its negative entry and the parent's listing dropped, for recursive watchers),
     * although the kernel holds the very directory the server has there.
     */
    @Test
    void aCreatedEventForADirectoryLookedUpBeforeItStillDropsTheEntries() throws Exception {
        long d = held(FuseFileSystem.ROOT_ID, "d1");
        held(d, "dnew");
        apply(ChangeEvent.newBuilder().setKind(ChangeEvent.Kind.CREATED).setPath("d1/dnew").setDirectory(true));
        assertThat(kernel.calls).containsExactly("invalEntry " + d + " dnew", "invalInode " + d + " 0");
    }

    @Test
    void deletedTakesTheHeldNameFromTheKernelAndTheView() throws Exception {
        long d = held(FuseFileSystem.ROOT_ID, "d1");
        long f = held(d, "f");
        server.removed.add(d + "/f");
        apply(ChangeEvent.Kind.DELETED, "d1/f");
        // the file may have other names: its attributes (link count) go too
        assertThat(kernel.calls).containsExactly("invalInode " + d + " 0", "delete " + d + " " + f + " f",
                "invalInode " + f + " -1");
        assertThat(view.child(d, "f")).isZero();
    }

    @Test
    void aDeletedDirectoryIsDeletedInTheKernelWithoutItsAttributes() throws Exception {
        long d = held(FuseFileSystem.ROOT_ID, "d1");
        long sub = held(d, "dsub");
        server.removed.add(d + "/dsub");
        apply(ChangeEvent.newBuilder().setKind(ChangeEvent.Kind.DELETED).setPath("d1/dsub").setDirectory(true));
        assertThat(kernel.calls).containsExactly("invalInode " + d + " 0", "delete " + d + " " + sub + " dsub");
        assertThat(view.resolve("d1/dsub")).isZero();
    }

    @Test
    void aDeletedNameTheKernelDoesNotHoldDropsOnlyItsEntry() throws Exception {
        long d = held(FuseFileSystem.ROOT_ID, "d1");
        apply(ChangeEvent.Kind.DELETED, "d1/unknown");
        assertThat(kernel.calls).containsExactly("invalInode " + d + " 0", "invalEntry " + d + " unknown");
    }

    @Test
    void modifiedDropsPagesAndAttributesAttribOnlyAttributes() throws Exception {
        long d = held(FuseFileSystem.ROOT_ID, "d1");
        long f = held(d, "f");
        apply(ChangeEvent.Kind.MODIFIED, "d1/f");
        apply(ChangeEvent.Kind.ATTRIB, "d1/f");
        apply(ChangeEvent.Kind.ATTRIB, "");
        assertThat(kernel.calls).containsExactly("invalInode " + f + " 0", "invalInode " + f + " -1",
                "invalInode " + FuseFileSystem.ROOT_ID + " -1");
        assertThat(view.child(d, "f")).as("the name stays").isEqualTo(f);
    }

    @Test
    void theEventsNodeIsInvalidatedUnderEveryNameItsHardLinksHave() throws Exception {
        long d = held(FuseFileSystem.ROOT_ID, "d1");
        apply(ChangeEvent.newBuilder().setKind(ChangeEvent.Kind.MODIFIED).setPath("d1/other").setNode(77));
        apply(ChangeEvent.newBuilder().setKind(ChangeEvent.Kind.CREATED).setPath("elsewhere/link").setNode(77));
        assertThat(kernel.calls).containsExactly("invalInode 77 0", "invalInode 77 -1");
        assertThat(d).isNotZero();
    }

    @Test
    void aRenamedFileIsADeleteAtTheOldNameAndACreateAtTheNew() throws Exception {
        long d = held(FuseFileSystem.ROOT_ID, "d1");
        long e = held(FuseFileSystem.ROOT_ID, "d2");
        long f = held(d, "f");
        server.removed.add(d + "/f");
        apply(ChangeEvent.newBuilder().setKind(ChangeEvent.Kind.RENAMED).setPath("d1/f").setNewPath("d2/g"));
        assertThat(kernel.calls).contains("delete " + d + " " + f + " f", "invalEntry " + e + " g",
                "invalInode " + d + " 0", "invalInode " + e + " 0");
        assertThat(view.child(d, "f")).isZero();
        assertThat(view.child(e, "g")).as("looked up again when needed").isZero();
    }

    @Test
    void aRenamedDirectoryOnlyLosesItsEntryNeverDiesInTheKernel() throws Exception {
        long d = held(FuseFileSystem.ROOT_ID, "d1");
        long e = held(FuseFileSystem.ROOT_ID, "d2");
        long sub = held(d, "dsub");
        server.removed.add(d + "/dsub");
        apply(ChangeEvent.newBuilder().setKind(ChangeEvent.Kind.RENAMED).setPath("d1/dsub").setNewPath("d2/dmoved")
                .setDirectory(true));
        assertThat(kernel.calls).contains("invalEntry " + d + " dsub", "invalEntry " + e + " dmoved")
                .noneMatch(c -> c.startsWith("delete"));
        assertThat(view.child(d, "dsub")).isZero();
        assertThat(sub).isNotZero();
    }

    @Test
    void anEventThatCannotBeAppliedIsCountedAndTheNextOneApplies() throws Exception {
        long d = held(FuseFileSystem.ROOT_ID, "d1");
        kernel.failing = true;
        apply(ChangeEvent.Kind.CREATED, "d1/a");
        kernel.failing = false;
        apply(ChangeEvent.Kind.CREATED, "d1/b");
        assertThat(kernel.calls).containsExactly("invalEntry " + d + " b", "invalInode " + d + " 0");
        assertThat(applier.appliedCount()).isEqualTo(2);
    }
}
