package dev.fsdriver.client;

import dev.fsdriver.client.cache.KnownAttrs;
import dev.fsdriver.client.cache.RemoteCaches;
import dev.fsdriver.common.Errno;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.fuse.FuseNotifier;
import dev.fsdriver.proto.v1.Attr;
import dev.fsdriver.proto.v1.NameRequest;
import dev.fsdriver.proto.v1.UnlinkManyReply;
import dev.fsdriver.proto.v1.UnlinkManyRequest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Unlinks answered here and sent together (issue 13: "rm -rf at most one call per directory plus
 * one per batch"). rm -rf and {@code rm *.o} wait for each unlink in turn: one call each. While
 * events flow, an unlink in a directory where this mount removed another name just before (an
 * unlink or rmdir), with no name made there since (a burst; sqlite's journal, made and unlinked
 * at each commit, is not one), of a file the kernel holds and no descriptor of this mount has
 * open, is answered at once and held ({@link #mayHold}); what is held goes in one UnlinkMany call:
 * <ul>
 *   <li>before any request that could tell it is not made yet ({@link RemoteFileSystem}: every
 *       request that makes, removes or moves a name, and a lookup of a held name, a listing,
 *       getattr or fsync of a directory with held names, a request about a held file; the
 *       events layer's own reads);</li>
 *   <li>or {@link #LAND_AFTER_MS} after the first hold; at once past {@link #MAX_HELD}.</li>
 * </ul>
 * The directory's attributes answered meanwhile are the last known with mtime and ctime now.
 *
 * <p>The cost, written in docs/posix.md: an unlink the server refuses once sent (a Windows
 * program holds the file open without delete sharing; the server's user may not write the
 * directory) has already been answered as done. The file stays on the server; the mount logs
 * its name, drops every cache as if a change event came, makes the kernel look the name up
 * again, and the next fsync of that directory fails with the errno (rm -rf's rmdir fails
 * ENOTEMPTY). One the server finds already gone (ENOENT) did what was asked.
 *
 * <p>Locking: everything held is under this object's lock; a landing keeps it until its call
 * is answered, with {@link #landing} set, so a request that must come after the held unlinks
 * waits for a landing in flight. {@link #count} and {@link #landing} let the requests that find
 * nothing held pass without the lock. The kernel is told under it that a directory's attributes
 * are stale (which takes no kernel lock); a name that came back is told on a thread of its own
 * (that takes the directory's lock, which the request that landed it may hold).
 */
final class HeldUnlinks {
    private static final Logger log = LoggerFactory.getLogger(HeldUnlinks.class);
    static final long LAND_AFTER_MS = 10;
    static final int MAX_HELD = 1024;
    /** An unlink follows another in its directory within this: a burst. */
    private static final long BURST_NS = TimeUnit.MILLISECONDS.toNanos(50);
    private static final int MAX_DIRS = 4096;
    private static final int LOGGED_FAILURES = 5;

    private record Name(long parent, String name) {}

    private final Connection connection;
    private final RemoteCaches caches;
    private final KnownAttrs attrs;
    private final UnsyncedNames unsynced;
    /** The server lists "unlink-many" and the mount may write. */
    private final boolean supported;
    private volatile FuseNotifier notifier;

    /** Held unlinks, in order, and the node each named (guarded by this). */
    private final LinkedHashMap<Name, Long> pending = new LinkedHashMap<>();
    private final HashMap<Long, Integer> heldIn = new HashMap<>();
    private final HashMap<Long, Integer> heldNodes = new HashMap<>();
    private volatile int count;
    private volatile boolean landing;
    private boolean timerSet;
    /** When this mount last unlinked a name in each directory (System.nanoTime). */
    private final ConcurrentHashMap<Long, Long> lastUnlinkNs = new ConcurrentHashMap<>();
    /** Directories where a held unlink failed on the server: the errno their next fsync returns. */
    private final ConcurrentHashMap<Long, Integer> failedIn = new ConcurrentHashMap<>();

    HeldUnlinks(Connection connection, RemoteCaches caches, UnsyncedNames unsynced, boolean supported) {
        this.connection = connection;
        this.caches = caches;
        this.attrs = caches.attrs();
        this.unsynced = unsynced;
        this.supported = supported;
    }

    /** Where a failed held unlink's name is dropped from the kernel (none: mounts without notifications). */
    void notifyWith(FuseNotifier notifier) {
        this.notifier = notifier;
    }

    /**
     * Whether the unlink of {@code node}, the file the kernel holds in {@code parent}, may be
     * answered here. Either way the unlink counts for the next one's burst.
     */
    boolean mayHold(long parent, long node, OpenFiles files) {
        long now = System.nanoTime();
        Long last = mark(parent, now);
        return supported && last != null && now - last < BURST_NS && node != 0 && count < MAX_HELD
                && caches.eventsLive() && attrs.get(parent) != null && !files.isOpen(node);
    }

    /**
     * A name in {@code dir} was removed (an unlink answered, held or sent; a directory: rm -rf
     * back from it): the burst there goes on from now, however long that took.
     */
    void removedIn(long dir) {
        mark(dir, System.nanoTime());
    }

    private Long mark(long dir, long now) {
        if (lastUnlinkNs.size() >= MAX_DIRS) {
            lastUnlinkNs.clear(); // bounded: a burst in a directory forgotten starts again
        }
        return lastUnlinkNs.put(dir, now);
    }

    /** An unlink in {@code dir} sent at once failed: no burst goes on there (the next gets its own error). */
    void refused(long dir) {
        lastUnlinkNs.remove(dir);
    }

    /** A name is made in {@code dir} (or renamed into it): what is held lands first, and no burst goes on there. */
    void nameMadeIn(long dir) {
        lastUnlinkNs.remove(dir);
        landAll();
    }

    /**
     * Holds the unlink of {@code name} (node {@code node}) in {@code parent}; the directory's
     * attributes to answer with meanwhile: the last known, its times now.
     */
    void hold(long parent, String name, long node) {
        boolean startTimer;
        synchronized (this) {
            pending.put(new Name(parent, name), node);
            heldIn.merge(parent, 1, Integer::sum);
            heldNodes.merge(node, 1, Integer::sum);
            count = pending.size();
            startTimer = !timerSet;
            timerSet = true;
        }
        Attr before = attrs.get(parent);
        if (before != null) {
            Instant t = Instant.now();
            long now = Math.max(t.getEpochSecond() * 1_000_000_000L + t.getNano(), before.getMtimeNs());
            attrs.answered(parent, before.toBuilder().setMtimeNs(now).setCtimeNs(Math.max(now, before.getCtimeNs())).build(),
                    attrs.epoch());
        }
        removedIn(parent); // it may have waited for a landing
        if (startTimer) {
            Thread.startVirtualThread(this::landLater);
        } else if (count >= MAX_HELD) {
            landAll();
        }
    }

    /** Whether {@code name} in {@code parent} is held. */
    boolean holds(long parent, String name) {
        if (count == 0 && !landing) {
            return false;
        }
        synchronized (this) {
            return pending.containsKey(new Name(parent, name));
        }
    }

    /** Whether unlinks in directory {@code dir}, or of file {@code node}, are held. */
    boolean concerns(long node) {
        if (count == 0 && !landing) {
            return false;
        }
        synchronized (this) {
            return heldIn.containsKey(node) || heldNodes.containsKey(node);
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
            land = heldNodes.containsKey(node) || heldIn.containsKey(node) && attrs.get(node) == null;
        }
        if (land) {
            landAll();
        }
    }

    /** The errno of a held unlink in {@code dir} that failed on the server since its last fsync (0: none). */
    int failedIn(long dir) {
        Integer errno = failedIn.remove(dir);
        return errno == null ? 0 : errno;
    }

    /** Everything held is sent, and answered, before this returns. */
    void landAll() {
        if (count == 0 && !landing) {
            return;
        }
        synchronized (this) {
            if (pending.isEmpty()) {
                return; // a landing in flight was waited for (it held the lock)
            }
            landing = true;
            try {
                landLocked();
            } finally {
                pending.clear();
                heldIn.clear();
                heldNodes.clear();
                count = 0;
                landing = false;
            }
        }
    }

    private void landLocked() {
        List<Name> names = new ArrayList<>(pending.keySet());
        UnlinkManyRequest.Builder req = UnlinkManyRequest.newBuilder();
        for (Name n : names) {
            req.addUnlinks(NameRequest.newBuilder().setParent(n.parent()).setName(n.name()));
        }
        for (Long dir : heldIn.keySet()) {
            caches.namesChanging(dir); // a listing fetched since the hold still has the names
        }
        long sentAt = attrs.epoch();
        UnlinkManyReply reply;
        int allFailed = 0;
        try {
            reply = connection.call(f -> f.unlinkMany(req.build()));
        } catch (FuseException e) {
            reply = null;
            allFailed = e.errno();
        }
        Map<Long, List<String>> gone = new HashMap<>();
        int failures = 0;
        for (int i = 0; i < names.size(); i++) {
            Name n = names.get(i);
            int errno = reply == null ? allFailed : i < reply.getErrnoCount() ? reply.getErrno(i) : Errno.EIO;
            if (errno == 0 || errno == Errno.ENOENT) {
                gone.computeIfAbsent(n.parent(), d -> new ArrayList<>()).add(n.name());
                continue;
            }
            if (failures++ < LOGGED_FAILURES) {
                log.warn("an unlink answered ahead of the server failed there: name \"{}\" in directory node {} stays (errno {})",
                        n.name(), n.parent(), errno);
            }
            failedIn.put(n.parent(), errno);
            unsynced.changedInDoubt(n.parent());
            FuseNotifier kernel = notifier;
            if (kernel != null) { // the kernel's negative entry: on a thread of its own (see the class comment)
                Thread.startVirtualThread(() -> kernel.invalEntry(n.parent(), n.name()));
            }
        }
        for (Long dir : heldIn.keySet()) {
            List<String> done = gone.getOrDefault(dir, List.of());
            caches.namesChanged(dir, failures == 0 ? k -> done.stream().allMatch(name -> k.without(name, caches::forget)) : null);
            Attr a = reply == null ? null : reply.getParentsMap().get(dir);
            attrs.dirChanged(dir, a, sentAt);
            // answered with times of the mount's clock: asked again (attributes only, which takes
            // no kernel lock a waiting request holds), before any request waiting for this goes on
            attrs.kernelStale(dir);
        }
        long now = System.nanoTime();
        for (Long dir : heldIn.keySet()) {
            mark(dir, now); // the burst goes on however long the landing took (a request may have waited for it)
        }
        if (failures > LOGGED_FAILURES) {
            log.warn("{} more unlinks answered ahead of the server failed there (their files stay)", failures - LOGGED_FAILURES);
        }
        if (failures > 0) {
            caches.changedElsewhere(); // as for a change event: nothing kept is trusted (the events layer's too)
        }
    }

    /**
     * The timer: what is held lands {@link #LAND_AFTER_MS} after the first hold, unless something
     * took it first. A hold made once the flag is down starts a timer of its own.
     */
    private void landLater() {
        try {
            TimeUnit.MILLISECONDS.sleep(LAND_AFTER_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            timerSet = false;
        }
        landAll();
    }
}
