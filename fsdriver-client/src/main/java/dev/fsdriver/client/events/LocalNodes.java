package dev.fsdriver.client.events;

import dev.fsdriver.common.FileMode;
import dev.fsdriver.fuse.FuseAttr;
import dev.fsdriver.fuse.FuseEntry;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Nodes the events layer hands to the kernel itself, not through the server: ghosts (stand-ins
 * for names the kernel never looked up, so that an injected unlink or rename can act on them)
 * and the lookup references of real nodes it answered locally, which the kernel's FORGETs give
 * back here before any reaches the server (the server never counted them).
 *
 * <p>Locking: none; a concurrent map of counters, each changed in one atomic step.
 */
final class LocalNodes {
    /**
     * Node ids from here up are ghosts: stand-ins for names the kernel never looked up. The
     * server's ids stay below (inode numbers and its own counter end at 7 * 2^60, see its NodeTable).
     */
    static final long GHOST_BASE = 7L << 60;

    /**
     * Lookup references handed to the kernel locally (not by the delegate), per real node. Each
     * change is one atomic step per node: a count taken to 0 by a FORGET while another is handed
     * out must not lose that one (the server would get a FORGET for a reference it never counted).
     */
    private final ConcurrentHashMap<Long, Long> localRefs = new ConcurrentHashMap<>();
    private final AtomicLong nextGhost = new AtomicLong(GHOST_BASE);

    static boolean isGhost(long node) {
        return node >= GHOST_BASE;
    }

    /** A stand-in node for a name the kernel does not hold, so that unlink/rename can act on it. */
    FuseEntry ghost(int type) {
        long id = nextGhost.incrementAndGet();
        boolean directory = type == FileMode.S_IFDIR;
        int mode = type == 0 ? FileMode.S_IFREG | 0644 : type | (directory ? 0755 : 0644);
        long now = System.currentTimeMillis() * 1_000_000L;
        return new FuseEntry(id, 0, new FuseAttr(id, 0, 0, now, now, now, mode, directory ? 2 : 1, 0, 0, 0, 4096), 0, 0);
    }

    /** One reference to {@code node} handed to the kernel locally. */
    void handedOut(long node) {
        localRefs.merge(node, 1L, Long::sum);
    }

    /** One reference handed out locally that did not go to the kernel after all (if not forgotten already). */
    void takenBack(long node) {
        localRefs.computeIfPresent(node, (k, have) -> have <= 1 ? null : have - 1);
    }

    /** The kernel forgot {@code nlookup} references to {@code node}: those handed out locally are taken; returns the rest. */
    long forgotten(long node, long nlookup) {
        long[] rest = {nlookup};
        localRefs.computeIfPresent(node, (k, have) -> {
            long take = Math.min(have, rest[0]);
            rest[0] -= take;
            return have - take == 0 ? null : have - take;
        });
        return rest[0];
    }
}
