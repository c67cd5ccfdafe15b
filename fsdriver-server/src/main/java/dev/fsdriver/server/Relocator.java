package dev.fsdriver.server;

import dev.fsdriver.backend.Backend;
import dev.fsdriver.backend.FileAttributes;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.common.Errno;
import dev.fsdriver.common.FileMode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds a node again by its file id ({@link Backend#locate}) when the path the table has for it
 * went stale: a directory renamed on the server's side whose events were lost (Wine reports a
 * rename as a create of the new name only; NTFS loses both after a buffer overflow). A client
 * holding it (a process's working directory on the mount) would otherwise be told it was
 * deleted (issue 10, B6). What is found is taken only when it is that node's file:
 * <ul>
 *   <li>strictly below the share root and not at or below the stale path (a link loop under
 *       Wine can make the root, or the name itself, answer for an id);</li>
 *   <li>read again through the backend's contained {@link Backend#stat}: the same inode number,
 *       the same generation where both are known, and the same type (Wine's ids are host inode
 *       numbers, generation 0, and ext4 gives a number to the next new file at once: a file
 *       found for a directory's id is another file, and its delete stays a delete);</li>
 *   <li>moved in the table only if no name changed since the caller read the stale path
 *       ({@link NodeIds#ifUnchanged}); when one did, and the node now has a path that leads to
 *       its file (a Lookup or the watcher's follower moved it meanwhile), that result stands.</li>
 * </ul>
 * Cost: the search may walk the share (Wine), so it runs without the table's lock and the
 * rename lock (taken only for the final update), one search per share at a time; callers
 * asking for an id being searched wait for that search; an id not found is not searched again
 * until a directory is made or moved in the share, or events overflowed ({@link #changeArrived}). A backend that cannot locate
 * (ENOSYS) is not asked again.
 *
 * <p>Thread-safe: the memory of failed searches is guarded by its own monitor, the rest is
 * concurrent.
 */
final class Relocator {
    private static final Logger LOG = LoggerFactory.getLogger(Relocator.class);
    /** Ids not found, remembered at most this many (the oldest forgotten first). */
    static final int MAX_REMEMBERED = 1024;
    /** How often the update is tried again when names keep changing meanwhile (bounded: calls are short). */
    private static final int TRIES = 100;

    /** The node's file found at {@code to} ({@code from}: the stale name); {@code moved}: the table was updated by this search. */
    record Found(RelPath from, RelPath to, FileAttributes attrs, boolean directory, boolean moved) {}

    private final String share;
    private final Backend backend;
    private final NodeIds nodes;
    /** Share#renameLock: the table update is one step for the watcher's follower and client renames. */
    private final Object renameLock;
    private final Semaphore oneSearch = new Semaphore(1, true);
    private final ConcurrentHashMap<Long, CompletableFuture<RelPath>> searching = new ConcurrentHashMap<>();
    /** Change events of the share so far: a failed search is remembered for this count only. */
    private final AtomicLong changes = new AtomicLong();
    /** Inode number -> the change count its search failed at. Guarded by itself. */
    private final Map<Long, Long> failed = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Long> eldest) {
            return size() > MAX_REMEMBERED;
        }
    };
    private volatile boolean unsupported;
    /** Searches run (for tests and logs). */
    private final AtomicLong searches = new AtomicLong();

    Relocator(String share, Backend backend, NodeIds nodes, Object renameLock) {
        this.share = share;
        this.backend = backend;
        this.nodes = nodes;
        this.renameLock = renameLock;
    }

    /** A change event of the share arrived: ids not found may be somewhere now. Called on the watcher's thread: cheap. */
    void changeArrived() {
        changes.incrementAndGet();
    }

    /** False once the backend said it cannot locate (ENOSYS). */
    boolean canLocate() {
        return !unsupported;
    }

    long searches() {
        return searches.get();
    }

    /**
     * Node {@code id}'s path {@code stale} (read when the table's version was {@code seen}) does not
     * lead to its file: where it is now, the table updated, or null when it is not found (or
     * detached meanwhile: then it is gone for the table too). {@code withMove} is told of the
     * move under the table's lock, with it (no I/O, no other lock).
     */
    Found relocate(long id, RelPath stale, long seen, BiConsumer<RelPath, RelPath> withMove) {
        NodeIds.Facts f = nodes.facts(id);
        if (f == null || id == NodeIds.ROOT_ID || stale.isRoot() || unsupported) {
            return null;
        }
        RelPath to = search(f.ino());
        RelPath from = stale;
        for (int tries = 0; tries < TRIES; tries++) {
            long now = nodes.version();
            if (now != seen) {
                // Names changed since the caller read the path: someone may have moved the node
                // (a Lookup found it, the follower applied an event); their result counts.
                seen = now;
                RelPath current = nodes.pathOrNull(id);
                if (current == null) {
                    return null;
                }
                FileAttributes a = fileAt(current, f);
                if (a != null) {
                    return new Found(from, current, a, f.directory(), false);
                }
                from = current;
            }
            if (to == null || to.isRoot() || to.startsWith(from)) {
                return null;
            }
            FileAttributes a = fileAt(to, f);
            if (a == null) {
                return null;
            }
            RelPath src = from;
            boolean[] moved = new boolean[1];
            synchronized (renameLock) {
                if (!nodes.ifUnchanged(seen, () -> {
                    moved[0] = nodes.relocated(id, src, to);
                    if (moved[0]) {
                        withMove.accept(src, to);
                    }
                })) {
                    continue;
                }
            }
            if (!moved[0]) {
                return null;
            }
            LOG.info("share '{}': node {} found by its file id at '{}' (its path '{}' went stale)", share, id, to, src);
            return new Found(src, to, a, f.directory(), true);
        }
        LOG.warn("share '{}': node {} found at '{}' but not moved there: the names kept changing", share, id, to);
        return null;
    }

    /** The attributes at {@code path} if it is the file {@code f} (number, generation, type), else null. */
    private FileAttributes fileAt(RelPath path, NodeIds.Facts f) {
        FileAttributes a;
        try {
            a = backend.stat(path);
        } catch (FsException e) {
            return null;
        }
        boolean sameType = f.type() >= 0 ? (a.mode() & FileMode.S_IFMT) == f.type() : a.isDirectory() == f.directory();
        return sameType && FileAttributes.sameFile(f.ino(), f.generation(), a.ino(), a.generation()) ? a : null;
    }

    /** The backend's answer for {@code ino}: one search per id at a time, a failure remembered until the next change. */
    private RelPath search(long ino) {
        long epoch = changes.get();
        synchronized (failed) {
            Long at = failed.get(ino);
            if (at != null && at == epoch) {
                return null;
            }
        }
        CompletableFuture<RelPath> mine = new CompletableFuture<>();
        CompletableFuture<RelPath> running = searching.putIfAbsent(ino, mine);
        if (running != null) {
            return running.join();
        }
        RelPath found = null;
        try {
            oneSearch.acquireUninterruptibly();
            try {
                searches.incrementAndGet();
                found = backend.locate(ino);
            } finally {
                oneSearch.release();
            }
        } catch (FsException e) {
            if (e.errno() == Errno.ENOSYS) {
                unsupported = true;
                LOG.debug("share '{}': {}", share, e.getMessage());
            } else {
                LOG.debug("share '{}': locating inode {}: {}", share, ino, e.toString());
            }
        } catch (RuntimeException e) {
            LOG.warn("share '{}': locating inode {}: {}", share, ino, e.toString());
        } finally {
            if (found == null) {
                synchronized (failed) {
                    if (changes.get() == epoch) { // a change during the search may have made it findable
                        failed.put(ino, epoch);
                    }
                }
            }
            searching.remove(ino, mine);
            mine.complete(found);
        }
        return found;
    }
}
