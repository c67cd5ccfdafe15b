package dev.fsdriver.server.events;

import dev.fsdriver.backend.Change;
import dev.fsdriver.backend.Change.Kind;
import dev.fsdriver.backend.ChangeListener;
import dev.fsdriver.backend.RelPath;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The change events of one share, between its watcher and the Watch streams: debounces,
 * throttles storms, numbers events and keeps a bounded history for resuming clients.
 *
 * <ul>
 *   <li>Debounce, leading and trailing edge: the first MODIFIED (or ATTRIB) of a path is
 *       published at once and opens a window of {@link Config#debounce}; repeats inside the
 *       window are coalesced into one trailing event, published when the path has been quiet
 *       for the window, or at most {@link Config#maxDelay} after the window opened. A single
 *       change thus costs no delay, a burst costs at most two events per maxDelay.
 *       CREATED, DELETED, RENAMED and OVERFLOW are published at once, after any pending event
 *       of the paths they touch, so one path's events are never reordered.
 *   <li>Storms: more than {@link Config#stormThreshold} events under one directory within
 *       {@link Config#stormWindow} are replaced by one OVERFLOW(that directory) (the deepest
 *       directory over the threshold); events under it are then suppressed until the storm
 *       ends, when a second OVERFLOW covers what was suppressed after the first. The two say
 *       STORM_BEGINS and STORM_ENDS: a client caches nothing while a storm is on.
 *   <li>Sequence numbers start at a value derived from the wall clock, so a cursor from an
 *       earlier server process is always older than this hub's history (and gets OVERFLOW).
 * </ul>
 *
 * <p>The windows live in {@link Debouncer}, the retained events in {@link EventHistory}, the storm
 * counts in {@link Storms}; what storms suppress, numbering and delivery here.
 *
 * <p>Locking: one monitor ({@code this}) guards all state, the Debouncer's, the EventHistory's and
 * the Storms' included (they have no lock of their own). Subscribers are called while it is
 * held, so they must only enqueue (see {@link Subscriber}); the lock order is hub, then
 * subscriber.
 */
public final class EventHub implements ChangeListener, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EventHub.class);
    private static final long SUMMARY_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(60);

    /** Tuning; {@link #DEFAULTS} are what the server uses. */
    public record Config(Duration debounce, Duration maxDelay, int stormThreshold, Duration stormWindow,
                         int historyCapacity) {
        public static final Config DEFAULTS =
                new Config(Duration.ofMillis(20), Duration.ofMillis(100), 1000, Duration.ofSeconds(1), 65_536);
    }

    /**
     * A numbered event as sent to clients. {@code newPath} only for RENAMED. {@code seenUnixNanos}:
     * when the hub received the change (for a coalesced repeat, the last one), wall-clock
     * nanoseconds since the epoch, 0 when not known (the clients' event lag starts there).
     * {@code lostAfter}, OVERFLOW only: changes under the path after this sequence may be lost
     * (every event up to it was published), 0 when not known; see ChangeEvent.lost_after.
     * {@code storm}, OVERFLOW only: whether it begins or ends a storm (see ChangeEvent.storm).
     */
    public record Event(long sequence, Kind kind, RelPath path, RelPath newPath, boolean directory,
                        long seenUnixNanos, long lostAfter, Storm storm) {
        public Event(long sequence, Kind kind, RelPath path, RelPath newPath, boolean directory) {
            this(sequence, kind, path, newPath, directory, 0);
        }

        public Event(long sequence, Kind kind, RelPath path, RelPath newPath, boolean directory, long seenUnixNanos) {
            this(sequence, kind, path, newPath, directory, seenUnixNanos, 0);
        }

        public Event(long sequence, Kind kind, RelPath path, RelPath newPath, boolean directory, long seenUnixNanos,
                     long lostAfter) {
            this(sequence, kind, path, newPath, directory, seenUnixNanos, lostAfter, Storm.NONE);
        }

        /** This event with its time left out (0). */
        public Event withoutTime() {
            return new Event(sequence, kind, path, newPath, directory, 0, lostAfter, storm);
        }
    }

    /** What an OVERFLOW says of a storm: events under its path are suppressed from BEGINS to ENDS. */
    public enum Storm { NONE, BEGINS, ENDS }

    /** Receives events in sequence order. Called with the hub's lock held: enqueue and return. */
    public interface Subscriber {
        void onEvents(List<Event> events);

        /** The hub closed (server shutting down): no more events. Called without the hub's lock. */
        default void onHubClosed() {}
    }

    /** Counters since the hub started. */
    public record Stats(long received, long published, long coalesced, long suppressed, long overflows) {}

    private final String share;
    private final Config config;
    private final LongSupplier clock;
    /** Wall-clock nanoseconds since the epoch, for {@link Event#seenUnixNanos}. */
    private final LongSupplier wallNanos;
    private final ScheduledExecutorService scheduler;
    /** A tick is scheduled a whole number of these ahead (so windows close up to this much late). */
    private static final long TICK_GRID_NANOS = 4_000_000;
    private final boolean ownScheduler;

    // Guarded by this (the three helpers too: they are called only from this class's synchronized methods).
    private final Debouncer debouncer;
    private final EventHistory history;
    private final Storms storms;
    private final Set<Subscriber> subscribers = Collections.newSetFromMap(new IdentityHashMap<>());
    private long lastSequence;
    private ScheduledFuture<?> tickFuture;
    private long tickAt = Long.MAX_VALUE;
    private List<Event> batch = new ArrayList<>();
    private long received, published, coalesced, suppressed, overflows;
    private long lastSummaryAt;
    private Stats lastSummary = new Stats(0, 0, 0, 0, 0);
    private boolean closed;
    /**
     * Paths a client session changed moments ago: their changes do not count toward storms.
     * One client's own burst (an untar, a git checkout) is not sent back to it anyway, and an
     * OVERFLOW for it would make that client drop its caches and relist while it is busy.
     */
    private volatile Predicate<RelPath> bySession = p -> false;

    /** See {@link #bySession}: set once, before changes flow. */
    public void countStormsExcept(Predicate<RelPath> changedBySession) {
        this.bySession = changedBySession;
    }

    /**
     * @param clock          nanosecond clock (System::nanoTime in production)
     * @param firstSequence  the first event's sequence number (see {@link #initialSequence()})
     * @param scheduler      runs {@link #tick} when debounced events fall due; null: the caller
     *                       calls {@link #tick} (tests with a fake clock)
     */
    public EventHub(String share, Config config, LongSupplier clock, long firstSequence,
                    ScheduledExecutorService scheduler) {
        this(share, config, clock, EventHub::unixNanos, firstSequence, scheduler, false);
    }

    /** Tests: with a wall clock of their own too. */
    EventHub(String share, Config config, LongSupplier clock, LongSupplier wallNanos, long firstSequence,
             ScheduledExecutorService scheduler) {
        this(share, config, clock, wallNanos, firstSequence, scheduler, false);
    }

    private EventHub(String share, Config config, LongSupplier clock, LongSupplier wallNanos, long firstSequence,
                     ScheduledExecutorService scheduler, boolean ownScheduler) {
        if (firstSequence < 1) {
            throw new IllegalArgumentException("firstSequence must be >= 1 (0 means 'live only' on the wire)");
        }
        this.share = share;
        this.config = config;
        this.clock = clock;
        this.wallNanos = wallNanos;
        this.scheduler = scheduler;
        this.ownScheduler = ownScheduler;
        this.debouncer = new Debouncer(config.debounce().toNanos(), config.maxDelay().toNanos(), this::publish);
        this.history = new EventHistory(config.historyCapacity());
        this.lastSequence = firstSequence - 1;
        long now = clock.getAsLong();
        this.storms = new Storms(config.stormThreshold(), config.stormWindow().toNanos(), now);
        this.lastSummaryAt = now;
    }

    /** A hub with default tuning, the system clock and its own timer thread. */
    public static EventHub create(String share) {
        return create(share, Config.DEFAULTS);
    }

    public static EventHub create(String share, Config config) {
        ScheduledExecutorService ses = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("events-" + share).factory());
        return new EventHub(share, config, System::nanoTime, EventHub::unixNanos, initialSequence(), ses, true);
    }

    private static long unixNanos() {
        java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    /**
     * Wall-clock milliseconds shifted left by 20: later than any sequence an earlier process
     * could have reached unless it published over a million events per millisecond of uptime.
     */
    public static long initialSequence() {
        return System.currentTimeMillis() << 20;
    }

    public String share() {
        return share;
    }

    /** Called by the watcher thread for each raw change. */
    @Override
    public synchronized void onChange(Change c) {
        if (closed) {
            return;
        }
        long now = clock.getAsLong();
        received++;
        if (c.kind() == Kind.OVERFLOW) {
            // the watcher lost changes after those it reported before, which are all published
            debouncer.dropUnder(c.path());
            publish(c, now, lastSequence);
        } else if (!suppressedByStorm(c) && (bySession(c) || !stormStarted(c, now))) {
            switch (c.kind()) {
                case MODIFIED, ATTRIB -> debounce(c, now);
                default -> {
                    debouncer.flush(c.path(), c.directory());
                    if (c.newPath() != null) {
                        debouncer.flush(c.newPath(), c.directory());
                    }
                    publish(c, now);
                }
            }
        }
        deliver();
        maybeLogSummary(now);
    }

    private boolean bySession(Change c) {
        return bySession.test(c.path()) || (c.newPath() != null && bySession.test(c.newPath()));
    }

    /** Publishes debounced events that fell due and ends storms that are over. */
    public synchronized void tick() {
        if (closed) {
            return;
        }
        long now = clock.getAsLong();
        tickAt = Long.MAX_VALUE;
        tickFuture = null;
        long next = debouncer.closeDue(now);
        for (Storms.Storm s : storms.endOver(now)) {
            // Always, even with nothing suppressed since the first: clients stop caching under the
            // directory until they hear that the storm is over. It covers what was suppressed too.
            publish(Change.of(Kind.OVERFLOW, s.dir, true), now, s.lostAfter, Storm.ENDS);
            log.info("share {}: event storm under '{}' over", share, s.dir);
        }
        next = Math.min(next, storms.nextEnd());
        deliver();
        maybeLogSummary(now);
        requestTick(next);
    }

    /**
     * Registers {@code s}. With {@code resumeAfter} > 0, first hands it every retained event after
     * that sequence, or one OVERFLOW(root) when the history does not reach back that far (or the
     * cursor is from the future, e.g. another server process). Returns the last sequence published
     * before the subscription: the subscriber sees everything after it.
     */
    public synchronized long subscribe(Subscriber s, long resumeAfter) {
        if (closed) {
            throw new IllegalStateException("hub of share " + share + " is closed");
        }
        subscribers.add(s);
        if (resumeAfter > 0 && resumeAfter != lastSequence) {
            List<Event> replay = history.after(resumeAfter, lastSequence);
            if (replay != null) {
                s.onEvents(replay);
            } else {
                log.info("share {}: resume cursor {} outside history [{}, {}]: sending overflow",
                        share, resumeAfter, history.reachesBackTo(lastSequence), lastSequence);
                // lost: what followed the cursor; nothing is known of a cursor from the future
                s.onEvents(List.of(EventHistory.overflow(lastSequence, resumeAfter < lastSequence ? resumeAfter : 0)));
            }
        }
        return lastSequence;
    }

    public synchronized void unsubscribe(Subscriber s) {
        subscribers.remove(s);
    }

    public synchronized long lastSequence() {
        return lastSequence;
    }

    public synchronized int subscriberCount() {
        return subscribers.size();
    }

    public synchronized Stats stats() {
        return new Stats(received, published, coalesced, suppressed, overflows);
    }

    /** Drops pending events, tells subscribers, stops the timer thread if the hub made it. */
    @Override
    public void close() {
        List<Subscriber> left;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            left = List.copyOf(subscribers);
            subscribers.clear();
            debouncer.clear();
            if (tickFuture != null) {
                tickFuture.cancel(false);
            }
            if (ownScheduler) {
                scheduler.shutdownNow();
            }
        }
        for (Subscriber s : left) {
            try {
                s.onHubClosed();
            } catch (RuntimeException e) {
                log.warn("share {}: subscriber failed on close", share, e);
            }
        }
    }

    // ---- debounce (the windows are the Debouncer's)

    private void debounce(Change c, long now) {
        if (debouncer.offer(c, now)) {
            coalesced++;
            log.debug("share {}: coalesced {}", share, c);
        }
        requestTick(debouncer.due(c));
    }

    // ---- storms

    /**
     * True if {@code c} falls in an active storm: then it is counted and dropped, or what is
     * published of it (a rename across the storm's edge) is published here.
     */
    private boolean suppressedByStorm(Change c) {
        if (storms.isEmpty()) {
            return false;
        }
        Storms.Storm from = storms.of(c.path());
        Storms.Storm to = c.newPath() == null ? null : storms.of(c.newPath());
        if (c.kind() == Kind.RENAMED && (from == null) != (to == null)) {
            if (c.directory()) {
                // A directory keeps its identity: as a DELETED it would end the working directory
                // of every process in it on the clients, which the storm's resync cannot undo.
                long now = clock.getAsLong();
                debouncer.flush(c.path(), true);
                debouncer.flush(c.newPath(), true);
                publish(c, now);
                if (from != null) {
                    // out of the storm: what changed in it while suppressed is not covered by the
                    // storm's end any more (clients keep what they knew of it under the new name)
                    publish(Change.of(Kind.OVERFLOW, c.newPath(), true), now, from.lostAfter);
                }
                return true;
            }
            // A file: report the side outside alone, the storm's resync covers its own side.
            if (from != null) {
                publish(Change.of(Kind.CREATED, c.newPath(), c.directory()), clock.getAsLong());
            } else {
                debouncer.flush(c.path(), c.directory());
                publish(Change.of(Kind.DELETED, c.path(), c.directory()), clock.getAsLong());
            }
            suppressed++;
            return true;
        }
        if (from == null) {
            return false;
        }
        suppressed++;
        return true;
    }

    /**
     * Counts {@code c} toward storms; if it starts one, publishes OVERFLOW for the storm's
     * directory (true): its events are suppressed from here on.
     */
    private boolean stormStarted(Change c, long now) {
        Storms.Storm s = storms.count(c.path().parent(), now, lastSequence);
        if (s == null) {
            return false;
        }
        requestTick(s.until);
        log.info("share {}: event storm under '{}' (> {} events in {}): replaced by overflow",
                share, s.dir, config.stormThreshold(), config.stormWindow());
        debouncer.dropUnder(s.dir);
        suppressed++;
        publish(Change.of(Kind.OVERFLOW, s.dir, true), now, s.lostAfter, Storm.BEGINS);
        return true;
    }

    // ---- publishing

    /** @param seenAt when the change arrived, on the hub's clock */
    private void publish(Change c, long seenAt) {
        publish(c, seenAt, 0);
    }

    /** @param lostAfter for an OVERFLOW: see {@link Event#lostAfter} */
    private void publish(Change c, long seenAt, long lostAfter) {
        publish(c, seenAt, lostAfter, Storm.NONE);
    }

    private void publish(Change c, long seenAt, long lostAfter, Storm storm) {
        long seenUnixNanos = wallNanos.getAsLong() - (clock.getAsLong() - seenAt);
        Event e = new Event(++lastSequence, c.kind(), c.path(), c.newPath(), c.directory(), seenUnixNanos, lostAfter,
                storm);
        published++;
        if (c.kind() == Kind.OVERFLOW) {
            overflows++;
        }
        history.add(e);
        batch.add(e);
        if (log.isDebugEnabled()) {
            log.debug("share {}: event {}", share, e);
        }
    }

    /** Hands this call's events to every subscriber as one batch. */
    private void deliver() {
        if (batch.isEmpty()) {
            return;
        }
        List<Event> out = List.copyOf(batch);
        batch = new ArrayList<>();
        for (Subscriber s : subscribers) {
            try {
                s.onEvents(out);
            } catch (RuntimeException e) {
                log.error("share {}: subscriber failed", share, e);
            }
        }
    }

    /** Makes sure {@link #tick} runs at {@code due} or earlier (no-op without a scheduler). */
    private void requestTick(long due) {
        if (scheduler == null || due == Long.MAX_VALUE || closed
                || (tickFuture != null && tickAt - due <= 0)) {
            return;
        }
        if (tickFuture != null) {
            tickFuture.cancel(false);
        }
        long now = clock.getAsLong();
        // rounded up to whole grid steps: in a burst (each file of an untar opens a window) one
        // tick closes the windows of many paths, instead of the scheduler waking once per path
        long delay = Math.max(0, due - now);
        delay += (TICK_GRID_NANOS - delay % TICK_GRID_NANOS) % TICK_GRID_NANOS;
        tickAt = now + delay;
        tickFuture = scheduler.schedule(this::tick, delay, TimeUnit.NANOSECONDS);
    }

    private void maybeLogSummary(long now) {
        if (now - lastSummaryAt < SUMMARY_INTERVAL_NANOS) {
            return;
        }
        Stats s = new Stats(received, published, coalesced, suppressed, overflows);
        if (!s.equals(lastSummary)) {
            log.info("share {}: {} changes received, {} events published, {} coalesced, {} suppressed by storms,"
                    + " {} overflows", share, s.received(), s.published(), s.coalesced(), s.suppressed(), s.overflows());
            lastSummary = s;
        }
        lastSummaryAt = now;
    }
}
