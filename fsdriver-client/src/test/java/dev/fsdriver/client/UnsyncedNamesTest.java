package dev.fsdriver.client;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Which directories' fsync must reach the server: those with name changes that came back before no completed sync. */
class UnsyncedNamesTest {
    private static final long DEADLINE = 15_000_000_000L;
    /** The test's clock (nanoseconds), moved by hand. */
    private long now = 123;
    private final UnsyncedNames names = new UnsyncedNames(DEADLINE, () -> now);

    @Test
    void aDirectoryIsUnsyncedFromItsChangeToItsSync() {
        assertThat(names.unsynced(7)).isFalse();
        names.changed(7);
        assertThat(names.unsynced(7)).isTrue();
        assertThat(names.unsynced(8)).isFalse();
        names.synced(7, names.mark());
        assertThat(names.unsynced(7)).isFalse();
    }

    @Test
    void aChangeThatCameBackAfterTheSyncWasSentStaysUnsynced() {
        names.changed(7);
        UnsyncedNames.Mark mark = names.mark(); // the sync is sent
        names.changed(7); // a rename in flight meanwhile comes back
        names.synced(7, mark);
        assertThat(names.unsynced(7)).isTrue();
        names.synced(7, names.mark());
        assertThat(names.unsynced(7)).isFalse();
    }

    @Test
    void aSyncOfOneDirectoryLeavesTheOthers() {
        names.changed(7);
        names.changed(8);
        names.synced(7, names.mark());
        assertThat(names.unsynced(8)).isTrue();
    }

    @Test
    void onceFullEveryDirectoryIsUnsyncedUntilASyncSentAfter() {
        UnsyncedNames.Mark sentBefore = names.mark();
        for (long d = 1; d <= UnsyncedNames.MAX_DIRS + 1; d++) {
            names.changed(d);
        }
        long never = UnsyncedNames.MAX_DIRS + 100;
        assertThat(names.unsynced(never)).isTrue();
        names.synced(1, sentBefore); // a sync sent before it was emptied
        assertThat(names.unsynced(1)).isTrue();
        names.synced(1, names.mark());
        assertThat(names.unsynced(1)).isFalse();
        assertThat(names.unsynced(never)).isTrue();
        names.changed(1);
        assertThat(names.unsynced(1)).isTrue();
    }

    @Test
    void aFailedCallsDirectoryStaysUnsyncedUntilASyncSentADeadlineAfterTheFailure() {
        names.changedInDoubt(7); // a rename timed out: the server may still do it
        now += DEADLINE - 1;
        names.synced(7, names.mark());
        assertThat(names.unsynced(7)).as("a sync sent within the deadline clears nothing").isTrue();
        names.changed(7); // a later change does not end the doubt
        now += 1;
        UnsyncedNames.Mark after = names.mark();
        names.synced(7, after);
        assertThat(names.unsynced(7)).isFalse();
    }

    @Test
    void aDoubtOutlivesTheMapEmptiedForBeingFull() {
        names.changedInDoubt(7);
        for (long d = 100; d <= 100 + UnsyncedNames.MAX_DIRS; d++) {
            names.changed(d);
        }
        names.synced(7, names.mark());
        assertThat(names.unsynced(7)).isTrue();
        now += DEADLINE;
        names.synced(7, names.mark());
        assertThat(names.unsynced(7)).isFalse();
    }

    @Test
    void onceFullSyncsOfManyDirectoriesStayBounded() {
        for (long d = 1; d <= UnsyncedNames.MAX_DIRS + 1; d++) {
            names.changed(d);
        }
        for (long d = 1; d <= 3L * UnsyncedNames.MAX_DIRS; d++) {
            names.synced(d, names.mark());
            assertThat(names.size()).isLessThanOrEqualTo(UnsyncedNames.MAX_DIRS);
        }
        names.changed(5);
        assertThat(names.unsynced(5)).isTrue();
    }
}
