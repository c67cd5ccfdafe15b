package dev.fsdriver.fuse;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Handles for directories listed without OPENDIR ({@link FuseFileSystem#listsWithoutOpen}): the
 * kernel then sends READDIR(PLUS) with handle 0 and the offset to go on from, and no RELEASEDIR.
 * A listing from offset 0 gets a handle of the file system's own {@code opendir}; its next request
 * finds that handle again by the offset the last page ended at. A handle serves one request at a
 * time: taken out while it does, put back under its new offset after (two listings whose pages
 * ended at the same offset wait there side by side, each taken by one of the next requests). A
 * request finding none (a seek, or a listing given back early) gets a new handle for its offset.
 * A handle is given back ({@code releasedir}) when its page comes back empty (the listing's end),
 * when its request fails, or, for one a program stopped reading early, once idle for
 * {@link #IDLE_NANOS} or when more than {@link #MAX_OPEN} wait (the least recently used first).
 *
 * <p>Locking: the map under this object's monitor, never held while calling the file system;
 * what is to be given back is returned to the caller, which releases it after.
 */
final class DirCursors {
    static final long IDLE_NANOS = 30_000_000_000L;
    static final int MAX_OPEN = 1024;

    /** A listing's handle and when it last served. */
    static final class Cursor {
        final long node;
        final long fh;
        long usedNanos;

        Cursor(long node, long fh, long usedNanos) {
            this.node = node;
            this.fh = fh;
            this.usedNanos = usedNanos;
        }
    }

    private record Key(long node, long offset) {}

    /** Listings waiting for their next page, by (directory, offset), least recently used first. */
    private final LinkedHashMap<Key, ArrayDeque<Cursor>> waiting = new LinkedHashMap<>(16, 0.75f, true);
    private int count;
    private final LongSupplier clock;

    DirCursors(LongSupplier clock) {
        this.clock = clock;
    }

    /**
     * A listing of {@code node} waiting to go on at {@code offset}, taken out for this request, or
     * null: the caller opens one ({@link #opened}). Offset 0 always starts a listing.
     */
    synchronized Cursor take(long node, long offset) {
        if (offset == 0) {
            return null;
        }
        Key k = new Key(node, offset);
        ArrayDeque<Cursor> there = waiting.get(k);
        if (there == null) {
            return null;
        }
        Cursor c = there.poll();
        if (there.isEmpty()) {
            waiting.remove(k);
        }
        count--;
        return c;
    }

    /** A listing of {@code node} just opened with {@code fh}, serving its first request. */
    Cursor opened(long node, long fh) {
        return new Cursor(node, fh, clock.getAsLong());
    }

    /**
     * Cursor {@code c} served a page that ended at {@code last} (-1: the page was empty, the
     * listing's end). Returns the listings to give back: {@code c} at its end, and idle or
     * surplus ones.
     */
    synchronized List<Cursor> served(Cursor c, long last) {
        List<Cursor> release = new ArrayList<>();
        long now = clock.getAsLong();
        if (last < 0) {
            release.add(c);
        } else {
            c.usedNanos = now;
            waiting.computeIfAbsent(new Key(c.node, last), k -> new ArrayDeque<>(1)).add(c);
            count++;
        }
        for (Iterator<ArrayDeque<Cursor>> it = waiting.values().iterator(); it.hasNext(); ) {
            ArrayDeque<Cursor> there = it.next(); // least recently used first
            while (!there.isEmpty() && (count > MAX_OPEN || now - there.peek().usedNanos >= IDLE_NANOS)) {
                release.add(there.poll());
                count--;
            }
            if (!there.isEmpty()) {
                break;
            }
            it.remove();
        }
        return release;
    }

    /** Listings waiting for their next page (tests). */
    synchronized int waiting() {
        return count;
    }
}
