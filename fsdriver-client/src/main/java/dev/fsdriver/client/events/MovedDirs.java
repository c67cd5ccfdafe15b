package dev.fsdriver.client.events;

import dev.fsdriver.common.FileMode;
import dev.fsdriver.fuse.FuseNotifier;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The directories the kernel holds that one overflow resync ({@link OverflowResync}) found
 * missing from their parents' listings: renamed or moved during the loss, or gone. A process
 * may be working inside one (issue 10, B6): an injected rmdir unlinks its working directory
 * (getcwd fails; git: "unable to get current working directory"), so none is announced deleted
 * before the whole pass has listed every directory:
 * <ul>
 *   <li>found under another name in a listing of the pass (the same inode number, or any while
 *       it is not known, and the server's node at that name is the held one): moved there, as
 *       its RENAMED would have ({@link EventApplier#renamed});</li>
 *   <li>not found, but the server still answers for the node (moved where no listing of the pass
 *       looked): only the kernel's entry of the old name expires, the directory stays alive;</li>
 *   <li>not found, and the server no longer has the node (ENOENT, ESTALE; not a failed call):
 *       announced deleted.</li>
 * </ul>
 * <p>Runs on the applier's thread, like the resync: no locking.
 */
final class MovedDirs {
    private static final Logger log = LoggerFactory.getLogger(EventApplier.class);

    /** {@code ino}: its inode number as watchers knew it (0: not known). */
    private record Missing(long parent, String name, long ino) {}

    private final EventApplier applier;
    private final KernelView view;
    private final ServerReads reads;
    private final FuseNotifier notifier;
    /** Node -> where the kernel holds it. */
    private final Map<Long, Missing> missing = new LinkedHashMap<>();

    MovedDirs(EventApplier applier, KernelView view, ServerReads reads, FuseNotifier notifier) {
        this.applier = applier;
        this.view = view;
        this.reads = reads;
        this.notifier = notifier;
    }

    /** Held directory {@code node} at {@code parent}/{@code name} is not in its parent's listing (again: no change). */
    void missing(long parent, String name, long node, long ino) {
        missing.put(node, new Missing(parent, name, ino));
    }

    /** Whether held directory {@code node} is missing from its parent's listing in this pass. */
    boolean isMissing(long node) {
        return missing.containsKey(node);
    }

    /**
     * A name of a listing of {@code dir} that the kernel does not hold: when it is one of the
     * missing directories, moves the kernel's entry there (an injected rename) and returns its
     * node; else 0 (announced as the resync announces any new name).
     */
    long claim(long dir, String dirPath, String name, long ino, int mode) {
        if (missing.isEmpty() || (mode != 0 && !FileMode.isDirectory(mode)) || !maybe(ino)) {
            return 0;
        }
        // The server's node at the name: its node table keeps a directory's node when it finds it
        // moved, so the held directory answers here with its own id.
        long node = reads.node(dir, name);
        Missing m = missing.get(node);
        if (m == null) {
            return 0;
        }
        String oldParent = view.pathOf(m.parent());
        if (oldParent == null || view.child(m.parent(), m.name()) != node) {
            return 0;
        }
        missing.remove(node);
        String from = oldParent.isEmpty() ? m.name() : oldParent + "/" + m.name();
        String to = dirPath.isEmpty() ? name : dirPath + "/" + name;
        log.debug("resync: held directory '{}' found at '{}': moved", from, to);
        applier.renamed(from, to, true);
        return view.child(dir, name) == node ? node : 0;
    }

    private boolean maybe(long ino) {
        for (Missing m : missing.values()) {
            if (m.ino() == 0 || ino == 0 || m.ino() == ino) {
                return true;
            }
        }
        return false;
    }

    /** The end of the pass: what was found nowhere is gone, or kept alive where the server still has it. */
    void finish() {
        List<Map.Entry<Long, Missing>> left = new ArrayList<>(missing.entrySet());
        missing.clear();
        for (Map.Entry<Long, Missing> e : left) {
            long node = e.getKey();
            Missing m = e.getValue();
            String parentPath = view.pathOf(m.parent());
            if (parentPath == null || view.child(m.parent(), m.name()) != node) {
                continue; // moved or dropped meanwhile (an injection of this pass)
            }
            String path = parentPath.isEmpty() ? m.name() : parentPath + "/" + m.name();
            if (reads.gone(node)) {
                applier.deleted(path, true);
                continue;
            }
            // Alive where no listing looked (or the server could not say: nothing is deleted on a guess): the kernel's entry expires but stays hashed, so the
            // working directory of a process inside keeps its path (getcwd); the next lookup of the
            // old name asks the server, and a lookup of the new name moves the kernel's dentry there.
            log.debug("resync: held directory '{}' moved where the resync did not list: its entry expires", path);
            notifier.expireEntry(m.parent(), m.name());
            view.removed(m.parent(), m.name());
            applier.expiredHeldDirectory(m.parent(), m.name(), node);
        }
    }
}
