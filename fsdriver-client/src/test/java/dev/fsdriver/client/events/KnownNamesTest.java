package dev.fsdriver.client.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The rule of {@link KnownNames} on recorded sequences: events numbered by the server, listings
 * carrying the sequence read before they were made, an OVERFLOW saying after which sequence
 * changes may be lost (issue 10, B6).
 */
class KnownNamesTest {
    private static final long DIR = 7;
    private final KnownNames names = new KnownNames();

    private void listing(long fh, long sequence, String... listed) {
        names.opened(DIR, fh);
        for (int i = 0; i < listed.length; i++) {
            names.listed(DIR, fh, listed[i], 100 + listed[i].hashCode() % 50, sequence);
        }
        names.closed(fh);
    }

    /**
     * The names of one listing page share their facts (issue 16: 24 bytes a name, not 48); an
     * event of one of them gives it facts of its own and leaves the others' as they were.
     */
    @Test
    void theNamesOfOneListingShareTheirFactsAndAnEventChangesOnlyItsName() {
        listing(1, 20, "a", "b", "c", "d");
        Known a = names.recorded(DIR, "a");
        Known c = names.recorded(DIR, "c");
        assertThat(c).isInstanceOf(Known.Shared.class);
        assertThat(((Known.Shared) c).facts()).isSameAs(((Known.Shared) names.recorded(DIR, "d")).facts());
        assertThat(a.seq()).isEqualTo(20);
        assertThat(a.listedAt()).isEqualTo(20);

        names.added(DIR, "c", c.ino(), 30); // an event of c after the listing
        Known told = names.recorded(DIR, "c");
        assertThat(told.told()).isTrue();
        assertThat(told.seq()).isEqualTo(30);
        assertThat(told.listedAt()).as("the same file: still the listing's").isEqualTo(20);
        for (String other : new String[] {"a", "b", "d"}) {
            Known k = names.recorded(DIR, other);
            assertThat(k.told()).as(other).isFalse();
            assertThat(k.seq()).as(other).isEqualTo(20);
        }
        listing(2, 40, "a", "b", "c", "d"); // listed again: the untold names share the new facts again
        assertThat(((Known.Shared) names.recorded(DIR, "b")).facts())
                .isSameAs(((Known.Shared) names.recorded(DIR, "d")).facts());
        assertThat(names.recorded(DIR, "b").listedAt()).isEqualTo(20);
        assertThat(names.recorded(DIR, "b").seq()).isEqualTo(40);
        assertThat(names.recorded(DIR, "c").told()).isTrue();
    }

    @Test
    void aNameFirstShownByALaterListingMadeBeforeTheLossIsKnown() {
        names.createdDir(DIR); // announced as a new directory: empty as far as the mount knows
        listing(1, 20, "a", "b"); // moved in with its files: seen only when listed
        // the storm began after 25: those names were there before it
        assertThat(names.trusted(DIR, 25)).containsOnlyKeys("a", "b");
        // a loss that began before the listing: the listing may show a lost create
        assertThat(names.trusted(DIR, 19)).isEmpty();
        assertThat(names.of(DIR)).containsOnlyKeys("a", "b");
    }

    /**
     * A baseline listed the name first; a program's listing keeps its own String of it (the one
     * the kernel view keeps: issue 16's bytes per node), with the baseline's facts.
     */
    @Test
    void aProgramsListingKeepsItsOwnStringOfANameABaselineListedFirst() {
        names.track(DIR);
        String baseline = new String("a");
        String program = new String("a");
        names.listed(DIR, baseline, 100, 10, false);
        names.opened(DIR, 1);
        names.listed(DIR, 1, program, 100, 20);
        names.closed(1);
        assertThat(names.of(DIR).keySet().iterator().next()).isSameAs(program);
        assertThat(names.trusted(DIR, 15)).as("still the baseline's listing at 10").containsOnlyKeys("a");
    }

    @Test
    void aNameListedBeforeTheLossStaysKnownWhenListedAgainDuringIt() {
        listing(1, 10, "a");
        listing(2, 30, "a", "lost");
        assertThat(names.trusted(DIR, 20)).containsOnlyKeys("a");
    }

    @Test
    void anotherFileUnderAKnownNameIsKnownOnlyFromTheListingThatShowedIt() {
        names.opened(DIR, 1);
        names.listed(DIR, 1, "a", 5, 10);
        names.closed(1);
        names.opened(DIR, 2);
        names.listed(DIR, 2, "a", 6, 30);
        names.closed(2);
        assertThat(names.trusted(DIR, 20)).isEmpty();
        assertThat(names.trusted(DIR, 30)).containsEntry("a", 6L);
    }

    @Test
    void anEventAtOrBelowAListingsSequenceIsAlreadyInIt() {
        listing(1, 50, "a", "b");
        names.removed(DIR, "a", 40); // a DELETED the listing reflects: "a" was made again after it
        names.removed(DIR, "b", 50);
        assertThat(names.of(DIR)).containsOnlyKeys("a", "b");
        names.removed(DIR, "a", 51); // later than the listing: gone
        assertThat(names.of(DIR)).containsOnlyKeys("b");
    }

    @Test
    void aListingOlderThanAnAppliedEventDoesNotUndoIt() {
        listing(1, 10, "a");
        names.added(DIR, "a", 999, 60); // CREATED at 60 of another file, told
        names.opened(DIR, 2);
        names.listed(DIR, 2, "a", 100 + "a".hashCode() % 50, 55); // a listing made before it, arriving late
        names.closed(2);
        assertThat(names.trusted(DIR, 0)).containsEntry("a", 999L);
    }

    @Test
    void whatWatchersWereToldIsKnownWhateverWasLost() {
        listing(1, 10);
        names.added(DIR, "n", 3, 40);
        names.added(DIR, "own", 4, 0); // made through the mount
        assertThat(names.trusted(DIR, 0)).containsOnlyKeys("n", "own");
    }

    @Test
    void aResyncsListingReflectsTheEventsUpToItsSequence() {
        listing(1, 10, "a");
        names.replace(DIR, Map.of("a", 1L, "r", 2L), 80);
        names.removed(DIR, "r", 75); // its DELETED, applied after the resync: made again since
        assertThat(names.trusted(DIR, 0)).containsOnlyKeys("a", "r");
        names.removed(DIR, "r", 81);
        assertThat(names.trusted(DIR, 0)).containsOnlyKeys("a");
    }

    @Test
    void withoutSequencesOnlyADirectorysFirstListingIsTaken() {
        listing(1, 0, "a");
        listing(2, 0, "a", "b");
        assertThat(names.trusted(DIR, 0)).containsOnlyKeys("a");
    }

    @Test
    void aWatcherThatListedANewDirectoryBeforeItWasRecordedAsCreatedKeepsWhatItListed() {
        listing(1, 20, "m1");
        names.createdDir(DIR);
        assertThat(names.trusted(DIR, 25)).containsOnlyKeys("m1");
    }

    private static long ino(String name) {
        return 100 + name.hashCode() % 50;
    }

    @Test
    void aListingAheadOfTheServersWatcherDoesNotVouchForTheNamesWhoseCreatesWereStillToCome() {
        // the server's watcher lags behind its disk: a listing made after event 20 shows a, b and c,
        // whose creates it has not reported yet (ChangeEventsEndToEnd's storm of 10,000 creates)
        listing(1, 20, "a", "b", "c");
        names.added(DIR, "a", ino("a"), 21, true); // a's CREATED comes after the listing: it ran ahead
        // a storm suppresses everything after 21: the creates of b and c are lost, never told
        assertThat(names.trusted(DIR, 21)).containsOnlyKeys("a");
    }

    @Test
    void aListingFoundAheadByAnEventAppliedBeforeItWasRecordedVouchesForNothingNewEither() {
        names.createdDir(DIR);
        names.added(DIR, "a", ino("a"), 21, true);
        listing(1, 20, "a", "b"); // made before event 21 was published, recorded after it was applied
        assertThat(names.trusted(DIR, 21)).containsOnlyKeys("a");
    }

    @Test
    void namesAnEarlierListingShowedAndAListingMadeAfterTheWatcherCaughtUpStillVouchFor() {
        listing(1, 10, "old");
        listing(2, 20, "old", "a", "b", "c");
        names.added(DIR, "a", ino("a"), 21, true); // the listing at 20 ran ahead: b and c are not vouched for by it
        listing(3, 30, "old", "a", "b", "c"); // made after the watcher reported them (or lost them)
        assertThat(names.trusted(DIR, 25)).containsOnlyKeys("old", "a");
        names.added(DIR, "d", ino("d"), 31, true); // proves nothing of the listing at 30: it did not show d
        assertThat(names.trusted(DIR, 31)).containsOnlyKeys("old", "a", "b", "c", "d");
    }

    @Test
    void aResyncsAnnouncementProvesNoListingAhead() {
        listing(1, 20, "a", "b");
        names.added(DIR, "a", ino("a"), 25, false); // announced by the resync of an OVERFLOW at 25, not reported by an event
        assertThat(names.trusted(DIR, 25)).containsOnlyKeys("a", "b");
    }

    /** Past the bound of names, a directory is forgotten (its names cost ~90 bytes each) until the kernel lets it go. */
    @Test
    void aDirectoryPastTheBoundIsForgottenAndNeedsNoBaseline() {
        names.maxNames(3);
        listing(1, 10, "a", "b", "c");
        assertThat(names.tooBig(DIR)).isFalse();
        listing(2, 11, "a", "b", "c", "d");
        assertThat(names.tooBig(DIR)).isTrue();
        assertThat(names.of(DIR)).isNull();
        assertThat(names.knows(DIR)).isTrue();
        assertThat(names.wantsBaseline(DIR)).isFalse();
        assertThat(names.track(DIR)).as("no baseline of it is kept").isFalse();
        names.added(DIR, "e", 5, 12);
        assertThat(names.of(DIR)).as("nor names told").isNull();

        names.drop(DIR);
        assertThat(names.tooBig(DIR)).isFalse();
        assertThat(names.wantsBaseline(DIR)).isTrue();
    }
}
