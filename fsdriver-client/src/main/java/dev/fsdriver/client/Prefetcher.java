package dev.fsdriver.client;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import dev.fsdriver.common.FileMode;
import dev.fsdriver.common.OpenFlags;
import dev.fsdriver.proto.v1.DirEntry;
import dev.fsdriver.proto.v1.HandleRequest;
import dev.fsdriver.proto.v1.OpenReply;
import dev.fsdriver.proto.v1.OpenRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * Read-ahead across files: a program that reads the small files of a directory one after the
 * other in listing order (grep -r, tar c, cp -r, rsync) gets the next ones fetched while it
 * reads the current one, each as a read-only Open whose reply carries the whole file and keeps
 * nothing open on the server (OpenRequest.inline_max). The program's own OPEN then takes the
 * waiting reply instead of making the round trip.
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

    private static final class Listing {
        final long dir;
        // Guarded by this.
        final List<Long> nodes = new ArrayList<>();
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

    private final Connection connection;
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

    Prefetcher(Connection connection, int inlineMax, int depth, long ttlNanos, LongSupplier nanoClock) {
        this.connection = connection;
        this.inlineMax = inlineMax;
        this.depth = depth;
        this.ttlNanos = ttlNanos;
        this.clock = nanoClock;
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
            int to = Math.min(l.nodes.size() - 1, p.index + depth);
            for (int i = from; i <= to; i++) {
                ahead.add(l.nodes.get(i));
            }
            l.fetchedUpTo = Math.max(l.fetchedUpTo, to);
        }
        long now = clock.getAsLong();
        for (long n : ahead) {
            ListenableFuture<OpenReply> reply = connection.filesAsync().open(OpenRequest.newBuilder().setNode(n)
                    .setFlags(OpenFlags.O_RDONLY).setInlineMax(inlineMax).build());
            releaseIfHeld(reply);
            fetched.put(n, new Fetched(reply, now));
        }
    }

    /** Forgets every fetched reply (something changed: see the class comment). */
    void dropAll() {
        if (!fetched.isEmpty()) {
            epoch++; // one writer at a time in practice; a lost increment only costs a fetch
            fetched.clear();
        }
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
}
