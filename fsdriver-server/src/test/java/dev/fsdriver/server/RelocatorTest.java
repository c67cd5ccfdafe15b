package dev.fsdriver.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fsdriver.backend.Change;
import dev.fsdriver.backend.Change.Kind;
import dev.fsdriver.backend.ChangeListener;
import dev.fsdriver.backend.FileAttributes;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.backend.posix.PosixBackend;
import dev.fsdriver.common.Errno;
import dev.fsdriver.common.FileMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node whose path went stale (renamed behind the server's back, its events lost: issue 10,
 * B6) is found again by its file id, and only when what is found is that file, found cheaply,
 * and consistent with what others did to the table meanwhile. The backend's locate is the
 * test's ({@link LocatingBackend}); the disk is a real directory.
 */
class RelocatorTest {
    @TempDir
    Path dir;
    private LocatingBackend fake;
    private Share share;
    private final List<Change> published = Collections.synchronizedList(new ArrayList<>());

    @BeforeEach
    void open() throws Exception {
        fake = LocatingBackend.over(PosixBackend.open(dir, false));
        share = new Share("s", fake.backend(), false);
        share.events = published::add;
    }

    @AfterEach
    void close() {
        share.close();
    }

    private static RelPath p(String s) throws FsException {
        return RelPath.parse(s);
    }

    /** The node of {@code path} as a Lookup registers it (type, generation, link count known). */
    private long node(String path) throws FsException {
        FileAttributes a = share.backend.stat(p(path));
        return share.nodes.register(p(path), a.ino(), a.generation(), a.isDirectory(), a.mode() & FileMode.S_IFMT, a.nlink());
    }

    private long ino(String path) throws FsException {
        return share.backend.stat(p(path)).ino();
    }

    private RelPath locatesAt(long ino, String path, long wanted) throws FsException {
        return ino == wanted ? p(path) : null;
    }

    @Test
    void aDirectoryRenamedBehindTheServersBackIsFoundByItsIdAndPublishedAsARename() throws Exception {
        Files.createDirectories(dir.resolve("work"));
        Files.writeString(dir.resolve("work/f"), "F");
        long work = node("work");
        long f = node("work/f");
        long workIno = ino("work");
        Files.createDirectories(dir.resolve("elsewhere/deep"));
        Files.move(dir.resolve("work"), dir.resolve("elsewhere/deep/work"));
        fake.locate = ino -> locatesAt(ino, "elsewhere/deep/work", workIno);

        assertThat(share.statNodeOrSearch(work).ino()).isEqualTo(workIno);
        assertThat(share.nodes.path(work)).isEqualTo(p("elsewhere/deep/work"));
        assertThat(share.nodes.path(f)).as("its subtree comes along").isEqualTo(p("elsewhere/deep/work/f"));
        assertThat(published).containsExactly(new Change(Kind.RENAMED, p("work"), p("elsewhere/deep/work"), true));
    }

    @Test
    void notFoundItIsStillGoneAndNotSearchedAgainUntilTheShareChanges() throws Exception {
        Files.createDirectories(dir.resolve("work"));
        long work = node("work");
        Files.delete(dir.resolve("work"));

        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> share.statNodeOrSearch(work)).isInstanceOf(FsException.class)
                    .extracting(e -> ((FsException) e).errno()).isEqualTo(Errno.ENOENT);
        }
        assertThat(fake.locates).as("a stat in a loop searches once").hasValue(1);

        share.onWatcherChange(Change.of(Kind.MODIFIED, p("f"), false), c -> { });
        share.onWatcherChange(Change.of(Kind.CREATED, p("g"), false), c -> { });
        assertThatThrownBy(() -> share.statNodeOrSearch(work)).isInstanceOf(FsException.class);
        assertThat(fake.locates).as("a file's change: no directory can have appeared").hasValue(1);

        share.onWatcherChange(Change.of(Kind.CREATED, p("new"), true), c -> { });
        assertThatThrownBy(() -> share.statNodeOrSearch(work)).isInstanceOf(FsException.class);
        assertThat(fake.locates).as("a directory made: it may be that one").hasValue(2);
        assertThat(published).isEmpty();
    }

    @Test
    void aFileFoundForADirectorysIdIsAnotherFileAndTheDeleteStands() throws Exception {
        Files.createDirectories(dir.resolve("work"));
        long work = node("work");
        long workIno = ino("work");
        Files.delete(dir.resolve("work"));
        Files.writeString(dir.resolve("f"), "x");
        FileAttributes file = share.backend.stat(p("f"));
        // ext4 gives the freed number to the next new file (Wine: the id is the host inode number)
        fake.stats.put(p("f"), new FileAttributes(workIno, file.mode(), 1, 0, 0, 1, 0, 0, 0, 0, 4096, 0, 0));
        fake.locate = ino -> locatesAt(ino, "f", workIno);

        assertThatThrownBy(() -> share.statNodeOrSearch(work)).isInstanceOf(FsException.class)
                .extracting(e -> ((FsException) e).errno()).isEqualTo(Errno.ENOENT);
        assertThat(share.nodes.path(work)).isEqualTo(p("work"));
        assertThat(published).isEmpty();
    }

    @Test
    void aDirectoryOfAnotherGenerationIsAnotherDirectory() throws Exception {
        Files.createDirectories(dir.resolve("work"));
        FileAttributes w = share.backend.stat(p("work"));
        long work = share.nodes.register(p("work"), w.ino(), 7, true, FileMode.S_IFDIR, 2);
        Files.move(dir.resolve("work"), dir.resolve("other"));
        FileAttributes o = share.backend.stat(p("other"));
        fake.stats.put(p("other"), new FileAttributes(w.ino(), o.mode(), 2, 0, 0, 0, 0, 0, 0, 0, 4096, 0, 8));
        fake.locate = ino -> locatesAt(ino, "other", w.ino());

        assertThatThrownBy(() -> share.statNodeOrSearch(work)).isInstanceOf(FsException.class);
        assertThat(published).isEmpty();

        // the same generation: the same directory
        fake.stats.put(p("other"), new FileAttributes(w.ino(), o.mode(), 2, 0, 0, 0, 0, 0, 0, 0, 4096, 0, 7));
        share.relocator.changeArrived();
        assertThat(share.statNodeOrSearch(work).generation()).isEqualTo(7);
        assertThat(published).containsExactly(new Change(Kind.RENAMED, p("work"), p("other"), true));
    }

    @Test
    void theRootAndTheStaleNameItselfAreNeverTheAnswer() throws Exception {
        Files.createDirectories(dir.resolve("work/in"));
        long work = node("work");
        FileAttributes w = share.backend.stat(p("work"));
        Files.move(dir.resolve("work"), dir.resolve("gone"));
        // `ln -s . loop` under Wine: a search below the root can answer with the root, or the
        // name; and what is there may claim the number (a hint only, but the test plays the worst)
        fake.stats.put(RelPath.ROOT, w);
        fake.stats.put(p("work/in"), w);
        fake.locate = ino -> RelPath.ROOT;
        assertThatThrownBy(() -> share.statNodeOrSearch(work)).isInstanceOf(FsException.class);
        fake.locate = ino -> p("work/in");
        share.relocator.changeArrived();
        assertThatThrownBy(() -> share.statNodeOrSearch(work)).isInstanceOf(FsException.class);
        assertThat(share.nodes.path(work)).isEqualTo(p("work"));
        assertThat(published).isEmpty();
    }

    @Test
    void theSearchHoldsNoLockOfTheTableAndALookupThatMovedTheNodeMeanwhileStands() throws Exception {
        Files.createDirectories(dir.resolve("work"));
        long work = node("work");
        Files.move(dir.resolve("work"), dir.resolve("moved"));
        fake.locate = ino -> {
            // meanwhile, on other threads: the watcher's follower (rename lock) and a Lookup of the
            // new name (the table's lock), which finds the directory there and moves its node
            CompletableFuture<Void> others = CompletableFuture.runAsync(() -> {
                share.followExternalChange(Change.of(Kind.CREATED, RelPath.ROOT, true));
                try {
                    node("moved");
                } catch (FsException e) {
                    throw new AssertionError(e);
                }
            });
            try {
                others.get(10, TimeUnit.SECONDS); // a deadlock (a lock held by the search) times out
            } catch (Exception e) {
                throw new AssertionError("the search held a lock the others need", e);
            }
            return p("moved");
        };

        assertThat(share.statNodeOrSearch(work).ino()).isEqualTo(ino("moved"));
        assertThat(share.nodes.path(work)).isEqualTo(p("moved"));
        assertThat(published).as("the Lookup moved it and published it; not this search")
                .containsExactly(new Change(Kind.RENAMED, p("work"), p("moved"), true));
    }

    @Test
    void callsForOneIdShareOneSearch() throws Exception {
        Files.createDirectories(dir.resolve("work"));
        long work = node("work");
        long workIno = ino("work");
        Files.move(dir.resolve("work"), dir.resolve("moved"));
        CountDownLatch release = new CountDownLatch(1);
        fake.locate = ino -> {
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return locatesAt(ino, "moved", workIno);
        };
        CompletableFuture<FileAttributes> first = CompletableFuture.supplyAsync(() -> stat(work));
        CompletableFuture<FileAttributes> second = CompletableFuture.supplyAsync(() -> stat(work));
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (fake.locates.get() == 0 && System.nanoTime() < end) {
            Thread.sleep(5);
        }
        Thread.sleep(100); // the second call is waiting for the first's search, or starting its own
        release.countDown();
        assertThat(first.get(10, TimeUnit.SECONDS).ino()).isEqualTo(workIno);
        assertThat(second.get(10, TimeUnit.SECONDS).ino()).isEqualTo(workIno);
        assertThat(fake.locates).hasValue(1);
        assertThat(published).hasSize(1);
    }

    private FileAttributes stat(long id) {
        try {
            return share.statNodeOrSearch(id);
        } catch (FsException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aFileGoneIsNotSearchedFor() throws Exception {
        Files.writeString(dir.resolve("f1"), "1");
        long a = node("f1");
        long aIno = ino("f1");
        Files.move(dir.resolve("f1"), dir.resolve("f2"));
        fake.locate = ino -> locatesAt(ino, "f2", aIno);

        assertThatThrownBy(() -> share.statNodeOrSearch(a)).isInstanceOf(FsException.class);
        assertThat(fake.locates).as("a file deleted on the server's side would cost a walk each").hasValue(0);
        assertThat(published).isEmpty();
    }

    /** The host did `mv b c; mv a b`, both held, events lost: a found at b, b kept aside, not dropped. */
    @Test
    void aDirectoryFoundWhereTheTableHasAnotherDirectoryKeepsThatOneAside() throws Exception {
        Files.createDirectories(dir.resolve("a"));
        Files.createDirectories(dir.resolve("b"));
        long a = node("a");
        long b = node("b");
        long aIno = ino("a");
        Files.move(dir.resolve("b"), dir.resolve("c"));
        Files.move(dir.resolve("a"), dir.resolve("b"));
        fake.locate = ino -> locatesAt(ino, "b", aIno);

        assertThat(share.statNodeOrSearch(a).ino()).isEqualTo(aIno);
        assertThat(share.nodes.idAt(p("b"))).isEqualTo(a);
        assertThat(share.nodes.idAt(p("a"))).isZero();
        assertThat(node("c")).as("b's node, found again at its new name").isEqualTo(b);
        assertThat(published).containsExactly(new Change(Kind.RENAMED, p("a"), p("b"), true));
    }

    @Test
    void aWatchersDeleteOfAHeldDirectoryIsSearchedOffItsThreadAndPublishedAsTheRenameInOrder() throws Exception {
        Files.createDirectories(dir.resolve("work"));
        long work = node("work");
        long workIno = ino("work");
        Files.createDirectories(dir.resolve("a/b"));
        Files.move(dir.resolve("work"), dir.resolve("a/b/work"));
        CountDownLatch release = new CountDownLatch(1);
        List<String> searchedOn = Collections.synchronizedList(new ArrayList<>());
        fake.locate = ino -> {
            searchedOn.add(Thread.currentThread().getName());
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return locatesAt(ino, "a/b/work", workIno);
        };
        List<Change> hub = Collections.synchronizedList(new ArrayList<>());
        ChangeListener toHub = hub::add;

        share.onWatcherChange(Change.of(Kind.DELETED, p("work"), true), toHub); // returns while the search waits
        share.onWatcherChange(Change.of(Kind.CREATED, p("later"), false), toHub);
        assertThat(hub).as("the create waits behind the search").isEmpty();
        release.countDown();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (hub.size() < 2 && System.nanoTime() < end) {
            Thread.sleep(5);
        }
        assertThat(hub).containsExactly(new Change(Kind.RENAMED, p("work"), p("a/b/work"), true),
                Change.of(Kind.CREATED, p("later"), false));
        assertThat(searchedOn).singleElement().asString().startsWith("relocate-");
        assertThat(share.nodes.path(work)).isEqualTo(p("a/b/work"));
    }

    /**
     * A Lookup that meets a held directory at a new path moves its node and publishes the move;
     * the watcher's later DELETED of the old name (Wine did not see the target) goes no further.
     * Before, the node moved silently, and that DELETED reached every client as the end of the
     * directory. A name made again at the old path is news of its own: its delete goes out.
     */
    @Test
    void aLookupThatFindsAHeldDirectoryMovedPublishesTheMoveAndTheWatchersLaterDeleteGoesNoFurther() throws Exception {
        Files.createDirectories(dir.resolve("work"));
        long work = node("work");
        Files.createDirectories(dir.resolve("a/b"));
        Files.move(dir.resolve("work"), dir.resolve("a/b/work"));
        assertThat(node("a/b/work")).isEqualTo(work);
        assertThat(published).containsExactly(new Change(Kind.RENAMED, p("work"), p("a/b/work"), true));

        List<Change> hub = Collections.synchronizedList(new ArrayList<>());
        share.onWatcherChange(Change.of(Kind.DELETED, p("work"), true), hub::add);
        share.onWatcherChange(Change.of(Kind.CREATED, p("work"), true), hub::add);
        share.onWatcherChange(Change.of(Kind.DELETED, p("work"), true), hub::add);
        assertThat(hub).containsExactly(Change.of(Kind.CREATED, p("work"), true),
                Change.of(Kind.DELETED, p("work"), true));
        assertThat(fake.locates).as("nothing held at work any more: no search").hasValue(0);
    }

    /** The same after a GetAttr's search found the directory: the watcher's rename of it is not sent twice. */
    @Test
    void aMoveASearchFoundIsNotPublishedAgainWhenTheWatchersReportComes() throws Exception {
        Files.createDirectories(dir.resolve("work"));
        long work = node("work");
        long workIno = ino("work");
        Files.move(dir.resolve("work"), dir.resolve("moved"));
        fake.locate = ino -> locatesAt(ino, "moved", workIno);
        assertThat(share.statNodeOrSearch(work).ino()).isEqualTo(workIno);
        assertThat(published).containsExactly(new Change(Kind.RENAMED, p("work"), p("moved"), true));

        List<Change> hub = Collections.synchronizedList(new ArrayList<>());
        share.onWatcherChange(new Change(Kind.RENAMED, p("work"), p("moved"), true), hub::add);
        share.onWatcherChange(Change.of(Kind.CREATED, p("later"), false), hub::add);
        assertThat(hub).containsExactly(Change.of(Kind.CREATED, p("later"), false));
    }

    /**
     * A client's own rename that a Lookup overtakes (between the rename on disk and the table's
     * update) is the client's: the Lookup publishes nothing, the watcher's report of it goes on
     * to the hub (where the session's own changes are told apart), and the rename's update
     * keeps the node where the Lookup put it (before, it cut the node off: ENOENT for the client).
     */
    @Test
    void aLookupOvertakingAClientsRenamePublishesNothingAndTheRenameKeepsTheNode() throws Exception {
        Files.createDirectories(dir.resolve("work"));
        long work = node("work");
        fake.afterRename = () -> {
            try {
                assertThat(node("moved")).isEqualTo(work); // the Lookup, between the disk and the table
            } catch (FsException e) {
                throw new AssertionError(e);
            }
        };
        share.rename(p("work"), p("moved"), 0);
        assertThat(share.nodes.path(work)).isEqualTo(p("moved"));
        assertThat(published).isEmpty();

        List<Change> hub = Collections.synchronizedList(new ArrayList<>());
        share.onWatcherChange(new Change(Kind.RENAMED, p("work"), p("moved"), true), hub::add);
        assertThat(hub).containsExactly(new Change(Kind.RENAMED, p("work"), p("moved"), true));
    }

    /**
     * {@code mv work bak/work; mkdir work} on the server's side, both reported before anything
     * looked for the held directory: the watcher's DELETED of work finds another directory there,
     * searches the held one (before: it went out as a delete of it) and publishes the move; the
     * CREATED of the new work follows; a Lookup of bak/work then publishes nothing more, and a
     * later real delete of work goes out.
     */
    @Test
    void aHeldDirectoryMovedAndItsNameMadeAgainIsFoundAtItsDelete() throws Exception {
        Files.createDirectories(dir.resolve("work"));
        long work = node("work");
        long workIno = ino("work");
        Files.createDirectories(dir.resolve("bak"));
        Files.move(dir.resolve("work"), dir.resolve("bak/work"));
        Files.createDirectories(dir.resolve("work"));
        fake.locate = ino -> locatesAt(ino, "bak/work", workIno);
        List<Change> hub = Collections.synchronizedList(new ArrayList<>());
        share.onWatcherChange(Change.of(Kind.DELETED, p("work"), true), hub::add);
        share.onWatcherChange(Change.of(Kind.CREATED, p("work"), true), hub::add);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (hub.size() < 2 && System.nanoTime() < end) {
            Thread.sleep(5);
        }
        assertThat(hub).containsExactly(new Change(Kind.RENAMED, p("work"), p("bak/work"), true),
                Change.of(Kind.CREATED, p("work"), true));

        assertThat(node("bak/work")).isEqualTo(work);
        assertThat(published).isEmpty();
        Files.delete(dir.resolve("work"));
        share.onWatcherChange(Change.of(Kind.DELETED, p("work"), true), hub::add);
        assertThat(hub).hasSize(3).last().isEqualTo(Change.of(Kind.DELETED, p("work"), true));
    }

    /**
     * A held directory replaced (`rm -rf out; mkdir out` in a loop on the server's side) and not
     * found anywhere is searched for once: its DELETED goes out, and the node leaves the path, so
     * the next cycle's DELETED is not searched again (a walk of the whole share under Wine).
     */
    @Test
    void aReplacedHeldDirectoryNotFoundIsSearchedOnce() throws Exception {
        Files.createDirectories(dir.resolve("out"));
        long out = node("out");
        List<Change> hub = Collections.synchronizedList(new ArrayList<>());
        for (int cycle = 0; cycle < 3; cycle++) {
            Files.delete(dir.resolve("out"));
            Files.createDirectories(dir.resolve("out"));
            share.onWatcherChange(Change.of(Kind.DELETED, p("out"), true), hub::add);
            share.onWatcherChange(Change.of(Kind.CREATED, p("out"), true), hub::add);
        }
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (hub.size() < 6 && System.nanoTime() < end) {
            Thread.sleep(5);
        }
        assertThat(hub).hasSize(6).filteredOn(c -> c.kind() == Kind.DELETED).hasSize(3);
        assertThat(fake.locates).hasValue(1);
        assertThat(share.nodes.pathOrNull(out)).isNull();
    }

    /** A search overtaken by a Lookup that found the directory leaves no record behind: a later real delete goes out. */
    @Test
    void aSearchOvertakenByALookupLeavesNoRecord() throws Exception {
        Files.createDirectories(dir.resolve("work"));
        long work = node("work");
        long workIno = ino("work");
        Files.move(dir.resolve("work"), dir.resolve("moved"));
        fake.locate = ino -> {
            try {
                node("moved"); // the Lookup, meanwhile: moves the node and publishes the move
            } catch (FsException e) {
                throw new AssertionError(e);
            }
            return locatesAt(ino, "moved", workIno);
        };
        List<Change> hub = Collections.synchronizedList(new ArrayList<>());
        share.onWatcherChange(Change.of(Kind.DELETED, p("work"), true), hub::add);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (published.isEmpty() && System.nanoTime() < end) {
            Thread.sleep(5);
        }
        assertThat(published).containsExactly(new Change(Kind.RENAMED, p("work"), p("moved"), true));
        assertThat(share.nodes.path(work)).isEqualTo(p("moved"));
        Files.createDirectories(dir.resolve("work"));
        Files.delete(dir.resolve("work"));
        // (its CREATED not reported: only the search's answer may spend the record)
        share.onWatcherChange(Change.of(Kind.DELETED, p("work"), true), hub::add); // waits behind the search
        while (hub.isEmpty() && System.nanoTime() < end) {
            Thread.sleep(5);
        }
        assertThat(hub).containsExactly(Change.of(Kind.DELETED, p("work"), true));
    }

    @Test
    void aWatchersDeleteOfAHeldDirectoryNotFoundIsADelete() throws Exception {
        Files.createDirectories(dir.resolve("work"));
        long work = node("work");
        Files.delete(dir.resolve("work"));
        List<Change> hub = Collections.synchronizedList(new ArrayList<>());

        share.onWatcherChange(Change.of(Kind.DELETED, p("work"), true), hub::add);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (hub.isEmpty() && System.nanoTime() < end) {
            Thread.sleep(5);
        }
        assertThat(hub).containsExactly(Change.of(Kind.DELETED, p("work"), true));
        assertThatThrownBy(() -> share.nodes.path(work)).isInstanceOf(FsException.class)
                .extracting(e -> ((FsException) e).errno()).isEqualTo(Errno.ENOENT);
        assertThat(fake.locates).hasValue(1);
    }

    @Test
    void aBackendThatCannotLocateIsAskedOnceAndTheDeleteStands() throws Exception {
        try (Share posix = new Share("p", PosixBackend.open(dir, false), false)) {
            Files.createDirectories(dir.resolve("work"));
            FileAttributes w = posix.backend.stat(p("work"));
            long work = posix.nodes.register(p("work"), w.ino(), true);
            Files.delete(dir.resolve("work"));
            assertThatThrownBy(() -> posix.statNodeOrSearch(work)).isInstanceOf(FsException.class)
                    .extracting(e -> ((FsException) e).errno()).isEqualTo(Errno.ENOENT);
            assertThat(posix.relocator.canLocate()).isFalse();
        }
    }
}
