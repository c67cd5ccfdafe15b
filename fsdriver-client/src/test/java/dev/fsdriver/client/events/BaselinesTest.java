package dev.fsdriver.client.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.common.FileMode;
import dev.fsdriver.fuse.BlockingFileSystem;
import dev.fsdriver.fuse.DirFiller;
import dev.fsdriver.fuse.FuseFileSystem;
import dev.fsdriver.fuse.FuseOpen;
import dev.fsdriver.fuse.FuseRequest;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * {@link Baselines}: which directories the kernel holds are listed as the baseline of overflow
 * resyncs, at what cost, and what {@link KnownNames} then trusts (issue 10). The server side is a
 * fake that lists {@code size} names after event {@link #SEQ}; {@link #take} is called directly
 * (the worker thread only waits for the delay).
 */
class BaselinesTest {
    private static final long DIR = 10;
    private static final long SEQ = 40;
    private static final int DIR_MODE = FileMode.S_IFDIR | 0755;

    private final KnownNames names = new KnownNames();
    private final KernelView view = new KernelView();
    private final AtomicInteger listings = new AtomicInteger();
    private final AtomicInteger namesRead = new AtomicInteger();
    private final AtomicBoolean live = new AtomicBoolean(true);
    private final AtomicLong clock = new AtomicLong();
    private int size = 3;

    /** Names n0..n(size-1), inode 100 + i, one name per readdir call (the kernel's offsets: i + 3 after name i). */
    private final FuseFileSystem server = new BlockingFileSystem() {
        @Override
        public FuseOpen opendir(FuseRequest req, long nodeId, int flags) {
            listings.incrementAndGet();
            return FuseOpen.of(77);
        }

        @Override
        public void readdir(FuseRequest req, long nodeId, long fh, long offset, DirFiller filler) {
            int i = (int) Math.max(0, offset - 2);
            if (i < size) {
                namesRead.incrementAndGet();
                filler.add("n" + i, 100 + i, FileMode.S_IFREG, i + 3);
            }
        }
    };

    private final Baselines baselines =
            new Baselines(names, view, new ServerReads(OwnReadsOver.of(server, fh -> SEQ)), live::get, System::nanoTime);

    @Test
    void aDirectoryHeldButNeverListedGetsItsNamesAsTheyWereBeforeALoss() {
        view.entered(1, "d", DIR, DIR_MODE);
        baselines.take(DIR);
        assertThat(listings).hasValue(1);
        assertThat(baselines.taken()).isEqualTo(1);
        assertThat(names.trusted(DIR, SEQ)).containsOnly(Map.entry("n0", 100L), Map.entry("n1", 101L), Map.entry("n2", 102L));
        assertThat(names.trusted(DIR, SEQ - 1)).as("a loss that began before the listing: not proof").isEmpty();
    }

    /**
     * A walk reaches a directory seconds after its parent's READDIRPLUS made the kernel hold it:
     * while programs keep listing, its baseline waits (the walk's own listing will be it), and is
     * taken once they stop.
     */
    @Test
    void aDirectoryWaitsWhileProgramsKeepListingAndIsListedOnceTheyStop() {
        Baselines b = heldOnTheTestClock();
        programLists(DIR + 1);
        clock.addAndGet(Baselines.DELAY_NANOS);
        assertThat(b.stepIfDue()).isTrue();
        assertThat(listings).as("a program listed meanwhile: it waits").hasValue(0);
        assertThat(b.waiting()).isEqualTo(1);
        clock.addAndGet(Baselines.DELAY_NANOS);
        assertThat(b.stepIfDue()).isTrue();
        assertThat(listings).as("nothing listed for a delay: taken").hasValue(1);
        assertThat(b.waiting()).isZero();
    }

    @Test
    void aDirectoryTheWalkReachesWhileItWaitsIsNotListed() {
        Baselines b = heldOnTheTestClock();
        programLists(DIR + 1);
        clock.addAndGet(Baselines.DELAY_NANOS);
        b.stepIfDue();
        programLists(DIR);
        clock.addAndGet(Baselines.DELAY_NANOS);
        assertThat(b.stepIfDue()).isTrue();
        assertThat(listings).hasValue(0);
        assertThat(b.waiting()).isZero();
    }

    @Test
    void aDirectoryWaitsAtMostMaxDeferWhileProgramsKeepListing() {
        Baselines b = heldOnTheTestClock();
        int steps = 0;
        while (listings.get() == 0 && steps++ < 100) {
            programLists(DIR + 1 + steps);
            clock.addAndGet(Baselines.DELAY_NANOS);
            assertThat(b.stepIfDue()).isTrue();
        }
        assertThat(listings).hasValue(1);
        assertThat((long) steps * Baselines.DELAY_NANOS).isEqualTo(Baselines.MAX_DEFER_NANOS);
    }

    /** Baselines on the test's clock, the kernel holding DIR from now. */
    private Baselines heldOnTheTestClock() {
        Baselines b = new Baselines(names, view, new ServerReads(OwnReadsOver.of(server, fh -> SEQ)), live::get, clock::get);
        view.entered(1, "d", DIR, DIR_MODE);
        b.held(DIR);
        return b;
    }

    private void programLists(long dir) {
        names.opened(dir, 900 + dir);
        names.closed(900 + dir);
    }

    @Test
    void aDirectoryAProgramListedMeanwhileIsNotListedAgain() {
        view.entered(1, "d", DIR, DIR_MODE);
        names.opened(DIR, 5);
        names.closed(5);
        baselines.take(DIR);
        assertThat(listings).hasValue(0);
    }

    @Test
    void aDirectoryMadeThroughTheMountIsNotListedButOneAnEventMadeIs() {
        view.entered(1, "mine", DIR, DIR_MODE);
        names.createdDir(DIR); // made through the mount: new and empty
        baselines.take(DIR);
        assertThat(listings).hasValue(0);
        view.entered(1, "moved", DIR + 1, DIR_MODE);
        names.createdByEvent(DIR + 1); // a Windows server's one create for a directory moved in with files
        assertThat(names.trusted(DIR + 1, SEQ)).isEmpty();
        baselines.take(DIR + 1);
        assertThat(listings).hasValue(1);
        assertThat(names.trusted(DIR + 1, SEQ)).containsOnlyKeys("n0", "n1", "n2");
        baselines.take(DIR + 1);
        assertThat(listings).as("once").hasValue(1);
    }

    @Test
    void aDirectoryTheKernelLetGoOfIsNotListed() {
        view.entered(1, "d", DIR, DIR_MODE);
        view.forgotten(DIR, 1);
        baselines.take(DIR);
        assertThat(listings).hasValue(0);
        assertThat(names.knows(DIR)).isFalse();
    }

    @Test
    void aHugeDirectoryIsReadOnlyUpToTheBound() {
        size = Baselines.MAX_NAMES * 3;
        view.entered(1, "d", DIR, DIR_MODE);
        baselines.take(DIR);
        assertThat(namesRead.get()).isEqualTo(Baselines.MAX_NAMES);
        assertThat(names.of(DIR)).hasSize(Baselines.MAX_NAMES);
    }

    @Test
    void whileEventsDoNotFlowNothingIsListed() {
        live.set(false);
        view.entered(1, "d", DIR, DIR_MODE);
        baselines.take(DIR);
        assertThat(listings).hasValue(0);
        assertThat(names.knows(DIR)).isFalse();
    }

    @Test
    void theRootIsListedBeforeTheStreamStarts() {
        live.set(false); // not subscribed yet
        baselines.takeRootNow();
        assertThat(listings).hasValue(1);
        assertThat(names.trusted(FuseFileSystem.ROOT_ID, SEQ)).containsOnlyKeys("n0", "n1", "n2");
    }

    @Test
    void aListingWithoutASequenceIsNoBaseline() {
        view.entered(1, "d", DIR, DIR_MODE);
        new Baselines(names, view, new ServerReads(OwnReadsOver.of(server, fh -> 0)), live::get, System::nanoTime).take(DIR);
        assertThat(names.knows(DIR)).as("an older server: the earlier rule (every name announced)").isFalse();
    }

    @Test
    void anEventAppliedDuringTheListingIsKept() {
        view.entered(1, "d", DIR, DIR_MODE);
        FuseFileSystem racing = new BlockingFileSystem() {
            @Override
            public FuseOpen opendir(FuseRequest req, long nodeId, int flags) {
                names.added(DIR, "told", 9, SEQ + 5); // a CREATED applied while the baseline is made
                return FuseOpen.of(77);
            }

            @Override
            public void readdir(FuseRequest req, long nodeId, long fh, long offset, DirFiller filler) {
                if (offset < 3) {
                    filler.add("old", 8, FileMode.S_IFREG, 3);
                }
            }
        };
        new Baselines(names, view, new ServerReads(OwnReadsOver.of(racing, fh -> SEQ)), live::get, System::nanoTime).take(DIR);
        assertThat(names.trusted(DIR, SEQ)).containsOnlyKeys("old", "told");
    }

    @Test
    void aListingMadeForLookupsCountsWhileTheKernelHoldsTheDirectory() {
        baselines.listedWhole(DIR, Map.of("a", 1L), SEQ);
        assertThat(names.knows(DIR)).as("not held: it would go stale").isFalse();
        view.entered(1, "d", DIR, DIR_MODE);
        baselines.listedWhole(DIR, Map.of("a", 1L), 0);
        assertThat(names.knows(DIR)).as("without a sequence it cannot be ordered with events").isFalse();
        baselines.listedWhole(DIR, Map.of("a", 1L), SEQ);
        assertThat(names.trusted(DIR, SEQ)).containsOnlyKeys("a");
        baselines.take(DIR);
        assertThat(listings).as("known already").hasValue(0);
    }
}
