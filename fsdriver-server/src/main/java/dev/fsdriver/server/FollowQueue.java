package dev.fsdriver.server;

import dev.fsdriver.backend.Change;
import dev.fsdriver.backend.ChangeListener;
import dev.fsdriver.backend.RelPath;
import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The share watcher's changes on their way to the node table and the hub, in order. A change
 * that needs a search ({@link Relocator}: a DELETED of a directory a client holds, which may have
 * been renamed where the watcher did not see it) is handed to a thread of its own, so the
 * watcher's thread keeps reading its notifications (a slow reader overflows them); the changes
 * after it wait behind it, at most {@link #MAX_WAITING}: beyond that they are dropped and one
 * OVERFLOW of the share root follows them, which is what clients are told of a loss anyway.
 *
 * <p>Locking: {@code this} guards {@link #waiting} and {@link #lost}; the steps run outside it.
 * {@link #accept} is called by the one watcher thread, the drain by the one worker.
 */
final class FollowQueue {
    private static final Logger LOG = LoggerFactory.getLogger(FollowQueue.class);
    static final int MAX_WAITING = 10_000;

    private final String share;
    private final Predicate<Change> needsSearch;
    private final UnaryOperator<Change> search;
    private final Consumer<Change> follow;
    private final ChangeListener hub;
    private final Executor worker;
    /** Changes waiting behind a search, in order; null while none is running. */
    private ArrayDeque<Change> waiting;
    /** Changes were dropped (more than MAX_WAITING waited): an OVERFLOW of the root is owed. */
    private boolean lost;

    /**
     * @param needsSearch whether a change must wait for a search (cheap: a table look and a stat)
     * @param search      the search, on the worker: the change to publish in its place (the table updated), null: none
     * @param follow      what the node table does with a change (Share#followExternalChange)
     * @param hub         where changes go then
     */
    FollowQueue(String share, Predicate<Change> needsSearch, UnaryOperator<Change> search, Consumer<Change> follow,
                ChangeListener hub, Executor worker) {
        this.share = share;
        this.needsSearch = needsSearch;
        this.search = search;
        this.follow = follow;
        this.hub = hub;
        this.worker = worker;
    }

    /** A change from the watcher, on its thread. */
    void accept(Change c) {
        synchronized (this) {
            if (waiting != null) {
                if (waiting.size() < MAX_WAITING) {
                    waiting.add(c);
                } else if (!lost) {
                    lost = true;
                    LOG.warn("share '{}': more than {} changes wait behind a search by file id: dropped, "
                            + "clients get an overflow", share, MAX_WAITING);
                }
                return;
            }
        }
        if (!needsSearch.test(c)) {
            deliver(c);
            return;
        }
        synchronized (this) {
            waiting = new ArrayDeque<>();
            waiting.add(c);
        }
        try {
            worker.execute(this::drain);
        } catch (RejectedExecutionException closing) {
            synchronized (this) {
                waiting = null;
            }
            deliver(c); // the share is closing: as before searches existed
        }
    }

    private void deliver(Change c) {
        follow.accept(c);
        hub.onChange(c);
    }

    /** On the worker: the waiting changes in order, each search on this thread, until none waits. */
    private void drain() {
        while (true) {
            Change c;
            synchronized (this) {
                c = waiting.poll();
                if (c == null && lost) {
                    lost = false;
                    c = Change.of(Change.Kind.OVERFLOW, RelPath.ROOT, true);
                } else if (c == null) {
                    waiting = null;
                    return;
                }
            }
            try {
                if (needsSearch.test(c)) {
                    Change found = search.apply(c); // null: nothing to publish
                    if (found != null) {
                        hub.onChange(found);
                    }
                } else {
                    deliver(c);
                }
            } catch (RuntimeException e) {
                LOG.warn("share '{}': {} of '{}': {}", share, c.kind(), c.path(), e.toString());
            }
        }
    }
}
