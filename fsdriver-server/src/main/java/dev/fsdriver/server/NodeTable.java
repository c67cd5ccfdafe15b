package dev.fsdriver.server;

import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.common.Errno;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One share's node ids: id <-> share-relative path (+ inode number). The root is id 1; ids are
 * never reused, not even across server restarts ({@link #instanceBase}). Every reply that hands out a node counts one reference (like the kernel's
 * nlookup); {@link #forget} takes them back, and a node without references is dropped. An
 * unlinked node stays reachable by id, detached (no path), until it is forgotten.
 *
 * <p>Locking: {@link #lock} guards both maps and every {@link Node}'s mutable fields. It is
 * held only for map updates, never around I/O.
 */
final class NodeTable {
    static final long ROOT_ID = 1;

    /** A node; {@code path} is null once detached (unlinked, or replaced by a rename). */
    static final class Node {
        final long id;
        final long ino;
        final boolean directory;
        private RelPath path;
        private long refs;

        Node(long id, RelPath path, long ino, boolean directory) {
            this.id = id;
            this.path = path;
            this.ino = ino;
            this.directory = directory;
        }
    }

    private final Object lock = new Object();
    private final Map<Long, Node> byId = new HashMap<>();
    private final Map<RelPath, Node> byPath = new HashMap<>();
    private long nextId = instanceBase();

    /**
     * First id of this server instance: the start time in milliseconds shifted by 20 bits. Ids a
     * client kept from an earlier instance (server restarted) then fail ESTALE instead of naming
     * some other file: an instance would have to hand out 2^20 ids per millisecond of its life to
     * reach the next instance's range. Stays below 2^62 until the year 2109.
     */
    static long instanceBase() {
        return Math.max(ROOT_ID + 1, System.currentTimeMillis() << 20);
    }

    NodeTable(long rootIno) {
        Node root = new Node(ROOT_ID, RelPath.ROOT, rootIno, true);
        root.refs = Long.MAX_VALUE / 2; // never dropped
        byId.put(ROOT_ID, root);
        byPath.put(RelPath.ROOT, root);
    }

    /** The current path of node {@code id}: ESTALE for an unknown id, ENOENT once detached. */
    RelPath path(long id) throws FsException {
        synchronized (lock) {
            Node n = byId.get(id);
            if (n == null) {
                throw new FsException(Errno.ESTALE, "unknown node " + id);
            }
            if (n.path == null) {
                throw new FsException(Errno.ENOENT, "node " + id + " was deleted");
            }
            return n.path;
        }
    }

    /** The current path of node {@code id}, or null when it is unknown or detached. */
    RelPath pathOrNull(long id) {
        synchronized (lock) {
            Node n = byId.get(id);
            return n == null ? null : n.path;
        }
    }

    /**
     * The node for {@code path} with one more reference: the known one if it is still the same
     * file (same inode), else a new id (the old one is detached).
     */
    long register(RelPath path, long ino, boolean directory) {
        synchronized (lock) {
            Node n = byPath.get(path);
            if (n != null && n.ino == ino) {
                n.refs++;
                return n.id;
            }
            if (n != null) {
                detachLocked(n);
            }
            n = new Node(nextId++, path, ino, directory);
            n.refs = 1;
            byId.put(n.id, n);
            byPath.put(path, n);
            return n.id;
        }
    }

    /** Lowers the reference count of {@code id} by {@code count}; drops the node at zero. */
    void forget(long id, long count) {
        if (id == ROOT_ID) {
            return;
        }
        synchronized (lock) {
            Node n = byId.get(id);
            if (n == null) {
                return;
            }
            n.refs -= count;
            if (n.refs <= 0) {
                byId.remove(id);
                if (n.path != null && byPath.get(n.path) == n) {
                    byPath.remove(n.path);
                }
                n.path = null;
            }
        }
    }

    /** The inode number of the node registered at {@code path}, or 0 if none. */
    long inoAt(RelPath path) {
        synchronized (lock) {
            Node n = byPath.get(path);
            return n == null ? 0 : n.ino;
        }
    }

    /**
     * {@code path}, an empty directory, was removed by rmdir: only its own node goes. (Nodes
     * below it could only be stale ones of files removed behind the server's back; they are
     * dropped when forgotten, and a new file at their path gets a new id.) Unlike
     * {@link #removed}, no scan of the table: {@code rm -rf} of a large tree would otherwise
     * cost one scan of every node per directory.
     */
    void removedEmptyDirectory(RelPath path) {
        synchronized (lock) {
            Node n = byPath.get(path);
            if (n != null) {
                detachLocked(n);
            }
        }
    }

    /** {@code path} (and, for a directory, everything below it) no longer exists. */
    void removed(RelPath path) {
        synchronized (lock) {
            Node n = byPath.get(path);
            if (n == null) {
                return;
            }
            if (n.directory) {
                for (Node c : under(path)) {
                    detachLocked(c);
                }
            } else {
                detachLocked(n);
            }
        }
    }

    /** {@code from} was renamed to {@code to} (replacing whatever was there). */
    void renamed(RelPath from, RelPath to) {
        synchronized (lock) {
            Node target = byPath.get(to);
            if (target != null) {
                for (Node c : target.directory ? under(to) : List.of(target)) {
                    detachLocked(c);
                }
            }
            Node n = byPath.get(from);
            List<Node> moving = n == null || n.directory ? under(from) : List.of(n);
            for (Node c : moving) {
                byPath.remove(c.path);
            }
            for (Node c : moving) {
                c.path = c.path.rebase(from, to);
                byPath.put(c.path, c);
            }
        }
    }

    /** {@code a} and {@code b} were exchanged (RENAME_EXCHANGE). */
    void exchanged(RelPath a, RelPath b) {
        synchronized (lock) {
            List<Node> underA = under(a);
            List<Node> underB = under(b);
            for (Node c : underA) {
                byPath.remove(c.path);
            }
            for (Node c : underB) {
                byPath.remove(c.path);
            }
            for (Node c : underA) {
                c.path = c.path.rebase(a, b);
                byPath.put(c.path, c);
            }
            for (Node c : underB) {
                c.path = c.path.rebase(b, a);
                byPath.put(c.path, c);
            }
        }
    }

    /** Number of live ids, root included (for tests and logs). */
    int size() {
        synchronized (lock) {
            return byId.size();
        }
    }

    /** Nodes at or below {@code path}: a scan, only for directory renames and removals. Lock held. */
    private List<Node> under(RelPath path) {
        List<Node> out = new ArrayList<>();
        for (Node c : byPath.values()) {
            if (c.path.startsWith(path)) {
                out.add(c);
            }
        }
        return out;
    }

    /** Lock held. */
    private void detachLocked(Node n) {
        if (n.id == ROOT_ID) {
            return;
        }
        if (n.path != null && byPath.get(n.path) == n) {
            byPath.remove(n.path);
        }
        n.path = null;
        if (n.refs <= 0) {
            byId.remove(n.id);
        }
    }
}
