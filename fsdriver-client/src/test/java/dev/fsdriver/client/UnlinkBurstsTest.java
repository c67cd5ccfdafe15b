package dev.fsdriver.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Which unlinks {@link HeldUnlinks} may hold: the patterns of rm -rf, rm, and sqlite's journal. */
class UnlinkBurstsTest {
    private long now = 1_000_000_000L;
    private final UnlinkBursts bursts = new UnlinkBursts(() -> now);

    private void after(long ms) {
        now += TimeUnit.MILLISECONDS.toNanos(ms);
    }

    @Test
    void rmRfHoldsFromItsSecondUnlinkOnAlsoInTheNextDirectoryDown() {
        assertThat(bursts.unlinking(10)).as("the first unlink of all").isFalse();
        after(1);
        assertThat(bursts.unlinking(10)).isTrue();
        after(1);
        assertThat(bursts.unlinking(11)).as("rm -rf gone down into the next directory").isTrue();
        after(1);
        bursts.removed(10); // its rmdir
        after(1);
        assertThat(bursts.unlinking(10)).isTrue();
    }

    @Test
    void aLoneUnlinkAndOneAfterAPauseGoAtOnce() {
        assertThat(bursts.unlinking(10)).isFalse();
        after(200);
        assertThat(bursts.unlinking(10)).isFalse();
        after(10);
        assertThat(bursts.unlinking(10)).isTrue();
    }

    /** sqlite's rollback journal: made, written, synced, unlinked at each commit, a few ms apart. */
    @Test
    void aJournalMadeAndUnlinkedAtEachCommitIsNeverHeld() {
        for (int commit = 0; commit < 5; commit++) {
            bursts.made(10);
            after(2);
            assertThat(bursts.unlinking(10)).as("commit " + commit).isFalse();
            after(2);
        }
        after(1);
        assertThat(bursts.unlinking(10)).as("an unlink after the journal's, with nothing made between").isTrue();
    }

    @Test
    void aDirectoryWithANameMadeLongAgoIsNoExceptionAndARefusalEndsTheBurstThereOnce() {
        bursts.made(10);
        after(2000);
        assertThat(bursts.unlinking(11)).isFalse();
        after(1);
        assertThat(bursts.unlinking(10)).as("made 2 s ago").isTrue();
        after(1);
        bursts.made(10); // an unlink sent at once there failed
        assertThat(bursts.unlinking(10)).isFalse();
        after(1);
        assertThat(bursts.unlinking(10)).isTrue();
    }
}
