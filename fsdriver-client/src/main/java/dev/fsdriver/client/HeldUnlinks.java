package dev.fsdriver.client;

import dev.fsdriver.client.cache.KnownAttrs;
import dev.fsdriver.client.cache.RemoteCaches;
import dev.fsdriver.fuse.FuseNotifier;
import dev.fsdriver.proto.v1.Attr;
import dev.fsdriver.proto.v1.NameRequest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Unlinks answered here and sent together (issue 13: "rm -rf at most one call per directory plus
 * one per batch"). rm -rf and {@code rm *.o} wait for each unlink in turn: one call each. While
 * events flow, an unlink in a burst ({@link UnlinkBursts}: rm -rf from its second unlink on; not
 * sqlite's journal, nor a lone rm) of a file the kernel holds and no descriptor of this mount has
 * open is answered at once and held ({@link #mayHold}); what is held goes in one UnlinkMany call
 * ({@link UnlinkLanding}):
 * <ul>
 *   <li>before any request that could tell it is not made yet ({@link RemoteFileSystem}: every
 *       request that makes, removes or moves a name, and a lookup of a held name (any case), a
 *       listing, getattr or fsync of a directory with held names, a request about a held file;
 *       the events layer's own reads);</li>
 *   <li>or {@link #LAND_AFTER_MS} after the first hold; at once past {@link #MAX_HELD}.</li>
 * </ul>
 * The directory's attributes answered meanwhile are the last known with mtime and ctime now.
 * Each unlink names the node it is for: a file that took the name on the server meanwhile is
 * left alone. The kernel's FORGET of a held file or of its directory waits for the landing.
 *
 * <p>The cost, written in docs/posix.md: an unlink the server refuses once sent has already been
 * answered as done; the file stays (see {@link UnlinkLanding} for what the mount then does).
 *
 * <p>Locking: everything held is under this object's lock; a landing keeps it until its call
 * is answered, with {@link #landing} set, so a request that must come after the held unlinks
 * waits for a landing in flight. {@link #count} and {@link #landing} let the requests that find
 * nothing held pass without the lock. Only request threads, the events layer's threads and this
 * class's timer land (never a transport thread: a landing waits for a call).
 */
final class HeldUnlinks {
    static final long LAND_AFTER_MS = 10;
    static final int MAX_HELD = 1024;

    record Name(long parent, String name) {}

    private final KnownAttrs attrs;
    private final RemoteCaches caches;
    private final OpenFiles files;
    private final NodeTable nodes;
    private final UnlinkLanding landings;
    /** The server lists "unlink-many" and the mount may write. */
    private final boolean supported;

    /** Held unlinks, in order, and the node each is for (guarded by this). */
    private final LinkedHashMap<Name, Long> pending = new LinkedHashMap<>();
    private final HashSet<Name> folded = new HashSet<>();
    /** The directories of what is held, and its files. */
    private final HashSet<Long> heldIn = new HashSet<>();
    private final HashSet<Long> heldNodes = new HashSet<>();
    /** FORGETs of held files and their directories, given to the server once landed (guarded by this). */
    private final List<long[]> forgets = new ArrayList<>();
    private volatile int count;
    private volatile boolean landing;
    private boolean timerSet;
    private final UnlinkBursts bursts = new UnlinkBursts(System::nanoTime);

    HeldUnlinks(RemoteCaches caches, OpenFiles files, NodeTable nodes, UnlinkLanding landings, boolean supported) {
        this.attrs = caches.attrs();
        this.caches = caches;
        this.files = files;
        this.nodes = nodes;
        this.landings = landings;
        this.supported = supported;
    }

    /** Where a name that shows again is told to the kernel (see {@link UnlinkLanding}). */
    void notifyWith(FuseNotifier notifier) {
        landings.notifyWith(notifier);
    }

    /**
     * Whether the unlink of {@code node}, the file the kernel holds in {@code parent}, may be
     * answered here (a burst: {@link UnlinkBursts}). Either way it counts for the next one.
     */
    boolean mayHold(long parent, long node) {
        return bursts.unlinking(parent) && supported && node != 0 && count < MAX_HELD && !landings.retrying()
                && caches.eventsLive() && attrs.get(parent) != null && !files.isOpen(node);
    }

    /**
     * A name in {@code dir} was removed (an unlink answered, held or sent; a directory: rm -rf
     * back from it): the burst goes on from now, however long that took.
     */
    void removedIn(long dir) {
        bursts.removed(dir);
    }

    /** An unlink in {@code dir} sent at once failed: the next one there goes at once too (its error its own). */
    void refused(long dir) {
        bursts.made(dir);
    }

    /** A name is made in {@code dir} (or renamed into it): what is held lands first, and its next unlink goes at once. */
    void nameMadeIn(long dir) {
        landAll();
        bursts.made(dir); // after the landing, which counts as a removal
    }

    /**
     * Holds the unlink of {@code name} (node {@code node}) in {@code parent}, and keeps the
     * directory's attributes to answer with meanwhile: the last known, its times now (under the
     * lock, so that no landing's answer comes between).
     */
    void hold(long parent, String name, long node) {
        boolean startTimer;
        synchronized (this) {
            Name n = new Name(parent, name);
            pending.put(n, node);
            folded.add(fold(n));
            heldIn.add(parent);
            heldNodes.add(node);
            count = pending.size();
            startTimer = !timerSet;
            timerSet = true;
            long sentAt = attrs.epoch();
            Attr before = attrs.get(parent);
            if (before != null) {
                Instant t = Instant.now();
                long now = Math.max(t.getEpochSecond() * 1_000_000_000L + t.getNano(), before.getMtimeNs());
                attrs.answered(parent, before.toBuilder().setMtimeNs(now).setCtimeNs(Math.max(now, before.getCtimeNs()))
                        .build(), sentAt);
            }
        }
        removedIn(parent); // it may have waited for a landing
        if (startTimer) {
            Thread.startVirtualThread(this::landLater);
        } else if (count >= MAX_HELD) {
            landAll();
        }
    }

    private static Name fold(Name n) {
        return new Name(n.parent(), n.name().toLowerCase(Locale.ROOT));
    }

    /** Whether {@code name} in {@code parent} is held, in any case (a share may fold it). */
    boolean holds(long parent, String name) {
        if (count == 0 && !landing) {
            return false;
        }
        synchronized (this) {
            return folded.contains(fold(new Name(parent, name)));
        }
    }

    /** Whether unlinks in directory {@code dir}, or of file {@code node}, are held. */
    boolean concerns(long node) {
        if (count == 0 && !landing) {
            return false;
        }
        synchronized (this) {
            return heldIn.contains(node) || heldNodes.contains(node);
        }
    }

    /** Lands what is held if {@code node} is a directory with held unlinks or a file held. */
    void landFor(long node) {
        if (concerns(node)) {
            landAll();
        }
    }

    /**
     * Before a GETATTR of {@code node}: lands what is held if it is a held file, or a directory
     * with held unlinks whose attributes are not known here (those known are answered: the
     * kernel asks for them before each unlink).
     */
    void landForAttrs(long node) {
        if (count == 0 && !landing) {
            return;
        }
        boolean land;
        synchronized (this) {
            land = heldNodes.contains(node) || heldIn.contains(node) && attrs.get(node) == null;
        }
        if (land) {
            landAll();
        }
    }

    /**
     * The kernel's FORGET of {@code node}: kept until the landing when it is a held file or a
     * directory with held unlinks (the server must still know them then); true when kept. Never
     * waits (FORGET is answered on the reader thread).
     */
    boolean forgetAfterLanding(long node, long nlookup) {
        if (count == 0 && !landing) {
            return false;
        }
        synchronized (this) {
            if (!heldIn.contains(node) && !heldNodes.contains(node)) {
                return false;
            }
            forgets.add(new long[] {node, nlookup});
            return true;
        }
    }

    /** The errno of a held unlink in {@code dir} that failed on the server since its last fsync (0: none). */
    int failedIn(long dir) {
        return landings.failedIn(dir);
    }

    /** Everything held is sent, and answered, before this returns (unless the server is away: then kept for later). */
    void landAll() {
        land(null);
    }

    /**
     * Lands what is held with {@code rmdir} as the call's last entry (rm -rf: a directory's last
     * files and the directory itself in one call); null when nothing is held (the rmdir is to go
     * alone). The reply's last errno is the rmdir's.
     */
    UnlinkLanding.Outcome landWith(NameRequest rmdir) {
        return land(rmdir);
    }

    private UnlinkLanding.Outcome land(NameRequest rmdir) {
        if (count == 0 && !landing) {
            return null;
        }
        UnlinkLanding.Outcome outcome;
        List<long[]> forgotten;
        synchronized (this) {
            if (pending.isEmpty()) {
                return null; // a landing in flight was waited for (it held the lock)
            }
            landing = true;
            try {
                outcome = landings.land(new LinkedHashMap<>(pending), heldIn, heldNodes, rmdir);
                if (outcome.kept()) {
                    armTimer(); // the server is away: they stay held, and go again
                    return outcome;
                }
                for (Long dir : heldIn) {
                    bursts.removed(dir); // the burst goes on however long the landing took (a request may have waited for it)
                }
                pending.clear();
                folded.clear();
                heldIn.clear();
                heldNodes.clear();
                count = 0;
            } finally {
                landing = false;
            }
            forgotten = new ArrayList<>(forgets);
            forgets.clear();
        }
        for (long[] f : forgotten) {
            nodes.forget(f[0], f[1]);
        }
        return outcome;
    }

    private synchronized void armTimer() {
        if (!timerSet) {
            timerSet = true;
            Thread.startVirtualThread(this::landLater);
        }
    }

    /**
     * The timer: what is held lands {@link #LAND_AFTER_MS} after the first hold (a second while
     * the server is away), unless something took it first. A hold made once the flag is down
     * starts a timer of its own.
     */
    private void landLater() {
        try {
            TimeUnit.MILLISECONDS.sleep(landings.retrying() ? 1000 : LAND_AFTER_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            timerSet = false;
        }
        landAll();
    }
}
