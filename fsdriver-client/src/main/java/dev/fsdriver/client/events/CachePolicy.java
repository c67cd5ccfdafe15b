package dev.fsdriver.client.events;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * How long the kernel may cache entries and attributes, and whether the mount may answer from
 * what it knows. Long while the server's change stream is live (every change arrives as an
 * invalidation), short while it is not (after a break, until the client has resynchronised), as
 * DESIGN.md section 4 asks.
 *
 * <p>A live stream still says nothing during a storm: the server suppresses the events under a
 * directory with too many changes and announces it with an OVERFLOW that begins it and another
 * that ends it (ChangeEvent.storm). Meanwhile nothing is {@link #cacheable}: a listing, lookup or
 * attribute kept then would stay wrong until the storm's end (a listing of 157 of 3,000 files made
 * during a copy was served after it). Not path by path: storms are short and rare, and every
 * cache decision would need the node's path. A storm whose end never arrives (lost with a stream
 * that broke) is given up on after {@link #STORM_LIMIT_NANOS}.
 *
 * <p>Nor while the event applier lags behind the stream ({@link #BACKLOG_LIMIT}): before a storm
 * is declared, a burst of changes reaches the mount faster than it applies them, and a listing
 * kept or fetched ahead since the last applied event misses changes whose events have arrived
 * but are still waiting (CI listed 750 of 3,000 files right after they were made).
 */
public final class CachePolicy {
    /** The server's storms last a second (its window); ten allow for a slow stream. */
    static final long STORM_LIMIT_NANOS = 10_000_000_000L;

    private final long liveTimeoutNs;
    private final long fallbackTimeoutNs;
    private final LongSupplier clock;
    private volatile boolean live;
    /** Whether {@link #storms} may hold one: read on every reply, the map only while true. */
    private volatile boolean storming;
    /** Storms going on: directory path -> when it is given up on. Guarded by itself. */
    private final Map<String, Long> storms = new HashMap<>();
    /**
     * Events received and not yet applied: those of the reply being applied, and of any received
     * behind it (see WatchClient). One atomic read per cache decision.
     */
    private final AtomicLong backlog = new AtomicLong();
    /** The backlog above which nothing is cacheable: a few events (a file saved) are applied at once. */
    static final int BACKLOG_LIMIT = 8;

    public CachePolicy(long liveTimeoutNs, long fallbackTimeoutNs) {
        this(liveTimeoutNs, fallbackTimeoutNs, System::nanoTime);
    }

    CachePolicy(long liveTimeoutNs, long fallbackTimeoutNs, LongSupplier clock) {
        this.liveTimeoutNs = liveTimeoutNs;
        this.fallbackTimeoutNs = fallbackTimeoutNs;
        this.clock = clock;
    }

    public long timeoutNs() {
        return cacheable() ? liveTimeoutNs : fallbackTimeoutNs;
    }

    /** Whether the stream is up (events arrive in order; what the status and the resync go by). */
    public boolean live() {
        return live;
    }

    /**
     * Whether the mount may answer from what it keeps and the kernel may keep long: live, the
     * applier not lagging behind the stream, and no storm on.
     */
    public boolean cacheable() {
        return live && backlog.get() <= BACKLOG_LIMIT && !storming();
    }

    /** {@code events} arrived from the server, to be applied. */
    void received(int events) {
        backlog.addAndGet(events);
    }

    /** One event received was applied (or failed to be). */
    void applied() {
        backlog.decrementAndGet();
    }

    /** Events received and not yet applied. */
    long backlog() {
        return backlog.get();
    }

    private volatile Runnable onChange = () -> { };

    public void setLive(boolean live) {
        boolean was = this.live;
        this.live = live;
        if (was != live) {
            onChange.run();
        }
    }

    /** Called at every change between live and not (what was known while live may be stale). */
    void onChange(Runnable r) {
        this.onChange = r;
    }

    /** The server suppresses events under {@code path} from now on (a storm begins; a wider one replaces those under it). */
    void stormBegins(String path) {
        synchronized (storms) {
            storms.keySet().removeIf(p -> under(p, path));
            storms.put(path, clock.getAsLong() + STORM_LIMIT_NANOS);
            storming = true;
        }
    }

    /** The storm under {@code path} is over: its events flow again. */
    void stormEnds(String path) {
        synchronized (storms) {
            storms.remove(path);
            storming = !storms.isEmpty();
        }
    }

    private boolean storming() {
        if (!storming) {
            return false;
        }
        synchronized (storms) {
            long now = clock.getAsLong();
            storms.values().removeIf(limit -> limit - now <= 0);
            storming = !storms.isEmpty();
            return storming;
        }
    }

    private static boolean under(String p, String dir) {
        return dir.isEmpty() || p.equals(dir) || p.startsWith(dir + "/");
    }
}
