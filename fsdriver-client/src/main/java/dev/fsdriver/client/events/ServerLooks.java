package dev.fsdriver.client.events;

import dev.fsdriver.fuse.FuseEntry;
import dev.fsdriver.fuse.FuseException;

/**
 * What the server has at a name now, asked by the {@link EventApplier} (a read through the gate)
 * before it changes what the kernel holds: events can be late, and the kernel may have been told
 * of the name's current file after the change an event describes. Each look's reference is given
 * back at once (the kernel takes none).
 */
final class ServerLooks {
    private final EventAwareFileSystem fs;
    private final KernelView view;

    ServerLooks(EventAwareFileSystem fs, KernelView view) {
        this.fs = fs;
        this.view = view;
    }

    /** The entry the server has at {@code name} in {@code parent} now, or null (none, or not known). */
    private FuseEntry look(long parent, String name) {
        try {
            FuseEntry now = fs.delegate().lookup(new InjectionGate.Internal(parent), parent, name);
            if (now == null || now.nodeId() == 0) {
                return null;
            }
            fs.delegate().forget(now.nodeId(), 1);
            return now;
        } catch (FuseException gone) {
            return null;
        }
    }

    /** The node the server has at {@code name} in {@code parent} now, 0 if none (or unknown). */
    long node(long parent, String name) {
        FuseEntry now = look(parent, name);
        return now == null ? 0 : now.nodeId();
    }

    /**
     * Whether the server has at {@code name} in {@code parent} now the very file the kernel holds as
     * {@code node}: the same id and generation (a known 0 matches any, as everywhere).
     */
    boolean holds(long parent, String name, long node) {
        FuseEntry now = look(parent, name);
        if (now == null || now.nodeId() != node) {
            return false;
        }
        long held = view.generation(node);
        return held == 0 || now.generation() == 0 || held == now.generation();
    }
}
