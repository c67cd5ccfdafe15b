package dev.fsdriver.client;

import com.google.common.primitives.Longs;
import dev.fsdriver.client.cache.KnownAttrs;
import dev.fsdriver.client.cache.RemoteCaches;
import dev.fsdriver.common.Errno;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.fuse.FuseNotifier;
import dev.fsdriver.proto.v1.Attr;
import dev.fsdriver.proto.v1.NameRequest;
import dev.fsdriver.proto.v1.UnlinkManyReply;
import dev.fsdriver.proto.v1.UnlinkManyRequest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The UnlinkMany call that lands {@link HeldUnlinks}, and what its answers do to the caches and
 * the kernel: the directories' listings and attributes are the server's again (the kernel asks
 * for their attributes again: it was answered the mount's clock), the files' attributes go.
 *
 * <p>When the server is away (no answer in time, unreachable) the unlinks stay held and go again,
 * for up to {@link UnsentWrites#KEEP_NANOS}; one the server then finds already gone (it made
 * it before its answer was lost, or another client did) was made as asked. An unlink the server
 * refuses (a Windows program holds the file open without delete sharing; the server's user may
 * not write the directory), or one still unsent when the wait ends, has already been answered
 * as done: the file stays. The mount logs its name (WARN), drops its caches as a change event
 * would, has the kernel look the name up again (so the file shows again), and the next fsync of
 * the directory fails once with the errno (rm -rf's rmdir of it fails ENOTEMPTY). Nothing is
 * removed that was not asked for: each unlink names its node, and the server leaves a file that
 * took the name meanwhile alone.
 *
 * <p>Locking: called under {@link HeldUnlinks}' lock. A name that shows again is told to the
 * kernel on a thread of its own (FUSE_NOTIFY_INVAL_ENTRY takes the directory's lock, which the
 * request that landed it may hold); a directory's or file's attributes under the lock (offset
 * -1: attributes only, which takes no kernel lock, see {@link FuseNotifier}), so that a request
 * waiting for the landing finds the kernel told.
 */
final class UnlinkLanding {
    private static final Logger log = LoggerFactory.getLogger(UnlinkLanding.class);
    private static final int LOGGED_FAILURES = 5;

    private final Connection connection;
    private final RemoteCaches caches;
    private final KnownAttrs attrs;
    private final OpenFiles files;
    private final UnsyncedNames unsynced;
    private volatile FuseNotifier notifier;
    /** Directories where a held unlink failed on the server: the errno their next fsync returns. */
    private final ConcurrentHashMap<Long, Integer> failedIn = new ConcurrentHashMap<>();
    /** Landings find the server away since {@link #awaySince} (System.nanoTime). */
    private volatile boolean away;
    private long awaySince;

    UnlinkLanding(Connection connection, RemoteCaches caches, OpenFiles files, UnsyncedNames unsynced) {
        this.connection = connection;
        this.caches = caches;
        this.attrs = caches.attrs();
        this.files = files;
        this.unsynced = unsynced;
    }

    /** Where a name that shows again is told to the kernel (none: mounts without notifications). */
    void notifyWith(FuseNotifier notifier) {
        this.notifier = notifier;
    }

    /** The last landing found the server away: its unlinks wait, and no more are held meanwhile. */
    boolean retrying() {
        return away;
    }

    /** The errno of a held unlink in {@code dir} that failed on the server since its last fsync (0: none). */
    int failedIn(long dir) {
        Integer errno = failedIn.remove(dir);
        return errno == null ? 0 : errno;
    }

    /**
     * What a landing came to: the server's reply; or the call failed with {@code errno}, and the
     * unlinks are {@code kept} held (the server away) or were taken as refused.
     */
    record Outcome(UnlinkManyReply reply, int errno, boolean kept) {}

    /**
     * Sends {@code held} (in order, each name with its node) in one call, with the closes
     * gathered so far first and {@code rmdir} (null: none) last; {@code dirs} are their
     * directories, {@code heldNodes} their files.
     */
    Outcome land(Map<HeldUnlinks.Name, Long> held, Set<Long> dirs, Set<Long> heldNodes, NameRequest rmdir) {
        List<HeldUnlinks.Name> names = new ArrayList<>(held.keySet());
        long[] closed = files.releasesFirst(); // the files closed before: released first (Releases)
        UnlinkManyRequest.Builder req = UnlinkManyRequest.newBuilder();
        held.forEach((n, node) -> {
            NameRequest.Builder u = NameRequest.newBuilder().setParent(n.parent()).setName(n.name()).setNode(node);
            if (req.getUnlinksCount() == 0) {
                u.addAllReleaseFirst(Longs.asList(closed));
            }
            req.addUnlinks(u);
        });
        if (rmdir != null) {
            req.addUnlinks(rmdir);
        }
        for (Long dir : dirs) {
            caches.namesChanging(dir); // a listing fetched since the hold still has the names
        }
        long sentAt = attrs.epoch();
        UnlinkManyReply reply = null;
        int allFailed = 0;
        try {
            reply = connection.call(f -> f.unlinkMany(req.build()));
        } catch (FuseException e) {
            files.releaseAgain(closed);
            allFailed = e.errno();
            if (keepWaiting(allFailed)) {
                for (Long dir : dirs) {
                    caches.namesChanged(dir, null);
                }
                return new Outcome(null, allFailed, true);
            }
        }
        away = false;
        answered(names, dirs, heldNodes, reply, allFailed, sentAt, rmdir);
        return new Outcome(reply, allFailed, false);
    }

    /** Whether a landing that failed with {@code errno} is to be tried again later (the server away, not for too long). */
    private boolean keepWaiting(int errno) {
        if (!CallFailures.away(errno)) {
            return false;
        }
        long now = System.nanoTime();
        if (!away) {
            away = true;
            awaySince = now;
            log.warn("the server is away: unlinks answered ahead of it wait for it (up to {} min)",
                    UnsentWrites.KEEP_NANOS / 60_000_000_000L);
        }
        return now - awaySince < UnsentWrites.KEEP_NANOS;
    }

    private void answered(List<HeldUnlinks.Name> names, Set<Long> dirs, Set<Long> heldNodes, UnlinkManyReply reply,
                          int allFailed, long sentAt, NameRequest rmdir) {
        Map<Long, List<String>> gone = new HashMap<>();
        if (rmdir != null && reply != null && reply.getErrnoCount() > names.size() && reply.getErrno(names.size()) == 0) {
            gone.computeIfAbsent(rmdir.getParent(), d -> new ArrayList<>()).add(rmdir.getName());
        }
        int failures = 0;
        for (int i = 0; i < names.size(); i++) {
            HeldUnlinks.Name n = names.get(i);
            int errno = reply == null ? allFailed : i < reply.getErrnoCount() ? reply.getErrno(i) : Errno.EIO;
            if (errno == 0 || errno == Errno.ENOENT) {
                gone.computeIfAbsent(n.parent(), d -> new ArrayList<>()).add(n.name());
                continue;
            }
            if (failures++ < LOGGED_FAILURES) {
                log.warn("an unlink answered ahead of the server failed there: name \"{}\" in directory node {} stays ({})",
                        n.name(), n.parent(), Errno.name(errno));
            }
            failedIn.put(n.parent(), errno);
            unsynced.changedInDoubt(n.parent());
            FuseNotifier kernel = notifier;
            if (kernel != null) {
                Thread.startVirtualThread(() -> kernel.invalEntry(n.parent(), n.name()));
            }
        }
        if (failures > LOGGED_FAILURES) {
            log.warn("{} more unlinks answered ahead of the server failed there (their files stay)", failures - LOGGED_FAILURES);
        }
        boolean allGone = failures == 0;
        for (Long dir : dirs) {
            List<String> done = gone.getOrDefault(dir, List.of());
            caches.namesChanged(dir, allGone ? k -> done.stream().allMatch(name -> k.without(name, caches::forget)) : null);
            Attr a = reply == null ? null : reply.getParentsMap().get(dir);
            attrs.dirChanged(dir, a, sentAt);
            attrs.kernelStale(dir); // answered with times of the mount's clock meanwhile
        }
        for (Long node : heldNodes) {
            attrs.drop(node); // its link count (another name of it may be known)
            attrs.kernelStale(node);
        }
        if (!allGone) {
            caches.changedElsewhere(); // as for a change event: nothing kept is trusted (the events layer's too)
        }
    }
}
