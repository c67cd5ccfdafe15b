package dev.fsdriver.server.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.backend.Change.Kind;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.server.events.EventHub.Event;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The resume ring on its own: what a cursor gets back, before and after the ring wraps. */
class EventHistoryTest {

    private static Event event(long seq) {
        return new Event(seq, Kind.MODIFIED, RelPath.ROOT, null, true);
    }

    private static List<Long> sequences(List<Event> events) {
        return events.stream().map(Event::sequence).toList();
    }

    @Test
    void aCursorInsideTheHistoryGetsEverythingAfterIt() {
        EventHistory h = new EventHistory(8);
        for (long s = 1; s <= 5; s++) {
            h.add(event(s));
        }
        assertThat(sequences(h.after(2, 5))).containsExactly(3L, 4L, 5L);
        // the cursor just before the oldest retained event still resumes without a gap
        assertThat(sequences(h.after(0, 5))).containsExactly(1L, 2L, 3L, 4L, 5L);
        assertThat(h.reachesBackTo(5)).isEqualTo(0);
    }

    @Test
    void afterTheRingWrapsOnlyTheNewestStayAndOlderCursorsGetNothing() {
        EventHistory h = new EventHistory(3);
        for (long s = 1; s <= 7; s++) {
            h.add(event(s));
        }
        assertThat(sequences(h.after(4, 7))).containsExactly(5L, 6L, 7L);
        assertThat(sequences(h.after(5, 7))).containsExactly(6L, 7L);
        assertThat(h.after(3, 7)).as("events 4.. were dropped: the client must be told to relist").isNull();
        assertThat(h.reachesBackTo(7)).isEqualTo(4);
    }

    @Test
    void aCursorFromTheFutureIsOutsideTheHistory() {
        EventHistory h = new EventHistory(4);
        h.add(event(1));
        assertThat(h.after(9, 1)).isNull();
        assertThat(EventHistory.overflow(1, 0)).isEqualTo(new Event(1, Kind.OVERFLOW, RelPath.ROOT, null, true));
    }
}
