package dev.fsdriver.client.events;

import dev.fsdriver.client.cache.CacheStats;
import dev.fsdriver.client.cache.CacheStats.Cache;
import dev.fsdriver.common.FileMode;
import dev.fsdriver.fuse.DirFiller;
import dev.fsdriver.fuse.FuseAttr;
import dev.fsdriver.fuse.FuseEntry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the events layer knows of directories without asking the server, while change events
 * flow: every name of the directories the mount made ({@link #known}, so a name not there does
 * not exist and a listing is answered locally), the names the mount removed itself
 * ({@link #removedHere}), and directories' attributes as last given to the kernel
 * ({@link #dirAttrs}). One invalidation API: any event or stream change forgets it all
 * ({@link #changedElsewhere}); a change through the mount drops the directories it touches
 * ({@link #dirChanged}), and names made or removed through it are recorded ({@link #madeIn},
 * {@link #goneFrom}, {@link #removedByThisMount}), also in the watchers' names
 * ({@link KnownNames}).
 *
 * <p>Locking: none; concurrent maps, and an epoch for the directories' attributes (see
 * {@link #dirAttrs}).
 */
final class KnownDirs {
    private final CachePolicy policy;
    private final CacheStats caches;
    private final KnownNames watchedNames;

    /**
     * Directories this mount created while events flowed, with every name made in them through
     * the mount since: nobody else has changed them (an event would have said so, and any event
     * forgets them all, see {@link #changedElsewhere}), so a name not here does not exist and its
     * LOOKUP is answered without the server (untar, cp -r and git checkout create many names
     * into directories they just made, each preceded by a lookup). Bounded; only while live.
     */
    private final ConcurrentHashMap<Long, ConcurrentHashMap<String, Made>> known = new ConcurrentHashMap<>();

    /** What a name made through the mount is: inode number and type (UNKNOWN when not known). */
    record Made(long ino, int type) {}

    static final Made UNKNOWN = new Made(-1, 0);

    /**
     * Listings of such directories answered from {@link #known} instead of the server (rm -rf
     * right after an untar lists the directory it just filled), per open directory: what was
     * there at offset 0, so that later offsets of the same listing agree. Names only: the kernel
     * holds their nodes (it made them), or looks them up.
     */
    private final ConcurrentHashMap<Long, List<Map.Entry<String, Made>>> localListings = new ConcurrentHashMap<>();
    private static final int MAX_KNOWN_DIRS = 4096;

    /**
     * Attributes of directories as last given to the kernel, while events flow. The kernel asks
     * for a directory's attributes again after every listing of it that did not come from its
     * cache (a listing invalidates the directory's atime), although nothing changed: `git
     * status` asks ~500 times, `find` once per directory read. Served from here when no event
     * has arrived since (any event or stream change clears it all, see {@link #changedElsewhere})
     * and the mount changed nothing in the directory (its own changes drop the directories they
     * touch, see {@link #dirChanged}). The atime shown is the one of the last fetch.
     *
     * <p>Locking: none. A fill that raced with a clear or a drop is undone: every clear and drop
     * bumps {@link #dirAttrsEpoch} first, and a fill stores only what it fetched in the epoch it
     * started in, checking again after storing.
     */
    private final ConcurrentHashMap<Long, FuseAttr> dirAttrs = new ConcurrentHashMap<>();
    private final AtomicLong dirAttrsEpoch = new AtomicLong();
    private static final int MAX_DIR_ATTRS = 1 << 16;

    /**
     * Names the mount removed itself (unlink, rmdir, the old name of a rename) while events flowed
     * and has not made again since, per directory: nobody else made them either (an event would
     * have said so, and any event forgets them all, see {@link #changedElsewhere}), so their LOOKUP
     * is answered "no such name" without the server. The kernel forgets the name at each unlink,
     * and a program that makes and removes the same file again and again (sqlite's journal, lock
     * files) looks it up before each create. Bounded; only while live.
     */
    private final ConcurrentHashMap<Long, Set<String>> removedHere = new ConcurrentHashMap<>();
    private final AtomicInteger removedCount = new AtomicInteger();
    private static final int MAX_REMOVED = 4096;

    KnownDirs(CachePolicy policy, CacheStats caches, KnownNames watchedNames) {
        this.policy = policy;
        this.caches = caches;
        this.watchedNames = watchedNames;
    }

    /**
     * Something changed on the server side (an event arrived: the server sends a mount only
     * other sessions' changes), or the stream state changed: no directory is known complete.
     */
    void changedElsewhere() {
        if (!known.isEmpty()) {
            known.clear();
        }
        forgetRemoved();
        dirAttrsEpoch.incrementAndGet();
        if (!dirAttrs.isEmpty()) {
            dirAttrs.clear();
        }
    }

    /**
     * The mount changed {@code dir} (a name made or removed in it, or its own attributes). Called
     * once the change is done (or failed): a fetch that started before then is not kept.
     */
    void dirChanged(long dir) {
        dirAttrsEpoch.incrementAndGet();
        dirAttrs.remove(dir);
    }

    /** Remembers a directory's attributes fetched in {@code epoch} (see {@link #dirAttrs}). */
    void rememberDir(long node, FuseAttr a, long epoch) {
        if (a == null || node == 0 || LocalNodes.isGhost(node) || (a.mode() & FileMode.S_IFMT) != FileMode.S_IFDIR
                || policy == null || !policy.cacheable() || dirAttrsEpoch.get() != epoch || dirAttrs.size() >= MAX_DIR_ATTRS) {
            return;
        }
        dirAttrs.put(node, a);
        if (dirAttrsEpoch.get() != epoch) {
            dirAttrs.remove(node, a);
        }
    }

    void madeIn(long parent, String name, FuseEntry e) {
        Made made = e == null || e.nodeId() == 0 || e.attr() == null ? UNKNOWN
                : new Made(e.attr().ino(), e.attr().mode() & FileMode.S_IFMT);
        if (made.type() == FileMode.S_IFDIR) {
            watchedNames.createdDir(e.nodeId()); // watchers saw it made, empty
        }
        madeIn(parent, name, made);
    }

    private void forgetRemoved() {
        if (!removedHere.isEmpty()) {
            removedHere.clear();
        }
        removedCount.set(0);
    }

    void madeIn(long parent, String name, Made made) {
        Set<String> removed = removedHere.get(parent);
        if (removed != null) {
            removed.removeIf(name::equalsIgnoreCase); // a share may not tell case apart
        }
        watchedNames.added(parent, name, Math.max(0, made.ino()), 0);
        Map<String, Made> names = known.get(parent);
        if (names != null) {
            names.put(name, made);
        }
    }

    /**
     * {@code name} is not in {@code parent}: a directory whose every name the mount knows (see
     * {@link #known}), or a name the mount removed itself (see {@link #removedHere}).
     */
    boolean knownAbsent(long parent, String name) {
        if (policy == null || !policy.cacheable()) {
            return false;
        }
        Set<String> removed = removedHere.get(parent);
        if (removed != null && removed.contains(name)) {
            return true;
        }
        if (known.isEmpty()) {
            return false;
        }
        Map<String, Made> names = known.get(parent);
        return names != null && !names.containsKey(name);
    }

    /**
     * The server removed {@code name} from {@code parent} at this mount's request (never for an
     * injected call: that one only tells the kernel what an event said, which may be wrong).
     */
    void removedByThisMount(long parent, String name) {
        if (policy != null && policy.cacheable()) {
            if (removedCount.incrementAndGet() > MAX_REMOVED) {
                forgetRemoved();
            }
            removedHere.computeIfAbsent(parent, p -> ConcurrentHashMap.newKeySet()).add(name);
        }
    }

    /** What was known of {@code name} in {@code parent}, now gone from it, or null. */
    Made goneFrom(long parent, String name) {
        watchedNames.removed(parent, name, 0);
        Map<String, Made> names = known.get(parent);
        return names == null ? null : names.remove(name);
    }

    /**
     * The listing of {@code node} on open directory {@code fh} from {@link #known}, or null: ask the
     * server. A later offset on a handle that did not start the listing (one listed without OPENDIR
     * whose handle was given back early) goes to the server, which goes on from the same position:
     * its listings are sorted by name too, and the offsets are numbered alike ({@link #serveLocal}).
     */
    List<Map.Entry<String, Made>> localListing(long node, long fh, long offset) {
        if (offset != 0) {
            return localListings.get(fh);
        }
        localListings.remove(fh);
        Map<String, Made> names = policy != null && policy.cacheable() ? known.get(node) : null;
        if (names == null) {
            return null;
        }
        List<Map.Entry<String, Made>> list = new ArrayList<>(names.size());
        for (Map.Entry<String, Made> e : names.entrySet()) {
            if (e.getValue() == UNKNOWN) {
                return null;
            }
            list.add(Map.entry(e.getKey(), e.getValue()));
        }
        list.sort(Map.Entry.comparingByKey());
        localListings.put(fh, list);
        caches.hit(Cache.DIRECTORY);
        return list;
    }

    /** Offsets as the remote listing's: "." 1, ".." 2, the i-th name i + 3. */
    static void serveLocal(long node, List<Map.Entry<String, Made>> list, long offset, DirFiller out) {
        if (offset < 1 && !out.add(".", node, FileMode.S_IFDIR, 1)) {
            return;
        }
        if (offset < 2 && !out.add("..", 1, FileMode.S_IFDIR, 2)) {
            return;
        }
        for (int i = (int) Math.max(0, offset - 2); i < list.size(); i++) {
            Map.Entry<String, Made> e = list.get(i);
            if (!out.add(e.getKey(), e.getValue().ino(), e.getValue().type(), i + 3)) {
                return;
            }
        }
    }

    /** The fetch epoch: read before asking the server for attributes that {@link #rememberDir} may keep. */
    long epoch() {
        return dirAttrsEpoch.get();
    }

    /** The attributes of directory {@code node} as last given to the kernel, if still good; else null. */
    FuseAttr dirAttr(long node) {
        return dirAttrs.get(node);
    }

    /** The kernel forgot {@code node}. */
    void forgotten(long node) {
        if (!dirAttrs.isEmpty()) {
            dirAttrs.remove(node);
        }
    }

    /** The mount made directory {@code node}: new and empty, every name in it is known (while events flow). */
    void createdDir(long node) {
        if (policy != null && policy.cacheable() && node != 0 && known.size() < MAX_KNOWN_DIRS) {
            known.put(node, new ConcurrentHashMap<>()); // new and empty: we know it all
        }
    }

    /** Whether {@code name} is known in {@code parent}, a directory whose every name is known. */
    boolean knows(long parent, String name) {
        return known.containsKey(parent) && known.get(parent).containsKey(name);
    }

    /** Open directory {@code fh} was closed: its local listing goes. */
    void closed(long fh) {
        localListings.remove(fh);
    }
}
