package dev.fsdriver.client.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fsdriver.client.LocalWrites;
import dev.fsdriver.common.FileMode;
import dev.fsdriver.fuse.BlockingFileSystem;
import dev.fsdriver.fuse.FuseAttr;
import dev.fsdriver.fuse.FuseAttrReply;
import dev.fsdriver.fuse.FuseCreated;
import dev.fsdriver.fuse.FuseEntry;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.fuse.FuseFileSystem;
import dev.fsdriver.fuse.FuseFileSystem.Reply;
import dev.fsdriver.fuse.FuseOpen;
import dev.fsdriver.fuse.FuseRequest;
import dev.fsdriver.fuse.FuseSetAttr;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The decorator's bookkeeping and its local answers to the injector, against a recording fake. */
class EventAwareFileSystemTest {
    private static final int FILE = FileMode.S_IFREG | 0644;

    static FuseAttr attr(long ino, int mode, long size) {
        return new FuseAttr(ino, size, 0, 0, 0, 0, mode, 1, 0, 0, 0, 4096);
    }

    /** Records what reached "the server". */
    static final class Fake implements BlockingFileSystem {
        final List<String> calls = new ArrayList<>();
        final List<long[]> forgets = new ArrayList<>();

        @Override
        public FuseEntry lookup(FuseRequest req, long parent, String name) throws FuseException {
            calls.add("lookup " + parent + "/" + name);
            return new FuseEntry(100 + name.length(), 0, attr(100 + name.length(), FILE, 7), 5, 5);
        }

        @Override
        public void forget(long nodeId, long nlookup) {
            forgets.add(new long[] {nodeId, nlookup});
        }

        @Override
        public FuseAttrReply getattr(FuseRequest req, long nodeId, long fh) {
            calls.add("getattr " + nodeId);
            return new FuseAttrReply(attr(nodeId, FILE, 42), 5);
        }

        @Override
        public FuseAttrReply setattr(FuseRequest req, long nodeId, FuseSetAttr changes) {
            calls.add("setattr " + nodeId);
            return new FuseAttrReply(attr(nodeId, FILE, 0), 5);
        }

        @Override
        public void unlink(FuseRequest req, long parent, String name) {
            calls.add("unlink " + parent + "/" + name);
        }

        @Override
        public FuseCreated create(FuseRequest req, long parent, String name, int mode, int flags, int umask) {
            calls.add("create " + parent + "/" + name);
            return new FuseCreated(new FuseEntry(200 + name.length(), 0, attr(200 + name.length(), FILE, 0), 5, 5),
                    FuseOpen.of(1));
        }
    }

    record Req(int pid) implements FuseRequest {
        public long unique() { return 1; }
        public int opcode() { return 0; }
        public long nodeId() { return 0; }
        public int uid() { return 0; }
        public int gid() { return 0; }
        public boolean isInterrupted() { return false; }
    }

    static final Req OTHER = new Req(1);

    final Fake fake = new Fake();
    final KernelView view = new KernelView();
    final EchoFilter echo = new EchoFilter();
    final CachePolicy policy = new CachePolicy(3_600_000_000_000L, 1_000_000_000L);
    /** The fakes keep no open files: no program here ever writes (what RemoteFileSystem's OpenFiles tells otherwise). */
    static final LocalWrites NO_WRITES = new LocalWrites() {
        @Override
        public long stamp(long node) {
            return 0;
        }

        @Override
        public boolean writing(long node) {
            return false;
        }
    };

    final Injector injector = new Injector(Path.of("/nonexistent-mount"), NO_WRITES);
    final Req self = new Req(injector.tid()); // the injecting thread

    @org.junit.jupiter.api.AfterEach
    void closeInjector() {
        injector.close();
    }
    final EventAwareFileSystem fs = new EventAwareFileSystem(fake, OwnReadsOver.of(fake), view, echo, policy, injector);
    /** What the kernel talks to: the injector's requests answered in front of the events layer. */
    final FuseFileSystem kernelSide = new InjectionAnswers(fs, injector);

    @Test
    void timeoutsFollowTheStreamState() throws Exception {
        assertThat(Reply.<FuseEntry>await(r -> fs.lookup(OTHER, 1, "a", r)).entryTimeoutNs()).isEqualTo(1_000_000_000L);
        policy.setLive(true);
        FuseEntry e = Reply.await(r -> fs.lookup(OTHER, 1, "a", r));
        assertThat(e.entryTimeoutNs()).isEqualTo(3_600_000_000_000L);
        assertThat(e.attrTimeoutNs()).isEqualTo(3_600_000_000_000L);
        assertThat(Reply.<FuseAttrReply>await(r -> fs.getattr(OTHER, e.nodeId(), -1, r)).attrTimeoutNs()).isEqualTo(3_600_000_000_000L);
        assertThat(view.resolve("a")).isEqualTo(e.nodeId());
    }

    @Test
    void mutationsThroughTheMountAreMarkedAsEchoes() throws Exception {
        Reply.<FuseEntry>await(r -> fs.lookup(OTHER, 1, "dir", r));
        long dir = view.resolve("dir");
        Reply.<Void>await(r -> fs.unlink(OTHER, dir, "gone", r));
        assertThat(echo.isEcho("dir/gone")).isTrue();
        assertThat(fake.calls).contains("unlink " + dir + "/gone");
    }

    @Test
    void injectedCreateIsAnsweredLocally() throws Exception {
        FuseEntry real = new FuseEntry(77, 0, attr(77, FILE, 3), 0, 0);
        Injection inj = new Injection(Injection.Op.CREATE, 1, "new", 0, null, real, 77, null);
        injector.perform(inj, () -> {
            assertThatThrownBy(() -> Reply.<FuseEntry>await(r -> kernelSide.lookup(self, 1, "new", r))).isInstanceOf(FuseException.class);
            try {
                assertThat(kernelSide.mknod(self, 1, "new", FILE, 0, 0).nodeId()).isEqualTo(77);
                // other processes still go to the server
                Reply.<FuseEntry>await(r -> kernelSide.lookup(OTHER, 1, "new", r));
            } catch (FuseException e) {
                throw new AssertionError(e);
            }
        });
        assertThat(fake.calls).containsExactly("lookup 1/new");
        assertThat(view.held(77)).isTrue();
    }

    @Test
    void injectedDeleteNeverReachesTheServerAndLocalReferencesAreNotForwarded() throws Exception {
        FuseEntry standIn = new FuseEntry(55, 0, attr(55, FILE, 0), 0, 0);
        Injection inj = new Injection(Injection.Op.DELETE, 1, "f", 0, null, standIn, 55, null);
        injector.perform(inj, () -> {
            try {
                assertThat(Reply.<FuseEntry>await(r -> kernelSide.lookup(self, 1, "f", r)).nodeId()).isEqualTo(55);
                Reply.<Void>await(r -> kernelSide.unlink(self, 1, "f", r));
            } catch (FuseException e) {
                throw new AssertionError(e);
            }
        });
        assertThat(fake.calls).isEmpty();
        fs.forget(55, 1);
        assertThat(fake.forgets).as("the reference was ours, not the server's").isEmpty();
        FuseEntry ghost = fs.ghost(FileMode.S_IFDIR);
        assertThat(ghost.nodeId()).isGreaterThanOrEqualTo(LocalNodes.GHOST_BASE);
        fs.forget(ghost.nodeId(), 1);
        assertThat(fake.forgets).isEmpty();
        fs.forget(12, 2);
        assertThat(fake.forgets).hasSize(1);
    }

    @Test
    void injectedModifyAnswersWithTheEventsAttributesAndAsksNothing() throws Exception {
        Injection inj = new Injection(Injection.Op.MODIFY, 1, "f", 0, null, null, 9, attr(9, FILE, 42));
        FuseAttrReply[] reply = new FuseAttrReply[1];
        injector.perform(inj, () -> {
            try {
                reply[0] = Reply.await(r -> kernelSide.setattr(self, 9, null, r));
            } catch (FuseException e) {
                throw new AssertionError(e);
            }
            assertEio(() -> Reply.<FuseAttrReply>await(r -> kernelSide.setattr(self, 10, null, r))); // another node than the injection's
        });
        assertThat(reply[0].attr().size()).isEqualTo(42);
        Injection blind = new Injection(Injection.Op.MODIFY, 1, "f", 0, null, null, 9, null);
        injector.perform(blind, () -> {
            assertEio(() -> Reply.<FuseAttrReply>await(r -> kernelSide.setattr(self, 9, null, r))); // no attributes to answer with: never asked of the server
        });
        assertThat(fake.calls).isEmpty();
    }

    private static void assertEio(org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOf(FuseException.class)
                .satisfies(e -> assertThat(((FuseException) e).errno()).isEqualTo(dev.fsdriver.common.Errno.EIO));
    }

    @Test
    void namesNotMadeInADirectoryThisMountCreatedAreAbsentWithoutAsking() throws Exception {
        policy.setLive(true);
        Fake2 f2 = new Fake2();
        EventAwareFileSystem fs2 = new EventAwareFileSystem(f2, OwnReadsOver.of(f2), view, echo, policy, injector);
        FuseEntry d = fs2.mkdir(OTHER, 1, "new", 0755, 022);
        assertThat(Reply.<FuseEntry>await(r -> fs2.lookup(OTHER, d.nodeId(), "absent", r)).nodeId()).as("negative, answered here").isZero();
        assertThat(f2.calls).doesNotContain("lookup " + d.nodeId() + "/absent");
        fs2.create(OTHER, d.nodeId(), "made", FILE, 0, 0);
        Reply.<FuseEntry>await(r -> fs2.lookup(OTHER, d.nodeId(), "made", r));
        assertThat(f2.calls).as("a name made through the mount is asked for").contains("lookup " + d.nodeId() + "/made");
        fs2.changedElsewhere(); // an event: another session changed something
        Reply.<FuseEntry>await(r -> fs2.lookup(OTHER, d.nodeId(), "absent", r));
        assertThat(f2.calls).contains("lookup " + d.nodeId() + "/absent");
    }

    @Test
    void aNameThisMountRemovedIsAbsentWithoutAskingUntilMadeAgainOrAnEvent() throws Exception {
        policy.setLive(true);
        Reply.<FuseEntry>await(r -> fs.lookup(OTHER, 1, "db-journal", r));
        Reply.<Void>await(r -> fs.unlink(OTHER, 1, "db-journal", r));
        fake.calls.clear();
        assertThat(Reply.<FuseEntry>await(r -> fs.lookup(OTHER, 1, "db-journal", r)).nodeId()).as("negative, answered here").isZero();
        assertThat(fake.calls).isEmpty();
        // made again through the mount (on a share that may not tell case apart, any case of it)
        fs.create(OTHER, 1, "DB-journal", FILE, 0, 0);
        Reply.<FuseEntry>await(r -> fs.lookup(OTHER, 1, "db-journal", r));
        assertThat(fake.calls).contains("lookup 1/db-journal");
        // removed again, then an event: another session may have made it
        Reply.<Void>await(r -> fs.unlink(OTHER, 1, "db-journal", r));
        fs.changedElsewhere();
        fake.calls.clear();
        Reply.<FuseEntry>await(r -> fs.lookup(OTHER, 1, "db-journal", r));
        assertThat(fake.calls).containsExactly("lookup 1/db-journal");
        // removed while events are down: asked for once they are back
        policy.setLive(false);
        Reply.<Void>await(r -> fs.unlink(OTHER, 1, "db-journal", r));
        policy.setLive(true);
        fake.calls.clear();
        Reply.<FuseEntry>await(r -> fs.lookup(OTHER, 1, "db-journal", r));
        assertThat(fake.calls).containsExactly("lookup 1/db-journal");
    }

    @Test
    void directoriesMadeWhileEventsAreDownAreNotTakenAsKnown() throws Exception {
        Fake2 f2 = new Fake2();
        EventAwareFileSystem fs2 = new EventAwareFileSystem(f2, OwnReadsOver.of(f2), view, echo, policy, injector);
        FuseEntry d = fs2.mkdir(OTHER, 1, "new", 0755, 022);
        policy.setLive(true);
        Reply.<FuseEntry>await(r -> fs2.lookup(OTHER, d.nodeId(), "absent", r));
        assertThat(f2.calls).contains("lookup " + d.nodeId() + "/absent");
    }

    @Test
    void aDirectoryThisMountMadeAndFilledIsListedWithoutTheServer() throws Exception {
        policy.setLive(true);
        Fake2 f2 = new Fake2() {
            @Override
            public void readdirplus(FuseRequest req, long nodeId, long fh, long offset, dev.fsdriver.fuse.DirPlusFiller filler) {
                calls.add("readdirplus " + nodeId);
            }

            @Override
            public FuseOpen opendir(FuseRequest req, long nodeId, int flags) {
                return FuseOpen.of(nodeId * 10);
            }

            @Override
            public void unlink(FuseRequest req, long parent, String name) {
                calls.add("unlink " + parent + "/" + name);
            }
        };
        EventAwareFileSystem fs2 = new EventAwareFileSystem(f2, OwnReadsOver.of(f2), view, echo, policy, injector);
        long d = fs2.mkdir(OTHER, 1, "new", 0755, 022).nodeId();
        fs2.create(OTHER, d, "b", FILE, 0, 0);
        fs2.mkdir(OTHER, d, "a", 0755, 022);
        long fh = fs2.opendir(OTHER, d, 0).fh();
        List<String> seen = new ArrayList<>();
        List<Long> offsets = new ArrayList<>();
        fs2.readdirplus(OTHER, d, fh, 0, (name, entry, next) -> {
            assertThat(entry.nodeId()).as("names only: the kernel holds them").isZero();
            if (seen.size() == 2) {
                return false; // the kernel's buffer is full: this one was not taken
            }
            seen.add(name + ":" + entry.attr().ino() + ":" + Integer.toOctalString(entry.attr().mode() & FileMode.S_IFMT));
            offsets.add(next);
            return true;
        });
        // the rest, from where the kernel stopped
        fs2.readdirplus(OTHER, d, fh, offsets.getLast(), (name, entry, next) -> {
            seen.add(name + ":" + entry.attr().ino() + ":" + Integer.toOctalString(entry.attr().mode() & FileMode.S_IFMT));
            return true;
        });
        assertThat(seen).containsExactly(".:" + d + ":40000", "..:1:40000", "a:510:40000", "b:501:100000");
        assertThat(f2.calls).noneMatch(c -> c.startsWith("readdirplus"));
        fs2.releasedir(OTHER, d, fh);

        Reply.<Void>await(r -> fs2.unlink(OTHER, d, "b", r));
        List<String> after = new ArrayList<>();
        long fh2 = fs2.opendir(OTHER, d, 0).fh();
        fs2.readdir(OTHER, d, fh2, 0, (name, ino, mode, next) -> after.add(name));
        assertThat(after).containsExactly(".", "..", "a");
        fs2.releasedir(OTHER, d, fh2);

        fs2.changedElsewhere(); // an event: the server's listing again
        long fh3 = fs2.opendir(OTHER, d, 0).fh();
        fs2.readdirplus(OTHER, d, fh3, 0, (name, entry, next) -> true);
        assertThat(f2.calls).contains("readdirplus " + d);
    }

    /** The fake, plus mkdir and create. */
    static class Fake2 extends FakeBase {
        private int dirs;

        @Override
        public FuseEntry mkdir(FuseRequest req, long parent, String name, int mode, int umask) {
            calls.add("mkdir " + parent + "/" + name);
            long id = 500 + 10L * dirs++;
            return new FuseEntry(id, 0, attr(id, FileMode.S_IFDIR | 0755, 0), 5, 5);
        }

        @Override
        public FuseCreated create(FuseRequest req, long parent, String name, int mode, int flags, int umask) {
            calls.add("create " + parent + "/" + name);
            return new FuseCreated(new FuseEntry(501, 0, attr(501, FILE, 0), 5, 5), FuseOpen.of(1));
        }
    }

    /** Directories, each asked for its attributes: how often did the server hear of it? */
    static final class DirFake extends FakeBase {
        int mtime;

        @Override
        public FuseEntry lookup(FuseRequest req, long parent, String name) {
            calls.add("lookup " + parent + "/" + name);
            return new FuseEntry(700 + name.length(), 0, dirAttr(700 + name.length()), 5, 5);
        }

        @Override
        public FuseAttrReply getattr(FuseRequest req, long nodeId, long fh) {
            calls.add("getattr " + nodeId);
            return new FuseAttrReply(dirAttr(nodeId), 5);
        }

        @Override
        public FuseCreated create(FuseRequest req, long parent, String name, int mode, int flags, int umask) {
            calls.add("create " + parent + "/" + name);
            mtime++;
            return new FuseCreated(new FuseEntry(801, 0, attr(801, FILE, 0), 5, 5), FuseOpen.of(1));
        }

        @Override
        public void rename(FuseRequest req, long parent, String name, long newParent, String newName, int flags) {
            calls.add("rename " + parent + "/" + name);
            mtime++;
        }

        FuseAttr dirAttr(long ino) {
            return new FuseAttr(ino, 4096, 0, 0, mtime, mtime, FileMode.S_IFDIR | 0755, 2, 0, 0, 0, 4096);
        }

        long getattrs(long node) {
            return calls.stream().filter(c -> c.equals("getattr " + node)).count();
        }
    }

    @Test
    void aDirectorysAttributesAreAskedForOnceWhileNothingChanges() throws Exception {
        DirFake f = new DirFake();
        EventAwareFileSystem fs2 = new EventAwareFileSystem(f, OwnReadsOver.of(f), view, echo, policy, injector);
        long d = Reply.<FuseEntry>await(r -> fs2.lookup(OTHER, 1, "d", r)).nodeId();
        Reply.<FuseAttrReply>await(r -> fs2.getattr(OTHER, d, -1, r));
        assertThat(f.getattrs(d)).as("events down: every GETATTR is the server's").isEqualTo(1);

        policy.setLive(true);
        long dir = Reply.<FuseEntry>await(r -> fs2.lookup(OTHER, 1, "d", r)).nodeId();
        Reply.<FuseAttrReply>await(r -> fs2.getattr(OTHER, dir, -1, r));
        Reply.<FuseAttrReply>await(r -> fs2.getattr(OTHER, dir, -1, r));
        assertThat(f.getattrs(dir)).as("live: the lookup's attributes serve").isEqualTo(1);

        fs2.create(OTHER, dir, "f", FILE, 0, 0);
        assertThat(Reply.<FuseAttrReply>await(r -> fs2.getattr(OTHER, dir, -1, r)).attr().mtimeNs()).as("a name made in it: asked again").isEqualTo(1);
        Reply.<FuseAttrReply>await(r -> fs2.getattr(OTHER, dir, -1, r));
        assertThat(f.getattrs(dir)).isEqualTo(2);

        long e = Reply.<FuseEntry>await(r -> fs2.lookup(OTHER, dir, "sub", r)).nodeId();
        fs2.rename(OTHER, dir, "sub", 1, "sub2", 0);
        Reply.<FuseAttrReply>await(r -> fs2.getattr(OTHER, e, -1, r));
        Reply.<FuseAttrReply>await(r -> fs2.getattr(OTHER, dir, -1, r));
        assertThat(f.getattrs(e)).as("a directory moved: its own attributes changed").isEqualTo(1);
        assertThat(f.getattrs(dir)).as("and those of the one it left").isEqualTo(3);

        fs2.changedElsewhere(); // an event
        Reply.<FuseAttrReply>await(r -> fs2.getattr(OTHER, dir, -1, r));
        assertThat(f.getattrs(dir)).isEqualTo(4);

        policy.setLive(false);
        Reply.<FuseAttrReply>await(r -> fs2.getattr(OTHER, dir, -1, r));
        assertThat(f.getattrs(dir)).isEqualTo(5);
    }

    /**
     * After a RENAME_EXCHANGE through the mount each name holds the other's node, as in the
     * kernel: the view kept the old nodes, so an event under one name was applied to the
     * directory at the other (ConcurrentStress seed 4).
     */
    @Test
    void anExchangeThroughTheMountSwapsTheNodesOfBothNamesInTheView() throws Exception {
        DirFake f = new DirFake();
        EventAwareFileSystem fs2 = new EventAwareFileSystem(f, OwnReadsOver.of(f), view, echo, policy, injector);
        long a = Reply.<FuseEntry>await(r -> fs2.lookup(OTHER, 1, "a", r)).nodeId();
        long bb = Reply.<FuseEntry>await(r -> fs2.lookup(OTHER, 1, "bb", r)).nodeId();
        long sub = Reply.<FuseEntry>await(r -> fs2.lookup(OTHER, a, "sub", r)).nodeId();
        fs2.rename(OTHER, 1, "a", 1, "bb", dev.fsdriver.common.OpenFlags.RENAME_EXCHANGE);
        assertThat(view.resolve("a")).isEqualTo(bb);
        assertThat(view.resolve("bb")).isEqualTo(a);
        assertThat(view.resolve("bb/sub")).isEqualTo(sub);
        assertThat(view.pathOf(sub)).isEqualTo("bb/sub");
    }

    @Test
    void filesAttributesAreAlwaysAskedFor() throws Exception {
        policy.setLive(true);
        long a = Reply.<FuseEntry>await(r -> fs.lookup(OTHER, 1, "a", r)).nodeId();
        Reply.<FuseAttrReply>await(r -> fs.getattr(OTHER, a, -1, r));
        Reply.<FuseAttrReply>await(r -> fs.getattr(OTHER, a, -1, r));
        assertThat(fake.calls).containsExactly("lookup 1/a", "getattr " + a, "getattr " + a);
    }

    /** Lookups that find what they are asked for, recorded. */
    static class FakeBase implements BlockingFileSystem {
        final List<String> calls = new ArrayList<>();

        @Override
        public FuseEntry lookup(FuseRequest req, long parent, String name) {
            calls.add("lookup " + parent + "/" + name);
            return new FuseEntry(600 + name.length(), 0, attr(600 + name.length(), FILE, 7), 5, 5);
        }
    }
}
