package dev.fsdriver.server;

import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.common.Errno;
import dev.fsdriver.common.FileMode;
import com.carrotsearch.hppc.LongObjectHashMap;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One share's node ids: id <-> share-relative path(s) (+ inode number). The root is id 1. A
 * node's id comes from the file's identity, its inode number ({@link NodeIdSpace#idFor}), so it
 * is the same after a server restart: a client holding ids from an earlier instance re-finds
 * each by its path and gets the same id back (and knows the file for another one when it does
 * not). Hard links of one file are one node ({@link IdNode}) with several paths (FUSE expects
 * one node id per file); calls through the node use the one a lookup found last.
 *
 * <p>Every reply that hands out a node counts one reference (like the kernel's nlookup);
 * {@link #forget} takes them back, and a node without references is dropped. An unlinked node
 * stays reachable by id, detached (no path), until it is forgotten.
 *
 * <p>Names are a tree of entries ({@link NameTree}), not a map of full paths: a rename or removal
 * of a directory moves or cuts one entry and costs its depth, not the number of nodes below it.
 *
 * <p>Locking: {@link #lock} guards the maps, the whole entry tree, the id counter
 * ({@link NodeIdSpace}) and every {@link IdNode}'s mutable fields. It is held only for these
 * updates (each O(depth)), never around I/O; {@link DirectoryFound#record} runs under it (and
 * takes only its own lock), {@link DirectoryFound#publish} after it.
 */
final class NodeIds {
    static final long ROOT_ID = 1;

    private final Object lock = new Object();
    // primitive maps (HPPC): a HashMap entry and a boxed Long per node and map were ~60 bytes (issue 16)
    private final LongObjectHashMap<IdNode> byId = new LongObjectHashMap<>();
    private final NameTree tree = new NameTree();
    /**
     * Inode number -> the node that has a name (at most one per number). Not {@code byId}: a
     * reused inode number's live node has an overflow id while the dead file's node may still
     * hold the id that is the number, and a hard link must find the live one. An entry whose
     * node lost its names is ignored ({@link #liveLocked}) and removed when it is forgotten.
     */
    private final LongObjectHashMap<IdNode> liveByIno = new LongObjectHashMap<>();
    /**
     * Directory node id -> its entry cut off the tree, subtree and all, for a directory whose path
     * now holds another file: see {@link #displaceLocked}.
     */
    private final Map<Long, NameTree.Entry> displaced = new HashMap<>();
    /** Ids for files whose inode number cannot be theirs. */
    private final NodeIdSpace ids = new NodeIdSpace();
    /** Where {@link #registerLocked} found a known directory moved from, read and cleared by register (guarded by lock). */
    private RelPath foundFrom;
    /** Told of each directory {@link #register} finds moved behind the server's back. Set once by the share. */
    private volatile DirectoryFound directoryFound = new DirectoryFound() {
        @Override
        public boolean record(RelPath from, RelPath to) {
            return false;
        }

        @Override
        public void publish(RelPath from, RelPath to) {
        }
    };

    /**
     * A directory {@link #register} found at a new path, moved there behind the server's back
     * (the watcher's report not followed yet): its old path, its new one.
     */
    interface DirectoryFound {
        /** Under the table's lock, with the table's move (no I/O, no other lock): whether to publish it. */
        boolean record(RelPath from, RelPath to);

        /** Afterwards, outside the lock, once {@link #record} said so. */
        void publish(RelPath from, RelPath to);
    }

    NodeIds(long rootIno) {
        this(rootIno, 0);
    }

    NodeIds(long rootIno, long rootGeneration) {
        IdNode r = new IdNode(ROOT_ID, rootIno, rootGeneration, true, FileMode.S_IFDIR);
        r.refs = Long.MAX_VALUE / 2; // never dropped
        r.names = List.of(tree.root);
        tree.root.node = r;
        byId.put(ROOT_ID, r);
    }

    void onDirectoryFound(DirectoryFound listener) {
        this.directoryFound = listener;
    }

    /** The current path of node {@code id}: ESTALE for an unknown id, ENOENT once detached. */
    RelPath path(long id) throws FsException {
        synchronized (lock) {
            IdNode n = byId.get(id);
            if (n == null) {
                throw new FsException(Errno.ESTALE, "unknown node " + id);
            }
            RelPath p = tree.firstPath(n.names);
            if (p == null) {
                throw new FsException(Errno.ENOENT, "node " + id + " was deleted");
            }
            return p;
        }
    }

    /** What tells node {@code id}'s file from another: see {@link #facts}. */
    record Facts(long ino, long generation, boolean directory, int type) {}

    /** Node {@code id}'s inode number, generation and type, or null when the id is unknown. */
    Facts facts(long id) {
        synchronized (lock) {
            IdNode n = byId.get(id);
            return n == null ? null : new Facts(n.ino, n.generation, n.directory, n.type);
        }
    }

    /** The id of the node registered at {@code path}, or 0 if none. */
    long idAt(RelPath path) {
        synchronized (lock) {
            IdNode n = tree.nodeAt(path);
            return n == null ? 0 : n.id;
        }
    }

    /** The inode number of node {@code id}, or 0 when it is unknown. */
    long inoOf(long id) {
        synchronized (lock) {
            IdNode n = byId.get(id);
            return n == null ? 0 : n.ino;
        }
    }

    /**
     * Whether node {@code id} is the file with inode number {@code ino} and generation
     * {@code generation}: a number freed by a delete goes to the next new file at once (ext4), and
     * only the generation tells the two apart. A generation of 0 (not known) matches any.
     */
    boolean isFile(long id, long ino, long generation) {
        synchronized (lock) {
            IdNode n = byId.get(id);
            return n != null && n.isFile(ino, generation);
        }
    }

    /** The current path of node {@code id}, or null when it is unknown or detached. */
    RelPath pathOrNull(long id) {
        synchronized (lock) {
            IdNode n = byId.get(id);
            return n == null ? null : tree.firstPath(n.names);
        }
    }

    /**
     * Every current path of node {@code id}, the first as {@link #pathOrNull}'s; empty when it is
     * unknown or detached. More than one only for a file with hard links known by several names.
     */
    List<RelPath> pathsOf(long id) {
        synchronized (lock) {
            IdNode n = byId.get(id);
            if (n == null || n.names.size() < 2) {
                RelPath p = n == null ? null : tree.firstPath(n.names);
                return p == null ? List.of() : List.of(p);
            }
            List<RelPath> paths = new ArrayList<>(n.names.size());
            for (NameTree.Entry e : n.names) {
                RelPath p = tree.pathOf(e);
                if (p != null) {
                    paths.add(p);
                }
            }
            return paths;
        }
    }

    /** {@link #register(RelPath, long, long, boolean, int, int)} with the generation, type and link count not known (tests). */
    long register(RelPath path, long ino, boolean directory) {
        return register(path, ino, 0, directory, -1, 0);
    }

    /**
     * The node for {@code path} with one more reference: the known one if it is still the same
     * file (same inode), the file's node under another of its names (a hard link), else a new
     * one (what was at the path before is detached from it). {@code type} (S_IFMT bits, -1 not
     * known) and {@code nlink} (0 not known) are the file's as just read: the node known by the
     * inode number is another name of it only if it is of the same type, and the file has
     * another name; otherwise that node's names are stale (the file was renamed, or deleted and
     * its number given to a new file, behind the server's back and the event not yet followed).
     * A known node of another {@code generation} (0: not known) is another file whatever its
     * number: never the same node. A known directory found here moved is told to
     * {@link DirectoryFound}, which may publish it: not to be called under the share's rename
     * lock or in {@link #ifUnchanged}.
     */
    long register(RelPath path, long ino, long generation, boolean directory, int type, int nlink) {
        long id;
        RelPath movedFrom;
        synchronized (lock) {
            id = registerLocked(path, ino, generation, directory, type, nlink);
            movedFrom = foundFrom;
            foundFrom = null;
        }
        if (movedFrom != null) {
            directoryFound.publish(movedFrom, path);
        }
        return id;
    }

    /** {@link #register}; sets {@link #foundFrom} where a known directory was found moved from. Lock held. */
    private long registerLocked(RelPath path, long ino, long generation, boolean directory, int type, int nlink) {
        NameTree.Entry at = tree.find(path);
        IdNode n = at == null ? null : at.node;
        if (n != null && n.isFile(ino, generation)) {
            n.first(at);
            n.refs++;
            return n.id;
        }
        IdNode moved = directory ? liveLocked(ino) : null;
        if (moved != null && moved.directory && moved.isFile(ino, generation)) {
            // A directory has one name: found here, it was moved behind the server's back and
            // the event is not followed yet. It keeps its node (a second node would be a
            // second kernel inode for one directory), its subtree comes along.
            NameTree.Entry me = moved.names.get(0);
            RelPath from = tree.pathOf(me); // null: displaced, no name to move from
            if (from != null && !from.equals(path) && directoryFound.record(from, path)) {
                foundFrom = from;
            }
            movedHereLocked(moved, path);
            moved.refs++;
            return moved.id;
        }
        if (n != null) {
            displaceLocked(n, path);
        }
        IdNode same = directory ? null : liveLocked(ino);
        if (same != null && !same.directory) {
            boolean otherKind = type >= 0 && same.type >= 0 && type != same.type || !same.isFile(ino, generation);
            if (otherKind || nlink == 1) {
                for (NameTree.Entry e : same.names) {
                    unlinkLocked(e); // stale names
                }
            }
            if (!otherKind) {
                // another name of a file known by a live name (a hard link), or its only name now
                nameLocked(same, path);
                liveByIno.put(ino, same);
                same.refs++;
                return same.id;
            }
        }
        long id = NodeIdSpace.idFor(ino);
        if (id == 0 || byId.containsKey(id)) {
            // no inode number to use, or a detached (deleted) file's number given to a new file
            id = ids.nextOverflow();
        }
        n = new IdNode(id, ino, generation, directory, type);
        n.refs = 1;
        byId.put(n.id, n);
        nameLocked(n, path);
        liveByIno.put(ino, n);
        return n.id;
    }

    /**
     * Directory {@code moved} (known elsewhere, or displaced) is found at {@code path}: its entry,
     * subtree and all, moves there; what the table had at {@code path} is displaced. Lock held.
     */
    private void movedHereLocked(IdNode moved, RelPath path) {
        NameTree.Entry me = moved.names.get(0);
        displaced.remove(moved.id, me);
        tree.cut(me);
        IdNode there = tree.nodeAt(path);
        if (there != null) {
            displaceLocked(there, path);
        }
        tree.attach(me, path);
    }

    /**
     * {@code path} holds another file than node {@code n} now. A directory is displaced: its
     * entry is cut off the tree with its subtree and kept aside, unreachable by path, until the
     * directory is found at its new name (it was renamed behind the server's back, the event not
     * followed yet) or forgotten. Lock held.
     */
    private void displaceLocked(IdNode n, RelPath path) {
        NameTree.Entry e = tree.find(path);
        if (e == null || e.node != n) {
            return;
        }
        if (!n.directory) {
            unlinkLocked(e);
            return;
        }
        tree.cut(e);
        displaced.put(n.id, e);
    }

    /** Lowers the reference count of {@code id} by {@code count}; drops the node at zero. */
    void forget(long id, long count) {
        if (id == ROOT_ID) {
            return;
        }
        synchronized (lock) {
            IdNode n = byId.get(id);
            if (n == null) {
                return;
            }
            n.refs -= count;
            if (n.refs <= 0) {
                tree.changed();
                byId.remove(id);
                for (NameTree.Entry e : n.names) {
                    e.node = null; // known names below it stay known
                    tree.prune(e);
                }
                n.names = List.of();
                if (liveByIno.get(n.ino) == n) {
                    liveByIno.remove(n.ino);
                }
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
            IdNode live = liveLocked(ino);
            if (live != null) {
                return live.id;
            }
            long id = NodeIdSpace.idFor(ino);
            IdNode n = id == 0 ? null : byId.get(id);
            return n != null && n.ino == ino ? id : 0;
        }
    }

    /** The inode number of the node registered at {@code path}, or 0 if none. */
    long inoAt(RelPath path) {
        synchronized (lock) {
            IdNode n = tree.nodeAt(path);
            return n == null ? 0 : n.ino;
        }
    }

    /**
     * {@code path}, an empty directory, was removed by rmdir: its entry is cut off (names known
     * below it could only be stale ones of files removed behind the server's back; a new file at
     * their path gets a new id).
     */
    void removedEmptyDirectory(RelPath path) {
        synchronized (lock) {
            NameTree.Entry e = tree.find(path);
            if (e != null && e.node != null) {
                tree.cut(e);
            }
        }
    }

    /** {@code path} (and, for a directory, everything below it) no longer exists. */
    void removed(RelPath path) {
        synchronized (lock) {
            NameTree.Entry e = tree.find(path);
            if (e == null || e.node == null) {
                return;
            }
            if (e.node.directory) {
                tree.cut(e);
            } else {
                unlinkLocked(e);
            }
        }
    }

    /** {@code from} was renamed to {@code to} (replacing whatever was there). */
    void renamed(RelPath from, RelPath to) {
        renamed(from, to, false, 0);
    }

    /**
     * A client's rename of {@code from}, node {@code movedId} before the rename (0: none), to
     * {@code to}: a Lookup of {@code to} between the rename on disk and this may have found the
     * directory there already ({@link #register}); it stays.
     */
    void renamed(RelPath from, RelPath to, long movedId) {
        renamed(from, to, false, movedId);
    }

    /**
     * {@code from} was renamed to {@code to}; with {@code keepTarget}, a directory the table has
     * at {@code to} is displaced (kept aside with its subtree, found again by its inode number,
     * see {@link #displaceLocked}) rather than dropped: the watcher's follower cannot tell from
     * the disk whether it was replaced or exchanged and moved on since.
     */
    void renamed(RelPath from, RelPath to, boolean keepTarget) {
        renamed(from, to, keepTarget, 0);
    }

    private void renamed(RelPath from, RelPath to, boolean keepTarget, long movedId) {
        synchronized (lock) {
            NameTree.Entry ef = tree.find(from);
            NameTree.Entry et = tree.find(to);
            IdNode n = ef == null ? null : ef.node;
            IdNode target = et == null ? null : et.node;
            if (ef == et || target != null && target == n && !n.directory) {
                return; // two names of one file: rename(2) does nothing
            }
            if (n == null && target != null && movedId != 0 && target.id == movedId) {
                return; // the moved directory, found at its new name by a Lookup first
            }
            if (target != null && keepTarget && target.directory && target != n) {
                displaceLocked(target, to);
            } else if (et != null) {
                tree.cut(et);
            }
            if (ef != null) {
                tree.cut(ef);
                tree.attach(ef, to);
            }
        }
    }

    /**
     * Node {@code id}'s name {@code from} went stale and its file was found by its file id at
     * {@code to} ({@link Relocator}): the name moves there as a rename would, over whatever the
     * table has at {@code to} (a stale entry there is cut off). Returns false, doing nothing, when
     * {@code from} no longer names that node.
     */
    boolean relocated(long id, RelPath from, RelPath to) {
        synchronized (lock) {
            NameTree.Entry ef = tree.find(from);
            if (ef == null || ef.node == null || ef.node.id != id || from.isRoot() || to.isRoot()) {
                return false;
            }
            IdNode n = ef.node;
            NameTree.Entry et = tree.find(to);
            if (et != null && et.node == n) {
                unlinkLocked(ef); // a file known by that name already: only the stale one goes
                n.first(et);
                return true;
            }
            if (et != null && et.node != null && et.node.directory && et.node != n) {
                displaceLocked(et.node, to); // another directory there: moved too, kept aside until found
            }
            tree.cut(ef);
            tree.attach(ef, to);
            n.first(ef);
            return true;
        }
    }

    /** {@code a} and {@code b} were exchanged (RENAME_EXCHANGE). */
    void exchanged(RelPath a, RelPath b) {
        synchronized (lock) {
            NameTree.Entry ea = tree.find(a);
            NameTree.Entry eb = tree.find(b);
            if (ea == eb) {
                return;
            }
            if (ea != null) {
                tree.cut(ea);
            }
            if (eb != null) {
                tree.cut(eb);
            }
            if (ea != null) {
                tree.attach(ea, b);
            }
            if (eb != null) {
                tree.attach(eb, a);
            }
        }
    }

    /** The count of name changes so far; see {@link #ifUnchanged}. */
    long version() {
        synchronized (lock) {
            return tree.version();
        }
    }

    /**
     * Runs {@code update} (calls of this table) if no name changed since {@link #version} was
     * {@code seen}, atomically with that check; returns whether it ran. The watcher's follower
     * reads the table and the disk, then decides: a call that changed the disk and the table in
     * between (an unlink then a link of the same name) would make its decision undo the call's.
     */
    boolean ifUnchanged(long seen, Runnable update) {
        synchronized (lock) {
            if (tree.version() != seen) {
                return false;
            }
            update.run();
            return true;
        }
    }

    /** Number of live ids, root included (for tests and logs). */
    int size() {
        synchronized (lock) {
            return byId.size();
        }
    }

    // ---- nodes and their names; every method below is called with the lock held ----

    /**
     * The node with a name and inode number {@code ino}, or null. A directory kept aside
     * (displaced, or below a displaced one) counts: it is to be found again by its number.
     */
    private IdNode liveLocked(long ino) {
        IdNode n = liveByIno.get(ino);
        if (n == null) {
            return null;
        }
        for (NameTree.Entry e : n.names) {
            NameTree.Entry t = NameTree.top(e);
            if (t == tree.root || n.directory && t.node != null && displaced.get(t.node.id) == t) {
                return n;
            }
        }
        return null;
    }

    /**
     * Gives {@code n} the name {@code path}, just found on the disk: the first (see
     * {@link IdNode#first}). Its names cut off the tree are dropped.
     */
    private void nameLocked(IdNode n, RelPath path) {
        tree.changed();
        NameTree.Entry e = tree.make(path);
        if (e.node != null && e.node != n) {
            unlinkFromNode(e);
        }
        List<NameTree.Entry> names = new ArrayList<>(n.names.size() + 1);
        names.add(e);
        for (NameTree.Entry x : n.names) {
            if (x != e && tree.attached(x)) {
                names.add(x);
            } else if (x != e) {
                x.node = null;
                tree.prune(x);
            }
        }
        e.node = n;
        n.names = List.copyOf(names);
    }

    /** {@code e} no longer names its node; the entry goes unless names below it are known. */
    private void unlinkLocked(NameTree.Entry e) {
        if (e.node == null || e.node.id == ROOT_ID) {
            return;
        }
        IdNode n = e.node;
        unlinkFromNode(e);
        if (n.names.isEmpty() && n.refs <= 0) {
            byId.remove(n.id);
        }
        tree.prune(e);
    }

    private void unlinkFromNode(NameTree.Entry e) {
        tree.changed();
        e.node.dropName(e);
        e.node = null;
    }
}
