package dev.fsdriver.client.cache;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import dev.fsdriver.common.FileMode;
import dev.fsdriver.proto.v1.DirEntry;
import dev.fsdriver.proto.v1.ReadDirReply;
import dev.fsdriver.proto.v1.ReadDirRequest;
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
 * The {@link Prefetcher}'s directories: once a program lists a directory it found in a listing
 * (it is descending a tree: find, git status, du, ls -R), the first pages of that directory's
 * subdirectories are fetched in parallel ({@link Prefetcher#MAX_DIRS_IN_FLIGHT} at a time, at
 * most {@link Prefetcher#MAX_DIRS_AHEAD} waiting) and its own listing of each takes the waiting
 * page. A page fetched and never used is given back: its entries' node references are forgotten
 * ({@code unused}).
 *
 * <p>Thread-safe: concurrent maps, a queue and a counter; no lock.
 */
final class DirReadAhead {
    private record Listed(ListenableFuture<ReadDirReply> reply, long atNanos) {}

    private final Function<ReadDirRequest, ListenableFuture<ReadDirReply>> lister;
    private final int pageSize;
    private final LongConsumer unused;
    private final long ttlNanos;
    private final LongSupplier clock;
    private final BooleanSupplier on;
    /** Moves at every {@link #dropAll}. */
    private volatile long epoch;
    /** First pages of directories fetched ahead, by directory node. */
    private final ConcurrentHashMap<Long, Listed> dirPages = new ConcurrentHashMap<>();
    /** Directories seen as entries of a listing: listing one of them is a descent. */
    private final Set<Long> subdirs = ConcurrentHashMap.newKeySet();
    private final AtomicInteger dirsInFlight = new AtomicInteger();
    /** Directories to fetch ahead, in the order the walk will reach them (bounded by MAX_DIR_PAGES). */
    private final ConcurrentLinkedQueue<Long> toList = new ConcurrentLinkedQueue<>();
    /** Told of each page fetched ahead that is the whole directory (see {@link Prefetcher#wholeListingsTo}). */
    private volatile ListingSequences.Whole wholeListings = (dir, names, sequence) -> { };
    /** Directories whose listing is kept already (see RemoteCaches): not fetched ahead. */
    private volatile LongPredicate kept = dir -> false;

    /**
     * @param pageSize entries asked per directory page (as the file system's own ReadDir)
     * @param unused   gives back one server reference of a node that was fetched ahead in a
     *                 directory page and never handed to the kernel
     * @param on       whether to fetch ahead and use what was fetched (change events flowing)
     */
    DirReadAhead(Function<ReadDirRequest, ListenableFuture<ReadDirReply>> lister, int pageSize, LongConsumer unused,
                 long ttlNanos, LongSupplier nanoClock, BooleanSupplier on) {
        this.lister = lister;
        this.pageSize = pageSize;
        this.unused = unused;
        this.ttlNanos = ttlNanos;
        this.clock = nanoClock;
        this.on = on;
    }

    void wholeListingsTo(ListingSequences.Whole listener) {
        this.wholeListings = listener;
    }

    void skipKept(LongPredicate kept) {
        this.kept = kept;
    }

    /** A READDIRPLUS page of {@code dir} from {@code cursor}: a descent fetches its subdirectories ahead. */
    void listed(long dir, long cursor, List<DirEntry> page) {
        boolean descent = cursor == 0 && subdirs.remove(dir);
        if (subdirs.size() > Prefetcher.MAX_POSITIONS) {
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
        if (toList.size() < Prefetcher.MAX_DIR_PAGES) {
            toList.add(dir);
        }
        pump();
    }

    /** Starts fetches from {@link #toList} while fewer than MAX_DIRS_IN_FLIGHT are on their way. */
    private void pump() {
        while (!toList.isEmpty() && on.getAsBoolean()) {
            if (dirPages.size() >= Prefetcher.MAX_DIRS_AHEAD) {
                sweepDirPages();
                if (dirPages.size() >= Prefetcher.MAX_DIRS_AHEAD) {
                    return;
                }
            }
            if (dirsInFlight.incrementAndGet() > Prefetcher.MAX_DIRS_IN_FLIGHT) {
                dirsInFlight.decrementAndGet();
                return;
            }
            Long dir = toList.poll();
            if (dir == null || dirPages.containsKey(dir) || kept.test(dir)) {
                dirsInFlight.decrementAndGet();
                continue;
            }
            // Read before the request goes: a drop (an event) from then on until the page is stored
            // may be of a change the page missed, and would find nothing to drop yet.
            long before = epoch;
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
        if (clock.getAsLong() - l.atNanos > ttlNanos || !on.getAsBoolean()) {
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

    /** Forgets every page fetched ahead and every directory still to fetch; gives their references back. */
    void dropAll() {
        epoch++; // always, also with nothing stored: a fetch on its way checks it (see pump)
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

    /** Directory pages fetched ahead and waiting (for tests). */
    int waiting() {
        return dirPages.size();
    }
}
