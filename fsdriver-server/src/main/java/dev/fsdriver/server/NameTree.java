package dev.fsdriver.server;

import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.RelPath;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;

/**
 * The names of {@link NodeIds}: a tree of {@link Entry}s (parent, name, children), not a map of
 * full paths. A path is computed from its entry on demand, so a rename or removal of a directory
 * moves or cuts one entry and costs its depth, not the number of nodes known below it (issue 16).
 * A cut-off subtree keeps its entries (for the nodes still referenced in it); they have no path.
 * It also counts changes of names ({@link #version}), for NodeIds' {@code ifUnchanged}.
 *
 * <p>Locking: none of its own; every method is called with NodeIds' lock held (it guards the
 * tree as it guards the nodes the entries name).
 */
final class NameTree {
    /** One name in the tree: a dentry. */
    static final class Entry {
        /** Null for the root, and for an entry cut off the tree (deleted, or displaced). */
        Entry parent;
        String name;
        /** Null: a placeholder that only holds known names below it. */
        IdNode node;
        /** Null while empty. */
        HashMap<String, Entry> children;

        Entry(Entry parent, String name) {
            this.parent = parent;
            this.name = name;
        }
    }

    final Entry root = new Entry(null, "");
    /** Changes of names so far (a name given, taken, moved). */
    private long version;

    long version() {
        return version;
    }

    /** A name changed (given to or taken from a node). */
    void changed() {
        version++;
    }

    /** Whether {@code e} is in the tree (not cut off). */
    boolean attached(Entry e) {
        return top(e) == root;
    }

    /** The entry at {@code path}, or null: O(depth). */
    Entry find(RelPath path) {
        Entry e = root;
        for (int i = 0; i < path.depth() && e != null; i++) {
            e = e.children == null ? null : e.children.get(path.name(i));
        }
        return e;
    }

    IdNode nodeAt(RelPath path) {
        Entry e = find(path);
        return e == null ? null : e.node;
    }

    /** The entry at {@code path}, made (with placeholders above it) when missing. */
    Entry make(RelPath path) {
        Entry e = root;
        for (int i = 0; i < path.depth(); i++) {
            if (e.children == null) {
                e.children = new HashMap<>(4);
            }
            Entry parent = e;
            e = e.children.computeIfAbsent(path.name(i), name -> new Entry(parent, name));
        }
        return e;
    }

    /** The topmost entry above {@code e}: the root if {@code e} is attached. */
    static Entry top(Entry e) {
        while (e.parent != null) {
            e = e.parent;
        }
        return e;
    }

    /** {@code e}'s path, or null when it is cut off the tree. */
    RelPath pathOf(Entry e) {
        if (top(e) != root) {
            return null;
        }
        List<String> names = new ArrayList<>();
        for (Entry x = e; x != root; x = x.parent) {
            names.add(x.name);
        }
        RelPath p = RelPath.ROOT;
        for (int i = names.size() - 1; i >= 0; i--) {
            try {
                p = p.resolve(names.get(i));
            } catch (FsException ex) {
                throw new IllegalStateException("names come from RelPaths", ex);
            }
        }
        return p;
    }

    /** Drops placeholders without children, from {@code e} up. */
    void prune(Entry e) {
        while (e != root && e.parent != null && e.node == null && (e.children == null || e.children.isEmpty())) {
            Entry parent = e.parent;
            parent.children.remove(e.name, e);
            if (parent.children.isEmpty()) {
                parent.children = null;
            }
            e.parent = null;
            e = parent;
        }
    }

    /** Cuts {@code e} (and its subtree) off the tree: no path for any node below it. */
    void cut(Entry e) {
        Entry parent = e.parent;
        if (parent == null) {
            return; // the root, or cut already
        }
        version++;
        parent.children.remove(e.name, e);
        if (parent.children.isEmpty()) {
            parent.children = null;
        }
        e.parent = null;
        prune(parent);
    }

    /** The first path of {@code names} (a node's entries), or null when none is in the tree (detached). */
    RelPath firstPath(List<Entry> names) {
        for (Entry e : names) {
            RelPath p = pathOf(e);
            if (p != null) {
                return p;
            }
        }
        return null;
    }

    /**
     * Puts the cut-off entry {@code e} (subtree and all) at {@code to}, cutting off what is
     * there. The path to {@code to} is found from the root after {@code e} was cut, so it never
     * runs through {@code e}: no cycle even when the table is stale.
     */
    void attach(Entry e, RelPath to) {
        if (to.isRoot()) {
            return;
        }
        version++;
        Entry old = find(to);
        if (old != null) {
            cut(old);
        }
        Entry parent = make(to.parent());
        if (parent.children == null) {
            parent.children = new HashMap<>(4);
        }
        e.parent = parent;
        e.name = to.name();
        parent.children.put(e.name, e);
    }
}
