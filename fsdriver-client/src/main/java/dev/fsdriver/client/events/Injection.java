package dev.fsdriver.client.events;

import dev.fsdriver.fuse.FuseAttr;
import dev.fsdriver.fuse.FuseEntry;

/**
 * One VFS operation the injector is performing on its own mount, and how the file system must
 * answer the requests it causes (from the injector's pid) without asking the server:
 * <ul>
 * <li>CREATE: LOOKUP of (parent, name) says ENOENT; MKNOD/MKDIR/SYMLINK answer {@code entry}
 *     (the real node, looked up beforehand).</li>
 * <li>DELETE: LOOKUP of (parent, name) answers {@code entry} (the node the kernel holds, or a
 *     ghost); UNLINK/RMDIR succeed.</li>
 * <li>RENAME: like DELETE for (parent, name); LOOKUP of (newParent, newName) says ENOENT;
 *     RENAME succeeds.</li>
 * <li>MODIFY / ATTRIB: a SETATTR answers {@code attr}, or when null the server's current
 *     attributes (the injector's truncate to the same size, chmod to the same mode).</li>
 * </ul>
 */
record Injection(Op op, long parent, String name, long newParent, String newName, FuseEntry entry, long node,
                 FuseAttr attr) {
    enum Op { CREATE, DELETE, RENAME, MODIFY, ATTRIB }

    boolean is(long p, String n) {
        return parent == p && name.equals(n);
    }

    boolean isTarget(long p, String n) {
        return op == Op.RENAME && newParent == p && newName.equals(n);
    }
}
