package dev.fsdriver.client.events;

import com.carrotsearch.hppc.ObjectObjectHashMap;
import com.carrotsearch.hppc.cursors.ObjectObjectCursor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
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
 * after X is announced again (a duplicate create rather than a missed one), unless the directory's
 * times show it unchanged since the kernel first held it ({@link OverflowResync}).
 *
 * <p>Listings ahead of the server's watcher: the sequence is read before the listing, but the
 * server's watcher reports a change some time after it happened on disk, so a listing may show
 * names whose creates it has not reported yet; in a storm (10,000 creates) that was hundreds of
 * names, whose creates then fell in the loss and were never announced. A create event of a file
 * that a listing made before it showed proves that listing ran ahead: every listing with a
 * sequence from the earliest that showed the file up to the event's ({@link #ahead}) vouches for
 * nothing, so its untold names are announced on a loss (the server reports changes in the order
 * they happened: a name listed earlier than that, untold, was not still to come). The window that
 * remains: a listing ahead that no later event proves so (the loss begins right after it).
 * A listing without a sequence (an older server) is taken only as a directory's first, as known
 * at any X (the rule before sequences). An inode number reused by a file deleted and created again
 * under the same name during a loss is taken for the same file.
 *
 * <p>Size: at most {@link #MAX_NAMES} names per directory. A directory that grows past it is
 * forgotten here and marked too big ({@link #tooBig}): its overflow resyncs announce no names one
 * by one (as inotify's own queue overflows rather than hold everything), which a 1,000,000-name
 * directory needs (~35 bytes per name here, and each resync compared every name).
 *
 * <p>Thread safety: the map of directories is concurrent; a directory's names are read and
 * changed only under its names map's monitor (a program's listing gives a name its own String, a
 * remove and a put that must be one step for the events applied meanwhile; see
 * {@link #listed(long, long, String, long, long)}). A names map is an HPPC open-addressing map:
 * no entry object per name (a concurrent map's cost ~25 bytes more per name, issue 16).
 */
final class KnownNames {
    /**
     * The facts made last, shared while they are the same: a few, as a listing's names told of
     * since (facts of their own) come between its others. Immutable records: a race costs a name
     * facts of its own, no more.
     */
    private final Known.Facts[] recent = new Known.Facts[4];
    private int nextRecent;

    /**
     * The name's facts shared with what it had ({@code had}, null: nothing) or with a name
     * recorded just before, where they are the same; else its own, and they are shared next.
     */
    private Known known(Known had, long ino, long seq, long listedAt, boolean told, long toldAt) {
        if (had instanceof Known.Shared s && s.facts().are(seq, listedAt, told, toldAt)) {
            return new Known.Shared(ino, s.facts());
        }
        for (Known.Facts f : recent) {
            if (f != null && f.are(seq, listedAt, told, toldAt)) {
                return new Known.Shared(ino, f);
            }
        }
        recent[nextRecent++ & (recent.length - 1)] = new Known.Facts(seq, listedAt, told, toldAt);
        return new Known.Own(ino, seq, listedAt, told, toldAt);
    }

    private static final long NEVER = Long.MAX_VALUE;

    private final ConcurrentHashMap<Long, ObjectObjectHashMap<String, Known>> dirs = new ConcurrentHashMap<>();
    /** Directories made by a CREATED event that nothing listed since (see {@link #createdByEvent}). */
    private final Set<Long> unlisted = ConcurrentHashMap.newKeySet();
    /** Directory handles whose listing is a directory's first (for listings without a sequence). */
    private final Set<Long> firstListings = ConcurrentHashMap.newKeySet();
    /** The highest sequence seen: what a change without one (the mount's own) is recorded at. */
    private final AtomicLong latest = new AtomicLong();
    /** Per directory, the spans of listing sequences proven ahead of the server's watcher, {from, to} (to excluded). */
    private final ConcurrentHashMap<Long, List<long[]>> ahead = new ConcurrentHashMap<>();
    private static final int MAX_SPANS = 16;
    private static final int MAX_DIRS = 100_000;
    static final int MAX_NAMES = 50_000;
    /** Directories past the bound of names: nothing is kept of them (see the class comment). */
    private final Set<Long> tooBig = ConcurrentHashMap.newKeySet();
    private volatile int maxNames = MAX_NAMES;

    /** Lowers the bound of names per directory (tests). */
    void maxNames(int max) {
        this.maxNames = max;
    }

    int maxNames() {
        return maxNames;
    }

    /** Whether {@code dir} holds (or held) more names than are kept: see the class comment. */
    boolean tooBig(long dir) {
        return tooBig.contains(dir);
    }

    /** {@code dir} has more names than are kept: forget them, and what watchers know of it is not tracked. */
    void markTooBig(long dir) {
        if (tooBig.size() < MAX_DIRS) {
            tooBig.add(dir);
        }
        dirs.remove(dir);
        ahead.remove(dir);
        unlisted.remove(dir);
    }

    /** After a name was added to {@code names} of {@code dir}. */
    private void bound(long dir, ObjectObjectHashMap<String, Known> names) {
        int size;
        synchronized (names) {
            size = names.size();
        }
        if (size > maxNames && dirs.get(dir) == names) { // not a map replaced meanwhile
            markTooBig(dir);
        }
    }

    /** Directories opened for listing by programs so far (see {@link Baselines#deferred}). */
    private final AtomicLong programListings = new AtomicLong();

    long programListings() {
        return programListings.get();
    }

    /** A directory opened for listing by a program. */
    void opened(long dir, long fh) {
        programListings.incrementAndGet();
        unlisted.remove(dir);
        if (!dirs.containsKey(dir) && !tooBig.contains(dir) && dirs.size() < MAX_DIRS) {
            dirs.putIfAbsent(dir, new ObjectObjectHashMap<>());
            firstListings.add(fh);
        }
    }

    /**
     * A name listed through handle {@code fh} of {@code dir}, on a page made after event
     * {@code sequence} (0: not known). The name is kept as this String, the one the kernel view
     * keeps too: one listed earlier for a baseline (a walk reaches most directories later than
     * the kernel first held them) would be a second copy of each name.
     */
    void listed(long dir, long fh, String name, long ino, long sequence) {
        listed(dir, name, ino, sequence, firstListings.contains(fh), true);
    }

    /**
     * Whether anything is known of {@code dir}: it was listed, made (empty) or resynced, or a
     * baseline of it began ({@link #track}).
     */
    boolean knows(long dir) {
        return dirs.containsKey(dir) || tooBig.contains(dir);
    }

    /**
     * A baseline listing of {@code dir} begins ({@link Baselines}): from now on events in it are
     * recorded, so that one applied while the listing is made is ordered with it. False when no
     * more directories can be kept.
     */
    boolean track(long dir) {
        if (tooBig.contains(dir) || dirs.size() >= MAX_DIRS && !dirs.containsKey(dir)) {
            return false;
        }
        dirs.putIfAbsent(dir, new ObjectObjectHashMap<>());
        return true;
    }

    /**
     * A name of a listing no program made ({@link Baselines}: a baseline, or a listing made to
     * answer lookups), on a page made after event {@code sequence}. {@code first}: the first
     * listing of the directory (what a listing without a sequence counts only as).
     */
    void listed(long dir, String name, long ino, long sequence, boolean first) {
        listed(dir, name, ino, sequence, first, false);
    }

    private void listed(long dir, String name, long ino, long sequence, boolean first, boolean takeKey) {
        if (name.equals(".") || name.equals("..")) {
            return;
        }
        ObjectObjectHashMap<String, Known> names = dirs.get(dir);
        if (names == null) {
            return;
        }
        if (sequence == 0) {
            if (first) {
                synchronized (names) {
                    if (!names.containsKey(name)) {
                        names.put(name, known(null, ino, 0, 0, false, 0));
                    }
                }
            }
            return;
        }
        seen(sequence);
        Known had;
        synchronized (names) {
            had = names.get(name);
            Known now;
            if (had == null) {
                now = known(null, ino, sequence, sequence, false, 0);
            } else if (had.seq() > sequence) {
                now = had; // a later fact (an event after this listing was made)
            } else if (same(had.ino(), ino)) {
                now = known(had, had.ino() == 0 ? ino : had.ino(), sequence, Math.min(had.listedAt(), sequence), had.told(),
                        had.toldAt());
            } else {
                now = known(null, ino, sequence, sequence, false, 0); // another file by now
            }
            if (had != null && takeKey) {
                names.remove(name); // a put keeps the key it finds
            }
            names.put(name, now);
        }
        if (had != null && had.toldAt() > sequence && same(had.ino(), ino)) {
            ahead(dir, sequence, had.toldAt()); // it showed a file whose create was reported after it
        }
        bound(dir, names);
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
        if (dirs.size() < MAX_DIRS && !tooBig.contains(dir)) {
            dirs.putIfAbsent(dir, new ObjectObjectHashMap<>());
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
        return !tooBig.contains(dir) && (!dirs.containsKey(dir) || unlisted.contains(dir));
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
        added(dir, name, ino, sequence, false);
    }

    /**
     * {@link #added(long, String, long, long)}; {@code byEvent}: by the event (a create or rename)
     * that reported the file made at the name: a listing before it that showed the file ran ahead
     * of the server's watcher ({@link #ahead}). Not for a resync's announcement.
     */
    void added(long dir, String name, long ino, long sequence, boolean byEvent) {
        ObjectObjectHashMap<String, Known> names = dirs.get(dir);
        if (names == null) {
            return;
        }
        long seq = sequence == 0 ? latest.get() : sequence;
        long toldAt = byEvent ? sequence : 0;
        seen(seq);
        Known k;
        synchronized (names) {
            k = names.get(name);
            names.put(name, k == null ? known(null, ino, seq, NEVER, true, toldAt)
                    : known(k, ino, Math.max(k.seq(), seq), same(k.ino(), ino) ? k.listedAt() : NEVER, true,
                            Math.max(toldAt, same(k.ino(), ino) ? k.toldAt() : 0)));
        }
        if (toldAt != 0 && k != null && same(k.ino(), ino) && k.listedAt() > 0 && k.listedAt() < toldAt) {
            ahead(dir, k.listedAt(), toldAt);
        }
        bound(dir, names);
    }

    /**
     * Listings of {@code dir} with a sequence in [{@code from}, {@code to}) were made while the
     * server's watcher had a change still to report that happened before one of them: they may show
     * names whose creates are still to come, and vouch for none ({@link #trusted}). Spans that
     * overlap are merged; beyond {@link #MAX_SPANS}, all become one (more is distrusted, never less).
     */
    private void ahead(long dir, long from, long to) {
        if (!dirs.containsKey(dir)) {
            return;
        }
        ahead.compute(dir, (d, spans) -> {
            List<long[]> out = new ArrayList<>();
            long f = from;
            long t = to;
            if (spans != null) {
                for (long[] s : spans) {
                    if (s[1] < f || s[0] > t) {
                        out.add(s);
                    } else {
                        f = Math.min(f, s[0]);
                        t = Math.max(t, s[1]);
                    }
                }
            }
            out.add(new long[] {f, t});
            if (out.size() > MAX_SPANS) {
                long lo = Long.MAX_VALUE;
                long hi = 0;
                for (long[] s : out) {
                    lo = Math.min(lo, s[0]);
                    hi = Math.max(hi, s[1]);
                }
                out = new ArrayList<>(List.of(new long[] {lo, hi}));
            }
            return out;
        });
    }

    /** Whether a listing of {@code dir} at {@code sequence} vouches for what it showed: see {@link #ahead}. */
    private boolean vouches(long dir, long sequence, long lostAfter) {
        if (sequence > lostAfter) {
            return false;
        }
        List<long[]> spans = ahead.get(dir);
        if (spans != null) {
            for (long[] s : spans) {
                if (sequence >= s[0] && sequence < s[1]) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * {@code name} went from {@code dir}: by event {@code sequence}, or (0) through the mount or a
     * resync. An event at or below the sequence of a listing that showed the name since changes
     * nothing: the name was made again after it.
     */
    void removed(long dir, String name, long sequence) {
        ObjectObjectHashMap<String, Known> names = dirs.get(dir);
        if (names != null) {
            synchronized (names) {
                Known k = names.get(name);
                if (k != null && (sequence == 0 || k.seq() < sequence)) {
                    names.remove(name);
                }
            }
        }
    }

    /** The kernel let go of {@code dir}: its events are no longer applied, so what is known would go stale. */
    void drop(long dir) {
        dirs.remove(dir);
        ahead.remove(dir);
        unlisted.remove(dir);
        tooBig.remove(dir);
    }

    /** What is recorded of {@code name} in {@code dir}, or null (tests). */
    Known recorded(long dir, String name) {
        ObjectObjectHashMap<String, Known> names = dirs.get(dir);
        if (names == null) {
            return null;
        }
        synchronized (names) {
            return names.get(name);
        }
    }

    /** Every name known in {@code dir} (name -> inode number), or null when nothing is known of it. */
    Map<String, Long> of(long dir) {
        ObjectObjectHashMap<String, Known> names = dirs.get(dir);
        if (names == null) {
            return null;
        }
        Map<String, Long> out = new HashMap<>();
        synchronized (names) {
            for (ObjectObjectCursor<String, Known> c : names) {
                out.put(c.key, c.value.ino());
            }
        }
        return out;
    }

    /**
     * The names of {@code dir} watchers know for sure when changes after {@code lostAfter} may be
     * lost: told of, or shown by a listing made at or before it that was not ahead of the server's
     * watcher ({@link #ahead}; the earliest and the latest listing that showed the name are
     * asked). Null when nothing is known of it.
     */
    Map<String, Long> trusted(long dir, long lostAfter) {
        ObjectObjectHashMap<String, Known> names = dirs.get(dir);
        if (names == null) {
            return null;
        }
        Map<String, Long> out = new HashMap<>();
        synchronized (names) {
            for (ObjectObjectCursor<String, Known> c : names) {
                Known k = c.value;
                if (k.told() || vouches(dir, k.listedAt(), lostAfter) || vouches(dir, k.seq(), lostAfter)) {
                    out.put(c.key, k.ino());
                }
            }
        }
        return out;
    }

    /**
     * After a resync at listing {@code sequence} (0: not known): what watchers now know of {@code dir},
     * every name told (a name whose announcement failed is left out: the next resync tries again).
     */
    void replace(long dir, Map<String, Long> names, long sequence) {
        seen(sequence);
        if (names.size() > maxNames) {
            markTooBig(dir);
            return;
        }
        tooBig.remove(dir);
        ObjectObjectHashMap<String, Known> now = new ObjectObjectHashMap<>(names.size());
        names.forEach((n, ino) -> now.put(n, known(null, ino, sequence, NEVER, true, 0)));
        dirs.put(dir, now); // published through the concurrent map: complete before any other thread sees it
        unlisted.remove(dir);
    }

    /** Whether {@code ino} (listed now) is the file {@code known} stood for (0: not known, the name decides). */
    static boolean same(Long known, long ino) {
        return known != null && (known == 0 || ino == 0 || known == ino);
    }
}
