package dev.fsdriver.client.events;

import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.fuse.FuseFileSystem;
import java.util.Map;
import java.util.concurrent.DelayQueue;
import java.util.concurrent.Delayed;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Baseline listings for the overflow resync (issue 10): a directory the kernel holds but no
 * program listed ({@code inotifywait -m dir} without -r looks it up and watches it, never lists
 * it) had nothing in {@link KnownNames}, so its first OVERFLOW announced every name in it as
 * created. A name that was there before the loss was not created during it, whether or not a
 * watcher saw it: any listing made at or before {@code lost_after} tells which names those are.
 * So when the kernel first holds a directory ({@link KernelView#onDirectoryHeld}), this lists it
 * (names only, on its own thread: a notification never waits for it), unless something listed it
 * meanwhile or the mount made it (new and empty, every name in it is made through the mount or
 * arrives as an event). A directory a CREATED event made still is listed: a Windows server reports
 * a directory moved in as one create, never its files ({@link KnownNames#createdByEvent}). A
 * listing made to answer lookups counts too ({@link #listedWhole}).
 *
 * <p>Cost, bounded: a directory is listed {@link #DELAY_NANOS} after the kernel first held it,
 * and only if no program listed it by then (find, ls, git list what they enter: mostly nothing is
 * left to do; a lookup miss lists the directory for {@code ColdLookups} at once); while programs
 * keep listing other directories (a walk on its way to it) it waits longer, up to
 * {@link #MAX_DEFER_NANOS} ({@link #deferred}); one listing at
 * a time, plain READDIR (no server references, nothing changed on the server); at most
 * {@link #MAX_NAMES} names of a directory (the names beyond have no baseline) and
 * {@link #MAX_PENDING} directories waiting (the ones beyond get none). A directory without a
 * baseline, or held less than the delay (or deferred) before a loss, gets the earlier answer: every name the
 * resync finds that nothing told of is announced, unless its mtime and ctime show it unchanged
 * since the kernel first held it ({@link KernelView#stamp}, {@link OverflowResync}).
 */
final class Baselines implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Baselines.class);
    static final long DELAY_NANOS = 1_000_000_000L;
    /** How long a directory's baseline waits at most while programs keep listing (see {@link #deferred}). */
    static final long MAX_DEFER_NANOS = 30_000_000_000L;
    static final int MAX_NAMES = 5_000;
    static final int MAX_PENDING = 1024;

    private final KnownNames names;
    private final KernelView view;
    private final ServerReads reads;
    private final BooleanSupplier live;
    private final LongSupplier clock;
    private final DelayQueue<Pending> pending = new DelayQueue<>();
    private final AtomicLong taken = new AtomicLong();
    /** Directories queued and not yet done with (the one being listed included). */
    private final AtomicInteger waiting = new AtomicInteger();
    private volatile Thread worker;

    /** {@code queuedNanos}: when first queued; {@code listings}: {@link KnownNames#programListings} then or at its last deferral. */
    private record Pending(long dir, long dueNanos, long queuedNanos, long listings, LongSupplier clock) implements Delayed {
        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(dueNanos - clock.getAsLong(), TimeUnit.NANOSECONDS);
        }

        @Override
        public int compareTo(Delayed o) {
            return Long.compare(dueNanos, ((Pending) o).dueNanos);
        }
    }

    /**
     * @param reads the server side, through the gate (reads only)
     * @param live  whether events flow (a baseline taken while they do not is not ordered with them)
     */
    Baselines(KnownNames names, KernelView view, ServerReads reads, BooleanSupplier live, LongSupplier clock) {
        this.names = names;
        this.view = view;
        this.reads = reads;
        this.live = live;
        this.clock = clock;
    }

    /** The kernel now holds directory {@code dir} (called on request threads: only queues). */
    void held(long dir) {
        if (pending.size() < MAX_PENDING && names.wantsBaseline(dir)) {
            waiting.incrementAndGet();
            long now = clock.getAsLong();
            pending.add(new Pending(dir, now + DELAY_NANOS, now, names.programListings(), clock));
        }
    }

    /**
     * A listing of all of {@code dir} made for another reason (to answer lookups), after event
     * {@code sequence}: a baseline too, while the kernel holds the directory.
     */
    void listedWhole(long dir, Map<String, Long> listing, long sequence) {
        if (sequence == 0 || !view.held(dir) || !names.track(dir)) {
            return; // without a sequence it cannot be ordered with events
        }
        listing.forEach((name, ino) -> names.listed(dir, name, ino, sequence, false));
        names.listedWhole(dir);
    }

    /** Directories whose names were listed as a baseline here. */
    long taken() {
        return taken.get();
    }

    /** Directories waiting for their baseline (or being listed): 0 once every one queued is done. */
    int waiting() {
        return waiting.get();
    }

    /** Starts the listing thread. */
    void start() {
        worker = Thread.ofPlatform().daemon().name("fsdriver-baselines").start(this::run);
    }

    private void run() {
        try {
            while (!Thread.currentThread().isInterrupted()) {
                step(pending.take());
            }
        } catch (InterruptedException e) {
            // closed
        }
    }

    /** A directory whose time came: deferred once more, or its baseline taken. */
    private void step(Pending p) {
        if (deferred(p)) {
            return;
        }
        try {
            take(p.dir());
        } finally {
            waiting.decrementAndGet();
        }
    }

    /** The worker's step for the next directory whose time came, if one did (tests: without the thread). */
    boolean stepIfDue() {
        Pending p = pending.poll();
        if (p == null) {
            return false;
        }
        step(p);
        return true;
    }

    /**
     * Whether {@code p} waits once more: programs listed directories since it was queued (a walk:
     * find or git status reach a directory some seconds after its parent's READDIRPLUS made the
     * kernel hold it, and their own listing is its baseline; listing it here too was a second
     * ReadDir per directory of a 200 x 1,000 tree). At most {@link #MAX_DEFER_NANOS} in all: a
     * loss before the baseline is taken gets the earlier answer (class comment).
     */
    private boolean deferred(Pending p) {
        long listings = names.programListings();
        long now = clock.getAsLong();
        if (listings == p.listings() || now - p.queuedNanos() >= MAX_DEFER_NANOS || !names.wantsBaseline(p.dir())
                || !view.held(p.dir())) {
            return false;
        }
        pending.add(new Pending(p.dir(), now + DELAY_NANOS, p.queuedNanos(), listings, clock));
        return true;
    }

    /**
     * The root's baseline, taken at once before the event stream starts: the kernel holds the root
     * from the start, and the stream's first event may be an OVERFLOW (under Wine it often is).
     * Made before subscribing, it shows only names older than every event to come.
     */
    void takeRootNow() {
        take(FuseFileSystem.ROOT_ID, true);
    }

    /** Lists {@code dir} as its baseline if that is still needed (see the class comment). */
    void take(long dir) {
        take(dir, false);
    }

    private void take(long dir, boolean beforeEvents) {
        if (!names.wantsBaseline(dir) || !view.held(dir)) {
            return;
        }
        if (!beforeEvents && !live.getAsBoolean()) {
            held(dir); // later: while the stream is down nothing orders it with events
            return;
        }
        boolean known = names.knows(dir); // made by an event: keep what that said
        if (!names.track(dir)) {
            return;
        }
        try {
            int n = list(dir);
            if (n < 0) {
                if (!known) {
                    names.drop(dir); // an older server's listing: nothing orders it with events
                }
                return;
            }
            names.listedWhole(dir);
            taken.incrementAndGet();
            log.debug("baseline of directory {} ('{}'): {} names", dir, view.pathOf(dir), n);
        } catch (FuseException e) {
            log.debug("baseline of directory {} failed: {}", dir, e.getMessage());
        }
    }

    /**
     * Up to {@link #MAX_NAMES} names of {@code dir} into {@link KnownNames}, each with its page's
     * sequence; returns how many, or -1 when the server gave no sequence.
     */
    private int list(long dir) throws FuseException {
        int[] count = {0};
        boolean[] sequenced = {false};
        long last = reads.listNames(dir, MAX_NAMES, (name, ino, sequence) -> {
            count[0]++;
            if (sequence != 0) {
                names.listed(dir, name, ino, sequence, false);
                sequenced[0] = true;
            }
        });
        return sequenced[0] || last != 0 ? count[0] : -1;
    }

    @Override
    public void close() {
        Thread t = worker;
        if (t != null) {
            t.interrupt();
        }
    }
}
