package dev.fsdriver.client.cache;

import dev.fsdriver.fuse.FuseStatfs;
import dev.fsdriver.proto.v1.Attr;
import java.util.HashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;
import java.util.function.LongPredicate;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import java.util.function.ToLongBiFunction;

/**
 * The caches of the remote file system, in one place with one invalidation API: a node changed
 * through the mount ({@link #changing}: a directory's names, any node's attributes), a change on
 * the server's side or of the event stream's state ({@link #changedElsewhere}), a name about to
 * change ({@link #nameChanging}, {@link #childChanging}); a directory whose names the mount
 * changes itself has its kept listing updated with the change instead ({@link #namesChanging},
 * {@link #namesChanged}: an editor's atomic save no longer lists its directory at each save).
 * It holds what was fetched ahead ({@link Prefetcher}), the attributes known current
 * ({@link KnownAttrs}), listings kept for a second pass ({@link #keepListing}), each file's mtime
 * and size at its last open (the FOPEN_KEEP_CACHE decision, {@link #lastOpen}) and the share's
 * statfs figures ({@link #statfs}). Everything but the last two is used only while events flow.
 *
 * <p>Locking: none; concurrent maps, and epochs that make an answer fetched before a change
 * unusable after it (see {@link KnownAttrs}, {@link #relistEpoch}).
 */
public final class RemoteCaches {
    private final Prefetcher prefetcher;
    /** Attributes of files answered without the server while events flow (see {@link KnownAttrs}). */
    private final KnownAttrs attrs = new KnownAttrs();
    /** mtime and size of each node at its last open (FOPEN_KEEP_CACHE decision). */
    private final ConcurrentHashMap<Long, long[]> lastOpen = new ConcurrentHashMap<>();
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
     * Only while events flow; a change on the server's side drops them all, a change through the
     * mount the listing of the directory it changes (or updates it, see {@link #namesChanged})
     * and, for lookups and listings, the entries of the nodes it changes ({@link #changedAt}).
     */
    private final KeptListings relistings;
    /** The clock of changes through the mount: read before a fetch, see {@link #current}. */
    private final AtomicLong relistEpoch = new AtomicLong();
    /**
     * The nodes changed through the mount (a directory's names, any node's attributes), each with
     * the clock of its last change, so that a listing fetched before is not trusted for them: not
     * for the names of a directory changed since, nor for an entry whose node changed since (git
     * makes its index.lock between its lstat()s and its scan for untracked files: before, that
     * dropped every kept listing, and the scan listed each directory again). Bounded: when full,
     * every listing fetched until then is treated as changed ({@link #allChangedAt}).
     */
    private final HashMap<Long, Long> changedAt = new HashMap<>(); // guarded by itself
    private long allChangedAt; // guarded by changedAt
    static final int MAX_CHANGED = 1 << 14;
    private volatile BooleanSupplier eventsLive = () -> false;
    public static final long RELIST_NANOS = 1_000_000_000L;
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

    /** A kept listing set aside while the mount changes its directory's names, and the mark of that change. */
    private record Aside(KeptListings.Kept kept, long markedAt) {}

    private final ConcurrentHashMap<Long, Aside> aside = new ConcurrentHashMap<>();
    private volatile Lender lender = (node, generation) -> false;
    /** See {@link #kernelHoldsFrom}. */
    private volatile LongPredicate kernelHolds = node -> true;
    /** The layer above's forgetting (see {@link #alsoChangedElsewhere}). */
    private volatile Runnable alsoElsewhere = () -> {};

    /** {@code forget} gives the server back one reference to a node (see the client's {@code NodeTable.forget}). */
    public RemoteCaches(Prefetcher prefetcher, CacheStats stats, LongConsumer forget, LongSupplier clock) {
        this.prefetcher = prefetcher;
        this.stats = stats;
        this.forget = forget;
        this.relistings = new KeptListings(MAX_RELISTINGS, MAX_RELISTED_ENTRIES, forget, clock);
        attrs.onChange(this::marked); // a write's reply, a dropped node's attributes
        // The data of a write() is held back (write-behind): what was fetched ahead between the
        // write() (changing) and the data reaching the server has the file's older content.
        attrs.onWritten(node -> prefetcher.dropAll());
        prefetcher.skipKept(dir -> { // a fresh git status' scan lists them again
            KeptListings.Kept k = lookupListing(dir);
            return k != null && k.listable();
        });
    }

    /** What was fetched ahead (see {@link Prefetcher}). */
    public Prefetcher prefetcher() {
        return prefetcher;
    }

    /** The attributes known current while events flow (see {@link KnownAttrs}). */
    public KnownAttrs attrs() {
        return attrs;
    }

    /** mtime and size of each node at its last open: the FOPEN_KEEP_CACHE decision's. */
    public ConcurrentMap<Long, long[]> lastOpen() {
        return lastOpen;
    }

    /** The caches that need events are used while {@code eventsLive} holds. */
    public void enableWhile(BooleanSupplier eventsLive) {
        prefetcher.enableWhile(eventsLive);
        attrs.enableWhile(eventsLive);
        this.eventsLive = eventsLive;
    }

    public boolean eventsLive() {
        return eventsLive.getAsBoolean();
    }

    /** Where the node the kernel holds under a name comes from (0: none known), see {@link #nameChanging}. */
    public void childrenFrom(ToLongBiFunction<Long, String> childOf) {
        this.childOf = childOf;
    }

    /** The node the kernel holds under {@code name} in {@code parent}, or 0 when not known. */
    public long child(long parent, String name) {
        return childOf.applyAsLong(parent, name);
    }

    /**
     * A change event arrived, or the event stream changed state: nothing fetched ahead, kept for
     * a listing again, or known of a file's attributes may be used any more.
     */
    public void changedElsewhere() {
        prefetcher.dropAll(); // before the attributes: see FileIo.open
        attrs.changedElsewhere();
        dropRelistings();
        alsoElsewhere.run();
    }

    /**
     * Sets what forgets the caches of the layer above (the events layer's: directories known
     * complete, their attributes, names removed here), run at every {@link #changedElsewhere}
     * after these, so that an event or a stream change has one call to make.
     */
    public void alsoChangedElsewhere(Runnable forget) {
        this.alsoElsewhere = forget;
    }

    /**
     * The mount changes {@code node} (call before the change and again once it is done, so that
     * a listing fetched meanwhile is not trusted either): nothing fetched ahead may be used, nor
     * the kept listing of {@code node} (a directory whose names change), nor an entry of
     * {@code node} in another kept listing (its attributes change). 0: none.
     */
    public void changing(long node) {
        prefetcher.dropAll();
        if (node != 0) {
            marked(node);
            KeptListings.Kept k = relistings.remove(node);
            if (k != null) {
                k.giveBack(forget);
            }
        }
    }

    /**
     * {@code name} in {@code parent} is being unlinked or renamed, or is replaced (call before and
     * after): the names of {@code parent} change, and the file's link count and ctime (when the
     * kernel's node for the name is not known, every file's, see {@link KnownAttrs#dropAll}, and
     * no kept listing is trusted any more; unless {@code mayBeAbsent}: the target of a rename,
     * which the kernel looked up first, so that no node for it there means no such name).
     */
    void nameChanging(long parent, String name, boolean mayBeAbsent) {
        changing(parent);
        childChanging(parent, name, mayBeAbsent);
    }

    /**
     * The file the kernel holds under {@code name} in {@code parent} is unlinked, renamed or
     * replaced (call before and after): its link count and ctime (see {@link #nameChanging}; the
     * names of {@code parent} are the caller's, see {@link #namesChanging}).
     */
    public void childChanging(long parent, String name, boolean mayBeAbsent) {
        long node = childOf.applyAsLong(parent, name);
        if (node == 0) {
            if (!mayBeAbsent) {
                attrs.dropAll();
                dropRelistings();
            }
        } else {
            attrs.drop(node);
            changing(node);
        }
    }

    /**
     * The rename of the file the kernel holds under {@code name} in {@code parent}, sent at
     * {@code sentAt}, is done: {@code after} its attributes then (null: not known, as
     * {@link #childChanging}).
     */
    public void childMoved(long parent, String name, Attr after, long sentAt) {
        long node = childOf.applyAsLong(parent, name);
        if (node == 0 || after == null) {
            childChanging(parent, name, false);
        } else {
            attrs.moved(node, after, sentAt);
            changing(node);
        }
    }

    /**
     * The mount is about to change names in {@code dir} (call {@link #namesChanged} once done,
     * failed or not): as {@link #changing}, but a kept listing of it that lookups could use is
     * set aside to be updated with the change instead of dropped (an editor's atomic save looks
     * its target up again before each rename: the kernel revalidates a rename's target with the
     * server). Called twice (a rename within one directory), it keeps what it set aside.
     */
    public void namesChanging(long dir) {
        prefetcher.dropAll();
        Aside had = aside.remove(dir);
        KeptListings.Kept listed = relistings.remove(dir);
        KeptListings.Kept k = had != null ? had.kept : listed;
        long namesEpoch = k == null ? 0 : k.namesEpoch(); // not under changedAt: Kept.lookup locks the other way
        boolean usable = k != null && eventsLive.getAsBoolean() && relistings.fresh(k);
        long mark;
        synchronized (changedAt) {
            usable = usable && (had != null ? stillAside(dir, had.markedAt) : currentLocked(dir, namesEpoch));
            mark = markLocked(dir);
        }
        if (mark == 0) {
            dropRelistings(); // full: as a change of everything
            usable = false;
        }
        if (listed != null && listed != k) {
            listed.giveBack(forget);
        }
        if (usable) {
            aside.put(dir, new Aside(k, mark));
        } else if (k != null) {
            k.giveBack(forget);
        }
    }

    /**
     * The change of names in {@code dir} announced by {@link #namesChanging} is done: the listing
     * set aside is kept again with {@code update} applied when it succeeded ({@code update}
     * false: it could not apply it) and nothing else changed the directory since, else dropped.
     * {@code update} null: the change failed or its outcome is not known.
     */
    public void namesChanged(long dir, Predicate<KeptListings.Kept> update) {
        prefetcher.dropAll();
        Aside a = aside.remove(dir);
        boolean keep = a != null && update != null && eventsLive.getAsBoolean();
        long mark;
        synchronized (changedAt) {
            keep = keep && stillAside(dir, a.markedAt);
            mark = markLocked(dir);
        }
        if (mark == 0) {
            dropRelistings();
            keep = false;
        }
        if (keep && update.test(a.kept)) {
            // names as of the mark just made; its entries' attributes as of its fetch still
            a.kept.namesCurrentAt(mark);
            relistings.put(dir, a.kept);
        } else if (a != null) {
            a.kept.giveBack(forget);
        }
    }

    /** Nothing changed {@code dir}, or everything, since this mount marked it at {@code markedAt}. */
    private boolean stillAside(long dir, long markedAt) {
        return allChangedAt < markedAt && changedAt.getOrDefault(dir, 0L) == markedAt;
    }

    /**
     * What a lookup answered from a kept listing may use besides it (see
     * {@link KeptListings.NodeAnswers}): only the kernel ({@code forKernel}: the lookup is its own)
     * is lent references it holds (the events layer's own reads give theirs back to the server).
     */
    KeptListings.NodeAnswers nodeAnswers(boolean forKernel) {
        return new KeptListings.NodeAnswers() {
            @Override
            public Attr attrs(long node) {
                return attrs.get(node);
            }

            @Override
            public boolean lend(long node, long generation) {
                return forKernel && lender.lend(node, generation);
            }
        };
    }

    /** Where references to nodes the kernel holds are lent from (the events layer's count of them). */
    public void lendsFrom(Lender lender) {
        this.lender = lender;
    }

    /** Whether the kernel still holds a node (the events layer's view; without it: taken as held). */
    public void kernelHoldsFrom(LongPredicate holds) {
        this.kernelHolds = holds;
    }

    /** Where a lookup answered from a kept listing gets a reference to a node the kernel holds (see {@link #lendsFrom}). */
    @FunctionalInterface
    public interface Lender {
        /**
         * One more reference to {@code node} ({@code generation}, 0: any) for the kernel, which
         * holds it, in the reply to one of its lookups; false: not held.
         */
        boolean lend(long node, long generation);
    }

    /** {@link #nameChanging(long, String, boolean)} of a name that exists (unlink, rmdir, a rename's source). */
    void nameChanging(long parent, String name) {
        nameChanging(parent, name, false);
    }

    private void marked(long node) {
        long mark;
        synchronized (changedAt) {
            mark = markLocked(node);
        }
        if (mark == 0) {
            dropRelistings(); // full: as a change of everything
        }
    }

    /** Marks {@code node} changed now: the mark, or 0 when the map is full. */
    private long markLocked(long node) {
        long now = relistEpoch.incrementAndGet();
        if (changedAt.size() < MAX_CHANGED || changedAt.containsKey(node)) {
            changedAt.put(node, now);
            return now;
        }
        return 0;
    }

    private void dropRelistings() {
        synchronized (changedAt) {
            changedAt.clear();
            allChangedAt = relistEpoch.incrementAndGet();
        }
        relistings.clear();
    }

    /** Whether what a listing fetched at {@code epoch} says of {@code node} is still current (as far as this mount changed it). */
    boolean current(long node, long epoch) {
        synchronized (changedAt) {
            return currentLocked(node, epoch);
        }
    }

    private boolean currentLocked(long node, long epoch) {
        return allChangedAt <= epoch && changedAt.getOrDefault(node, 0L) <= epoch;
    }

    /** The nodes a listing fetched at {@code epoch} may still be trusted for. */
    LongPredicate currentSince(long epoch) {
        return node -> current(node, epoch);
    }

    /** The change epoch of listings: read before a fetch, a change meanwhile makes it older. */
    public long relistEpoch() {
        return relistEpoch.get();
    }

    /**
     * Keeps {@code listing}, the last page of {@code nodeId}'s directory just closed (a plus page:
     * its entries carry references; {@code whole}: it is the whole directory), for a listing
     * started again soon (see {@link #relistings}); else gives back the references of entries the
     * kernel never took.
     */
    public void keepListing(long nodeId, KeptListings.Kept listing, boolean whole) {
        if (eventsLive.getAsBoolean() && whole && !listing.page.isEmpty() && current(nodeId, listing.epoch)) {
            relistings.put(nodeId, listing);
        } else {
            listing.giveBack(forget);
        }
    }

    /**
     * The listing of {@code nodeId} kept, still young, and current for the directory and every
     * entry whose node the kernel gets with it, taken, with the marks of the entries the kernel
     * has taken; or null (a listing kept that may not be used is given back).
     */
    public KeptListings.Kept takeListing(long nodeId) {
        KeptListings.Kept kept = relistings.get(nodeId);
        if (kept != null && !kept.listable()) {
            return null; // updated by own changes: for lookups only, left to them
        }
        KeptListings.Kept r = relistings.remove(nodeId);
        if (r == null) {
            return null;
        }
        if (r.listable() && current(nodeId, r.namesEpoch()) && relistings.fresh(r) && eventsLive.getAsBoolean()
                && r.entriesCurrent(currentSince(r.epoch)) && r.givenStillHeld(kernelHolds)) {
            return r;
        }
        r.giveBack(forget);
        return null;
    }

    /** A listing of {@code dir} that lookups may be answered from (current, young, events live; left in place), or null. */
    KeptListings.Kept lookupListing(long dir) {
        KeptListings.Kept k = relistings.get(dir);
        return k != null && current(dir, k.namesEpoch()) && relistings.fresh(k) && eventsLive.getAsBoolean() ? k : null;
    }

    /** Keeps a listing made for lookups (see {@link ColdLookups}) if nothing changed since its fetch; else gives it back. */
    void keepLookupListing(long dir, KeptListings.Kept k) {
        if (eventsLive.getAsBoolean() && current(dir, k.epoch)) {
            relistings.put(dir, k);
        } else {
            k.giveBack(forget);
        }
    }

    /** Gives the server back one reference to {@code node} it counted for an entry the kernel never took. */
    public void forget(long node) {
        forget.accept(node);
    }

    /** The share's figures if fetched less than a second ago (counted as a hit), else null (a miss). */
    public FuseStatfs statfs(long now) {
        CachedStatfs c = lastStatfs;
        if (c != null && now - c.at < STATFS_CACHE_NANOS) {
            stats.hit(CacheStats.Cache.STATFS);
            return c.value;
        }
        stats.miss(CacheStats.Cache.STATFS);
        return null;
    }

    /** The share's figures fetched at {@code now}. */
    public void statfsFetched(FuseStatfs fresh, long now) {
        lastStatfs = new CachedStatfs(fresh, now);
    }
}
