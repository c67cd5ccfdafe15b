package dev.fsdriver.client;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The directories whose names this mount changed (create, mknod, mkdir, symlink, link, unlink,
 * rmdir, both sides of a rename) and the server has not been asked to make durable since: an
 * fsync of any other directory needs no call (the server made nothing there through this mount
 * that is not durable already; what others changed is theirs to sync), and an fsync of a file
 * whose name this mount made in such a directory syncs the directory in the same call
 * ({@code FsyncRequest.also_dir}), so that sqlite's fsync of its new journal and then of its
 * directory cost one call, not two.
 *
 * <p>Each directory keeps the clock of its last change, taken when the change's call came back
 * (answered or failed: a failed or timed-out call may have changed the server too). A sync
 * clears only changes that came back before it was sent ({@link #mark} read first): one in
 * flight while a sync runs leaves its directory unsynced. The state is the client's own, so a
 * server restart loses none of it. It is bounded: when full (a tree of directories made or
 * removed and never synced), it is emptied and every directory counts as unsynced until a sync
 * sent after that (the clock {@code fullAt}) clears it, which is then kept as a mark.
 *
 * <p>Locking: {@link #changed} and {@link #unsynced} take none (a concurrent map updated per
 * key); emptying the map and {@link #synced} hold this object's monitor, so that no sync sent
 * before the map was emptied marks a directory clean after it.
 */
final class UnsyncedNames {
    /** Directories tracked at most (~100 bytes each). */
    static final int MAX_DIRS = 1 << 14;

    private final AtomicLong clock = new AtomicLong();
    /**
     * Directory node id -> the clock of its last change through this mount not known to be
     * durable (positive), or, once the map was emptied, minus the clock of its last sync (synced).
     */
    private final ConcurrentHashMap<Long, Long> changedAt = new ConcurrentHashMap<>();
    /** The clock when the map was last emptied for being full, 0 never: directories not in it are unsynced. */
    private volatile long fullAt;

    /** A call that changed (or may have changed) names in {@code dir} came back. */
    void changed(long dir) {
        if (dir == 0) {
            return;
        }
        changedAt.compute(dir, (k, v) -> clock.incrementAndGet());
        if (changedAt.size() > MAX_DIRS) {
            synchronized (this) {
                fullAt = clock.incrementAndGet(); // before the clear: see unsynced
                changedAt.clear();
            }
        }
    }

    /** Whether names this mount changed in {@code dir} may not be durable yet. */
    boolean unsynced(long dir) {
        Long v = changedAt.get(dir);
        // the map first: a reader that finds it emptied for being full then sees fullAt set
        return v != null ? v > 0 : fullAt != 0;
    }

    /** The clock to give {@link #synced}: read before the call that syncs is sent. */
    long mark() {
        return clock.get();
    }

    /** A sync of {@code dir} sent after {@link #mark} returned {@code mark} succeeded: the changes that came back before it are durable. */
    synchronized void synced(long dir, long mark) {
        if (fullAt == 0) {
            changedAt.computeIfPresent(dir, (k, v) -> v <= mark ? null : v);
        } else if (mark >= fullAt) {
            changedAt.compute(dir, (k, v) -> v == null || v <= mark ? -mark : v);
        } // else sent before the map was emptied: changes after it are not known any more
    }
}
