package dev.fsdriver.client.events;

import dev.fsdriver.common.FileMode;
import dev.fsdriver.fuse.FuseAttr;
import dev.fsdriver.fuse.FuseFileSystem;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

/**
 * What the kernel currently holds of the mount: which names it has looked up in which
 * directories (dentries) and how many lookup references it holds on each node. Fed by
 * {@link EventAwareFileSystem} from every reply that hands the kernel an entry and from every
 * FORGET; read by {@link EventApplier} to turn a server path into (parent node, name) and to
 * know whether anybody could be watching a directory.
 *
 * <p>The key fact used: an inotify watch pins its inode, so the kernel never FORGETs a watched
 * directory. A directory with no lookup references here has no watcher, and a path whose
 * components are unknown here has nothing cached by the kernel.
 *
 * <p>Thread safety: the node table's stripes and each directory's {@link ChildNames}, each under
 * its own lock (a node's before a directory's, never the other way), updated from request threads
 * (replies, FORGETs) and the events thread; the view may briefly lag the kernel between a reply
 * and the next update, and consumers treat it as a hint for invalidation (invalidating too much
 * is harmless; an unknown name has nothing to invalidate). Two orderings are relied on:
 * <ul>
 *   <li>Per node id, under {@code nodes.compute} for that id: an entry's count, its fields and
 *       its (parent, name) entry in {@code dirs} ({@link #entered}), and a FORGET's count, its
 *       removal from {@code nodes} and of its entries ({@link #forgotten}). A FORGET of the
 *       previous hold is thus wholly before or after a new hold's entry, never removing it, and no
 *       reference is counted on a node already out of the map. Renames, removals and exchanges
 *       update {@code dirs} without that lock (they follow kernel operations on the names).</li>
 *   <li>Stamps ({@link #stamp(long)}): a directory's times are kept when the kernel first holds
 *       it, from the reply's attributes, unless a stamp was taken away since the token read
 *       before its call ({@link #stampToken()}); the rules are {@link DirStamps}'.</li>
 * </ul>
 */
public final class KernelView {
    /** A node the kernel holds; a directory's stamp is its {@link DirStamps.Slot}'s. */
    private static final class Node extends DirStamps.Slot {
        final long id;
        /**
         * Written only under {@code nodes}' lock for the id (compute), read anywhere. 0 or less:
         * forgotten, out of the view (a reply racing its FORGET may still hold this object); a
         * later lookup makes a new node.
         */
        volatile long lookups;
        volatile long parent;
        volatile String name;
        volatile int mode;
        /** The generation of the kernel's inode (FUSE entry's generation, 0: none given). */
        volatile long generation;

        Node(long id) {
            this.id = id;
        }

        @Override
        boolean forgotten() {
            return lookups <= 0;
        }
    }

    private final NodeTable<Node> nodes = new NodeTable<>();
    /**
     * parent node -> (name -> child node). A child may be an older node object of its id than
     * {@code nodes} has (another name of a file whose node was forgotten since): its id counts.
     */
    private final ConcurrentHashMap<Long, ChildNames<Node>> dirs = new ConcurrentHashMap<>();
    /**
     * "parent/name" -> the nodes an entry of another node replaced there (see {@link #entered}),
     * until an event of the name takes them ({@link #takeDisplaced}). Bounded: when full it is
     * cleared (a file then keeps its cached link count until its attributes expire).
     */
    private final ConcurrentHashMap<String, Set<Long>> displaced = new ConcurrentHashMap<>();
    static final int MAX_DISPLACED = 4096;
    private volatile LongConsumer directoryHeld = dir -> { };
    private final DirStamps stamps = new DirStamps();

    public KernelView() {
        Node root = new Node(FuseFileSystem.ROOT_ID);
        root.lookups = 1;
        root.mode = FileMode.S_IFDIR | 0755;
        root.name = "";
        nodes.put(FuseFileSystem.ROOT_ID, root);
    }

    /** {@link #entered(long, String, long, int, long)} without a generation. */
    public void entered(long parent, String name, long nodeId, int mode) {
        entered(parent, name, nodeId, mode, 0);
    }

    /**
     * {@link #entered(long, String, long, int, long)} with the attributes the entry carries: a
     * directory the kernel starts to hold keeps its mtime and ctime from them ({@link #stamp}),
     * unless a stamp was taken away since {@code stampToken} ({@link #stampToken()}, read before
     * the call that got the attributes).
     */
    public void entered(long parent, String name, long nodeId, FuseAttr attr, long generation, long stampToken) {
        Node n = entered(parent, name, nodeId, attr == null ? 0 : attr.mode(), generation, false);
        if (n != null && attr != null) {
            stamps.take(n, attr, stampToken);
        }
        if (n != null) {
            directoryHeld.accept(nodeId);
        }
    }

    /**
     * The kernel got an entry {@code name} -> {@code nodeId} ({@code generation}) in {@code parent},
     * one more lookup reference. An entry with another generation made the kernel replace its inode
     * of that id (the old one went bad), so the last one given is the kernel's. An entry of another
     * node than the one the name had: the name changed on the server before its event came, and
     * that event will not find the file it replaced or deleted here (see {@link #takeDisplaced}).
     */
    public void entered(long parent, String name, long nodeId, int mode, long generation) {
        entered(parent, name, nodeId, mode, generation, true);
    }

    /** Returns the node when it is a directory the kernel starts to hold and {@code tell} is false. */
    private Node entered(long parent, String name, long nodeId, int mode, long generation, boolean tell) {
        if (nodeId == 0) {
            return null;
        }
        // Counted, and the entry put, under the map's lock for the id (see the class comment): a
        // FORGET of the previous hold is wholly before or after, so it never removes this entry
        long[] count = new long[1];
        Node[] before = new Node[1];
        Node n = nodes.compute(nodeId, had -> {
            Node m = had != null ? had : new Node(nodeId);
            count[0] = ++m.lookups;
            m.parent = parent;
            m.name = name;
            m.mode = mode;
            m.generation = generation;
            before[0] = dirs.computeIfAbsent(parent, p -> new ChildNames<>()).put(name, m);
            return m;
        });
        if (before[0] != null && before[0].id != nodeId) {
            if (displaced.size() >= MAX_DISPLACED) {
                displaced.clear();
            }
            displaced.computeIfAbsent(parent + "/" + name, k -> ConcurrentHashMap.newKeySet()).add(before[0].id);
        }
        if (count[0] == 1 && FileMode.isDirectory(mode)) {
            stamps.clear(n); // from an earlier hold, or none: only this hold's attributes may vouch
            if (!tell) {
                return n;
            }
            directoryHeld.accept(nodeId);
        }
        return null;
    }

    /** Read before a call whose reply may make a stamp ({@link #entered(long, String, long, FuseAttr, long, long)}). */
    public long stampToken() {
        return stamps.token();
    }

    /**
     * The root's stamp from {@code attr}, read by the server before the mount was live (Hello):
     * the kernel holds the root from the start, so no lookup gives it.
     */
    public void stampRoot(FuseAttr attr) {
        stamps.take(nodes.get(FuseFileSystem.ROOT_ID), attr, stamps.token());
    }

    /** Where the server's clock is read from (an event's seen_unix_nanos, see {@link DirStamps#take}). */
    public void serverClock(LongSupplier clock) {
        stamps.serverClock(clock);
    }

    /**
     * The mtime and ctime (ns) directory {@code dir} had when the kernel first held it, or null
     * when none vouch: none given, too close to the server's clock then, or an event of a name
     * in it applied since ({@link #unstamp}). While the directory still has them, no name in it
     * changed since the kernel first held it, so no watcher of it can have missed one.
     */
    public long[] stamp(long dir) {
        Node n = nodes.get(dir);
        return n == null || n.lookups <= 0 ? null : stamps.vouching(n);
    }

    /**
     * An event of a name in {@code dir} was applied: its change may be older than the stamp (events
     * come late), and watchers were told of it, so the stamp no longer tells what they know.
     */
    public void unstamp(long dir) {
        stamps.moveToken(); // first: a stamp stored meanwhile sees it (see DirStamps)
        dropStamp(dir);
    }

    /**
     * {@code dir}'s stamp no longer vouches (the resync found its times changed, or names gone
     * with the times unchanged): dropped, so that it cannot mislead a later resync.
     */
    public void dropStamp(long dir) {
        Node n = nodes.get(dir);
        if (n != null) {
            stamps.clear(n);
        }
    }

    /**
     * Another server process answers now (restarted, or another one at the address): its clock
     * and its files' times have nothing to do with the stamps taken, so every stamp goes, and so
     * do those of replies on their way (the token moves).
     */
    public void newServer() {
        stamps.moveToken(); // before the copy of the nodes: a stamp stored after it sees the token moved
        stamps.dropAll(nodes.values());
    }

    /**
     * Tells {@code listener} of each directory the kernel starts to hold (its first lookup
     * reference; again after it forgot it). Called on request threads: it must not block.
     */
    public void onDirectoryHeld(LongConsumer listener) {
        this.directoryHeld = listener;
    }

    /**
     * FORGET: the kernel dropped {@code count} references. The count never goes below 0. A FORGET
     * of more than were counted proves the view missed an entry the kernel got (an {@code entered}
     * never called), so a lookup it took for a directory's first hold may not have been one, and
     * a stamp taken then may postdate names a watcher never saw. Which node's accounting went
     * wrong cannot be told, so stamps go for the whole mount: every one is dropped and none is
     * taken again ({@link DirStamps#off}, one warning). A duplicate create at worst, never a hidden one.
     */
    public void forgotten(long nodeId, long count) {
        if (nodeId == FuseFileSystem.ROOT_ID) {
            return;
        }
        long[] had = {-1}; // the count a FORGET of more found (-1: none)
        nodes.compute(nodeId, n -> {
            if (n == null) {
                return null;
            }
            long left = n.lookups -= count;
            if (left > 0) {
                return n;
            }
            if (left < 0) {
                n.lookups = 0;
                had[0] = left + count;
            }
            stamps.clear(n);
            // under the id's lock, as entered() puts it: never a later hold's entry (class comment)
            ChildNames<Node> siblings = dirs.get(n.parent);
            if (siblings != null && n.name != null) {
                siblings.removeIf(n.name, v -> v.id == nodeId);
            }
            dirs.remove(nodeId);
            return null;
        });
        if (had[0] >= 0) {
            stamps.off(nodeId, count, had[0], nodes.values());
        }
    }

    /** The name is gone (unlink, rmdir, or a server-side delete). */
    public void removed(long parent, String name) {
        ChildNames<Node> siblings = dirs.get(parent);
        if (siblings != null) {
            siblings.remove(name);
        }
    }

    /** The name moved; the node keeps its id. */
    public void renamed(long parent, String name, long newParent, String newName) {
        ChildNames<Node> from = dirs.get(parent);
        Node had = from == null ? null : from.remove(name);
        ChildNames<Node> to = dirs.get(newParent);
        if (to != null) {
            to.remove(newName);
        }
        if (had != null) {
            Node n = nodes.get(had.id);
            dirs.computeIfAbsent(newParent, p -> new ChildNames<>()).put(newName, n != null ? n : had);
            if (n != null) {
                n.parent = newParent;
                n.name = newName;
            }
        }
    }

    /**
     * RENAME_EXCHANGE: each name now holds the other's node (the kernel swaps the two entries).
     * A name the view did not know stays unknown at the other place.
     */
    public void exchanged(long parent, String name, long newParent, String newName) {
        ChildNames<Node> from = dirs.computeIfAbsent(parent, p -> new ChildNames<>());
        ChildNames<Node> to = dirs.computeIfAbsent(newParent, p -> new ChildNames<>());
        Node a = from.remove(name);
        Node b = to.remove(newName);
        if (b != null) {
            from.put(name, moved(b, parent, name));
        }
        if (a != null) {
            to.put(newName, moved(a, newParent, newName));
        }
    }

    /** The node of {@code entry}'s id now at {@code parent}/{@code name}: the view's, else the entry's. */
    private Node moved(Node entry, long parent, String name) {
        Node n = nodes.get(entry.id);
        if (n == null) {
            return entry;
        }
        n.parent = parent;
        n.name = name;
        return n;
    }

    /**
     * The nodes the kernel had at {@code parent}/{@code name} before an entry of another node
     * replaced them there (a lookup after the name changed on the server), forgotten here: the
     * applier of that change's event refreshes their attributes (their link count fell, and the
     * kernel may still hold them by another name).
     */
    public Set<Long> takeDisplaced(long parent, String name) {
        Set<Long> nodes = displaced.remove(parent + "/" + name);
        return nodes == null ? Set.of() : nodes;
    }

    /** The child node the kernel knows under {@code parent}/{@code name}, or 0. */
    public long child(long parent, String name) {
        ChildNames<Node> m = dirs.get(parent);
        Node n = m == null ? null : m.get(name);
        return n == null ? 0 : n.id;
    }

    /** The node at share-relative path {@code path} ("" = root), or 0 if the kernel does not hold it. */
    public long resolve(String path) {
        long node = FuseFileSystem.ROOT_ID;
        if (path.isEmpty()) {
            return node;
        }
        for (String name : path.split("/")) {
            node = child(node, name);
            if (node == 0) {
                return 0;
            }
        }
        return node;
    }

    /** True if the kernel holds a reference to {@code nodeId} (e.g. because a watch pins it). */
    public boolean held(long nodeId) {
        Node n = nodes.get(nodeId);
        return n != null && n.lookups > 0;
    }

    /** The st_mode the kernel was last given for {@code nodeId}, 0 if unknown. */
    public int mode(long nodeId) {
        Node n = nodes.get(nodeId);
        return n == null ? 0 : n.mode;
    }

    /**
     * The generation the kernel's inode {@code nodeId} was given (0: none or unknown): an entry
     * answered locally for it must carry it, else the kernel takes the node for another file and
     * makes its inode bad (EIO for every open file of it).
     */
    public long generation(long nodeId) {
        Node n = nodes.get(nodeId);
        return n == null ? 0 : n.generation;
    }

    /**
     * The generation to give the kernel in an entry for {@code nodeId} the server gave with
     * {@code given}. 0 is "not known" and matches any (the identity rule, docs/server.md): where
     * the kernel holds the node with 0 (from a server before generations, restarted into one that
     * gives them) or the server now gives 0, the kernel's own is kept, else it would take the node
     * for another file and make its inode bad (EIO for the files open on it). Another known
     * generation is another file: given as is.
     */
    public long generationFor(long nodeId, long given) {
        Node n = nodes.get(nodeId);
        if (n == null || n.lookups <= 0) {
            return given;
        }
        return given == 0 || n.generation == 0 ? n.generation : given;
    }

    public long lookups(long nodeId) {
        Node n = nodes.get(nodeId);
        return n == null ? 0 : n.lookups;
    }

    /** The share-relative path of a node the kernel holds, or null if unknown. */
    public String pathOf(long nodeId) {
        if (nodeId == FuseFileSystem.ROOT_ID) {
            return "";
        }
        List<String> names = new ArrayList<>();
        long id = nodeId;
        for (int depth = 0; id != FuseFileSystem.ROOT_ID; depth++) {
            Node n = nodes.get(id);
            if (n == null || n.name == null || depth > 4096) {
                return null;
            }
            names.add(n.name);
            id = n.parent;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = names.size() - 1; i >= 0; i--) {
            if (!sb.isEmpty()) {
                sb.append('/');
            }
            sb.append(names.get(i));
        }
        return sb.toString();
    }

    /** A snapshot of the (name -> node) entries the kernel holds in directory {@code parent}. */
    public Map<String, Long> children(long parent) {
        ChildNames<Node> m = dirs.get(parent);
        if (m == null) {
            return Map.of();
        }
        Map<String, Long> out = new HashMap<>();
        m.forEach((name, n) -> out.put(name, n.id));
        return Collections.unmodifiableMap(out);
    }

    /**
     * Each (name, node) entry the kernel holds in directory {@code parent}, given outside the view's
     * locks (a copy of the entries first, see {@link ChildNames#forEach}); weakly consistent:
     * entries changed meanwhile may or may not be seen.
     */
    public void forEachChild(long parent, BiConsumer<String, Long> action) {
        ChildNames<Node> m = dirs.get(parent);
        if (m != null) {
            m.forEach((name, n) -> action.accept(name, n.id));
        }
    }

    /** Number of nodes tracked (root included), for tests and metrics. */
    public int size() {
        return nodes.size();
    }
}
