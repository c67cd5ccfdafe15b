package dev.fsdriver.client.cache;

import dev.fsdriver.common.FileMode;
import dev.fsdriver.proto.v1.Attr;
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
 * dropped, so that no reference leaks and none is handed out twice. A listing follows the
 * mount's own changes of its directory's names ({@link Kept#made}, {@link Kept#removed},
 * {@link Kept#renamed}, see {@link RemoteCaches#namesChanged}); it then answers lookups only.
 *
 * <p>Bounded by directories and by entries in all (the proto entries cost ~220 bytes each: a
 * find over 60 directories of 1,000 files held 60,000 until the next change): adding one drops
 * the expired ones and then the least recently used until both bounds hold, like the server's
 * DirSnapshots.
 *
 * <p>Locking: this for the map; each listing locks itself for its marks.
 */
public final class KeptListings {
    /** One complete listing: its entries (all pages), which of them went to the kernel, its change epoch. */
    public static final class Kept {
        /** Replaced, never changed, by an own change's update (see {@link #made}); read by a listing that took it. */
        volatile List<DirEntry> page;
        private BitSet given;
        /** The change epoch its entries (their nodes' attributes) were fetched at. */
        final long epoch;
        /**
         * The change epoch its names are current at: its fetch's, or the last own change applied to
         * it (see {@link RemoteCaches#namesChanged}). Guarded by this.
         */
        private long namesEpoch;
        /** Updated by own changes: for lookups only (its entries' cursors are no listing's any more). */
        private boolean updated;
        final long expiresAtNanos;
        /** The server's event sequence the listing was made after (its first page's: see DirHandle). */
        final long eventSequence;
        private Map<String, Integer> byName;
        private Set<String> folded;
        /** Taken for a listing or dropped: its references are no longer this object's. */
        private boolean done;

        public Kept(List<DirEntry> page, BitSet given, long epoch, long expiresAtNanos, long eventSequence) {
            this.page = page;
            this.eventSequence = eventSequence;
            this.given = given;
            this.epoch = epoch;
            this.expiresAtNanos = expiresAtNanos;
            this.namesEpoch = epoch;
        }

        /** Its entries (all pages). */
        public List<DirEntry> page() {
            return page;
        }

        /** The change epoch its entries were fetched at. */
        public long epoch() {
            return epoch;
        }

        /** Until when it may be used. */
        public long expiresAtNanos() {
            return expiresAtNanos;
        }

        /** The server's event sequence it was made after. */
        public long eventSequence() {
            return eventSequence;
        }

        synchronized long namesEpoch() {
            return namesEpoch;
        }

        /** Whether a listing of the directory may be served from it (not one updated by own changes). */
        synchronized boolean listable() {
            return !updated;
        }

        /** The marks, now the caller's (an open directory's), or null when taken or dropped already. */
        public synchronized BitSet take() {
            if (done) {
                return null;
            }
            done = true;
            return (BitSet) given.clone();
        }

        /** What a lookup of {@code name} gets here (see {@link Answer}). */
        Answer lookup(String name) {
            return lookup(name, node -> true, NodeAnswers.NONE);
        }

        /** What a lookup of {@code name} gets here; a node not {@code current} is asked the server. */
        Answer lookup(String name, LongPredicate current) {
            return lookup(name, current, NodeAnswers.NONE);
        }

        /**
         * What a lookup of {@code name} gets here (see {@link Answer}). A node not {@code current}
         * (changed since the listing), or whose reference the kernel took already, is answered
         * only with the attributes {@code answers} knows current for it, and in the second case
         * with a reference it lends; else the server is asked.
         */
        synchronized Answer lookup(String name, LongPredicate current, NodeAnswers answers) {
            if (done) {
                return Answer.ASK;
            }
            indexed();
            Integer i = byName.get(name);
            if (i == null) {
                // a share that does not tell case apart (NTFS) finds it under another case: the server knows
                return folded.contains(name.toLowerCase(Locale.ROOT)) ? Answer.ASK : Answer.ABSENT;
            }
            DirEntry e = page.get(i);
            if (!e.hasNode()) {
                return Answer.ASK;
            }
            Node node = e.getNode();
            if (!given.get(i) && current.test(node.getId())) {
                given.set(i);
                return new Answer(node);
            }
            Attr attr = answers.attrs(node.getId());
            if (attr == null || attr.getGeneration() != node.getGeneration()
                    || (attr.getMode() & FileMode.S_IFMT) != (node.getAttr().getMode() & FileMode.S_IFMT)) {
                return Answer.ASK;
            }
            Node answered = node.toBuilder().setAttr(attr).build();
            if (!given.get(i)) {
                given.set(i); // the reference the server counted for the listing
                return new Answer(answered);
            }
            // the kernel holds the node (the name was its own change, or looked up before): the
            // server counts a new reference unless one is lent (a rename's target, looked up again)
            return answers.lend(node.getId(), node.getGeneration()) ? new Answer(answered) : Answer.ASK;
        }

        /**
         * Whether {@code name} is listed here with a node whose reference went to the kernel
         * already (so a lookup of it is answered here only while the kernel still holds the node).
         */
        synchronized boolean given(String name) {
            if (done) {
                return false;
            }
            indexed();
            Integer i = byName.get(name);
            return i != null && page.get(i).hasNode() && given.get(i);
        }

        private void indexed() {
            if (byName == null) {
                byName = new HashMap<>(page.size() * 2);
                folded = new HashSet<>(page.size() * 2);
                for (int i = 0; i < page.size(); i++) {
                    byName.put(page.get(i).getName(), i);
                    folded.add(page.get(i).getName().toLowerCase(Locale.ROOT));
                }
            }
        }

        // ---- own changes, applied while the listing is set aside (see RemoteCaches#namesChanging):
        // each says false when the listing cannot be kept current (a name not as expected: drop it)

        /** {@code name} was made here with {@code node}, whose reference went to the kernel. */
        public synchronized boolean made(String name, Node node) {
            indexed();
            if (done || folded.contains(name.toLowerCase(Locale.ROOT))) {
                return false;
            }
            List<DirEntry> next = new ArrayList<>(page);
            next.add(DirEntry.newBuilder().setName(name).setIno(node.getAttr().getIno())
                    .setType(node.getAttr().getMode() & FileMode.S_IFMT).setNode(node.toBuilder().clearParent()).build());
            given.set(page.size());
            replaced(next);
            return true;
        }

        /** {@code name} was removed from here; a reference the kernel never took is given back. */
        public synchronized boolean removed(String name, LongConsumer forget) {
            indexed();
            Integer i = byName.get(name);
            if (done || i == null) {
                return false;
            }
            remove(i, forget);
            return true;
        }

        /** {@code name} is not here (removed if it still was); false once given back. */
        public synchronized boolean without(String name, LongConsumer forget) {
            indexed();
            if (done) {
                return false;
            }
            Integer i = byName.get(name);
            if (i != null) {
                remove(i, forget);
            }
            return true;
        }

        /** {@code name} was renamed to {@code newName} here, replacing what had that name. */
        public synchronized boolean renamed(String name, String newName, LongConsumer forget) {
            indexed();
            Integer i = byName.get(name);
            if (done || i == null) {
                return false;
            }
            if (name.equals(newName)) {
                return true;
            }
            Integer j = byName.get(newName);
            if (j == null && folded.contains(newName.toLowerCase(Locale.ROOT))) {
                return false; // another case of it: which one the server replaced is its own
            }
            List<DirEntry> next = new ArrayList<>(page);
            next.set(i, page.get(i).toBuilder().setName(newName).build());
            replaced(next);
            if (j != null) {
                remove(j, forget);
            }
            return true;
        }

        private void remove(int i, LongConsumer forget) {
            DirEntry e = page.get(i);
            if (!given.get(i) && e.hasNode()) {
                forget.accept(e.getNode().getId());
            }
            List<DirEntry> next = new ArrayList<>(page);
            next.remove(i);
            BitSet shifted = new BitSet();
            for (int k = given.nextSetBit(0); k >= 0; k = given.nextSetBit(k + 1)) {
                if (k != i) {
                    shifted.set(k < i ? k : k - 1);
                }
            }
            given = shifted;
            replaced(next);
        }

        private void replaced(List<DirEntry> next) {
            page = List.copyOf(next);
            updated = true;
            byName = null;
            folded = null;
        }

        /** Its names are current at change epoch {@code epoch} (an own change applied). */
        synchronized void namesCurrentAt(long epoch) {
            namesEpoch = epoch;
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

        /**
         * Whether the kernel still holds every node it was given from here: a listing of it gives
         * those entries as names only, which the kernel, had it forgotten them since (memory
         * pressure), would look up one by one.
         */
        synchronized boolean givenStillHeld(LongPredicate held) {
            for (int i = given.nextSetBit(0); i >= 0 && i < page.size(); i = given.nextSetBit(i + 1)) {
                if (page.get(i).hasNode() && !held.test(page.get(i).getNode().getId())) {
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

    /**
     * What a lookup answered from a listing may use besides it: the attributes known current for
     * a node (null: none), and a reference to a node the kernel holds, lent without the server
     * (false: not held).
     */
    interface NodeAnswers {
        NodeAnswers NONE = new NodeAnswers() {
            @Override
            public Attr attrs(long node) {
                return null;
            }

            @Override
            public boolean lend(long node, long generation) {
                return false;
            }
        };

        Attr attrs(long node);

        boolean lend(long node, long generation);
    }

    /** A lookup's answer from a kept listing: the node (its reference counted), absent, or ask the server. */
    public record Answer(Node node) {
        public static final Answer ASK = new Answer(null);
        static final Answer ABSENT = new Answer(Node.getDefaultInstance());

        public boolean found() {
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
