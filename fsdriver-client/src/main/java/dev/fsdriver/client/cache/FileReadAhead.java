package dev.fsdriver.client.cache;

import com.carrotsearch.hppc.IntArrayList;
import com.carrotsearch.hppc.IntObjectHashMap;
import com.carrotsearch.hppc.LongArrayList;
import com.carrotsearch.hppc.LongLongHashMap;
import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import dev.fsdriver.common.FileMode;
import dev.fsdriver.common.OpenFlags;
import dev.fsdriver.proto.v1.DirEntry;
import dev.fsdriver.proto.v1.OpenManyReply;
import dev.fsdriver.proto.v1.OpenManyRequest;
import dev.fsdriver.proto.v1.OpenOutcome;
import dev.fsdriver.proto.v1.OpenReply;
import dev.fsdriver.proto.v1.OpenRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

/**
 * The {@link Prefetcher}'s files: remembers the listing order of the small regular files of each
 * directory listed with READDIRPLUS (bounded: {@link Prefetcher#MAX_POSITIONS} files in all, then
 * it starts over), and when a program opens them in that order, fetches the
 * next ones as read-only opens whose replies carry the whole file (OpenRequest.inline_max). With
 * a {@code manyOpener} they go in OpenMany calls of up to {@link Prefetcher#MANY_FILES} files and
 * {@link Prefetcher#MANY_BYTES} bytes, the next one when less than half of that is still ahead;
 * else one Open each, {@code depth} files ahead.
 *
 * <p>Thread-safe: concurrent maps, {@link Positions}' monitor, and a listing's own state guarded by the
 * listing (the two monitors never nested).
 */
final class FileReadAhead {
    private static final class Listing {
        /** Names it in {@link Positions}. */
        final int id;
        // Guarded by this. Primitive lists: boxed, they cost 40 bytes more per listed file.
        final LongArrayList nodes = new LongArrayList();
        /** Each node's size as listed. */
        final IntArrayList sizes = new IntArrayList();
        int lastOpened = -1;
        int fetchedUpTo = -1;
        /** The {@link #epoch} fetchedUpTo belongs to: after a drop, fetching starts over. */
        long fetchedEpoch;

        Listing(int id) {
            this.id = id;
        }
    }

    /** Where a listed file is: its listing and its index there. */
    private record Position(Listing listing, int index) {}

    /**
     * Each listed file's position, kept in primitive tables (issue 16: a map entry, a boxed key and
     * a position object per file cost ~100 bytes; this ~20-40). Guarded by this object's monitor,
     * never held together with a listing's.
     */
    private static final class Positions {
        /** Node id -> listing id << 32 | index. */
        private final LongLongHashMap byNode = new LongLongHashMap(16, 0.9); // at the bound: 2^18 slots, not 2^19
        private final IntObjectHashMap<Listing> byId = new IntObjectHashMap<>();
        private int nextId;

        synchronized Listing newListing() {
            Listing l = new Listing(nextId++);
            byId.put(l.id, l);
            return l;
        }

        /** {@code nodes} were listed in {@code l} at {@code first}, {@code first} + 1, ... */
        synchronized void put(Listing l, LongArrayList nodes, int first) {
            if (byId.get(l.id) != l) {
                return; // dropped meanwhile
            }
            for (int i = 0; i < nodes.size(); i++) {
                byNode.put(nodes.get(i), (long) l.id << 32 | (first + i));
            }
        }

        /** {@code l} was replaced by a new listing of its directory: no position is put for it any more. */
        synchronized void retire(Listing l) {
            byId.remove(l.id);
        }

        /** After {@link #retire}: the positions of {@code l}'s files go ({@code nodes}: a copy taken after). */
        synchronized void remove(Listing l, LongArrayList nodes) {
            for (int i = 0; i < nodes.size(); i++) {
                long node = nodes.get(i);
                if (byNode.containsKey(node) && (int) (byNode.get(node) >>> 32) == l.id) {
                    byNode.remove(node);
                }
            }
        }

        /** The position of {@code node}, or null; to be checked against its listing ({@link #at}). */
        synchronized Position get(long node) {
            if (!byNode.containsKey(node)) {
                return null;
            }
            long v = byNode.get(node);
            Listing l = byId.get((int) (v >>> 32));
            return l == null ? null : new Position(l, (int) v);
        }

        synchronized int size() {
            return byNode.size();
        }

        /** Forgets everything, and gives the tables' memory back (they never shrink). */
        synchronized void clear() {
            byNode.release();
            byId.release();
        }
    }

    private record Fetched(ListenableFuture<OpenReply> reply, long atNanos) {}

    /** Past this many replies waiting, the expired ones go at the next fetch. */
    private static final int MAX_FETCHED = 1024;

    private final Function<OpenRequest, ListenableFuture<OpenReply>> opener;
    /** Null: the server has no OpenMany (one Open per file). */
    private final Function<OpenManyRequest, ListenableFuture<OpenManyReply>> manyOpener;
    /** Gives back a server handle a fetched reply came with. */
    private final LongConsumer release;
    private final int inlineMax;
    private final int depth;
    private final long ttlNanos;
    private final LongSupplier clock;
    private final BooleanSupplier on;
    private final ConcurrentHashMap<Long, Listing> listings = new ConcurrentHashMap<>();
    private final Positions positions = new Positions();
    private final ConcurrentHashMap<Long, Fetched> fetched = new ConcurrentHashMap<>();
    /** Moves at every {@link #dropAll}. */
    private final java.util.concurrent.atomic.AtomicLong epoch = new java.util.concurrent.atomic.AtomicLong();

    /**
     * @param release gives back the server handle of a fetched reply that came with one
     * @param on      whether to fetch ahead and use what was fetched (change events flowing)
     */
    FileReadAhead(Function<OpenRequest, ListenableFuture<OpenReply>> opener,
                  Function<OpenManyRequest, ListenableFuture<OpenManyReply>> manyOpener, LongConsumer release,
                  int inlineMax, int depth, long ttlNanos, LongSupplier nanoClock, BooleanSupplier on) {
        this.opener = opener;
        this.manyOpener = manyOpener;
        this.release = release;
        this.inlineMax = inlineMax;
        this.depth = depth;
        this.ttlNanos = ttlNanos;
        this.clock = nanoClock;
        this.on = on;
    }

    /** A READDIRPLUS page of {@code dir} fetched from {@code cursor} (0: a new listing): its small files' order. */
    void listed(long dir, long cursor, List<DirEntry> page) {
        Listing l;
        if (cursor == 0) {
            l = positions.newListing();
            Listing old = listings.put(dir, l);
            if (old != null) {
                // retired first: a page still being added to it puts no position after this
                positions.retire(old);
                LongArrayList had;
                synchronized (old) {
                    had = old.nodes.clone();
                }
                positions.remove(old, had);
            }
        } else {
            l = listings.get(dir);
            if (l == null) {
                return; // its start was not seen: order unknown
            }
        }
        if (positions.size() > Prefetcher.MAX_POSITIONS) {
            positions.clear();
            listings.clear();
            return;
        }
        LongArrayList added = new LongArrayList();
        int first;
        synchronized (l) {
            first = l.nodes.size();
            for (DirEntry e : page) {
                if (e.hasNode() && FileMode.isRegular(e.getNode().getAttr().getMode())
                        && e.getNode().getAttr().getSize() <= inlineMax) {
                    added.add(e.getNode().getId());
                    l.nodes.add(e.getNode().getId());
                    l.sizes.add((int) e.getNode().getAttr().getSize());
                }
            }
        }
        positions.put(l, added, first);
    }

    /**
     * Whether {@code p} (from {@link Positions#get}) still stands for {@code node}: after the ids
     * of listings wrap around, a position may name another listing. Called under the listing's monitor.
     */
    private static boolean at(Position p, long node) {
        return p.index < p.listing.nodes.size() && p.listing.nodes.get(p.index) == node;
    }

    /** The fetched Open reply of {@code node}, if one is waiting and fresh; it is taken. */
    ListenableFuture<OpenReply> take(long node) {
        Fetched f = fetched.remove(node);
        if (f == null || clock.getAsLong() - f.atNanos > ttlNanos || !on.getAsBoolean()) {
            return null;
        }
        return f.reply;
    }

    /**
     * A program opens {@code node} read-only for its content and nothing was fetched for it: when
     * it is the next file of its listing in order (the first of a directory a walk reaches, or
     * one the walk got to before the read-ahead), it goes with the files after it in one
     * OpenMany, and its own reply is returned (the read-ahead {@link #opened} would start next
     * would be a second call); else null. grep -r made an Open for the first file of every
     * directory and an OpenMany for the rest.
     */
    ListenableFuture<OpenReply> openWithNext(long node) {
        return withNext(node, false);
    }

    /**
     * A program reads {@code node}, opened without the server (the kernel kept its pages, it
     * thought), and nothing was fetched for it: the kernel lost the pages, likely those of the
     * files after it too (a page cache dropped), so it goes with them in one OpenMany, as
     * {@link #openWithNext} but also at a listing's first file out of order (a new pass); the
     * reads of the next ones go on in order through {@link #opened}. Only there or at the next
     * file in order, and not again for a pass that goes on in order after a drop took its
     * batch (cp -r from the mount into it drops it at every write: fetching again would read
     * each batch again for every file). Null: not batched (the caller reads by node), the
     * position taken all the same, so that the next in-order read is known as such.
     */
    ListenableFuture<OpenReply> readWithNext(long node) {
        return withNext(node, true);
    }

    /** {@link #openWithNext} ({@code read} false) and {@link #readWithNext}: they differ only in when they batch. */
    private ListenableFuture<OpenReply> withNext(long node, boolean read) {
        Position p = positions.get(node);
        if (p == null || manyOpener == null || !on.getAsBoolean()) {
            return null;
        }
        Listing l = p.listing;
        List<Long> batch = new ArrayList<>();
        synchronized (l) {
            if (!at(p, node)) {
                return null;
            }
            boolean next = p.index == l.lastOpened + 1;
            if (read) {
                l.lastOpened = p.index; // also when not batched: the next in-order read is known as such
            }
            // Asked for already: taken, or dropped since (the mount's own writes drop everything
            // fetched; waiting for a new call's worth at every open of cp -r or tar from the mount
            // would cost more than it saves). Out of order: an open is not walking the listing; a
            // read batches only at the listing's first file (a new pass), else it is one Read.
            if (next ? l.fetchedUpTo >= p.index : !read || p.index != 0) {
                return null;
            }
            l.fetchedEpoch = epoch.get();
            batch.add(node);
            l.fetchedUpTo = p.index;
            // A whole call's worth, though the program waits for it: only a program that opens the
            // first file of a listing first (or outruns the read-ahead) gets here: a walk.
            addMany(l, p.index + 1, Prefetcher.MANY_FILES, Prefetcher.MANY_BYTES - l.sizes.get(p.index), batch);
        }
        fetchMany(batch, clock.getAsLong());
        Fetched f = fetched.remove(node);
        return f == null ? null : f.reply; // null: an event overtook the request (see fetchMany)
    }

    /** A program opened {@code node} read-only: if it goes through a listing in order, fetch ahead. */
    void opened(long node) {
        Position p = positions.get(node);
        if (p == null || !on.getAsBoolean()) {
            return;
        }
        Listing l = p.listing;
        List<Long> ahead = new ArrayList<>();
        synchronized (l) {
            if (!at(p, node)) {
                return;
            }
            boolean inOrder = p.index == l.lastOpened + 1;
            l.lastOpened = p.index;
            if (!inOrder) {
                return;
            }
            if (l.fetchedEpoch != epoch.get()) {
                l.fetchedEpoch = epoch.get();
                l.fetchedUpTo = p.index;
            }
            int from = Math.max(p.index + 1, l.fetchedUpTo + 1);
            if (manyOpener != null) {
                nextMany(l, p.index, from, ahead);
            } else {
                int to = Math.min(l.nodes.size() - 1, p.index + depth);
                for (int i = from; i <= to; i++) {
                    ahead.add(l.nodes.get(i));
                }
                l.fetchedUpTo = Math.max(l.fetchedUpTo, to);
            }
        }
        long now = clock.getAsLong();
        if (manyOpener != null) {
            if (!ahead.isEmpty()) {
                fetchMany(ahead, now);
            }
            return;
        }
        for (long n : ahead) {
            // Read before the request goes: a drop (an event) from then on until the reply is stored
            // may be of a change the reply missed, and would find nothing to drop yet.
            long before = epoch.get();
            ListenableFuture<OpenReply> reply = opener.apply(OpenRequest.newBuilder().setNode(n)
                    .setFlags(OpenFlags.O_RDONLY).setInlineMax(inlineMax).build());
            releaseIfHeld(reply);
            Fetched f = new Fetched(reply, now);
            fetched.put(n, f);
            if (epoch.get() != before) {
                fetched.remove(n, f);
            }
        }
    }

    /**
     * The files of the next OpenMany into {@code ahead}, from {@code from} on, when less than half
     * a call's worth is still ahead of {@code index} (files fetched and not yet opened).
     */
    private static void nextMany(Listing l, int index, int from, List<Long> ahead) {
        long aheadBytes = 0;
        for (int i = index + 1; i < from; i++) {
            aheadBytes += l.sizes.get(i);
        }
        if (from - index - 1 >= Prefetcher.MANY_FILES / 2 || aheadBytes >= Prefetcher.MANY_BYTES / 2) {
            return;
        }
        addMany(l, from, Prefetcher.MANY_FILES, Prefetcher.MANY_BYTES, ahead);
    }

    /** Adds the files from {@code from} on to {@code ahead}, up to {@code files} in it and {@code maxBytes} by the listing's sizes. */
    private static void addMany(Listing l, int from, int files, long maxBytes, List<Long> ahead) {
        long bytes = 0;
        for (int i = from; i < l.nodes.size() && ahead.size() < files; i++) {
            bytes += l.sizes.get(i);
            if (bytes > maxBytes && !ahead.isEmpty()) {
                break;
            }
            ahead.add(l.nodes.get(i));
            l.fetchedUpTo = i;
        }
    }

    /** The opens of {@code nodes} in one OpenMany: a future per node, failed where the server read none. */
    private void fetchMany(List<Long> nodes, long now) {
        if (fetched.size() > MAX_FETCHED) {
            fetched.values().removeIf(f -> now - f.atNanos > ttlNanos); // never taken (a quiet share has no drops)
        }
        long before = epoch.get(); // as in opened: a drop from then on may be of a change the reply missed
        ListenableFuture<OpenManyReply> batch = manyOpener.apply(OpenManyRequest.newBuilder().addAllNodes(nodes)
                .setInlineMax(inlineMax).build());
        for (int i = 0; i < nodes.size(); i++) {
            int index = i;
            Fetched f = new Fetched(Futures.transform(batch, r -> whole(r, index), MoreExecutors.directExecutor()), now);
            fetched.put(nodes.get(i), f);
            if (epoch.get() != before) {
                fetched.remove(nodes.get(i), f);
            }
        }
    }

    /** The {@code index}th file of an OpenMany reply; not read (too large, or an error): the program's open asks itself. */
    private static OpenReply whole(OpenManyReply r, int index) {
        OpenOutcome o = index < r.getOutcomesCount() ? r.getOutcomes(index) : OpenOutcome.getDefaultInstance();
        if (!o.hasOpened()) {
            throw new IllegalStateException("not read ahead (errno " + o.getErrno() + ")");
        }
        return o.getOpened();
    }

    /** Forgets every fetched reply. */
    void dropAll() {
        epoch.incrementAndGet(); // always, also with nothing stored: a read-ahead on its way checks it (see opened)
        if (!fetched.isEmpty()) {
            fetched.clear();
        }
    }

    /** A fetched reply that came with a server handle (the file grew past inline_max) is given back. */
    private void releaseIfHeld(ListenableFuture<OpenReply> reply) {
        Futures.addCallback(reply, new FutureCallback<>() {
            @Override
            public void onSuccess(OpenReply r) {
                if (r.getHandle() != 0) {
                    release.accept(r.getHandle());
                }
            }

            @Override
            public void onFailure(Throwable t) {
                // the program's own open will ask again and meet the error itself
            }
        }, MoreExecutors.directExecutor());
    }

    /** Fetched replies waiting (for tests). */
    int waiting() {
        return fetched.size();
    }
}
