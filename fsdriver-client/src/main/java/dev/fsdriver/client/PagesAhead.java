package dev.fsdriver.client;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import dev.fsdriver.proto.v1.DirEntry;
import dev.fsdriver.proto.v1.ReadDirReply;
import dev.fsdriver.proto.v1.ReadDirRequest;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

/**
 * Read-ahead of listing pages: the next READDIRPLUS page of an open directory is asked for as
 * soon as the current one arrives, so that the server reads and sends page N+1 while the kernel
 * takes the entries of page N. Before, a 100,000-entry directory was 100 round trips each
 * started only once the kernel had consumed the page before (issue 16).
 *
 * <p>Coherence: the page is the one the program's own call would get a moment later (the same
 * cursor, read from the same server snapshot), with the same event sequence; one not taken
 * within {@code ttlNanos} is given back and asked for again. A page not taken (the listing was
 * closed, went elsewhere, or asked for names only) is given back: the server counted a reference
 * for each of its entries.
 *
 * <p>Thread-safe (no state of its own); an {@link Ahead} belongs to its {@link DirHandle}.
 */
final class PagesAhead {
    /** A page asked for from {@code cursor}; {@code epoch}: the listings' change epoch before it went. */
    record Ahead(long cursor, ListenableFuture<ReadDirReply> reply, long epoch, long atNanos) {}

    private final Function<ReadDirRequest, ListenableFuture<ReadDirReply>> lister;
    private final LongConsumer unused;
    private final LongSupplier clock;
    private final long ttlNanos;
    private final int pageSize;

    /** @param unused gives back one server reference of a node of a page never taken */
    PagesAhead(Function<ReadDirRequest, ListenableFuture<ReadDirReply>> lister, LongConsumer unused,
               LongSupplier nanoClock, long ttlNanos, int pageSize) {
        this.lister = lister;
        this.unused = unused;
        this.clock = nanoClock;
        this.ttlNanos = ttlNanos;
        this.pageSize = pageSize;
    }

    /** Asks for the plus page of {@code node} after {@code cursor}; null when it cannot go now. */
    Ahead start(long node, long cursor, long epoch) {
        try {
            ListenableFuture<ReadDirReply> reply = lister.apply(ReadDirRequest.newBuilder().setNode(node)
                    .setCursor(cursor).setMaxEntries(pageSize).setPlus(true).build());
            return new Ahead(cursor, reply, epoch, clock.getAsLong());
        } catch (RuntimeException e) {
            return null; // not connected: the program's own call meets it
        }
    }

    /**
     * The reply of {@code a} when it is the page after {@code cursor} (-1: none is wanted),
     * fresh and answered; otherwise null, and its references are given back.
     */
    ReadDirReply take(Ahead a, long cursor) {
        if (a.cursor != cursor || clock.getAsLong() - a.atNanos > ttlNanos) {
            giveBack(a);
            return null;
        }
        try {
            return a.reply.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            giveBack(a);
            return null;
        } catch (ExecutionException e) {
            return null; // nothing was counted; the program's own call meets the error itself
        }
    }

    /** A page nobody will take: the server counted a reference for each entry; give them back. */
    void giveBack(Ahead a) {
        Futures.addCallback(a.reply, new FutureCallback<>() {
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
}
