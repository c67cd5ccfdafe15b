package dev.fsdriver.client.events;

import dev.fsdriver.fuse.FuseNotifier;
import java.util.HashSet;
import java.util.Set;

/**
 * Files a change on the server's side replaced or deleted at a name, which the kernel may still
 * hold by other names (hard links): their link count fell, and the kernel learns that only from
 * fresh attributes. Where it no longer has them at that name (it looked the name up again before
 * the event came, or while the event was injected: see KernelView#takeDisplaced), nothing else
 * tells it (ConcurrentStress seed 21: "native nlink 1 | mount nlink 2"; issue 9). Attributes only,
 * dropped in the kernel: nothing reaches the server.
 *
 * <p>Runs on the applier's thread; no state of its own.
 */
final class ReplacedFiles {
    private final KernelView view;
    private final FuseNotifier notifier;

    ReplacedFiles(KernelView view, FuseNotifier notifier) {
        this.view = view;
        this.notifier = notifier;
    }

    /** After a change of {@code parent}/{@code name} that replaced or deleted {@code before} there (0: none known). */
    void refresh(long parent, String name, long before) {
        if (parent == 0) {
            return;
        }
        Set<Long> nodes = new HashSet<>(view.takeDisplaced(parent, name));
        if (before != 0) {
            nodes.add(before);
        }
        for (long node : nodes) {
            if (view.held(node)) {
                notifier.invalInode(node, -1, 0);
            }
        }
    }
}
