package dev.fsdriver.client.events;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Directories the {@link EventApplier} just created, until a program has listed them. A recursive
 * watcher (inotifywait -r, IDE file watchers) reacts to IN_CREATE of a directory by listing
 * it and watching it (inotify-tools adds the watch right after closedir); events inside the
 * directory injected before that are lost to it (the same race exists on a local disk, but
 * here we can avoid it): so before injecting inside a fresh directory the applier waits for
 * the listing to end (RELEASEDIR) plus a short grace, briefly, within a budget.
 */
final class FreshDirs {
    private static final Logger log = LoggerFactory.getLogger(EventApplier.class);
    private static final long FRESH_DIR_WAIT_MS = 100;
    private static final long FRESH_DIR_GRACE_MS = 5;
    private static final long FRESH_DIR_BUDGET_NS = 300_000_000L; // per second of events

    private final ConcurrentHashMap<Long, CountDownLatch> fresh = new ConcurrentHashMap<>();
    // the applier's thread only
    private long budgetWindowStart = System.nanoTime();
    private long budgetSpentNs;

    /** The applier injected the creation of directory {@code node}. */
    void created(long node) {
        if (fresh.size() > 10_000) {
            fresh.clear(); // never opened by anybody: nobody is waiting for them
        }
        fresh.put(node, new CountDownLatch(1));
    }

    /** A program's listing of {@code node} ended (RELEASEDIR). */
    void listed(long node) {
        CountDownLatch l = fresh.remove(node);
        if (l != null) {
            l.countDown();
        }
    }

    /** Gives a watcher the moment it needs to start watching {@code dir} if we just created it. */
    void awaitWatcher(long dir) {
        CountDownLatch l = fresh.get(dir); // stays mapped: RELEASEDIR counts it down
        if (l == null) {
            return;
        }
        if (l.getCount() == 0) {
            fresh.remove(dir, l);
            return;
        }
        long now = System.nanoTime();
        if (now - budgetWindowStart > 1_000_000_000L) {
            budgetWindowStart = now;
            budgetSpentNs = 0;
        }
        if (budgetSpentNs >= FRESH_DIR_BUDGET_NS) {
            return;
        }
        boolean listed = false;
        try {
            listed = l.await(FRESH_DIR_WAIT_MS, TimeUnit.MILLISECONDS);
            if (listed) {
                Thread.sleep(FRESH_DIR_GRACE_MS); // the watcher's inotify_add_watch follows its closedir
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        fresh.remove(dir, l);
        long waited = System.nanoTime() - now;
        budgetSpentNs += waited;
        log.debug("fresh directory {}: {} after {} us", dir, listed ? "listed" : "not listed", waited / 1000);
    }
}
