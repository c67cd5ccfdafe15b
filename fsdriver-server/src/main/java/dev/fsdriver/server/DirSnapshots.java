package dev.fsdriver.server;

import dev.fsdriver.backend.DirEntry;
import dev.fsdriver.backend.FileAttributes;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Short-lived directory listings for ReadDir pagination, so that a 10,000-entry directory is
 * listed once per pass, not once per page. A cursor is {@code snapshot << 32 | position}
 * (position 1-based: the index of the next entry); cursor 0 always lists afresh. A cursor whose
 * snapshot expired or was evicted is served from a new listing at the same position (entries
 * are sorted by name, so a relist continues where the old one stopped unless the directory
 * changed in between).
 *
 * <p>Locking: the map is guarded by {@code this}; listings happen outside the lock.
 */
final class DirSnapshots {
    /**
     * {@code eventSequence}: the share's last event sequence, read before the listing was made;
     * {@code dir}: the attributes of the directory the names were read from (null: the backend
     * does not say, and every entry has its attributes).
     */
    record Snapshot(int id, long node, List<DirEntry> entries, long createdNanos, long eventSequence,
                    FileAttributes dir) {}

    private static final long TTL_NANOS = 30_000_000_000L;
    /** How long a listing read to its end stays, if small (see {@link #done}). */
    static final long DONE_NANOS = 2_000_000_000L;
    static final int DONE_MAX_ENTRIES = 4096;

    private final int capacity;
    private final int maxEntries;
    private final Map<Integer, Snapshot> snapshots = new LinkedHashMap<>(16, 0.75f, true);
    private int nextId = 1;
    private long entries;

    /** At most {@code capacity} snapshots holding at most {@code maxEntries} entries together. */
    DirSnapshots(int capacity, int maxEntries) {
        this.capacity = capacity;
        this.maxEntries = maxEntries;
    }

    /** The snapshot cursor {@code cursor} refers to for {@code node}, or null. */
    synchronized Snapshot find(long node, long cursor) {
        int id = (int) (cursor >>> 32);
        Snapshot s = snapshots.get(id);
        if (s == null || s.node != node || System.nanoTime() - s.createdNanos > TTL_NANOS) {
            return null;
        }
        return s;
    }

    /** Keeps {@code entries} (already sorted), read from directory {@code dir}, as a new snapshot of {@code node}. */
    synchronized Snapshot add(long node, List<DirEntry> list, long eventSequence, FileAttributes dir) {
        long now = System.nanoTime();
        evictLocked(now, list.size());
        int id = nextId;
        nextId = nextId == Integer.MAX_VALUE ? 1 : nextId + 1;
        Snapshot s = new Snapshot(id, node, list, now, eventSequence, dir);
        snapshots.put(id, s);
        entries += list.size();
        return s;
    }

    /**
     * {@code s}'s last page was served: it is not kept for the 30 s (an idle server held 100
     * bytes per entry of the last 500,000 listed; expired ones went only at the next listing, they go
     * here too). One of
     * at most {@link #DONE_MAX_ENTRIES} stays {@link #DONE_NANOS}: a client asks for a page's tail
     * again with attributes when the kernel turns to READDIRPLUS within one pass, and a relist of
     * a directory changed meanwhile would shift positions. A cursor into a snapshot gone is served
     * from a new listing at its position, as one of an expired snapshot.
     */
    synchronized void done(Snapshot s) {
        long now = System.nanoTime();
        evictLocked(now, -1); // expired ones go here too, not only at the next listing
        if (snapshots.get(s.id()) != s) {
            return;
        }
        if (s.entries.size() > DONE_MAX_ENTRIES) {
            snapshots.remove(s.id());
            entries -= s.entries.size();
        } else {
            snapshots.put(s.id(), new Snapshot(s.id(), s.node(), s.entries(), now - TTL_NANOS + DONE_NANOS,
                    s.eventSequence(), s.dir()));
        }
    }

    /**
     * Least recently used first: every expired snapshot, and while one of {@code adding} entries
     * (-1: none is added) would pass either bound, the oldest ones.
     */
    private void evictLocked(long now, int adding) {
        for (Iterator<Snapshot> it = snapshots.values().iterator(); it.hasNext(); ) {
            Snapshot s = it.next();
            boolean over = adding >= 0 && (snapshots.size() >= capacity || entries + adding > maxEntries);
            if (over || now - s.createdNanos > TTL_NANOS) {
                it.remove();
                entries -= s.entries.size();
            }
        }
    }

    /** Snapshots kept (tests). */
    synchronized int size() {
        return snapshots.size();
    }

    static long cursor(int snapshot, int position) {
        return ((long) snapshot << 32) | (position & 0xFFFFFFFFL);
    }

    static int position(long cursor) {
        return (int) cursor;
    }
}
