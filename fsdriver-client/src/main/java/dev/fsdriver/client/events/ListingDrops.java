package dev.fsdriver.client.events;

import dev.fsdriver.fuse.FuseNotifier;
import dev.fsdriver.proto.v1.ChangeEvent;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;

/**
 * Drops every listing the kernel keeps (directories listed without OPENDIR, or opened with
 * FOPEN_CACHE_DIR: {@link KernelListings}) when a change of names made elsewhere arrives (a
 * create, delete, rename or overflow), whichever directory it is in, as the client's own listings
 * and the directories it knows complete go at every such change ({@code
 * RemoteCaches.changedElsewhere}). Only the directories an event names would do if the server
 * never missed a change; but one its watcher misses (seen on Linux: every change under a directory
 * renamed into one made just before, until 2026-12-07) would leave a listing wrong for as long as
 * the mount lives, where the next change of names anywhere corrects it now. A walk of a share
 * nobody else changes keeps them all (issue 13's warm walk), and so does a file written elsewhere.
 *
 * <p>They go as the events arrive, not when the applier gets to them (during a burst it lags far
 * behind the server, and a listing made before the events must not be shown meanwhile:
 * {@code ChangeEventsEndToEndTest#aListingRightAfterABurstOfCreatesShowsEveryFile}), and again
 * after each event is applied (a listing read to its end in between may predate it).
 *
 * <p>Threads: {@link #received} runs on the transport's thread, {@link #applied} on the applier's;
 * both only queue. A thread of its own notifies the kernel (a notification may wait for a kernel
 * lock that a request holds while it waits for that transport).
 */
final class ListingDrops implements AutoCloseable {
    private final KernelKeptListings kept;
    private final FuseNotifier notifier;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "fsdriver-listing-drops");
        t.setDaemon(true);
        return t;
    });

    ListingDrops(KernelKeptListings kept, FuseNotifier notifier) {
        this.kept = kept;
        this.notifier = notifier;
    }

    /** Events of one reply, just received: those that change names drop the kept listings. */
    void received(List<ChangeEvent> events) {
        for (ChangeEvent e : events) {
            switch (e.getKind()) {
                case CREATED, DELETED, RENAMED, OVERFLOW -> {
                    dropAll();
                    return;
                }
                default -> { } // contents and attributes (a log written elsewhere) leave listings as they are
            }
        }
    }

    /** An event was applied. */
    void applied() {
        if (!kept.isEmpty()) {
            dropAll();
        }
    }

    private void dropAll() {
        try {
            thread.execute(() -> kept.drain(dir -> notifier.invalInode(dir, 0, 0)));
        } catch (RejectedExecutionException closed) {
            // the mount is going away: nothing is kept past it
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
