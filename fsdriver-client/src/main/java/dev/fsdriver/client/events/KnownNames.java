package dev.fsdriver.client.events;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The names watchers on the mount know in each directory: what an overflow resync compares its
 * listing with, so that it announces only real differences (issue 10, B6). Per directory, name
 * -> {@link Known}.
 *
 * <p>Where the names come from: applied events (watchers were told: an injected create), the
 * mount's own changes, resyncs, every listing a program made, and the listings {@link Baselines}
 * takes or is given of directories the kernel holds that no program listed (a name there before
 * a loss was not created during it, whether or not a watcher saw it). A listing carries the server's
 * event sequence read before it was made ({@code ReadDirReply.event_sequence}): every event up to
 * it is reflected in the listing, later ones may or may not be. Each name keeps the sequence of
 * the last fact recorded of it, so facts are ordered by the server's clock, not by arrival: an
 * event at or below a listing's sequence changes nothing the listing showed (a DELETED of a name
 * listed after it: the name was made again), a later one does. A name missing from a listing
 * is not taken as gone (a watcher told of it must be told of its delete: the resync does that).
 *
 * <p>Trust: a name seen only in listings may come from a change whose event was lost (a listing
 * runs ahead of the event stream). An OVERFLOW says after which sequence changes may be lost
 * ({@code ChangeEvent.lost_after}, X); a name is taken as known to watchers when they were told
 * of it, or when a listing made at or before X showed it ({@link #trusted}); a name first listed
 * after X is announced again (a duplicate create rather than a missed one).
 *
 * <p>Limits: the sequence is read before the listing, and the server's watcher reports a change
 * some time after it happened on disk: a change made just before a listing at X, reported just
 * after X and lost, is shown by that listing and taken as known (a window of the watcher's delay).
 * A listing without a sequence (an older server) is taken only as a directory's first, as known
 * at any X (the rule before sequences). An inode number reused by a file deleted and created again
 * under the same name during a loss is taken for the same file.
 */
final class KnownNames {
    /**
     * @param ino      inode number, 0: not known
     * @param seq      the sequence of the last fact recorded of the name (orders facts)
     * @param listedAt the sequence of the earliest listing that showed this file since
     *                 (Long.MAX_VALUE: none); 0 for an older server's listing
     * @param told     watchers were told of it (an event applied, a change through the mount, a resync)
     */
    record Known(long ino, long seq, long listedAt, boolean told) {}

    private static final long NEVER = Long.MAX_VALUE;

    private final ConcurrentHashMap<Long, ConcurrentHashMap<String, Known>> dirs = new ConcurrentHashMap<>();
    /** Directories made by a CREATED event that nothing listed since (see {@link #createdByEvent}). */
    private final Set<Long> unlisted = ConcurrentHashMap.newKeySet();
    /** Directory handles whose listing is a directory's first (for listings without a sequence). */
    private final Set<Long> firstListings = ConcurrentHashMap.newKeySet();
    /** The highest sequence seen: what a change without one (the mount's own) is recorded at. */
    private final AtomicLong latest = new AtomicLong();
    private static final int MAX_DIRS = 100_000;

    /** A directory opened for listing by a program. */
    void opened(long dir, long fh) {
        unlisted.remove(dir);
        if (!dirs.containsKey(dir) && dirs.size() < MAX_DIRS) {
            dirs.putIfAbsent(dir, new ConcurrentHashMap<>());
            firstListings.add(fh);
        }
    }

    /** A name listed through handle {@code fh} of {@code dir}, on a page made after event {@code sequence} (0: not known). */
    void listed(long dir, long fh, String name, long ino, long sequence) {
        listed(dir, name, ino, sequence, firstListings.contains(fh));
    }

    /**
     * Whether anything is known of {@code dir}: it was listed, made (empty) or resynced, or a
     * baseline of it began ({@link #track}).
     */
    boolean knows(long dir) {
        return dirs.containsKey(dir);
    }

    /**
     * A baseline listing of {@code dir} begins ({@link Baselines}): from now on events in it are
     * recorded, so that one applied while the listing is made is ordered with it. False when no
     * more directories can be kept.
     */
    boolean track(long dir) {
        if (dirs.size() >= MAX_DIRS && !dirs.containsKey(dir)) {
            return false;
        }
        dirs.putIfAbsent(dir, new ConcurrentHashMap<>());
        return true;
    }

    /**
     * A name of a listing no program made ({@link Baselines}: a baseline, or a listing made to
     * answer lookups), on a page made after event {@code sequence}. {@code first}: the first
     * listing of the directory (what a listing without a sequence counts only as).
     */
    void listed(long dir, String name, long ino, long sequence, boolean first) {
        if (name.equals(".") || name.equals("..")) {
            return;
        }
        Map<String, Known> names = dirs.get(dir);
        if (names == null) {
            return;
        }
        if (sequence == 0) {
            if (first) {
                names.putIfAbsent(name, new Known(ino, 0, 0, false));
            }
            return;
        }
        seen(sequence);
        names.compute(name, (n, k) -> {
            if (k == null) {
                return new Known(ino, sequence, sequence, false);
            }
            if (k.seq() > sequence) {
                return k; // a later fact (an event after this listing was made)
            }
            if (same(k.ino(), ino)) {
                return new Known(k.ino() == 0 ? ino : k.ino(), sequence, Math.min(k.listedAt(), sequence), k.told());
            }
            return new Known(ino, sequence, sequence, false); // another file by now
        });
    }

    void closed(long fh) {
        firstListings.remove(fh);
    }

    /** Event {@code sequence} was applied (whatever its directory). */
    void seen(long sequence) {
        latest.accumulateAndGet(sequence, Math::max);
    }

    /**
     * A directory that was just created: empty as far as anybody knows, unless a watcher listed
     * it already (it may react to the injected mkdir before this is called): what it listed stays.
     */
    void createdDir(long dir) {
        if (dirs.size() < MAX_DIRS) {
            dirs.putIfAbsent(dir, new ConcurrentHashMap<>());
        }
    }

    /**
     * {@link #createdDir} for a directory a CREATED event announced: its names may never come as
     * events (a Windows server reports a directory moved in as one create, not its files), so it
     * still wants a baseline listing until something lists it ({@link #wantsBaseline}).
     */
    void createdByEvent(long dir) {
        createdDir(dir);
        if (dirs.containsKey(dir) && unlisted.size() < MAX_DIRS) {
            unlisted.add(dir);
        }
    }

    /** Whether {@code dir} is known from nothing but the event that made it, or not at all (see {@link Baselines}). */
    boolean wantsBaseline(long dir) {
        return !dirs.containsKey(dir) || unlisted.contains(dir);
    }

    /** {@code dir} was listed whole: by a program, as a baseline or for a resync. */
    void listedWhole(long dir) {
        unlisted.remove(dir);
    }

    /**
     * {@code name} was announced to watchers in {@code dir}: by event {@code sequence}, or (0) made
     * through the mount. {@code ino}: what the server has there now.
     */
    void added(long dir, String name, long ino, long sequence) {
        Map<String, Known> names = dirs.get(dir);
        if (names == null) {
            return;
        }
        long seq = sequence == 0 ? latest.get() : sequence;
        seen(seq);
        names.compute(name, (n, k) -> k == null ? new Known(ino, seq, NEVER, true)
                : new Known(ino, Math.max(k.seq(), seq), same(k.ino(), ino) ? k.listedAt() : NEVER, true));
    }

    /**
     * {@code name} went from {@code dir}: by event {@code sequence}, or (0) through the mount or a
     * resync. An event at or below the sequence of a listing that showed the name since changes
     * nothing: the name was made again after it.
     */
    void removed(long dir, String name, long sequence) {
        Map<String, Known> names = dirs.get(dir);
        if (names != null) {
            names.computeIfPresent(name, (n, k) -> sequence != 0 && k.seq() >= sequence ? k : null);
        }
    }

    /** The kernel let go of {@code dir}: its events are no longer applied, so what is known would go stale. */
    void drop(long dir) {
        dirs.remove(dir);
        unlisted.remove(dir);
    }

    /** Every name known in {@code dir} (name -> inode number), or null when nothing is known of it. */
    Map<String, Long> of(long dir) {
        Map<String, Known> names = dirs.get(dir);
        if (names == null) {
            return null;
        }
        Map<String, Long> out = new HashMap<>();
        names.forEach((n, k) -> out.put(n, k.ino()));
        return out;
    }

    /**
     * The names of {@code dir} watchers know for sure when changes after {@code lostAfter} may be
     * lost: told of, or shown by a listing made at or before it. Null when nothing is known of it.
     */
    Map<String, Long> trusted(long dir, long lostAfter) {
        Map<String, Known> names = dirs.get(dir);
        if (names == null) {
            return null;
        }
        Map<String, Long> out = new HashMap<>();
        names.forEach((n, k) -> {
            if (k.told() || k.listedAt() <= lostAfter) {
                out.put(n, k.ino());
            }
        });
        return out;
    }

    /** After a resync at listing {@code sequence} (0: not known): what watchers now know of {@code dir}. */
    void replace(long dir, Map<String, Long> names, long sequence) {
        seen(sequence);
        ConcurrentHashMap<String, Known> now = new ConcurrentHashMap<>();
        names.forEach((n, ino) -> now.put(n, new Known(ino, sequence, NEVER, true)));
        dirs.put(dir, now);
        unlisted.remove(dir);
    }

    /** Whether {@code ino} (listed now) is the file {@code known} stood for (0: not known, the name decides). */
    static boolean same(Long known, long ino) {
        return known != null && (known == 0 || ino == 0 || known == ino);
    }
}
