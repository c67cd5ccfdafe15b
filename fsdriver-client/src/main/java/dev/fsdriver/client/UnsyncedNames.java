package dev.fsdriver.client;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The directories whose names this mount changed (create, mknod, mkdir, symlink, link, unlink,
 * rmdir, both sides of a rename) and the server has not been asked to make durable since: an
 * fsync of any other directory needs no call (the server made nothing there through this mount
 * that is not durable already; what others changed is theirs to sync), and an fsync of a file
 * whose name this mount made in such a directory syncs the directory in the same call
 * ({@code FsyncRequest.also_dir}), so that sqlite's fsync of its new journal and then of its
 * directory cost one call, not two.
 *
 * <p>Each directory keeps the clock of its last change, taken when the change's call came back.
 * A sync clears only changes that came back before it was sent ({@link #mark} read first): one in
 * flight while a sync runs leaves its directory unsynced. Only a sync the server confirms counts
 * (an Fsync's or Write's {@code dir_synced}; a directory's own Fsync answered without error).
 *
 * <p>A call that failed or timed out ({@link #changedInDoubt}) may still change the server later
 * (it may sit in the server's queue past the client's deadline): its directory stays unsynced, for
 * good, until a sync sent at least one call deadline after the failure succeeds. A late change
 * landing more than a deadline after its call failed is not covered (the server drops calls past
 * their deadline before running them, not once running).
 *
 * <p>The state is the client's own, so a server restart loses none of it. It is bounded: when
 * the map passes {@link #MAX_DIRS} (a tree of directories made or removed and never synced, or,
 * once emptied, of directories synced since), it is emptied and every directory counts as
 * unsynced until a sync sent after that (the clock {@code fullAt}, and past every doubt then
 * known) clears it, which is then kept as a clean entry.
 *
 * <p>Locking: {@link #changed} and {@link #unsynced} take none (a concurrent map updated per
 * key); emptying the map, {@link #changedInDoubt}'s note of its doubt, and {@link #synced} hold
 * this object's monitor, so that no sync sent before the map was emptied marks a directory clean
 * after it.
 */
final class UnsyncedNames {
    /** Directories tracked at most (~100 bytes each). */
    static final int MAX_DIRS = 1 << 14;

    /** What {@link #synced} needs of when its sync was sent. */
    record Mark(long clock, long nanos) {}

    /** A directory: its last change's clock, and (doubt) the time before which a sync clears nothing. */
    private record Dir(long changedAt, boolean doubt, long doubtUntil, boolean clean) {}

    private final AtomicLong clock = new AtomicLong();
    private final long deadlineNanos;
    private final LongSupplier nanoTime;
    private final ConcurrentHashMap<Long, Dir> dirs = new ConcurrentHashMap<>();
    /** The clock when the map was last emptied for being full, 0 never: directories not in it are unsynced. */
    private volatile long fullAt;
    /** The latest doubt ever noted (anyDoubt: one was), and the one in force when the map was last emptied. */
    private boolean anyDoubt;
    private long latestDoubt;
    private boolean fullDoubt;
    private long fullDoubtUntil;

    /** {@code deadlineNanos}: the client's call deadline (a failed call's change may land until then). */
    UnsyncedNames(long deadlineNanos, LongSupplier nanoTime) {
        this.deadlineNanos = deadlineNanos;
        this.nanoTime = nanoTime;
    }

    /** A call that changed names in {@code dir} came back. */
    void changed(long dir) {
        if (dir == 0) {
            return;
        }
        dirs.compute(dir, (k, d) -> new Dir(clock.incrementAndGet(), d != null && d.doubt, d == null ? 0 : d.doubtUntil, false));
        bound();
    }

    /** A call that may have changed names in {@code dir} failed (or timed out) now: see the class comment. */
    void changedInDoubt(long dir) {
        if (dir == 0) {
            return;
        }
        long until = nanoTime.getAsLong() + deadlineNanos;
        synchronized (this) { // before the entry: a map emptied after this keeps the doubt (fullDoubtUntil)
            if (!anyDoubt || until - latestDoubt > 0) {
                latestDoubt = until;
            }
            anyDoubt = true;
        }
        dirs.compute(dir, (k, d) -> new Dir(clock.incrementAndGet(), true,
                d != null && d.doubt && d.doubtUntil - until > 0 ? d.doubtUntil : until, false));
        bound();
    }

    /** Whether names this mount changed in {@code dir} may not be durable yet. */
    boolean unsynced(long dir) {
        Dir d = dirs.get(dir);
        // the map first: a reader that finds it emptied for being full then sees fullAt set
        return d != null ? !d.clean : fullAt != 0;
    }

    /** To give {@link #synced}: read before the call that syncs is sent. */
    Mark mark() {
        return new Mark(clock.get(), nanoTime.getAsLong());
    }

    /** The server confirmed a sync of {@code dir} sent after {@link #mark} returned {@code m}: the changes that came back before it are durable. */
    synchronized void synced(long dir, Mark m) {
        dirs.compute(dir, (k, d) -> {
            if (d != null && !d.clean && (d.changedAt > m.clock() || d.doubt && m.nanos() - d.doubtUntil < 0)) {
                return d; // a change after it was sent, or one of a failed call that may land later
            }
            if (fullAt == 0) {
                return null;
            }
            if (m.clock() < fullAt || fullDoubt && m.nanos() - fullDoubtUntil < 0) {
                return d; // sent before the map was emptied, or within a doubt then: not known
            }
            return new Dir(m.clock(), false, 0, true);
        });
        bound();
    }

    /** Empties the map when it is past {@link #MAX_DIRS}. */
    private void bound() {
        if (dirs.size() <= MAX_DIRS) {
            return;
        }
        synchronized (this) {
            if (dirs.size() <= MAX_DIRS) {
                return;
            }
            fullAt = clock.incrementAndGet(); // before the clear: see unsynced
            fullDoubt = anyDoubt;
            fullDoubtUntil = latestDoubt;
            dirs.clear();
        }
    }

    /** Directories tracked (tests). */
    int size() {
        return dirs.size();
    }
}
