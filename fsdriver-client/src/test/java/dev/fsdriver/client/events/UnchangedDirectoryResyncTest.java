package dev.fsdriver.client.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.common.Errno;
import dev.fsdriver.common.FileMode;
import dev.fsdriver.fuse.BlockingFileSystem;
import dev.fsdriver.fuse.DirFiller;
import dev.fsdriver.fuse.FuseAttr;
import dev.fsdriver.fuse.FuseAttrReply;
import dev.fsdriver.fuse.FuseEntry;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.fuse.FuseFileSystem.Reply;
import dev.fsdriver.fuse.FuseRequest;
import dev.fsdriver.proto.v1.ChangeEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An overflow resync of a directory nothing vouches for (no baseline, no listing: the loss came
 * within a second of the kernel first holding it) asks the server's own evidence: the directory's
 * mtime and ctime when the kernel first held it ({@link KernelView#stamp}). Unchanged since: no
 * name is announced. Changed: the names are announced as before. Times too close to the server's
 * clock when it was held vouch for nothing (a change within the timestamp granularity keeps them).
 */
class UnchangedDirectoryResyncTest {
    private static final long DIR = 600;
    private static final long SECOND = 1_000_000_000L;
    /** The server's clock (seen_unix_nanos of its events) when the kernel first held the directory. */
    private static final long NOW = 1_800_000_000L * SECOND;

    /** A server with one directory {@code dquiet} in the root; its names and times as the test sets them. */
    static final class Server implements BlockingFileSystem {
        final List<String> names = new ArrayList<>(List.of("old1", "old2"));
        volatile long mtimeNs;
        volatile long ctimeNs;
        /** The root's mtime and ctime. */
        volatile long rootNs;
        /**
         * What the client keeps of the directory (a program's stat after the overflow's drop),
         * answered to a request that does not ask the server itself ({@link OwnReadsOver#fresh}); null: none.
         */
        volatile FuseAttr kept;
        /** The size of the files in the directory on the server, and as the client keeps it (-1: not kept). */
        volatile long fileSize = 1;
        volatile long keptFileSize = -1;
        /** Runs while the server answers the lookup of the directory (null: nothing). */
        volatile Runnable duringLookup;
        /** The server's Attr.times_move for the directory: its file system moves its times with its names. */
        volatile boolean timesMove = true;

        FuseAttr rootAttr() {
            return new FuseAttr(1, 4096, 8, 0, rootNs, rootNs, FileMode.S_IFDIR | 0755, 3, 0, 0, 0, 4096, true);
        }

        FuseAttr dirAttr() {
            return new FuseAttr(DIR, 4096, 8, 0, mtimeNs, ctimeNs, FileMode.S_IFDIR | 0755, 2, 0, 0, 0, 4096, timesMove);
        }

        @Override
        public FuseEntry lookup(FuseRequest req, long parent, String name) throws FuseException {
            if (parent == 1 && name.equals("dquiet")) {
                FuseAttr read = dirAttr(); // the reply is read, then whatever happens meanwhile
                Runnable meanwhile = duringLookup;
                if (meanwhile != null) {
                    meanwhile.run();
                }
                return new FuseEntry(DIR, 0, read, 5, 5);
            }
            if (parent == 1 && name.equals("rootfile")) {
                return new FuseEntry(800, 0, EventAwareFileSystemTest.attr(800, FileMode.S_IFREG | 0644, 1), 5, 5);
            }
            int i = names.indexOf(name);
            if (parent != DIR || i < 0) {
                throw new FuseException(Errno.ENOENT);
            }
            long size = keptFileSize >= 0 && !OwnReadsOver.fresh(req) ? keptFileSize : fileSize;
            return new FuseEntry(700 + i, 0, EventAwareFileSystemTest.attr(700 + i, FileMode.S_IFREG | 0644, size), 5, 5);
        }

        @Override
        public FuseAttrReply getattr(FuseRequest req, long nodeId, long fh) {
            FuseAttr cached = kept;
            if (nodeId == DIR && cached != null && !OwnReadsOver.fresh(req)) {
                return new FuseAttrReply(cached, 5);
            }
            return new FuseAttrReply(nodeId == DIR ? dirAttr() : nodeId == 1 ? rootAttr()
                    : EventAwareFileSystemTest.attr(nodeId, FileMode.S_IFREG | 0644, 1), 5);
        }

        @Override
        public void readdir(FuseRequest req, long nodeId, long fh, long offset, DirFiller filler) {
            List<String> listed = nodeId == DIR ? names : List.of("dquiet", "rootfile");
            for (int i = (int) offset; i < listed.size(); i++) {
                boolean dir = nodeId != DIR && i == 0;
                if (!filler.add(listed.get(i), nodeId == DIR ? 700 + i : dir ? DIR : 800,
                        dir ? FileMode.S_IFDIR : FileMode.S_IFREG, i + 1)) {
                    return;
                }
            }
        }
    }

    @TempDir
    Path notAMount;

    final KernelView view = new KernelView();
    final EchoFilter echo = new EchoFilter();
    final Server server = new Server();
    final EventAwareFileSystem fs = new EventAwareFileSystem(server, OwnReadsOver.of(server), view, echo,
            new CachePolicy(3_600_000_000_000L, 1_000_000_000L), null);
    Injector injector;
    EventApplier applier;

    @BeforeEach
    void mount() throws Exception {
        Files.createDirectories(notAMount.resolve("dquiet")); // the mount's directory: creates are injected here
        injector = new Injector(notAMount, EventAwareFileSystemTest.NO_WRITES);
        applier = new EventApplier(fs, view, echo, injector, new EventApplierTest.Kernel());
        view.serverClock(() -> NOW);
    }

    @AfterEach
    void close() {
        injector.close();
    }

    /** The kernel first holds {@code dquiet} now (a lookup: its reply carries the attributes). */
    private void held() throws FuseException {
        Reply.<FuseEntry>await(r -> fs.lookup(EventAwareFileSystemTest.OTHER, 1, "dquiet", r));
    }

    private void overflow() {
        applier.apply(ChangeEvent.newBuilder().setKind(ChangeEvent.Kind.OVERFLOW).setPath("").setSequence(1).build());
    }

    private boolean announced(String name) {
        return Files.exists(notAMount.resolve("dquiet").resolve(name));
    }

    /**
     * Failed before: with nothing known of the directory, every name the resync listed was
     * announced as created, though both were there when the kernel first held it (under Wine,
     * 20-30 false creates per overflow).
     */
    @Test
    void anUnchangedDirectoryWithoutABaselineAnnouncesNothing() throws Exception {
        server.mtimeNs = NOW - 60 * SECOND;
        server.ctimeNs = NOW - 60 * SECOND;
        held();
        assertThat(fs.watchedNames().of(DIR)).as("no baseline: nothing known of it").isNull();

        overflow();

        assertThat(announced("old1") || announced("old2")).as("a create of a name that was there").isFalse();
        assertThat(fs.watchedNames().trusted(DIR, Long.MAX_VALUE)).as("now known to watchers")
                .containsOnlyKeys("old1", "old2");
    }

    /**
     * A directory the server does not vouch for (Attr.times_move unset: on another file system
     * mounted below the share root, or an older server) gets no stamp though the share has
     * "dir-times-move": a create during the loss on, say, a vfat mount leaves its times as they
     * were. Failed before (seen: the stamp taken, "new" not announced).
     */
    @Test
    void aDirectoryTheServerDoesNotVouchForIsNotStamped() throws Exception {
        server.timesMove = false;
        server.mtimeNs = NOW - 60 * SECOND;
        server.ctimeNs = NOW - 60 * SECOND;
        held();
        assertThat(view.stamp(DIR)).as("no stamp without times_move").isNull();
        server.names.add("new"); // the times stay, as on vfat

        overflow();

        assertThat(announced("new")).as("the create made during the loss").isTrue();
    }

    /** A name made during the loss changed the directory's times: it is announced (and so are the old ones). */
    @Test
    void aNameCreatedDuringTheLossIsStillAnnounced() throws Exception {
        server.mtimeNs = NOW - 60 * SECOND;
        server.ctimeNs = NOW - 60 * SECOND;
        held();
        server.names.add("new");
        server.mtimeNs = NOW + SECOND;
        server.ctimeNs = NOW + SECOND;

        overflow();

        assertThat(announced("new")).as("the create made during the loss").isTrue();
    }

    /** A create that left mtime as it was but moved ctime (a program set mtime back) is announced. */
    @Test
    void aChangedCtimeAloneIsAChange() throws Exception {
        server.mtimeNs = NOW - 60 * SECOND;
        server.ctimeNs = NOW - 60 * SECOND;
        held();
        server.names.add("new");
        server.ctimeNs = NOW + SECOND;

        overflow();

        assertThat(announced("new")).as("the create made during the loss").isTrue();
    }

    /**
     * Racy: the directory changed within the timestamp granularity of the moment the kernel held
     * it, so a create right after may leave its times as they were (1 s granularity here): its
     * times vouch for nothing and every name is announced, as without the rule.
     */
    @Test
    void timesTooCloseToTheServersClockWhenHeldVouchForNothing() throws Exception {
        long second = NOW - DirStamps.RACY_NANOS / 2; // the same whole second a create after it gets
        server.mtimeNs = second;
        server.ctimeNs = second;
        held();
        assertThat(view.stamp(DIR)).as("racy: no stamp").isNull();
        server.names.add("new"); // same second: the times do not move

        overflow();

        assertThat(announced("new")).as("the create made during the loss").isTrue();
    }

    /**
     * The root is held from the start (no lookup gives it): its stamp is from Hello, whose reply
     * carries the root's attributes and the server's clock read before them. Unchanged: nothing
     * in it announced; changed: its names are, as before.
     */
    @Test
    void theRootsStampComesFromHello() throws Exception {
        server.rootNs = NOW - 60 * SECOND;
        view.stampRoot(server.rootAttr());
        overflow();
        assertThat(Files.exists(notAMount.resolve("rootfile"))).as("a create of a name that was there").isFalse();

        view.stampRoot(server.rootAttr());
        fs.watchedNames().drop(1); // nothing known of the root again
        server.rootNs = NOW + SECOND;
        overflow();
        assertThat(Files.exists(notAMount.resolve("rootfile"))).as("announced: the root changed").isTrue();
    }

    /** Before any event told the server's clock, no time vouches. */
    @Test
    void withoutAReadingOfTheServersClockNothingVouches() throws Exception {
        view.serverClock(() -> 0);
        server.mtimeNs = NOW - 60 * SECOND;
        server.ctimeNs = NOW - 60 * SECOND;
        held();
        assertThat(view.stamp(DIR)).isNull();
    }

    /**
     * An event of a name in the directory may be older than the times the kernel got (events come
     * late): a delete told to watchers of a name made again before the directory was held must not
     * be hidden by the stamp, so any such event takes it away.
     */
    @Test
    void anEventOfANameInTheDirectoryTakesTheStampAway() throws Exception {
        server.mtimeNs = NOW - 60 * SECOND;
        server.ctimeNs = NOW - 60 * SECOND;
        held();
        assertThat(view.stamp(DIR)).isNotNull();
        applier.apply(ChangeEvent.newBuilder().setKind(ChangeEvent.Kind.DELETED).setPath("dquiet/gone1")
                .setSequence(1).build());
        assertThat(view.stamp(DIR)).isNull();

        overflow();

        assertThat(announced("old1")).as("announced, as without the rule").isTrue();
    }
    /**
     * Failed before (seen: "new" not announced): the resync's GetAttr of the directory was
     * answered from the client's attribute cache, refilled by a program's stat after the
     * overflow's drop, so a create made after that stat (its event lost) looked like no change.
     */
    @Test
    void theResyncReadsTheServersTimesNotAStatTheClientKept() throws Exception {
        server.mtimeNs = NOW - 60 * SECOND;
        server.ctimeNs = NOW - 60 * SECOND;
        held();
        server.kept = server.dirAttr(); // a program's stat, kept by the client
        server.names.add("new");
        server.mtimeNs = NOW + SECOND;
        server.ctimeNs = NOW + SECOND;

        overflow();

        assertThat(announced("new")).as("the create made after the stat").isTrue();
    }

    /**
     * A share whose directory times do not move (FAT, some network file systems): a name gone
     * and one made with the times as they were. Failed before (seen: "new" not announced): the
     * unchanged times were believed though the same resync found a name gone.
     */
    @Test
    void namesGoneWithTheTimesUnchangedMakeTheDirectoryChanged() throws Exception {
        server.mtimeNs = NOW - 60 * SECOND;
        server.ctimeNs = NOW - 60 * SECOND;
        held();
        Reply.<FuseEntry>await(r -> fs.lookup(EventAwareFileSystemTest.OTHER, DIR, "old1", r)); // the kernel holds old1
        server.names.set(0, "new"); // old1 gone, new made: the times stay

        overflow();

        assertThat(announced("new")).as("the create made during the loss").isTrue();
        assertThat(view.stamp(DIR)).as("times that did not move with a delete vouch for nothing").isNull();
    }

    /**
     * Failed before (seen: the stamp kept after the resync found other times): a stamp whose
     * times the resync saw changed is dropped, never kept to mislead the next resync.
     */
    @Test
    void aStampTheResyncFoundChangedIsDropped() throws Exception {
        server.mtimeNs = NOW - 60 * SECOND;
        server.ctimeNs = NOW - 60 * SECOND;
        held();
        server.names.add("new");
        server.ctimeNs = NOW + SECOND;

        overflow();

        assertThat(announced("new")).isTrue();
        assertThat(view.stamp(DIR)).as("its times moved: no stamp").isNull();
    }

    /**
     * An event applied while the reply that makes the stamp is on its way: that reply was read
     * before the event, so its stamp must not outlive the event's drop. Failed before (seen: a
     * stamp stored after the event).
     */
    @Test
    void aReplyReadBeforeAnEventMakesNoStamp() throws Exception {
        server.mtimeNs = NOW - 60 * SECOND;
        server.ctimeNs = NOW - 60 * SECOND;
        server.duringLookup = () -> applier.apply(ChangeEvent.newBuilder().setKind(ChangeEvent.Kind.DELETED)
                .setPath("dquiet/gone1").setSequence(1).build());
        held();
        assertThat(view.stamp(DIR)).as("a stamp from a reply older than the event's drop").isNull();

        server.duringLookup = null;
        fs.forget(DIR, 1); // the kernel lets it go and holds it again: a reply after the event stamps
        held();
        assertThat(view.stamp(DIR)).isNotNull();
    }

    /**
     * The same rule for a changed file (ChangedFiles): the size the injected truncate announces
     * is the server's, read after the mount's own writes were checked, never one the client kept
     * before. Failed before (seen: truncated to the kept 3 bytes, not the server's 5).
     */
    @Test
    void aChangedFileIsAnnouncedWithTheServersSizeNotAKeptOne() throws Exception {
        held();
        Reply.<FuseEntry>await(r -> fs.lookup(EventAwareFileSystemTest.OTHER, DIR, "old1", r)); // the kernel holds old1
        Path old1 = Files.writeString(notAMount.resolve("dquiet/old1"), "x");
        server.keptFileSize = 3;
        server.fileSize = 5;

        applier.apply(ChangeEvent.newBuilder().setKind(ChangeEvent.Kind.MODIFIED).setPath("dquiet/old1")
                .setSequence(2).build());

        assertThat(Files.size(old1)).as("the size the injected truncate gave").isEqualTo(5);
    }

    /**
     * A share whose directory times do not move (no "dir-times-move" in Hello: FAT, exFAT, most
     * network file systems) and a loss with only creates: nothing is stamped, so the resync
     * announces every name it cannot vouch for, the one made during the loss included (a
     * duplicate create of the old ones rather than a missed one of the new one).
     */
    @Test
    void withoutDirTimesMoveALossWithOnlyCreatesIsAnnounced() throws Exception {
        view.serverClock(new ServerClock(NOW, false));
        server.mtimeNs = NOW - 60 * SECOND;
        server.ctimeNs = NOW - 60 * SECOND;
        held();
        assertThat(view.stamp(DIR)).as("no stamp without dir-times-move").isNull();
        server.names.add("new"); // the times stay, as on FAT

        overflow();

        assertThat(announced("new")).as("the create made during the loss").isTrue();
        assertThat(announced("old1")).as("a duplicate create, as before the stamps").isTrue();
    }

    /**
     * The server's clock stepped back an hour: the latest reading is its "now", not the highest
     * one, else a directory changed a second before that "now" looks an hour old and its times
     * vouch though a create within the granularity may leave them as they were.
     */
    @Test
    void aServerClockStepBackIsTakenAsItIs() throws Exception {
        ServerClock clock = new ServerClock(NOW + 3600 * SECOND, true); // Hello, before the step back
        view.serverClock(clock);
        clock.event(NOW + 3601 * SECOND);
        clock.event(NOW); // the server's clock stepped back: its events say so
        server.mtimeNs = NOW - SECOND;
        server.ctimeNs = NOW - SECOND;
        held();
        assertThat(view.stamp(DIR)).as("times a second older than the server's clock: racy").isNull();

        clock.hello(NOW + 3600 * SECOND, true); // a later Hello: the same rule
        clock.hello(NOW, true);
        fs.forget(DIR, 1);
        held();
        assertThat(view.stamp(DIR)).as("racy after a Hello's step back too").isNull();
    }

    /**
     * A FORGET of more references than the view counted proves it missed an entry the kernel
     * got: a lookup it took for a first hold may not have been one, on this node or any other, so
     * no stamp of the mount vouches any more, and none is taken again. The count stays at 0.
     * Failed before (seen: the root kept its stamp, only the forgotten node's stamps stopped).
     */
    @Test
    void aForgetOfMoreThanWasCountedStopsStampingInTheWholeMount() throws Exception {
        server.rootNs = NOW - 60 * SECOND;
        view.stampRoot(server.rootAttr());
        server.mtimeNs = NOW - 60 * SECOND;
        server.ctimeNs = NOW - 60 * SECOND;
        held();
        assertThat(view.stamp(DIR)).isNotNull();
        assertThat(view.stamp(1)).isNotNull();
        fs.forget(DIR, 3); // one was counted
        assertThat(view.lookups(DIR)).isZero();
        assertThat(view.stamp(1)).as("the root's, taken before: the accounting it rests on is broken").isNull();

        held();

        assertThat(view.lookups(DIR)).as("counted from 0, never below").isEqualTo(1);
        assertThat(view.stamp(DIR)).as("this hold may not be the first").isNull();
        fs.forget(DIR, 1);
        held();
        assertThat(view.stamp(DIR)).as("nor a later one").isNull();
        view.stampRoot(server.rootAttr());
        assertThat(view.stamp(1)).as("nor any other directory's").isNull();
    }

    /** A FORGET of exactly the references counted: the next lookup is a first hold, stamped again. */
    @Test
    void aForgetOfExactlyTheCountLetsTheNextHoldStamp() throws Exception {
        server.mtimeNs = NOW - 60 * SECOND;
        server.ctimeNs = NOW - 60 * SECOND;
        held();
        held();
        fs.forget(DIR, 2);
        assertThat(view.stamp(DIR)).isNull();
        held();
        assertThat(view.stamp(DIR)).isNotNull();
    }
}
