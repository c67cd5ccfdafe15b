package dev.fsdriver.client.events;

import dev.fsdriver.fuse.FuseAttr;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stamps of the directories the kernel holds ({@link KernelView#stamp(long)}): a directory's
 * mtime and ctime from the reply that made the kernel first hold it, kept while they vouch that
 * no name in it changed since (so no watcher of it can have missed one). A stamp lives in its
 * directory's node of the view ({@link Slot}); the mount-wide rules are here: which times may
 * vouch ({@link #take}), the token that keeps a late reply from outliving a drop, and stamps off
 * for good once the view is known to have missed an entry ({@link #off}).
 *
 * <p>Ordering: whatever takes stamps away (an event of a name in the directory, a new server
 * process, a FORGET of more than was counted) first moves the mount-wide token ({@link #token},
 * {@link #moveToken}), then clears; a reply's stamp is stored, then kept only if the token is
 * still the one read before its call. A clear either sees the stored stamp or the store's check
 * sees the moved token, so a reply read before a drop never outlives it.
 *
 * <p>Thread safety: atomics and volatile fields, no lock; a node's count and its first hold are
 * {@link KernelView}'s, under its map's lock for the id.
 */
final class DirStamps {
    private static final Logger log = LoggerFactory.getLogger(DirStamps.class);

    /**
     * A directory's timestamps as the server gave them within this much of the server's clock
     * when the kernel first held it cannot vouch for its names: a change right after, within the
     * file system's timestamp granularity (1 s on ext3 and HFS+, 2 s for FAT's mtime), may leave
     * them as they were (git's "racy" index entries). Also covers the coarse clock file systems
     * stamp with lagging the precise one the server's event times are read from.
     */
    static final long RACY_NANOS = 2_000_000_000L;

    /** Where one directory's stamp lives: its node in the view. */
    static class Slot {
        /**
         * A directory's {mtime, ctime} when the kernel first held it, while they vouch; else null.
         * Written only by DirStamps ({@link #take}, {@link #clear}, {@link #dropAll}).
         */
        private volatile long[] stamp;
        /**
         * A FORGET took its count to 0 or below: out of the view, never stamped again (a reply
         * racing that FORGET may still hold this object); a later lookup makes a new node.
         */
        boolean forgotten() {
            return false;
        }
    }

    /**
     * Set by the first FORGET of more references than were counted ({@link #off}): the view
     * missed an entry the kernel got, so its first holds cannot be told any more; no directory of
     * this mount is stamped from then on.
     */
    private final AtomicBoolean off = new AtomicBoolean();
    /** Moves with every stamp taken away: see the class comment. */
    private final AtomicLong token = new AtomicLong();
    /** The server's clock as last read from an event (its seen_unix_nanos), 0: none yet. */
    private volatile LongSupplier serverClock = () -> 0;

    /**
     * Keeps {@code attr}'s mtime and ctime as {@code n}'s stamp, unless the server did not say
     * this directory's file system moves its times ({@link FuseAttr#timesMove}: a share may hold
     * others mounted below its root), or they are within
     * {@link #RACY_NANOS} of the server's clock (or no event told it yet): see {@link #RACY_NANOS}.
     * The clock is the latest event's, set once the caches it drops are gone (ChangeEvents), so
     * attributes given from a cache were read by the server after it; it is read when the reply
     * arrived, so an event the server saw after it answered the lookup may be taken (the margin
     * absorbs that round trip, unless the reply took longer than the margin to come).
     * {@code readBefore}: {@link #token()} read before the call that got {@code attr}.
     */
    void take(Slot n, FuseAttr attr, long readBefore) {
        if (!attr.timesMove()) {
            return; // the server does not vouch that this directory's file system moves its times (Attr.times_move)
        }
        if (n.forgotten() || off.get()) {
            return; // this hold may not be the kernel's first (see Slot#forgotten)
        }
        long clock = serverClock.getAsLong();
        long newest = Math.max(attr.mtimeNs(), attr.ctimeNs());
        if (clock > 0 && newest <= clock - RACY_NANOS) {
            n.stamp = new long[] {attr.mtimeNs(), attr.ctimeNs()};
            // Checked after the store: a drop that moved the token before this check is seen here,
            // one after it nulls the stamp itself (it moves the token first, then clears)
            if (token.get() != readBefore) {
                clear(n);
            }
        }
    }

    /** Read before a call whose reply may make a stamp ({@link #take}). */
    long token() {
        return token.get();
    }

    /** Before stamps are taken away: a stamp stored meanwhile sees it (see the class comment). */
    void moveToken() {
        token.incrementAndGet();
    }

    /** {@code n}'s stamp, or null when it has none or stamps are off. */
    long[] vouching(Slot n) {
        return off.get() ? null : n.stamp;
    }

    /** Where the server's clock is read from (an event's seen_unix_nanos, see {@link #take}). */
    void serverClock(LongSupplier clock) {
        this.serverClock = clock;
    }

    /**
     * {@code n}'s stamp goes (a new hold, a FORGET, or what the resync found): callers that drop it
     * because of a change first move the token ({@link #moveToken}).
     */
    void clear(Slot n) {
        n.stamp = null;
    }

    /** Every stamp of {@code all} goes, and so do those of replies on their way (the token moves). */
    void dropAll(Iterable<? extends Slot> all) {
        moveToken();
        for (Slot n : all) {
            clear(n);
        }
    }

    /**
     * A FORGET of {@code count} references of node {@code nodeId}, which had {@code had} counted
     * (see {@link KernelView#forgotten}): stamps off for the mount, every one of {@code all}
     * dropped; logged once.
     */
    void off(long nodeId, long count, long had, Iterable<? extends Slot> all) {
        if (!off.compareAndSet(false, true)) {
            return;
        }
        dropAll(all);
        log.warn("FORGET of {} references of node {}, which had {} counted: the mount missed an entry the kernel got; "
                + "no directory is stamped any more (an overflow may announce creates of names that were there)",
                count, nodeId, had);
    }
}
