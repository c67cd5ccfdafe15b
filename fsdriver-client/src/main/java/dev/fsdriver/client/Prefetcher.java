package dev.fsdriver.client;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import dev.fsdriver.common.FileMode;
import dev.fsdriver.common.OpenFlags;
import dev.fsdriver.proto.v1.DirEntry;
import dev.fsdriver.proto.v1.HandleRequest;
import dev.fsdriver.proto.v1.OpenManyReply;
import dev.fsdriver.proto.v1.OpenManyRequest;
import dev.fsdriver.proto.v1.OpenOutcome;
import dev.fsdriver.proto.v1.OpenReply;
import dev.fsdriver.proto.v1.OpenRequest;
import dev.fsdriver.proto.v1.ReadDirReply;
import dev.fsdriver.proto.v1.ReadDirRequest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.LongConsumer;
import java.util.function.LongPredicate;
import java.util.function.LongSupplier;

/**
 * Read-ahead across files and directories, for programs that walk a tree:
 * <ul>
 * <li>Files: a program that reads the small files of a directory one after the other in
 *     listing order (grep -r, tar c, cp -r, rsync) gets the next ones fetched while it reads
 *     the current one, as read-only opens whose replies carry the whole file and keep nothing
 *     open on the server (OpenRequest.inline_max). The program's own OPEN then takes the
 *     waiting reply instead of making the round trip. With a server that has "open-many" they
 *     go in OpenMany calls of up to {@link #MANY_FILES} files and {@link #MANY_BYTES} bytes,
 *     the next one when less than half of that is still ahead; else one Open each,
 *     {@code depth} files ahead.
 * <li>Directories: once a program lists a directory it found in a listing (it is descending a
 *     tree: find, git status, du, ls -R), the first pages of that directory's subdirectories
 *     are fetched in parallel ({@link #MAX_DIRS_IN_FLIGHT} at a time) and its own listing of
 *     each takes the waiting page. A page fetched and never used is given back: its entries'
 *     node references are forgotten ({@code unused}).
 * </ul>
 *
 * <p>Coherence: only while change events flow ({@code enabled}); every event and every change
 * made through this mount drops all fetched replies ({@link #dropAll}), and a reply not taken
 * within {@code ttlNanos} is not used. So a fetched file is never older than the kernel's own
 * caches would be.
 *
 * <p>What it remembers: the listing order of the small regular files of each directory listed
 * with READDIRPLUS (bounded: {@link #MAX_POSITIONS} files in all, then it starts over).
 *
 * <p>Thread-safe: concurrent maps; a listing's own state is guarded by the listing.
 */
final class Prefetcher {
    static final int MAX_POSITIONS = 200_000;
    static final int MAX_DIRS_IN_FLIGHT = 8;
    static final int MAX_DIR_PAGES = 256;
    /**
     * Directory pages fetched ahead and not taken yet (in flight included), at most; the next go
     * out as the walk takes these. A walk slower than the pages' ttl found most of a longer run
     * ahead expired, gave them back and listed them again (find over 200 directories of 1,000
     * files: 360 ReadDirs and 160 Forgets, issue 16).
     */
    static final int MAX_DIRS_AHEAD = 16;
    /** Most files and bytes (by the listing's sizes) one OpenMany asks for: the server's limits. */
    static final int MANY_FILES = 64;
    static final int MANY_BYTES = 1 << 20;

    private static final class Listing {
        final long dir;
        // Guarded by this.
        final List<Long> nodes = new ArrayList<>();
        /** Each node's size as listed. */
        final List<Integer> sizes = new ArrayList<>();
        int lastOpened = -1;
        int fetchedUpTo = -1;
        /** The {@link #epoch} fetchedUpTo belongs to: after a drop, fetching starts over. */
        long fetchedEpoch;

        Listing(long dir) {
            this.dir = dir;
        }
    }

    private record Position(Listing listing, int index) {}

    private record Fetched(ListenableFuture<OpenReply> reply, long atNanos) {}

    private record Listed(ListenableFuture<ReadDirReply> reply, long atNanos) {}

    private final Connection connection;
    private final Function<OpenRequest, ListenableFuture<OpenReply>> opener;
    /** Null: the server has no OpenMany (one Open per file). */
    private final Function<OpenManyRequest, ListenableFuture<OpenManyReply>> manyOpener;
    private final Function<ReadDirRequest, ListenableFuture<ReadDirReply>> lister;
    private final int inlineMax;
    private final int depth;
    private final long ttlNanos;
    private final LongSupplier clock;
    private volatile BooleanSupplier enabled = () -> false;
    private final ConcurrentHashMap<Long, Listing> listings = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, Position> positions = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, Fetched> fetched = new ConcurrentHashMap<>();
    /** Moves at every {@link #dropAll}. */
    private volatile long epoch;
    /** First pages of directories fetched ahead, by directory node. */
    private final ConcurrentHashMap<Long, Listed> dirPages = new ConcurrentHashMap<>();
    /** Directories seen as entries of a listing: listing one of them is a descent. */
    private final Set<Long> subdirs = ConcurrentHashMap.newKeySet();
    private final AtomicInteger dirsInFlight = new AtomicInteger();
    /** Directories to fetch ahead, in the order the walk will reach them (bounded by MAX_DIR_PAGES). */
    private final ConcurrentLinkedQueue<Long> toList = new ConcurrentLinkedQueue<>();
    private final int pageSize;
    private final LongConsumer unused;

    /**
     * @param pageSize entries asked per directory page (as the file system's own ReadDir)
     * @param unused   gives back one server reference of a node that was fetched ahead in a
     *                 directory page and never handed to the kernel
     */
    Prefetcher(Connection connection, boolean openMany, int inlineMax, int depth, int pageSize, long ttlNanos,
               LongSupplier nanoClock, LongConsumer unused) {
        this(connection, r -> connection.filesAsync().open(r), openMany ? r -> connection.filesAsync().openMany(r) : null,
                r -> connection.filesAsync().readDir(r), inlineMax, depth, pageSize, ttlNanos, nanoClock, unused);
    }

    /**
     * @param opener     sends a read-ahead Open, {@code manyOpener} an OpenMany (null: the server
     *                   has none), {@code lister} a read-ahead ReadDir (the connection's, or a test's)
     */
    Prefetcher(Connection connection, Function<OpenRequest, ListenableFuture<OpenReply>> opener,
               Function<OpenManyRequest, ListenableFuture<OpenManyReply>> manyOpener,
               Function<ReadDirRequest, ListenableFuture<ReadDirReply>> lister,
               int inlineMax, int depth, int pageSize, long ttlNanos, LongSupplier nanoClock, LongConsumer unused) {
        this.connection = connection;
        this.opener = opener;
        this.manyOpener = manyOpener;
        this.lister = lister;
        this.pageSize = pageSize;
        this.unused = unused;
        this.inlineMax = inlineMax;
        this.depth = depth;
        this.ttlNanos = ttlNanos;
        this.clock = nanoClock;
    }

    /**
     * Told of each directory page fetched ahead that is the whole directory: the events layer's
     * baseline of its names (else it lists a directory the kernel has held for a second and no
     * program has listed yet: on a slow walk, grep -r, most of the directories ahead).
     */
    private volatile ListingSequences.Whole wholeListings = (dir, names, sequence) -> { };

    void wholeListingsTo(ListingSequences.Whole listener) {
        this.wholeListings = listener;
    }

    /** Directories whose listing is kept already (see RemoteCaches): not fetched ahead. */
    private volatile LongPredicate kept = dir -> false;

    /** Directories for which {@code kept} holds are not fetched ahead: their listing takes what is kept. */
    void skipKept(LongPredicate kept) {
        this.kept = kept;
    }

    /** Prefetch only while {@code condition} holds (change events flowing). */
    void enableWhile(BooleanSupplier condition) {
        this.enabled = condition;
    }

    private boolean on() {
        return depth > 0 && inlineMax > 0 && enabled.getAsBoolean();
    }

    /** A READDIRPLUS page of {@code dir} fetched from {@code cursor} (0: a new listing). */
    void listed(long dir, long cursor, List<DirEntry> page) {
        if (!on()) {
            return;
        }
        listSubdirsAhead(dir, cursor, page);
        Listing l;
        if (cursor == 0) {
            l = new Listing(dir);
            Listing old = listings.put(dir, l);
            if (old != null) {
                synchronized (old) {
                    old.nodes.forEach(n -> positions.computeIfPresent(n, (k, v) -> v.listing == old ? null : v));
                }
            }
        } else {
            l = listings.get(dir);
            if (l == null) {
                return; // its start was not seen: order unknown
            }
        }
        if (positions.size() > MAX_POSITIONS) {
            positions.clear();
            listings.clear();
            return;
        }
        synchronized (l) {
            for (DirEntry e : page) {
                if (e.hasNode() && FileMode.isRegular(e.getNode().getAttr().getMode())
                        && e.getNode().getAttr().getSize() <= inlineMax) {
                    long node = e.getNode().getId();
                    positions.put(node, new Position(l, l.nodes.size()));
                    l.nodes.add(node);
                    l.sizes.add((int) e.getNode().getAttr().getSize());
                }
            }
        }
    }

    /** The fetched Open reply of {@code node}, if one is waiting and fresh; it is taken. */
    ListenableFuture<OpenReply> take(long node) {
        Fetched f = fetched.remove(node);
        if (f == null || clock.getAsLong() - f.atNanos > ttlNanos || !on()) {
            return null;
        }
        return f.reply;
    }

    /** A program opened {@code node} read-only: if it goes through a listing in order, fetch ahead. */
    void opened(long node) {
        Position p = positions.get(node);
        if (p == null || !on()) {
            return;
        }
        Listing l = p.listing;
        List<Long> ahead = new ArrayList<>();
        synchronized (l) {
            boolean inOrder = p.index == l.lastOpened + 1;
            l.lastOpened = p.index;
            if (!inOrder) {
                return;
            }
            if (l.fetchedEpoch != epoch) {
                l.fetchedEpoch = epoch;
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
            long before = epoch;
            ListenableFuture<OpenReply> reply = opener.apply(OpenRequest.newBuilder().setNode(n)
                    .setFlags(OpenFlags.O_RDONLY).setInlineMax(inlineMax).build());
            releaseIfHeld(reply);
            Fetched f = new Fetched(reply, now);
            fetched.put(n, f);
            if (epoch != before) {
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
        if (from - index - 1 >= MANY_FILES / 2 || aheadBytes >= MANY_BYTES / 2) {
            return;
        }
        long bytes = 0;
        for (int i = from; i < l.nodes.size() && ahead.size() < MANY_FILES; i++) {
            bytes += l.sizes.get(i);
            if (bytes > MANY_BYTES && !ahead.isEmpty()) {
                break;
            }
            ahead.add(l.nodes.get(i));
            l.fetchedUpTo = i;
        }
    }

    /** The opens of {@code nodes} in one OpenMany: a future per node, failed where the server read none. */
    private void fetchMany(List<Long> nodes, long now) {
        long before = epoch; // as in opened: a drop from then on may be of a change the reply missed
        ListenableFuture<OpenManyReply> batch = manyOpener.apply(OpenManyRequest.newBuilder().addAllNodes(nodes)
                .setInlineMax(inlineMax).build());
        for (int i = 0; i < nodes.size(); i++) {
            int index = i;
            Fetched f = new Fetched(Futures.transform(batch, r -> whole(r, index), MoreExecutors.directExecutor()), now);
            fetched.put(nodes.get(i), f);
            if (epoch != before) {
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

    /** Forgets every fetched reply (something changed: see the class comment). */
    void dropAll() {
        epoch++; // always, also with nothing stored: a read-ahead on its way checks it (see opened)
        if (!fetched.isEmpty()) {
            fetched.clear();
        }
        toList.clear();
        if (!dirPages.isEmpty()) {
            for (Long dir : List.copyOf(dirPages.keySet())) {
                Listed l = dirPages.remove(dir);
                if (l != null) {
                    giveBack(l);
                }
            }
        }
    }

    // ------------------------------------------------------------------------------ directories

    private void listSubdirsAhead(long dir, long cursor, List<DirEntry> page) {
        boolean descent = cursor == 0 && subdirs.remove(dir);
        if (subdirs.size() > MAX_POSITIONS) {
            subdirs.clear();
        }
        for (DirEntry e : page) {
            if (e.getType() == FileMode.S_IFDIR && e.hasNode()) {
                long child = e.getNode().getId();
                subdirs.add(child);
                if (descent) {
                    listAhead(child);
                }
            }
        }
    }

    private void listAhead(long dir) {
        if (toList.size() < MAX_DIR_PAGES) {
            toList.add(dir);
        }
        pump();
    }

    /** Starts fetches from {@link #toList} while fewer than MAX_DIRS_IN_FLIGHT are on their way. */
    private void pump() {
        while (!toList.isEmpty() && on()) {
            if (dirPages.size() >= MAX_DIRS_AHEAD) {
                sweepDirPages();
                if (dirPages.size() >= MAX_DIRS_AHEAD) {
                    return;
                }
            }
            if (dirsInFlight.incrementAndGet() > MAX_DIRS_IN_FLIGHT) {
                dirsInFlight.decrementAndGet();
                return;
            }
            Long dir = toList.poll();
            if (dir == null || dirPages.containsKey(dir) || kept.test(dir)) {
                dirsInFlight.decrementAndGet();
                continue;
            }
            long before = epoch; // as for files (see opened): a drop until the page is stored
            ListenableFuture<ReadDirReply> reply = lister.apply(ReadDirRequest.newBuilder()
                    .setNode(dir).setCursor(0).setMaxEntries(pageSize).setPlus(true).build());
            Listed l = new Listed(reply, clock.getAsLong());
            if (dirPages.putIfAbsent(dir, l) != null || (epoch != before && dirPages.remove(dir, l))) {
                giveBack(l);
            }
            reply.addListener(() -> {
                dirsInFlight.decrementAndGet();
                pump();
            }, MoreExecutors.directExecutor());
            long listed = dir;
            Futures.addCallback(reply, new FutureCallback<>() {
                @Override
                public void onSuccess(ReadDirReply r) {
                    if (r.getEof() && r.getEventSequence() != 0) {
                        Map<String, Long> names = new HashMap<>(r.getEntriesCount() * 2);
                        r.getEntriesList().forEach(e -> names.put(e.getName(), e.getIno()));
                        wholeListings.listed(listed, names, r.getEventSequence());
                    }
                }

                @Override
                public void onFailure(Throwable t) {
                    // no baseline from it
                }
            }, MoreExecutors.directExecutor());
        }
    }

    /** The first page of {@code dir} fetched ahead, if one is waiting and fresh; it is taken. */
    ReadDirReply takeListing(long dir) {
        Listed l = dirPages.remove(dir);
        if (l == null) {
            return null;
        }
        pump(); // the walk moved on: the next directory ahead
        if (clock.getAsLong() - l.atNanos > ttlNanos || !on()) {
            giveBack(l);
            return null;
        }
        try {
            return l.reply.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            giveBack(l);
            return null;
        } catch (ExecutionException e) {
            return null; // the program's own listing meets the error itself
        }
    }

    private void sweepDirPages() {
        long now = clock.getAsLong();
        dirPages.forEach((dir, l) -> {
            if (now - l.atNanos > ttlNanos && dirPages.remove(dir, l)) {
                giveBack(l);
            }
        });
    }

    /** A page nobody took: the server counted a reference for each entry; give them back. */
    private void giveBack(Listed l) {
        Futures.addCallback(l.reply, new FutureCallback<>() {
            @Override
            public void onSuccess(ReadDirReply r) {
                for (DirEntry e : r.getEntriesList()) {
                    if (e.hasNode()) {
                        unused.accept(e.getNode().getId());
                    }
                }
            }

            @Override
            public void onFailure(Throwable t) {
                // nothing was counted
            }
        }, MoreExecutors.directExecutor());
    }

    /** A fetched reply that came with a server handle (the file grew past inline_max) is given back. */
    private void releaseIfHeld(ListenableFuture<OpenReply> reply) {
        Futures.addCallback(reply, new FutureCallback<>() {
            @Override
            public void onSuccess(OpenReply r) {
                if (r.getHandle() != 0) {
                    connection.filesAsync().release(HandleRequest.newBuilder().setHandle(r.getHandle()).build());
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

    /** Directory pages fetched ahead and waiting (for tests). */
    int listingsWaiting() {
        return dirPages.size();
    }
}
