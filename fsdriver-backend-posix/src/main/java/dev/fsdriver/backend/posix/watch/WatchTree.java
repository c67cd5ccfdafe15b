package dev.fsdriver.backend.posix.watch;

import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.RelPath;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The watch table of an {@link InotifyWatcher} as a tree: each watch knows its parent's watch and
 * its own name, and a path is found by walking up to the root. A directory rename then moves one
 * entry, and every watch below it follows. (A table of full paths rebased by prefix cannot tell
 * the two sides of a RENAME_EXCHANGE apart: the kernel reports it as P -> R then R -> P, and after
 * the first half both subtrees sit under R.)
 *
 * <p>Not thread-safe: it belongs to the watcher thread alone (the initial walk runs before that
 * thread starts).
 */
final class WatchTree {
    /** Deepest chain of watches followed up to the root (a guard, far beyond PATH_MAX). */
    private static final int MAX_DEPTH = 4096;

    /** A watched directory: the watch of its parent ({@code -1} for the root) and its name there. */
    private record Watch(int parent, String name) {}

    private final Map<Integer, Watch> watches = new HashMap<>();
    private int rootWd = -1;

    /** The share root's watch: the top of the tree. */
    void setRoot(int wd) {
        rootWd = wd;
        watches.put(wd, new Watch(-1, null));
    }

    int rootWd() {
        return rootWd;
    }

    int size() {
        return watches.size();
    }

    /** Watch {@code wd} is (now) the directory {@code name} in the one watched by {@code parent}. */
    void put(int wd, int parent, String name) {
        watches.put(wd, new Watch(parent, name));
    }

    boolean contains(int wd) {
        return watches.containsKey(wd);
    }

    /** Whether watch {@code wd} is the directory {@code name} in the one watched by {@code parent}. */
    boolean isAt(int wd, int parent, String name) {
        Watch w = watches.get(wd);
        return w != null && w.parent == parent && Objects.equals(w.name, name);
    }

    /** The kernel dropped watch {@code wd}; true if it was known. */
    boolean remove(int wd) {
        return watches.remove(wd) != null;
    }

    /** The share-relative path of watch {@code wd}, or null if it (or a parent) is unknown. */
    RelPath pathOf(int wd) {
        List<String> names = new ArrayList<>();
        int cur = wd;
        while (cur != rootWd) {
            Watch w = watches.get(cur);
            if (w == null || names.size() > MAX_DEPTH) {
                return null;
            }
            names.add(w.name);
            cur = w.parent;
        }
        RelPath p = RelPath.ROOT;
        try {
            for (int i = names.size() - 1; i >= 0; i--) {
                p = p.resolve(names.get(i));
            }
        } catch (FsException e) {
            return null; // every name was checked when its watch was added
        }
        return p;
    }

    /** The watches named {@code name} in the directory watched by {@code parent}. */
    Set<Integer> children(int parent, String name) {
        Set<Integer> out = new HashSet<>();
        for (Map.Entry<Integer, Watch> e : watches.entrySet()) {
            if (e.getValue().parent == parent && name.equals(e.getValue().name)) {
                out.add(e.getKey());
            }
        }
        return out;
    }

    /** Removes each of {@code tops} and every watch below them (never the root); returns the removed ones. */
    Set<Integer> removeSubtrees(Set<Integer> tops) {
        Set<Integer> gone = new HashSet<>();
        for (int wd : watches.keySet()) {
            if (wd != rootWd && below(wd, tops)) {
                gone.add(wd);
            }
        }
        for (Iterator<Integer> it = watches.keySet().iterator(); it.hasNext(); ) {
            if (gone.contains(it.next())) {
                it.remove();
            }
        }
        return gone;
    }

    /** Whether watch {@code wd} is one of {@code tops} or below one of them. */
    private boolean below(int wd, Set<Integer> tops) {
        int cur = wd;
        for (int depth = 0; cur != -1 && depth <= MAX_DEPTH; depth++) {
            if (tops.contains(cur)) {
                return true;
            }
            Watch w = watches.get(cur);
            if (w == null) {
                return false;
            }
            cur = w.parent;
        }
        return false;
    }
}
