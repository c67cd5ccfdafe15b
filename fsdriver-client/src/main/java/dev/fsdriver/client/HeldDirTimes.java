package dev.fsdriver.client;

import dev.fsdriver.client.cache.KnownAttrs;
import dev.fsdriver.common.FileMode;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.fuse.FuseSetAttr;
import dev.fsdriver.proto.v1.Attr;
import dev.fsdriver.proto.v1.SetAttrRequest;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Directories' times held back (issue 13, "writes in bulk"). tar gives each directory it made
 * its times, owner and mode once its contents are out: three SetAttr calls by path (utimensat,
 * fchownat as root, fchmodat), which {@link HeldSetAttrs} cannot take (no descriptor writes to a
 * directory). While events flow, for a directory this mount made with the owner it still has
 * (so the server, which made it, can set its times):
 * <ul>
 *   <li>explicit times are held here and answered with the attributes they give;</li>
 *   <li>an owner the directory has already is answered without the server (ctime aside, a chown
 *       to the same owner changes nothing on a directory);</li>
 *   <li>the times go in the directory's next SetAttr (tar's chmod: one call for three, see
 *       {@link #mergeInto}), before any other request that reaches the server ({@link #landAll},
 *       called first by every such request of {@link RemoteFileSystem}), or alone after 10 ms.</li>
 * </ul>
 * The cost: times the server refuses once sent (the directory removed or given away elsewhere in
 * those milliseconds) are logged, not returned by utimensat; a merged SetAttr that fails is sent
 * again without them, so that chmod's own result is the one returned.
 *
 * <p>Locking: {@link #pending} is a concurrent map, and whoever removes an entry sends it. A
 * landing runs under this object's lock with {@link #landing} set; {@link #hold} and
 * {@link #mergeInto}'s take run under it too, and {@link #landAll} waits for a landing in flight
 * ({@link #settle}): a create in the directory must not overtake its times, nor later times or
 * a SetAttr of it the earlier ones.
 */
final class HeldDirTimes {
    private static final Logger log = LoggerFactory.getLogger(HeldDirTimes.class);
    private static final int SET_ID = FileMode.S_ISUID | FileMode.S_ISGID;
    private static final int MAX_MADE = 1 << 16;
    static final long LAND_AFTER_MS = 10;

    /** Times held for a directory: what to send, the attributes it then has, and the process that set them. */
    record Held(SetAttrRequest times, Attr view, long heldAtNs, int pid) {}

    private final Connection connection;
    private final KnownAttrs attrs;
    private final BooleanSupplier eventsLive;
    private final ConcurrentHashMap<Long, Held> pending = new ConcurrentHashMap<>();
    /** Directories this mount made, with the owner they were made with. Bounded: past it, no more are held. */
    private final ConcurrentHashMap<Long, Integer> made = new ConcurrentHashMap<>();
    private final AtomicBoolean timerSet = new AtomicBoolean();
    /** A landing is in flight (written under this object's lock). */
    private volatile boolean landing;

    HeldDirTimes(Connection connection, KnownAttrs attrs, BooleanSupplier eventsLive) {
        this.connection = connection;
        this.attrs = attrs;
        this.eventsLive = eventsLive;
    }

    /** This mount made directory {@code nodeId}, owned by {@code uid}. */
    void made(long nodeId, int uid) {
        if (made.size() < MAX_MADE) {
            made.put(nodeId, uid);
        }
    }

    /** The kernel forgot {@code nodeId}: its times held land first (the server is about to forget it too). */
    void forgotten(long nodeId) {
        made.remove(nodeId);
        if (pending.containsKey(nodeId)) {
            landAll();
        }
    }

    /**
     * {@code changes} to directory {@code nodeId} held, merged with what is held for it; the
     * attributes to answer the kernel with, or null: send it (merged, see {@link #mergeInto}).
     */
    Attr hold(long nodeId, FuseSetAttr changes, int pid) {
        if (!made.containsKey(nodeId)) {
            return null; // not a directory this mount made (every file's SETATTR): no lock taken
        }
        synchronized (this) {
            return holdLocked(nodeId, changes, pid);
        }
    }

    /**
     * The attributes held times give {@code nodeId}, for a stat by the process {@code pid} that set
     * them (tar stats a directory between its utimensat and its chmod: the times then still go
     * with the chmod); null for any other process, whose stat lands them first and then sees the
     * server's ctime, which no later stat contradicts (tar stats a directory before and after
     * listing it, and a new ctime between is a change: "file changed as we read it"). Pid 0 (a
     * process outside the mount's pid namespace) is nobody's.
     */
    Attr viewFor(long nodeId, int pid) {
        Held h = pid == 0 || pending.isEmpty() ? null : pending.get(nodeId);
        return h != null && h.pid() == pid ? h.view() : null;
    }

    private Attr holdLocked(long nodeId, FuseSetAttr changes, int pid) {
        Held had = pending.get(nodeId);
        Attr base = had != null ? had.view() : attrs.get(nodeId);
        Integer madeBy = made.get(nodeId);
        if (base == null || !FileMode.isDirectory(base.getMode()) || madeBy == null || madeBy != base.getUid()
                || (base.getMode() & SET_ID) != 0 || !eventsLive.getAsBoolean()
                || changes.size().isPresent() || changes.mode().isPresent() || changes.killSuidgid()
                || changes.atimeNow() || changes.mtimeNow()
                || (changes.uid().isPresent() && changes.uid().getAsInt() != base.getUid())
                || (changes.gid().isPresent() && changes.gid().getAsInt() != base.getGid())) {
            return null;
        }
        if (changes.atimeNs().isEmpty() && changes.mtimeNs().isEmpty()) {
            return base; // only the owner it has
        }
        SetAttrRequest.Builder times = had != null ? had.times().toBuilder() : SetAttrRequest.newBuilder().setNode(nodeId);
        Attr.Builder view = base.toBuilder();
        HeldSetAttrs.mergeTimes(changes, times, view);
        Held held = new Held(times.build(), view.build(), had != null ? had.heldAtNs() : System.nanoTime(), pid);
        pending.put(nodeId, held);
        attrs.drop(nodeId); // nothing answers the old times meanwhile (and what listings said of it goes too)
        if (timerSet.compareAndSet(false, true)) {
            Thread.startVirtualThread(this::landLater);
        }
        return held.view();
    }

    /**
     * {@code request}, a SetAttr about to go for {@code nodeId}, with the times held for it that
     * it does not set itself (they are taken: sent with it); the request unchanged when none.
     */
    SetAttrRequest mergeInto(long nodeId, SetAttrRequest request) {
        if (pending.isEmpty() && !landing) {
            return request;
        }
        Held had;
        synchronized (this) { // after a landing in flight (it holds the lock)
            had = pending.remove(nodeId);
        }
        if (had == null) {
            return request;
        }
        SetAttrRequest.Builder b = request.toBuilder();
        if (!request.hasAtime() && had.times().hasAtime()) {
            b.setAtime(had.times().getAtime());
        }
        if (!request.hasMtime() && had.times().hasMtime()) {
            b.setMtime(had.times().getMtime());
        }
        return b.build();
    }

    /** A merged SetAttr failed and goes again without them: the times held in it are lost, said so. */
    void lostIn(long nodeId, int errno) {
        log.warn("times held for directory node {} not set: the SetAttr they went with failed (errno {})", nodeId, errno);
        attrs.drop(nodeId);
        attrs.kernelStale(nodeId);
    }

    /** Every time held is sent, and answered, before this returns (a request that reaches the server calls it first). */
    void landAll() {
        if (!pending.isEmpty()) {
            landHeldBefore(Long.MAX_VALUE);
        } else {
            settle();
        }
    }

    /** Returns once no landing is in flight (one begun before this call has been answered). */
    private void settle() {
        if (landing) {
            synchronized (this) {
                // the landing held this lock until it was answered
            }
        }
    }

    /** Lands the times held before {@code cutoffNs} (System.nanoTime); returns the oldest hold left, or -1. */
    private synchronized long landHeldBefore(long cutoffNs) {
        long oldestLeft = -1;
        for (var e : pending.entrySet()) {
            long at = e.getValue().heldAtNs();
            if (at - cutoffNs <= 0 || cutoffNs == Long.MAX_VALUE) {
                landing = true;
                try {
                    Held h = pending.remove(e.getKey());
                    if (h != null) {
                        land(e.getKey(), h);
                    }
                } finally {
                    landing = false;
                }
            } else if (oldestLeft == -1 || at - oldestLeft < 0) {
                oldestLeft = at;
            }
        }
        return oldestLeft;
    }

    private void land(long nodeId, Held h) {
        attrs.drop(nodeId); // a change through the mount: nothing fetched while it goes is kept
        long sentAt = attrs.epoch();
        try {
            Attr attr = connection.call(f -> f.setAttr(h.times()));
            attrs.changed(nodeId); // nor what listings fetched meanwhile said of it
            attrs.answered(nodeId, attr, sentAt);
            attrs.kernelStale(nodeId); // it was answered the ctime before
        } catch (FuseException e) {
            log.warn("times held for directory node {} not set (errno {})", nodeId, e.errno());
            attrs.drop(nodeId);
            attrs.kernelStale(nodeId);
        } catch (RuntimeException e) {
            log.warn("times held for directory node {} not set", nodeId, e);
            attrs.drop(nodeId);
            attrs.kernelStale(nodeId);
        }
    }

    /** The timer: each hold lands {@link #LAND_AFTER_MS} after it was made, unless something took it first. */
    private void landLater() {
        long wakeAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(LAND_AFTER_MS);
        while (true) {
            try {
                TimeUnit.NANOSECONDS.sleep(Math.max(0, wakeAt - System.nanoTime()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            long oldest = landHeldBefore(System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(LAND_AFTER_MS));
            if (oldest == -1) {
                timerSet.set(false);
                if (pending.isEmpty() || !timerSet.compareAndSet(false, true)) {
                    return; // a hold made after the check above started its own timer
                }
                oldest = System.nanoTime();
            }
            wakeAt = oldest + TimeUnit.MILLISECONDS.toNanos(LAND_AFTER_MS);
        }
    }

    /** Whether times are held for {@code nodeId}. */
    boolean holds(long nodeId) {
        return pending.containsKey(nodeId);
    }
}
