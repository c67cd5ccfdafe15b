package dev.fsdriver.client;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Which unlinks come in a burst ({@link HeldUnlinks}): one that follows another removal through
 * this mount (an unlink or rmdir, in any directory: rm -rf going down into the next one) by less
 * than {@link #BURST_NS}, in a directory where this mount made no name since its last removal
 * there, or more than {@link #MADE_NS} ago. So sqlite's journal, made and unlinked at each
 * commit, is never one (its unlink follows its making), nor is a lone {@code rm}; rm -rf of a
 * tree and {@code rm *.o} are, from their second unlink on.
 *
 * <p>Locking: none; a race between two threads' unlinks at most takes one for a burst or not.
 */
final class UnlinkBursts {
    static final long BURST_NS = TimeUnit.MILLISECONDS.toNanos(50);
    static final long MADE_NS = TimeUnit.SECONDS.toNanos(1);
    private static final int MAX_DIRS = 4096;

    private final LongSupplier clock;
    private volatile long lastRemovalNs;
    private volatile boolean anyRemoval;
    /** Each directory's last removal and last name made through this mount (clock values). */
    private final ConcurrentHashMap<Long, Long> removedAt = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, Long> madeAt = new ConcurrentHashMap<>();

    UnlinkBursts(LongSupplier clock) {
        this.clock = clock;
    }

    /** An unlink in {@code dir}: whether it comes in a burst. It counts as a removal either way. */
    boolean unlinking(long dir) {
        long now = clock.getAsLong();
        boolean burst = anyRemoval && now - lastRemovalNs < BURST_NS;
        Long removed = removedAt.get(dir);
        Long made = madeAt.get(dir);
        boolean madeSince = made != null && now - made < MADE_NS && (removed == null || made - removed > 0);
        removed(dir);
        return burst && !madeSince;
    }

    /** A name in {@code dir} was removed (an unlink answered or held, an rmdir), now: a burst goes on from here. */
    void removed(long dir) {
        long now = clock.getAsLong();
        lastRemovalNs = now;
        anyRemoval = true;
        put(removedAt, dir, now);
    }

    /** A name was made in {@code dir} (or renamed into it), or an unlink there failed: its next unlink is no burst. */
    void made(long dir) {
        put(madeAt, dir, clock.getAsLong());
    }

    private static void put(ConcurrentHashMap<Long, Long> map, long dir, long now) {
        if (map.size() >= MAX_DIRS) {
            map.clear(); // bounded: what is forgotten is taken as long ago
        }
        map.put(dir, now);
    }
}
