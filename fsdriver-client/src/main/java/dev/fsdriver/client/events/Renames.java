package dev.fsdriver.client.events;

import dev.fsdriver.common.Errno;
import dev.fsdriver.common.FileMode;
import dev.fsdriver.fuse.FuseEntry;
import dev.fsdriver.fuse.FuseNotifier;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link EventApplier}'s RENAMED: moves the name in the kernel by an injected rename where
 * somebody could be watching either parent (watchers get IN_MOVED_FROM + IN_MOVED_TO), else drops
 * the kernel's entries; a RENAME_EXCHANGE (reported as two renames) is injected whole at its
 * first half, and a late event (the kernel already holds what the server has) moves nothing.
 * A rename that cannot be injected as one is a delete and a create through the applier.
 *
 * <p>Runs on the applier's thread, like the applier: no locking.
 */
final class Renames {
    private static final Logger log = LoggerFactory.getLogger(EventApplier.class);

    private final EventApplier applier;
    private final EventAwareFileSystem fs;
    private final KernelView view;
    /** Null: events are not injected (only the kernel's caches are dropped). */
    private final Injector injector;
    private final FuseNotifier notifier;
    private final KnownNames names;
    /** "to\0from" of an exchange injected whole at its first half: its second half, still to come. */
    private String exchangeSecondHalf;
    /**
     * "parent\0name" -> node: held directories whose entry an overflow resync let expire, moved
     * where it did not list ({@link MovedDirs#finish}). The kernel still has the node at that
     * name (a process may work inside) though the view no longer does: its RENAMED, when the
     * server publishes it, must move that node, not announce the name deleted. The oldest are
     * forgotten beyond {@link #MAX_EXPIRED}.
     */
    private final Map<String, Long> expired = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
            return size() > MAX_EXPIRED;
        }
    };
    private static final int MAX_EXPIRED = 1024;

    Renames(EventApplier applier, EventAwareFileSystem fs, KernelView view, Injector injector, FuseNotifier notifier,
            KnownNames names) {
        this.applier = applier;
        this.fs = fs;
        this.view = view;
        this.injector = injector;
        this.notifier = notifier;
        this.names = names;
    }

    /** RENAMED {@code from} -> {@code to}; {@code directory}: the event's, used where the kernel holds no node. */
    void renamed(String from, String to, boolean directory) {
        String half = exchangeSecondHalf;
        exchangeSecondHalf = null;
        if ((from + "\0" + to).equals(half)) {
            return; // the second half of an exchange injected whole (see exchanged)
        }
        long oldParent = view.resolve(EventApplier.parentOf(from));
        long newParent = view.resolve(EventApplier.parentOf(to));
        String name = EventApplier.nameOf(from);
        String newName = EventApplier.nameOf(to);
        long node = oldParent == 0 ? 0 : view.child(oldParent, name);
        Long wasExpired = oldParent == 0 ? null : expired.remove(oldParent + "\0" + name);
        if (node == 0 && wasExpired != null && view.held(wasExpired)) {
            node = wasExpired; // still the kernel's at that name (see expired), unless it forgot it since
        }
        long replaced = newParent == 0 ? 0 : view.child(newParent, newName);
        log.debug("renamed '{}' -> '{}': parents {} -> {}, node {}, replaced {}", from, to, oldParent, newParent, node,
                replaced);
        if (oldParent != 0) {
            notifier.invalInode(oldParent, 0, 0);
        }
        if (newParent != 0) {
            notifier.invalInode(newParent, 0, 0);
        }
        long atFrom = node != 0 ? fs.reads().node(oldParent, name) : 0;
        if (node != 0 && atFrom == node && fs.reads().holds(oldParent, name, node, view.generation(node))) {
            // The server still has the kernel's node at the old name: the kernel was told of it after
            // this rename (the event is late). Moving it in the kernel would show a name the server
            // does not have; only the new name's entry is looked up again.
            log.debug("renamed '{}': the kernel holds the server's current file {} there, not moved", from, node);
            if (newParent != 0) {
                notifier.invalEntry(newParent, newName);
            }
            return;
        }
        if (node != 0 && replaced != 0 && replaced != node && atFrom == replaced) {
            exchanged(from, to, oldParent, name, newParent, newName, node, replaced);
            return;
        }
        if (replaced != 0 && (node == 0 || node == replaced) && FileMode.isDirectory(view.mode(replaced))
                && fs.reads().node(newParent, newName) == replaced) {
            // A directory already where the server has it: moved by this mount's overflow resync,
            // or found there by a lookup (the server publishes what its Lookup found moved; the
            // kernel keeps a directory at one name). Dropping the new name would end the working
            // directory of a process inside; only the old name goes. (Not a file: the kernel may
            // hold it at both names, the new one from a listing made after the rename, and its
            // injected rename below is what shows watchers the move.)
            log.debug("renamed '{}': the kernel holds directory {} at '{}' already", from, replaced, to);
            if (node != 0) {
                names.removed(oldParent, name, applier.sequence());
                notifier.expireEntry(oldParent, name);
                view.removed(oldParent, name);
            }
            return;
        }
        if (newParent != 0) {
            notifier.invalEntry(newParent, newName);
        }
        boolean watchable = injector != null
                && ((oldParent != 0 && view.held(oldParent)) || (newParent != 0 && view.held(newParent)));
        if (watchable && oldParent != 0 && newParent != 0) {
            int type = node != 0 && view.mode(node) != 0 ? view.mode(node) & FileMode.S_IFMT
                    : directory ? FileMode.S_IFDIR : FileMode.S_IFREG;
            FuseEntry entry = node != 0 ? EventApplier.standIn(node, type, view.generation(node)) : fs.ghost(type);
            Injection inj = new Injection(Injection.Op.RENAME, oldParent, name, newParent, newName, entry, entry.nodeId(), null);
            String absFrom = injector.absolute(from);
            String absTo = injector.absolute(to);
            int rc = injector.perform(inj, () -> InjectedCalls.rename(absFrom, absTo));
            if (rc == 0 && !inj.performed()) {
                rc = -Errno.ESTALE; // both names hold one inode in the kernel: nothing moved there
            }
            if (rc == 0) {
                applier.injectedOne(); // the view was updated by the file system's rename
                if (node == 0) {
                    notifier.invalEntry(newParent, newName); // the ghost must not stay under the new name
                }
                return;
            }
            // Failed (the kernel's view differs from ours): its caches only, never a delete and a
            // create in its place
            log.debug("inject rename {} -> {}: errno {}", from, to, -rc);
            forgetEntry(oldParent, name);
            return;
        }
        // Not injectable as a rename (one side unknown to the kernel): a delete here, a create
        // there, each answered locally or refused (InjectionGate). Not for a directory the kernel
        // holds: a deleted directory is dead to the kernel, and found at its new name it would be
        // that dead one (nothing in it can be looked up). Its entry only expires: invalidated, a
        // process working inside would lose its working directory (getcwd: ENOENT); expired, the
        // kernel keeps it until a lookup of the old name, and one of the new name moves it there.
        if (oldParent != 0) {
            if (node != 0 && (directory || FileMode.isDirectory(view.mode(node)))) {
                names.removed(oldParent, name, applier.sequence());
                notifier.expireEntry(oldParent, name);
                view.removed(oldParent, name);
            } else {
                applier.deleted(from, directory);
            }
        }
        if (newParent != 0) {
            applier.created(to);
        }
    }

    /** Held directory {@code node}'s entry {@code name} in {@code parent} expired, moved on the server: see {@link #expired}. */
    void expired(long parent, String name, long node) {
        expired.put(parent + "\0" + name, node);
    }

    /** The kernel's entry of {@code name} goes (looked up again when needed), the node stays. */
    private void forgetEntry(long parent, String name) {
        notifier.invalEntry(parent, name);
        view.removed(parent, name);
    }

    /**
     * RENAMED from -> to where the server now has at {@code from} the node the kernel holds at
     * {@code to}: a RENAME_EXCHANGE (the server reports it as from -> to, then to -> from).
     * Injected whole, as one exchange (watchers see both moves, as natively); its second half
     * then changes nothing. Two plain renames would replace {@code to} in the kernel, which
     * marks a replaced directory dead, then move {@code from}'s node back. When it cannot be
     * injected, both entries go from the kernel's caches.
     */
    private void exchanged(String from, String to, long oldParent, String name, long newParent, String newName,
                           long node, long replaced) {
        // The server's look at the new name: if it found the exchange at the old name first (a
        // lookup before its watcher followed the event), it finds the other directory there now.
        boolean swapped = fs.reads().node(newParent, newName) == node;
        if (swapped && injector != null && (view.held(oldParent) || view.held(newParent))) {
            int type = view.mode(node) != 0 ? view.mode(node) & FileMode.S_IFMT : FileMode.S_IFREG;
            FuseEntry entry = EventApplier.standIn(node, type, view.generation(node));
            Injection inj = Injection.exchange(oldParent, name, newParent, newName, entry, node, replaced);
            String absFrom = injector.absolute(from);
            String absTo = injector.absolute(to);
            int rc = injector.perform(inj, () -> InjectedCalls.exchange(absFrom, absTo));
            if (rc == 0 && !inj.performed()) {
                // both names hold one inode in the kernel (a program looked one up since): the
                // exchange succeeded without asking and changed nothing there
                rc = -Errno.ESTALE;
            }
            if (rc == 0) {
                applier.injectedOne(); // the view was swapped by the file system's rename
                exchangeSecondHalf = to + "\0" + from;
                return;
            }
            log.debug("inject exchange {} <-> {}: errno {}", from, to, -rc);
        }
        forgetEntry(oldParent, name);
        forgetEntry(newParent, newName);
        exchangeSecondHalf = to + "\0" + from;
    }
}
