package dev.fsdriver.client;

import dev.fsdriver.fuse.FuseStatfs;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;
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
    private final LongConsumer forget;

    /**
     * Complete listings of directories just closed, each kept for one listing of the same
     * directory started again soon after (rm -rf, like every fts program, reads a directory
     * twice: a first pass, then again from the start): entries the kernel has taken already come
     * back as names only (it holds their nodes; another reference would be one the server never
     * counted), the others with the references the server counted for them, given back when the
     * listing is dropped (see {@link KeptListings}). Listings made to answer lookups are kept here
     * too (see {@link ColdLookups}), and a listing of the directory started later takes them.
     * Only while events flow; every change, through the mount or on the server's side, moves
     * {@link #relistEpoch} and drops them all.
     */
    private final KeptListings relistings;
    private final AtomicLong relistEpoch = new AtomicLong();
    private volatile BooleanSupplier eventsLive = () -> false;
    static final long RELIST_NANOS = 1_000_000_000L;
    static final int MAX_RELISTINGS = 1024;
    /** Entries in all kept listings (~220 bytes each as protos). */
    static final int MAX_RELISTED_ENTRIES = 20_000;

    /**
     * The share's figures are the same from every node (the server asks its file system once),
     * and programs ask often: rm and find once per directory tree, some shells per prompt. Kept
     * one second, as sizes shown by df are a moment old anyway.
     */
    private static final long STATFS_CACHE_NANOS = 1_000_000_000L;
    private volatile CachedStatfs lastStatfs;

    private record CachedStatfs(FuseStatfs value, long at) {}

    private volatile ToLongBiFunction<Long, String> childOf = (parent, name) -> 0;

    /** {@code forget} gives the server back one reference to a node (see {@link NodeTable#forget}). */
    RemoteCaches(Prefetcher prefetcher, CacheStats stats, LongConsumer forget, LongSupplier clock) {
        this.prefetcher = prefetcher;
        this.stats = stats;
        this.forget = forget;
        this.relistings = new KeptListings(MAX_RELISTINGS, MAX_RELISTED_ENTRIES, forget, clock);
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
        relistings.clear();
    }

    /** The change epoch of listings: read before a fetch, a change meanwhile makes it older. */
    long relistEpoch() {
        return relistEpoch.get();
    }

    /**
     * Keeps the complete listing of {@code dir}, just closed, for a listing started again soon
     * (see {@link #relistings}); else gives back the references of entries the kernel never took.
     */
    void keepListing(long nodeId, DirHandle dir) {
        synchronized (dir) {
            if (eventsLive.getAsBoolean() && dir.pagePlus && dir.pageCursor == 0 && dir.pageEof
                    && !dir.page.isEmpty() && dir.fetchEpoch == relistEpoch.get()) {
                relistings.put(nodeId, new KeptListings.Kept(dir.page, dir.given, dir.fetchEpoch,
                        dir.keepUntilNanos, dir.eventSequence));
            } else if (dir.pagePlus) {
                new KeptListings.Kept(dir.page, dir.given, dir.fetchEpoch, 0, 0).giveBack(forget);
            }
            dir.page = List.of(); // its references are the kept listing's now, or given back
            dir.given = new BitSet();
        }
    }

    /**
     * The listing of {@code nodeId} kept in {@code epoch} and still young, taken, with the marks
     * of the entries the kernel has taken; or null (a listing kept that may not be used is given back).
     */
    KeptListings.Kept takeListing(long nodeId, long epoch) {
        KeptListings.Kept r = relistings.remove(nodeId);
        if (r == null) {
            return null;
        }
        if (r.epoch == epoch && relistings.fresh(r) && eventsLive.getAsBoolean()) {
            return r;
        }
        r.giveBack(forget);
        return null;
    }

    /** A listing of {@code dir} that lookups may be answered from (current, young, events live; left in place), or null. */
    KeptListings.Kept lookupListing(long dir) {
        KeptListings.Kept k = relistings.get(dir);
        return k != null && k.epoch == relistEpoch.get() && relistings.fresh(k) && eventsLive.getAsBoolean() ? k : null;
    }

    /** Keeps a listing made for lookups (see {@link ColdLookups}) if nothing changed since its fetch; else gives it back. */
    void keepLookupListing(long dir, KeptListings.Kept k) {
        if (eventsLive.getAsBoolean() && k.epoch == relistEpoch.get()) {
            relistings.put(dir, k);
        } else {
            k.giveBack(forget);
        }
    }

    /** Gives the server back one reference to {@code node} it counted for an entry the kernel never took. */
    void forget(long node) {
        forget.accept(node);
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
