package dev.fsdriver.client;

import dev.fsdriver.fuse.FuseStatfs;
import dev.fsdriver.proto.v1.DirEntry;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.ToLongBiFunction;

/**
 * The caches of the remote file system, in one place with one invalidation API: a change
 * through the mount ({@link #changedHere}), a change on the server's side or of the event
 * stream's state ({@link #changedElsewhere}), a name about to change ({@link #nameChanging}).
 * It holds what was fetched ahead ({@link Prefetcher}), the attributes known current
 * ({@link KnownAttrs}), listings kept for a second pass ({@link #keepListing}), each file's mtime
 * and size at its last open (the FOPEN_KEEP_CACHE decision, {@link #lastOpen}) and the share's
 * statfs figures ({@link #statfs}). Everything but the last two is used only while events flow.
 *
 * <p>Locking: none; concurrent maps, and epochs that make an answer fetched before a change
 * unusable after it (see {@link KnownAttrs}, {@link #relistEpoch}).
 */
final class RemoteCaches {
    final Prefetcher prefetcher;
    /** Attributes of files answered without the server while events flow (see {@link KnownAttrs}). */
    final KnownAttrs attrs = new KnownAttrs();
    /** mtime and size of each node at its last open (FOPEN_KEEP_CACHE decision). */
    final ConcurrentHashMap<Long, long[]> lastOpen = new ConcurrentHashMap<>();
    private final CacheStats stats;

    /**
     * Complete listings of directories just closed, each kept for one listing of the same
     * directory started again soon after (rm -rf, like every fts program, reads a directory
     * twice: a first pass, then again from the start): entries the kernel has taken already come
     * back as names only (it holds their nodes; another reference would be one the server never
     * counted), the others with the references the server counted for them. Only while events
     * flow; every change, through the mount or on the server's side, moves {@link #relistEpoch},
     * and a listing kept from an earlier epoch is not used.
     */
    private final ConcurrentHashMap<Long, Relisting> relistings = new ConcurrentHashMap<>();
    private final AtomicLong relistEpoch = new AtomicLong();
    private volatile BooleanSupplier eventsLive = () -> false;
    private static final long RELIST_NANOS = 1_000_000_000L;
    private static final int MAX_RELISTINGS = 64;

    /** A listing kept: its page, the entries whose reference the kernel took, when it was fetched. */
    record Relisting(List<DirEntry> page, BitSet given, long epoch, long atNanos, long eventSequence) {}

    /**
     * The share's figures are the same from every node (the server asks its file system once),
     * and programs ask often: rm and find once per directory tree, some shells per prompt. Kept
     * one second, as sizes shown by df are a moment old anyway.
     */
    private static final long STATFS_CACHE_NANOS = 1_000_000_000L;
    private volatile CachedStatfs lastStatfs;

    private record CachedStatfs(FuseStatfs value, long at) {}

    private volatile ToLongBiFunction<Long, String> childOf = (parent, name) -> 0;

    RemoteCaches(Prefetcher prefetcher, CacheStats stats) {
        this.prefetcher = prefetcher;
        this.stats = stats;
    }

    /** The caches that need events are used while {@code eventsLive} holds. */
    void enableWhile(BooleanSupplier eventsLive) {
        prefetcher.enableWhile(eventsLive);
        attrs.enableWhile(eventsLive);
        this.eventsLive = eventsLive;
    }

    boolean eventsLive() {
        return eventsLive.getAsBoolean();
    }

    /** Where the node the kernel holds under a name comes from (0: none known), see {@link #nameChanging}. */
    void childrenFrom(ToLongBiFunction<Long, String> childOf) {
        this.childOf = childOf;
    }

    /**
     * A change event arrived, or the event stream changed state: nothing fetched ahead, kept for
     * a listing again, or known of a file's attributes may be used any more.
     */
    void changedElsewhere() {
        prefetcher.dropAll(); // before the attributes: see FileIo.open
        attrs.changedElsewhere();
        dropRelistings();
    }

    /** A change through the mount: the same, but for the attributes (each call drops its node's). */
    void changedHere() {
        prefetcher.dropAll();
        dropRelistings();
    }

    /** {@code name} in {@code parent} is being unlinked or renamed, or is replaced: its file's link count and ctime change. */
    void nameChanging(long parent, String name) {
        long node = childOf.applyAsLong(parent, name);
        if (node == 0) {
            attrs.dropAll();
        } else {
            attrs.drop(node);
        }
    }

    private void dropRelistings() {
        relistEpoch.incrementAndGet();
        if (!relistings.isEmpty()) {
            relistings.clear();
        }
    }

    /** The change epoch of listings: read before a fetch, a change meanwhile makes it older. */
    long relistEpoch() {
        return relistEpoch.get();
    }

    /** Keeps the complete listing of {@code dir}, just closed, for a listing started again soon (see {@link #relistings}). */
    void keepListing(long nodeId, DirHandle dir) {
        if (!eventsLive.getAsBoolean()) {
            return;
        }
        synchronized (dir) {
            if (dir.pagePlus && dir.pageCursor == 0 && dir.pageEof && !dir.page.isEmpty()
                    && dir.fetchEpoch == relistEpoch.get()) {
                if (relistings.size() >= MAX_RELISTINGS) {
                    relistings.clear();
                }
                relistings.put(nodeId, new Relisting(dir.page, (BitSet) dir.given.clone(), dir.fetchEpoch,
                        dir.fetchedAtNanos, dir.eventSequence));
            }
        }
    }

    /** The listing of {@code nodeId} kept in {@code epoch} and still young, taken; or null. */
    Relisting takeListing(long nodeId, long epoch) {
        Relisting r = relistings.remove(nodeId);
        if (r != null && r.epoch() == epoch && System.nanoTime() - r.atNanos() < RELIST_NANOS
                && eventsLive.getAsBoolean()) {
            return r;
        }
        return null;
    }

    /** The share's figures if fetched less than a second ago (counted as a hit), else null (a miss). */
    FuseStatfs statfs(long now) {
        CachedStatfs c = lastStatfs;
        if (c != null && now - c.at < STATFS_CACHE_NANOS) {
            stats.hit(CacheStats.Cache.STATFS);
            return c.value;
        }
        stats.miss(CacheStats.Cache.STATFS);
        return null;
    }

    /** The share's figures fetched at {@code now}. */
    void statfsFetched(FuseStatfs fresh, long now) {
        lastStatfs = new CachedStatfs(fresh, now);
    }
}
