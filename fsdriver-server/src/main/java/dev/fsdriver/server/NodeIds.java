package dev.fsdriver.server;

import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.common.Errno;
import dev.fsdriver.common.FileMode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One share's node ids: id <-> share-relative path(s) (+ inode number). The root is id 1. A
 * node's id comes from the file's identity, its inode number ({@link #idFor}), so it is the same
 * after a server restart: a client holding ids from an earlier instance re-finds each by its
 * path and gets the same id back (and knows the file for another one when it does not). Hard
 * links of one file are one node with several paths (FUSE expects one node id per file).
 *
 * <p>Every reply that hands out a node counts one reference (like the kernel's nlookup);
 * {@link #forget} takes them back, and a node without references is dropped. An unlinked node
 * stays reachable by id, detached (no path), until it is forgotten.
 *
 * <p>Locking: {@link #lock} guards both maps and every {@link Node}'s mutable fields. It is
 * held only for map updates, never around I/O.
 */
final class NodeIds {
    static final long ROOT_ID = 1;
    /**
     * Ids from here up (to {@link #MAX_ID}) are not inode numbers, see {@link #idFor}. Above the
     * Windows backend's mapped numbers (from 2^62 up), so those stay ids too.
     */
    static final long OVERFLOW = 3L << 61;
    /** No id reaches this: the client uses node ids from here up for its own stand-ins ("ghosts"). */
    static final long MAX_ID = 7L << 60;

    /** A node; {@code paths} is empty once detached (unlinked, or replaced by a rename). */
    static final class Node {
        final long id;
        final long ino;
        final boolean directory;
        /** The file type bits (S_IFMT) of its mode, -1 when not known. */
        final int type;
        /** Its names the table knows, the first one used; more than one only for hard links. */
        private final List<RelPath> paths = new ArrayList<>(1);
        private long refs;

        Node(long id, RelPath path, long ino, boolean directory, int type) {
            this.id = id;
            this.paths.add(path);
            this.ino = ino;
            this.directory = directory;
            this.type = type;
        }

        RelPath path() {
            return paths.isEmpty() ? null : paths.get(0);
        }
    }

    private final Object lock = new Object();
    private final Map<Long, Node> byId = new HashMap<>();
    private final Map<RelPath, Node> byPath = new HashMap<>();
    /**
     * Inode number -> the node that has a name (at most one per number). Not {@code byId}: a
     * reused inode number's live node has an overflow id while the dead file's node may still
     * hold the id that is the number, and a hard link must find the live one.
     */
    private final Map<Long, Node> liveByIno = new HashMap<>();
    /**
     * Directory node id -> its subtree (paths relative to it), for a directory whose path now
     * holds another file: see {@link #displaceLocked}.
     */
    private final Map<Long, List<Map.Entry<RelPath, Node>>> displaced = new HashMap<>();
    /** Next id for a file whose inode number cannot be its id (see {@link #idFor}). */
    private long nextOverflow = OVERFLOW + (System.currentTimeMillis() << 10);

    /**
     * A number unique to this server instance: the start time in milliseconds shifted by 20 bits
     * (below 2^62 until the year 2109). Handle ids start there, so a handle a client kept from an
     * earlier instance fails EBADF instead of naming another open file; ids of files whose inode
     * number cannot be their id (rare, see {@link #idFor}) do too.
     */
    static long instanceBase() {
        return Math.max(ROOT_ID + 1, System.currentTimeMillis() << 20);
    }

    /**
     * The node id of a file with inode number {@code ino}: the number itself, or 0 where it cannot
     * be (0, the root's id 1, or a number in the {@link #OVERFLOW} range); such files, and a new
     * file given the inode number of a deleted one the kernel still holds, get an id from a
     * per-instance counter instead, started at the time in milliseconds shifted by 10 bits (not
     * stable across restarts: the client then finds them gone; never an id of an earlier instance
     * unless that one handed out 1024 of them per millisecond of its life).
     */
    static long idFor(long ino) {
        return ino > ROOT_ID && ino < OVERFLOW ? ino : 0;
    }

    NodeIds(long rootIno) {
        Node root = new Node(ROOT_ID, RelPath.ROOT, rootIno, true, FileMode.S_IFDIR);
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
            if (n.path() == null) {
                throw new FsException(Errno.ENOENT, "node " + id + " was deleted");
            }
            return n.path();
        }
    }

    /** The inode number of node {@code id}, or 0 when it is unknown. */
    long inoOf(long id) {
        synchronized (lock) {
            Node n = byId.get(id);
            return n == null ? 0 : n.ino;
        }
    }

    /** The current path of node {@code id}, or null when it is unknown or detached. */
    RelPath pathOrNull(long id) {
        synchronized (lock) {
            Node n = byId.get(id);
            return n == null ? null : n.path();
        }
    }

    /** {@link #register(RelPath, long, boolean, int, int)} with the type and link count not known (tests). */
    long register(RelPath path, long ino, boolean directory) {
        return register(path, ino, directory, -1, 0);
    }

    /**
     * The node for {@code path} with one more reference: the known one if it is still the same
     * file (same inode), the file's node under another of its names (a hard link), else a new
     * one (what was at the path before is detached from it). {@code type} (S_IFMT bits, -1 not
     * known) and {@code nlink} (0 not known) are the file's as just read: the node known by the
     * inode number is another name of it only if it is of the same type, and the file has
     * another name; otherwise that node's names are stale (the file was renamed, or deleted and
     * its number given to a new file, behind the server's back and the event not yet followed).
     */
    long register(RelPath path, long ino, boolean directory, int type, int nlink) {
        synchronized (lock) {
            Node n = byPath.get(path);
            if (n != null && n.ino == ino) {
                n.refs++;
                return n.id;
            }
            Node moved = directory ? liveByIno.get(ino) : null;
            if (moved != null && moved.directory) {
                // A directory has one name: found here, it was moved behind the server's back and
                // the event is not followed yet. It keeps its node (a second node would be a
                // second kernel inode for one directory), its subtree comes along.
                movedHereLocked(moved, path);
                moved.refs++;
                return moved.id;
            }
            if (n != null) {
                displaceLocked(n, path);
            }
            Node same = directory ? null : liveByIno.get(ino);
            if (same != null && !same.directory) {
                boolean otherKind = type >= 0 && same.type >= 0 && type != same.type;
                if (otherKind || nlink == 1) {
                    for (RelPath p : new ArrayList<>(same.paths)) {
                        detachLocked(same, p); // stale names
                    }
                }
                if (!otherKind) {
                    // another name of a file known by a live name (a hard link), or its only name now
                    same.paths.add(path);
                    byPath.put(path, same);
                    liveByIno.put(ino, same);
                    same.refs++;
                    return same.id;
                }
            }
            long id = idFor(ino);
            if (id == 0 || byId.containsKey(id)) {
                // no inode number to use, or a detached (deleted) file's number given to a new file
                id = nextOverflow++;
                if (nextOverflow >= MAX_ID) {
                    nextOverflow = OVERFLOW; // after 2^60 of them: ids of long-forgotten nodes
                }
            }
            n = new Node(id, path, ino, directory, type);
            n.refs = 1;
            byId.put(n.id, n);
            byPath.put(path, n);
            liveByIno.put(ino, n);
            return n.id;
        }
    }

    /**
     * Directory {@code moved} (known elsewhere, or displaced) is found at {@code path}: its
     * subtree moves there; what the table had at {@code path} is displaced. Lock held.
     */
    private void movedHereLocked(Node moved, RelPath path) {
        RelPath from = moved.path();
        List<Map.Entry<RelPath, Node>> subtree = from != null ? takeLocked(from) : displaced.remove(moved.id);
        Node there = byPath.get(path);
        if (there != null) {
            displaceLocked(there, path);
        }
        for (Map.Entry<RelPath, Node> e : subtree == null ? List.of(Map.entry(RelPath.ROOT, moved)) : subtree) {
            Node c = e.getValue();
            RelPath p = e.getKey().rebase(RelPath.ROOT, path);
            if (byId.get(c.id) != c || (c.directory && !c.paths.isEmpty()) || byPath.containsKey(p)) {
                continue; // forgotten, found elsewhere meanwhile, or something else is known there now
            }
            c.paths.add(p);
            byPath.put(p, c);
            liveByIno.putIfAbsent(c.ino, c);
        }
    }

    /**
     * {@code path} holds another file than node {@code n} now. A directory is displaced: its
     * subtree is kept aside, unreachable by path, until the directory is found at its new name
     * (it was renamed behind the server's back, the event not followed yet) or forgotten. Lock held.
     */
    private void displaceLocked(Node n, RelPath path) {
        if (!n.directory) {
            detachLocked(n, path);
            return;
        }
        displaced.put(n.id, takeLocked(path));
    }

    /**
     * Takes {@code top} and every known path below it out of the table: the nodes, each with its
     * path relative to {@code top}. Directories stay known by inode number (to be found again).
     * Lock held.
     */
    private List<Map.Entry<RelPath, Node>> takeLocked(RelPath top) {
        List<Map.Entry<RelPath, Node>> out = new ArrayList<>();
        for (RelPath p : under(top)) {
            Node c = byPath.remove(p);
            c.paths.remove(p);
            if (c.paths.isEmpty() && !c.directory) {
                liveByIno.remove(c.ino, c);
            }
            out.add(Map.entry(p.rebase(top, RelPath.ROOT), c));
        }
        return out;
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
                for (RelPath p : n.paths) {
                    byPath.remove(p, n);
                }
                n.paths.clear();
                liveByIno.remove(n.ino, n);
                displaced.remove(id);
            }
        }
    }

    /**
     * The id of the node of the file with inode number {@code ino}: the one with a name if any
     * (a reused number's live file), else a detached one whose id is the number, else 0.
     */
    long idOf(long ino) {
        synchronized (lock) {
            Node live = liveByIno.get(ino);
            if (live != null) {
                return live.id;
            }
            long id = idFor(ino);
            Node n = id == 0 ? null : byId.get(id);
            return n != null && n.ino == ino ? id : 0;
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
                detachLocked(n, path);
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
            for (RelPath p : n.directory ? under(path) : List.of(path)) {
                detachLocked(byPath.get(p), p);
            }
        }
    }

    /** {@code from} was renamed to {@code to} (replacing whatever was there). */
    void renamed(RelPath from, RelPath to) {
        renamed(from, to, false);
    }

    /**
     * {@code from} was renamed to {@code to}; with {@code keepTarget}, a directory the table has
     * at {@code to} is displaced (kept aside with its subtree, found again by its inode number,
     * see {@link #displaceLocked}) rather than dropped: the watcher's follower cannot tell from
     * the disk whether it was replaced or exchanged and moved on since.
     */
    void renamed(RelPath from, RelPath to, boolean keepTarget) {
        synchronized (lock) {
            Node target = byPath.get(to);
            Node n = byPath.get(from);
            if (target != null && target == n && !n.directory) {
                return; // two names of one file: rename(2) does nothing
            }
            if (target != null && keepTarget && target.directory && target != n) {
                displaceLocked(target, to);
            } else if (target != null) {
                for (RelPath p : target.directory ? under(to) : List.of(to)) {
                    detachLocked(byPath.get(p), p);
                }
            }
            List<RelPath> moving = n == null || n.directory ? under(from) : List.of(from);
            List<Node> movingNodes = new ArrayList<>();
            for (RelPath p : moving) {
                movingNodes.add(byPath.remove(p));
            }
            for (int i = 0; i < moving.size(); i++) {
                moveLocked(movingNodes.get(i), moving.get(i), moving.get(i).rebase(from, to));
            }
        }
    }

    /** {@code a} and {@code b} were exchanged (RENAME_EXCHANGE). */
    void exchanged(RelPath a, RelPath b) {
        synchronized (lock) {
            List<RelPath> underA = under(a);
            List<RelPath> underB = under(b);
            List<Node> nodesA = new ArrayList<>();
            List<Node> nodesB = new ArrayList<>();
            for (RelPath p : underA) {
                nodesA.add(byPath.remove(p));
            }
            for (RelPath p : underB) {
                nodesB.add(byPath.remove(p));
            }
            for (int i = 0; i < underA.size(); i++) {
                moveLocked(nodesA.get(i), underA.get(i), underA.get(i).rebase(a, b));
            }
            for (int i = 0; i < underB.size(); i++) {
                moveLocked(nodesB.get(i), underB.get(i), underB.get(i).rebase(b, a));
            }
        }
    }

    /** Number of live ids, root included (for tests and logs). */
    int size() {
        synchronized (lock) {
            return byId.size();
        }
    }

    /** Known paths at or below {@code path}: a scan, only for directory renames and removals. Lock held. */
    private List<RelPath> under(RelPath path) {
        List<RelPath> out = new ArrayList<>();
        for (RelPath p : byPath.keySet()) {
            if (p.startsWith(path)) {
                out.add(p);
            }
        }
        return out;
    }

    /** Node {@code n}'s name {@code from} is now {@code to} (already out of byPath). Lock held. */
    private void moveLocked(Node n, RelPath from, RelPath to) {
        int i = n.paths.indexOf(from);
        if (i >= 0) {
            n.paths.set(i, to);
        } else {
            n.paths.add(to);
        }
        byPath.put(to, n);
        liveByIno.putIfAbsent(n.ino, n);
    }

    /** {@code path} no longer names {@code n}; without names and references it goes. Lock held. */
    private void detachLocked(Node n, RelPath path) {
        if (n == null || n.id == ROOT_ID) {
            return;
        }
        byPath.remove(path, n);
        n.paths.remove(path);
        if (n.paths.isEmpty()) {
            liveByIno.remove(n.ino, n);
            if (n.refs <= 0) {
                byId.remove(n.id);
            }
        }
    }
}
