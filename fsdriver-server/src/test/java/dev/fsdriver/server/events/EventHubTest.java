package dev.fsdriver.server.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.backend.Change;
import dev.fsdriver.backend.Change.Kind;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.server.events.EventHub.Event;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Hub logic on a fake clock, ticked by hand. */
class EventHubTest {
    private static final long FIRST = 1000;

    /** The fake wall clock: this many nanoseconds since the epoch at nowNanos 0. */
    private static final long WALL = 1_800_000_000_000_000_000L;

    private long nowNanos;
    /** What the hub published, without the times (compared with events made here). */
    private final List<Event> out = new ArrayList<>();
    private final List<Event> timed = new ArrayList<>();

    private EventHub hub(EventHub.Config config) {
        EventHub h = new EventHub("s", config, () -> nowNanos, () -> WALL + nowNanos, FIRST, null);
        h.subscribe(events -> {
            timed.addAll(events);
            events.forEach(e -> out.add(e.withoutTime()));
        }, 0);
        return h;
    }

    private EventHub hub() {
        return hub(EventHub.Config.DEFAULTS);
    }

    private void advanceMs(long ms) {
        nowNanos += TimeUnit.MILLISECONDS.toNanos(ms);
    }

    @Test
    void firstModifyIsPublishedAtOnceAndRepeatsAreCoalescedIntoOneTrailingEvent() {
        EventHub h = hub();
        for (int i = 0; i < 5; i++) {
            h.onChange(change(Kind.MODIFIED, "f"));
            advanceMs(5);
            h.tick();
        }
        // Leading edge: published at once; the 4 repeats wait for 20 ms of quiet.
        assertThat(out).containsExactly(new Event(FIRST, Kind.MODIFIED, rel("f"), null, false));
        advanceMs(20);
        h.tick();
        assertThat(out).containsExactly(new Event(FIRST, Kind.MODIFIED, rel("f"), null, false),
                new Event(FIRST + 1, Kind.MODIFIED, rel("f"), null, false));
        assertThat(h.stats().coalesced()).isEqualTo(4);

        // Quiet since: the next change is again published without delay.
        advanceMs(100);
        h.tick();
        h.onChange(change(Kind.MODIFIED, "f"));
        assertThat(out).hasSize(3);
    }

    @Test
    void eachEventCarriesWhenItsChangeWasSeenAndACoalescedOneWhenItsLastRepeatWas() {
        EventHub h = hub();
        advanceMs(3);
        h.onChange(change(Kind.MODIFIED, "f")); // published at once
        advanceMs(5);
        h.onChange(change(Kind.MODIFIED, "f")); // coalesced
        advanceMs(5);
        h.onChange(change(Kind.MODIFIED, "f")); // coalesced: the trailing event's time
        advanceMs(30);
        h.tick();
        assertThat(timed).extracting(Event::seenUnixNanos).containsExactly(
                WALL + TimeUnit.MILLISECONDS.toNanos(3), WALL + TimeUnit.MILLISECONDS.toNanos(13));
        h.onChange(change(Kind.CREATED, "g"));
        assertThat(timed.getLast().seenUnixNanos()).isEqualTo(WALL + TimeUnit.MILLISECONDS.toNanos(43));
        assertThat(EventsService.toProto(timed.getLast()).getSeenUnixNanos()).isEqualTo(timed.getLast().seenUnixNanos());
    }

    @Test
    void continuousModifiesArePublishedWithinTheMaximumDelay() {
        EventHub h = hub();
        for (int ms = 0; ms <= 250; ms += 10) {
            h.onChange(change(Kind.MODIFIED, "busy"));
            h.onChange(change(Kind.ATTRIB, "busy"));
            h.tick();
            advanceMs(10);
        }
        // 250 ms of changes every 10 ms: at once, then at the 100 ms bound, and again.
        assertThat(out.stream().filter(e -> e.kind() == Kind.MODIFIED)).hasSizeBetween(3, 4);
        assertThat(out.stream().filter(e -> e.kind() == Kind.ATTRIB)).hasSizeBetween(3, 4);
        assertThat(out).allMatch(e -> e.path().equals(rel("busy")));
    }

    @Test
    void structuralEventsNeverOvertakeAPathsPendingEvents() {
        EventHub h = hub();
        h.onChange(change(Kind.CREATED, "f"));
        h.onChange(change(Kind.MODIFIED, "f"));
        h.onChange(change(Kind.ATTRIB, "f"));
        h.onChange(new Change(Kind.RENAMED, rel("f"), rel("g"), false));
        h.onChange(change(Kind.MODIFIED, "g"));
        h.onChange(change(Kind.DELETED, "g"));
        assertThat(out).extracting(Event::kind).containsExactly(
                Kind.CREATED, Kind.MODIFIED, Kind.ATTRIB, Kind.RENAMED, Kind.MODIFIED, Kind.DELETED);
        assertThat(out).extracting(Event::sequence).containsExactly(FIRST, FIRST + 1, FIRST + 2, FIRST + 3,
                FIRST + 4, FIRST + 5);
    }

    @Test
    void directoryRenameFlushesPendingEventsBelowIt() {
        EventHub h = hub();
        h.onChange(change(Kind.MODIFIED, "d/sub/x"));
        h.onChange(change(Kind.MODIFIED, "other"));
        h.onChange(change(Kind.MODIFIED, "d/sub/x")); // coalesced, pending
        h.onChange(change(Kind.MODIFIED, "other"));   // coalesced, pending
        h.onChange(new Change(Kind.RENAMED, rel("d"), rel("e"), true));
        assertThat(out).extracting(e -> e.kind() + " " + e.path())
                .containsExactly("MODIFIED d/sub/x", "MODIFIED other", "MODIFIED d/sub/x", "RENAMED d");
        advanceMs(50);
        h.tick();
        assertThat(out).extracting(e -> e.path().toString())
                .containsExactly("d/sub/x", "other", "d/sub/x", "d", "other");
        // The rename closed d/sub/x's window: a change under the new name goes out at once.
        h.onChange(change(Kind.MODIFIED, "e/sub/x"));
        assertThat(out.getLast().path()).isEqualTo(rel("e/sub/x"));
    }

    @Test
    void stormUnderOneDirectoryBecomesOneOverflowPlusOneAtItsEnd() {
        EventHub h = hub(new EventHub.Config(Duration.ofMillis(20), Duration.ofMillis(100), 100,
                Duration.ofSeconds(1), 65_536));
        h.onChange(change(Kind.CREATED, "a/b"));
        for (int i = 0; i < 500; i++) {
            h.onChange(change(Kind.CREATED, "a/b/f" + i));
            if (i % 10 == 0) { // a quieter neighbour: 50 events, under the threshold
                h.onChange(change(Kind.CREATED, "elsewhere" + (i % 20 == 0 ? "/x" + i : "")));
            }
            if (i % 10 == 0) {
                advanceMs(1);
            }
        }
        List<Event> overflows = out.stream().filter(e -> e.kind() == Kind.OVERFLOW).toList();
        assertThat(overflows).extracting(e -> e.path().toString()).contains("a/b");
        assertThat(out.stream().filter(e -> e.path().startsWith(rel("a/b")) && e.kind() == Kind.CREATED))
                .hasSizeLessThanOrEqualTo(101);
        Event first = overflows.stream().filter(e -> e.path().equals(rel("a/b"))).findFirst().get();
        // lost: the trigger, numbered no more, and what follows it
        assertThat(first.lostAfter()).isEqualTo(first.sequence() - 1);
        assertThat(first.storm()).isEqualTo(EventHub.Storm.BEGINS);
        int overflowIndex = out.indexOf(first);
        assertThat(out.subList(overflowIndex + 1, out.size())).noneMatch(e -> e.path().startsWith(rel("a/b")));
        assertThat(h.stats().suppressed()).isGreaterThan(300);
        assertThat(out).filteredOn(e -> e.path().toString().startsWith("elsewhere")).hasSize(50);

        // At the storm's end, one more overflow covers what was suppressed after the first.
        int before = out.size();
        advanceMs(1_000);
        h.tick();
        assertThat(out.subList(before, out.size()))
                .containsExactly(new Event(out.getLast().sequence(), Kind.OVERFLOW, rel("a/b"), null, true, 0,
                        first.lostAfter(), EventHub.Storm.ENDS)); // covers the storm since it began
        // After the storm, events flow again.
        h.onChange(change(Kind.DELETED, "a/b/f1"));
        assertThat(out.getLast().kind()).isEqualTo(Kind.DELETED);
    }

    /**
     * Issue 10: a directory renamed into (or out of) a directory under a storm is published as
     * the rename it is; before, the hub published a DELETED of its old name (a CREATED of its
     * new one), and a process working in it on a client lost its working directory. A file
     * still gets its side outside the storm alone: the storm's end resyncs the other side.
     */
    @Test
    void aDirectoryRenamedAcrossAStormsEdgeStaysARename() {
        EventHub h = hub(new EventHub.Config(Duration.ofMillis(20), Duration.ofMillis(100), 100,
                Duration.ofSeconds(1), 65_536));
        for (int i = 0; i <= 100; i++) {
            h.onChange(change(Kind.CREATED, "s/f" + i));
        }
        assertThat(out.getLast().storm()).isEqualTo(EventHub.Storm.BEGINS);
        int before = out.size();
        h.onChange(new Change(Kind.RENAMED, rel("work"), rel("s/work"), true));
        h.onChange(new Change(Kind.RENAMED, rel("s/d"), rel("out"), true));
        h.onChange(new Change(Kind.RENAMED, rel("file"), rel("s/file"), false));
        h.onChange(new Change(Kind.RENAMED, rel("s/g"), rel("g"), false));
        assertThat(out.subList(before, out.size())).extracting(e -> e.kind() + " " + e.path() + " " + e.newPath())
                .containsExactly("RENAMED work s/work", "RENAMED s/d out", "OVERFLOW out null", "DELETED file null",
                        "CREATED g null");
        // moved out of the storm, what changed in it meanwhile is lost as the storm's own changes are
        assertThat(out.get(before + 2).lostAfter()).isEqualTo(out.get(before - 1).lostAfter());
        // the storm goes on as before: what happens under s stays suppressed until it ends
        h.onChange(change(Kind.CREATED, "s/work/x"));
        assertThat(out).hasSize(before + 5);
        advanceMs(1_000);
        h.tick();
        assertThat(out.getLast()).satisfies(e -> assertThat(e.storm()).isEqualTo(EventHub.Storm.ENDS))
                .satisfies(e -> assertThat(e.path()).isEqualTo(rel("s")));
    }

    @Test
    void aStormWithNothingSuppressedAfterItsStartStillEnds() {
        EventHub h = hub(new EventHub.Config(Duration.ofMillis(20), Duration.ofMillis(100), 100,
                Duration.ofSeconds(1), 65_536));
        for (int i = 0; i <= 100; i++) {
            h.onChange(change(Kind.CREATED, "s/f" + i));
        }
        assertThat(out.getLast().storm()).isEqualTo(EventHub.Storm.BEGINS);
        int before = out.size();
        advanceMs(1_000);
        h.tick();
        // clients stop caching under s at the beginning: they must hear of the end too
        assertThat(out.subList(before, out.size())).singleElement()
                .satisfies(e -> assertThat(e.kind()).isEqualTo(Kind.OVERFLOW))
                .satisfies(e -> assertThat(e.storm()).isEqualTo(EventHub.Storm.ENDS))
                .satisfies(e -> assertThat(e.path()).isEqualTo(rel("s")));
    }

    @Test
    void aClientSessionsOwnBurstIsNoStorm() {
        EventHub h = hub(new EventHub.Config(Duration.ofMillis(20), Duration.ofMillis(100), 100,
                Duration.ofSeconds(1), 65_536));
        h.countStormsExcept(p -> p.startsWith(rel("mine")));
        for (int i = 0; i < 500; i++) {
            h.onChange(change(Kind.CREATED, "mine/f" + i));
        }
        assertThat(out).noneMatch(e -> e.kind() == Kind.OVERFLOW);
        assertThat(out).hasSize(500);
        for (int i = 0; i < 500; i++) {
            h.onChange(change(Kind.CREATED, "theirs/f" + i));
        }
        assertThat(out).anyMatch(e -> e.kind() == Kind.OVERFLOW && e.path().equals(rel("theirs")));
    }

    @Test
    void historyReplaysAfterACursorAndOverflowsWhenTooOld() {
        EventHub h = hub(new EventHub.Config(Duration.ofMillis(20), Duration.ofMillis(100), 1000,
                Duration.ofSeconds(1), 4));
        for (int i = 0; i < 6; i++) {
            h.onChange(change(Kind.CREATED, "f" + i));
        }
        assertThat(h.lastSequence()).isEqualTo(FIRST + 5);

        List<Event> replay = new ArrayList<>();
        assertThat(h.subscribe(replay::addAll, FIRST + 2)).isEqualTo(FIRST + 5);
        assertThat(replay).extracting(e -> e.path().toString()).containsExactly("f3", "f4", "f5");
        h.onChange(change(Kind.CREATED, "live"));
        assertThat(replay.getLast().path()).isEqualTo(rel("live"));

        List<Event> oldest = new ArrayList<>();
        h.subscribe(oldest::addAll, FIRST + 2); // history holds FIRST+3..FIRST+6: still reaches back
        assertThat(oldest).extracting(Event::sequence).containsExactly(FIRST + 3, FIRST + 4, FIRST + 5, FIRST + 6);

        List<Event> tooOld = new ArrayList<>();
        h.subscribe(tooOld::addAll, FIRST);
        assertThat(tooOld).containsExactly(new Event(FIRST + 6, Kind.OVERFLOW, RelPath.ROOT, null, true, 0, FIRST));

        List<Event> future = new ArrayList<>();
        h.subscribe(future::addAll, FIRST + 100);
        assertThat(future).extracting(Event::kind).containsExactly(Kind.OVERFLOW);
        assertThat(future.getFirst().lostAfter()).as("a cursor from the future: not known what was lost").isZero();

        List<Event> upToDate = new ArrayList<>();
        h.subscribe(upToDate::addAll, FIRST + 6);
        assertThat(upToDate).isEmpty();
    }

    @Test
    void watcherOverflowDropsPendingEventsItCovers() {
        EventHub h = hub();
        h.onChange(change(Kind.MODIFIED, "d/x"));
        h.onChange(change(Kind.MODIFIED, "d/x"));
        h.onChange(Change.of(Kind.OVERFLOW, rel("d"), true));
        advanceMs(200);
        h.tick();
        assertThat(out).containsExactly(new Event(FIRST, Kind.MODIFIED, rel("d/x"), null, false),
                new Event(FIRST + 1, Kind.OVERFLOW, rel("d"), null, true, 0, FIRST));
    }

    @Test
    void aWiderStormsOverflowCoversTheNarrowerStormsItReplacesSinceTheyBegan() {
        EventHub h = hub(new EventHub.Config(Duration.ofMillis(20), Duration.ofMillis(100), 10,
                Duration.ofSeconds(1), 65_536));
        for (int i = 0; i < 11; i++) {
            h.onChange(change(Kind.CREATED, "a/b/f" + i));
        }
        Event narrow = out.getLast();
        assertThat(narrow.kind()).isEqualTo(Kind.OVERFLOW);
        assertThat(narrow.path()).isEqualTo(rel("a/b"));
        for (int i = 0; i < 11; i++) {
            h.onChange(change(Kind.CREATED, "a/c" + i));
        }
        Event wide = out.getLast();
        assertThat(wide.kind()).isEqualTo(Kind.OVERFLOW);
        assertThat(wide.path()).isEqualTo(rel("a"));
        assertThat(wide.lostAfter()).isEqualTo(narrow.lostAfter());
    }

    @Test
    void timerThreadPublishesDebouncedEvents() throws Exception {
        try (EventHub h = EventHub.create("real")) {
            List<Event> got = new CopyOnWriteArrayList<>();
            h.subscribe(got::addAll, 0);
            h.onChange(change(Kind.MODIFIED, "f"));
            h.onChange(change(Kind.MODIFIED, "f")); // the trailing one is the timer's job
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (got.size() < 2 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(got).extracting(Event::kind).containsExactly(Kind.MODIFIED, Kind.MODIFIED);
            assertThat(got.getFirst().sequence()).isGreaterThan(1L << 40);
        }
    }

    private static Change change(Kind kind, String path) {
        return Change.of(kind, rel(path), false);
    }

    static RelPath rel(String s) {
        try {
            return RelPath.parse(s);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }
}
