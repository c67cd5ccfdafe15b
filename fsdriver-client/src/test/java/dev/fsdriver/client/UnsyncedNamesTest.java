package dev.fsdriver.client;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Which directories' fsync must reach the server: those with name changes that came back before no completed sync. */
class UnsyncedNamesTest {
    private final UnsyncedNames names = new UnsyncedNames();

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
        long mark = names.mark(); // the sync is sent
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
        long sentBefore = names.mark();
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
}
