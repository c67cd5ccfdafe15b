package dev.fsdriver.client;

import dev.fsdriver.proto.v1.DirEntry;
import dev.fsdriver.proto.v1.Node;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.LongConsumer;
import java.util.function.LongPredicate;
import java.util.function.LongSupplier;

/**
 * Complete listings of directories kept while events flow (see {@link RemoteCaches}): for a
 * listing started again soon (rm -rf reads a directory twice), and for lookups in a directory
 * listed to answer them ({@link ColdLookups}). Each entry's node carries the reference the server
 * counted for it; the entries whose reference went to the kernel are marked given, the others are
 * given back ({@code forget}, one per entry: the NodeTable batches them) when their listing is
 * dropped, so that no reference leaks and none is handed out twice.
 *
 * <p>Bounded by directories and by entries in all (the proto entries cost ~220 bytes each: a
 * find over 60 directories of 1,000 files held 60,000 until the next change): adding one drops
 * the expired ones and then the least recently used until both bounds hold, like the server's
 * DirSnapshots.
 *
 * <p>Locking: this for the map; each listing locks itself for its marks.
 */
final class KeptListings {
    /** One complete listing: its entries (all pages), which of them went to the kernel, its change epoch. */
    static final class Kept {
        final List<DirEntry> page;
        private final BitSet given;
        final long epoch;
        final long expiresAtNanos;
        /** The server's event sequence the listing was made after (its first page's: see DirHandle). */
        final long eventSequence;
        private Map<String, Integer> byName;
        private Set<String> folded;
        /** Taken for a listing or dropped: its references are no longer this object's. */
        private boolean done;

        Kept(List<DirEntry> page, BitSet given, long epoch, long expiresAtNanos, long eventSequence) {
            this.page = page;
            this.eventSequence = eventSequence;
            this.given = given;
            this.epoch = epoch;
            this.expiresAtNanos = expiresAtNanos;
        }

        /** The marks, now the caller's (an open directory's), or null when taken or dropped already. */
        synchronized BitSet take() {
            if (done) {
                return null;
            }
            done = true;
            return (BitSet) given.clone();
        }

        /** What a lookup of {@code name} gets here (see {@link Answer}). */
        Answer lookup(String name) {
            return lookup(name, node -> true);
        }

        /**
         * What a lookup of {@code name} gets here (see {@link Answer}); a node not {@code current}
         * (changed since the listing) is asked the server.
         */
        synchronized Answer lookup(String name, LongPredicate current) {
            if (done) {
                return Answer.ASK;
            }
            if (byName == null) {
                byName = new HashMap<>(page.size() * 2);
                folded = new HashSet<>(page.size() * 2);
                for (int i = 0; i < page.size(); i++) {
                    byName.put(page.get(i).getName(), i);
                    folded.add(page.get(i).getName().toLowerCase(Locale.ROOT));
                }
            }
            Integer i = byName.get(name);
            if (i == null) {
                // a share that does not tell case apart (NTFS) finds it under another case: the server knows
                return folded.contains(name.toLowerCase(Locale.ROOT)) ? Answer.ASK : Answer.ABSENT;
            }
            DirEntry e = page.get(i);
            if (!e.hasNode() || given.get(i) || !current.test(e.getNode().getId())) {
                return Answer.ASK; // its reference is the kernel's already (the server counts a new one), or it changed
            }
            given.set(i);
            return new Answer(e.getNode());
        }

        /** Whether every entry whose node would go to the kernel (not given yet) is {@code current}. */
        synchronized boolean entriesCurrent(LongPredicate current) {
            for (int i = 0; i < page.size(); i++) {
                if (!given.get(i) && page.get(i).hasNode() && !current.test(page.get(i).getNode().getId())) {
                    return false;
                }
            }
            return true;
        }

        /** Gives back every reference not given to the kernel; the listing is unusable after. */
        synchronized void giveBack(LongConsumer forget) {
            if (done) {
                return;
            }
            done = true;
            for (int i = 0; i < page.size(); i++) {
                if (!given.get(i) && page.get(i).hasNode()) {
                    forget.accept(page.get(i).getNode().getId());
                }
            }
        }
    }

    /** A lookup's answer from a kept listing: the node (its reference counted), absent, or ask the server. */
    record Answer(Node node) {
        static final Answer ASK = new Answer(null);
        static final Answer ABSENT = new Answer(Node.getDefaultInstance());

        boolean found() {
            return node != null && node != ABSENT.node;
        }
    }

    private final int capacity;
    private final int maxEntries;
    private final LongConsumer forget;
    private final LongSupplier clock;
    private final LinkedHashMap<Long, Kept> byDir = new LinkedHashMap<>(16, 0.75f, true); // guarded by this
    private int entries; // guarded by this

    KeptListings(int capacity, int maxEntries, LongConsumer forget, LongSupplier clock) {
        this.capacity = capacity;
        this.maxEntries = maxEntries;
        this.forget = forget;
        this.clock = clock;
    }

    /**
     * Keeps {@code kept} as the listing of {@code dir}: the expired ones go, then the least
     * recently used while a bound is exceeded. A listing larger than all is given back at once.
     */
    void put(long dir, Kept kept) {
        List<Kept> out = new ArrayList<>();
        synchronized (this) {
            long now = clock.getAsLong();
            for (Iterator<Kept> it = byDir.values().iterator(); it.hasNext(); ) {
                Kept k = it.next();
                if (now - k.expiresAtNanos > 0) {
                    it.remove();
                    entries -= k.page.size();
                    out.add(k);
                }
            }
            Kept old = byDir.remove(dir);
            if (old != null) {
                entries -= old.page.size();
                out.add(old);
            }
            if (kept.page.size() > maxEntries) {
                out.add(kept);
            } else {
                for (Iterator<Kept> it = byDir.values().iterator();
                     it.hasNext() && (byDir.size() >= capacity || entries + kept.page.size() > maxEntries); ) {
                    Kept k = it.next();
                    it.remove();
                    entries -= k.page.size();
                    out.add(k);
                }
                byDir.put(dir, kept);
                entries += kept.page.size();
            }
        }
        out.forEach(k -> k.giveBack(forget));
    }

    /** The listing kept for {@code dir}, left in place (for lookups); or null. */
    synchronized Kept get(long dir) {
        return byDir.get(dir);
    }

    /** The listing kept for {@code dir}, taken out (for a listing started again); or null. */
    Kept remove(long dir) {
        Kept k;
        synchronized (this) {
            k = byDir.remove(dir);
            if (k != null) {
                entries -= k.page.size();
            }
        }
        return k;
    }

    /** Drops every listing, giving back what they hold. */
    void clear() {
        List<Kept> out;
        synchronized (this) {
            if (byDir.isEmpty()) {
                return;
            }
            out = new ArrayList<>(byDir.values());
            byDir.clear();
            entries = 0;
        }
        out.forEach(k -> k.giveBack(forget));
    }

    /** Whether {@code kept} may still be used now. */
    boolean fresh(Kept kept) {
        return clock.getAsLong() - kept.expiresAtNanos < 0;
    }

    synchronized int directories() {
        return byDir.size();
    }

    synchronized int entries() {
        return entries;
    }
}
