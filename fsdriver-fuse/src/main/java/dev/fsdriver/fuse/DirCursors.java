package dev.fsdriver.fuse;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Handles for directories listed without OPENDIR ({@link FuseFileSystem#listsWithoutOpen}): the
 * kernel then sends READDIR(PLUS) with handle 0 and the offset to go on from, and no RELEASEDIR.
 * A listing from offset 0 gets a handle of the file system's own {@code opendir}; its next request
 * finds that handle again by its offset, one of those its last page gave: the last one, or an
 * earlier one when the program's buffer took only part of the page (musl's readdir reads 2 KiB at
 * a time, the kernel's pages are 4 KiB). A handle serves one request at a time: taken out while it
 * does, waiting again after. A request finding none (a seek elsewhere, or a listing given back
 * early) gets a new handle for its offset. A handle is given back ({@code releasedir}) when its page
 * comes back empty (the listing's end), when its request fails, or, for one a program stopped
 * reading early, once idle for {@link #IDLE_NANOS} or when more than {@link #MAX_OPEN} wait (the
 * least recently used first; both looked at whenever a page is served, so on a mount nobody lists
 * any more such a handle waits, with the page it holds, until the next listing).
 *
 * <p>Locking: the maps under this object's monitor, never held while calling the file system;
 * what is to be given back is returned to the caller, which releases it after.
 */
final class DirCursors {
    static final long IDLE_NANOS = 30_000_000_000L;
    static final int MAX_OPEN = 1024;

    /** A listing's handle, the offsets its last page gave (first to last), and when it served. */
    static final class Cursor {
        final long node;
        final long fh;
        long first;
        long last;
        long usedNanos;

        Cursor(long node, long fh, long usedNanos) {
            this.node = node;
            this.fh = fh;
            this.usedNanos = usedNanos;
        }
    }

    /** Listings waiting for their next page, least recently used first (identity keys). */
    private final LinkedHashMap<Cursor, Boolean> waiting = new LinkedHashMap<>();
    /** The same, by directory. */
    private final Map<Long, List<Cursor>> byNode = new HashMap<>();
    private final LongSupplier clock;

    DirCursors(LongSupplier clock) {
        this.clock = clock;
    }

    /**
     * A listing of {@code node} waiting to go on at {@code offset}, taken out for this request, or
     * null: the caller opens one ({@link #opened}). Offset 0 always starts a listing. A listing
     * whose last page ended there is preferred to one whose page only took it in.
     */
    synchronized Cursor take(long node, long offset) {
        List<Cursor> mine = offset == 0 ? null : byNode.get(node);
        if (mine == null) {
            return null;
        }
        Cursor found = null;
        for (Cursor c : mine) {
            if (c.last == offset) {
                found = c;
                break;
            }
            if (found == null && c.first <= offset && offset < c.last) {
                found = c;
            }
        }
        if (found != null) {
            unwait(found);
        }
        return found;
    }

    /** A listing of {@code node} just opened with {@code fh}, serving its first request. */
    Cursor opened(long node, long fh) {
        return new Cursor(node, fh, clock.getAsLong());
    }

    /**
     * Cursor {@code c} served a page whose entries gave offsets {@code first} to {@code last}
     * (increasing), or an empty page ({@code last} < 0: the listing's end). Returns the listings
     * to give back: {@code c} at its end, and idle or surplus ones.
     */
    synchronized List<Cursor> served(Cursor c, long first, long last) {
        List<Cursor> release = new ArrayList<>();
        long now = clock.getAsLong();
        if (last < 0) {
            release.add(c);
        } else {
            c.first = first;
            c.last = last;
            c.usedNanos = now;
            waiting.put(c, Boolean.TRUE);
            byNode.computeIfAbsent(c.node, n -> new ArrayList<>(1)).add(c);
        }
        for (Iterator<Cursor> it = waiting.keySet().iterator(); it.hasNext(); ) {
            Cursor old = it.next(); // least recently used first
            if (waiting.size() <= MAX_OPEN && now - old.usedNanos < IDLE_NANOS) {
                break;
            }
            it.remove();
            unindex(old);
            release.add(old);
        }
        return release;
    }

    private void unwait(Cursor c) {
        waiting.remove(c);
        unindex(c);
    }

    private void unindex(Cursor c) {
        List<Cursor> mine = byNode.get(c.node);
        if (mine != null && mine.remove(c) && mine.isEmpty()) {
            byNode.remove(c.node);
        }
    }

    /** Listings waiting for their next page (tests). */
    synchronized int waiting() {
        return waiting.size();
    }
}
