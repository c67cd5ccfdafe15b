package dev.fsdriver.client.events;

import dev.fsdriver.client.LocalWrites;
import dev.fsdriver.fuse.FuseAttr;
import dev.fsdriver.fuse.FuseEntry;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One VFS operation the injector is performing on its own mount, and how the file system must
 * answer the requests it causes (from the injector's thread) without asking the server. A
 * request that does not match is refused ({@link InjectionGate}), never forwarded:
 * <ul>
 * <li>CREATE: LOOKUP of (parent, name) says ENOENT; MKNOD/MKDIR/SYMLINK answer {@code entry}
 *     (the real node, looked up beforehand).</li>
 * <li>DELETE: LOOKUP of (parent, name) answers {@code entry} (the node the kernel holds, or a
 *     ghost); UNLINK/RMDIR succeed if the kernel still holds {@code node} there (a ghost: nothing
 *     the view knows), else ENOENT (a program looked the name up since the applier decided).</li>
 * <li>RENAME: like DELETE for (parent, name); LOOKUP of (newParent, newName) says ENOENT;
 *     RENAME succeeds if the kernel still holds at (parent, name) {@code node} (a ghost: nothing
 *     the view knows) and, exchanged, at (newParent, newName) {@code replaced}, else ENOENT
 *     (a program looked them up since the applier decided); {@link #performed} tells whether
 *     the kernel asked at all (it does not when both names hold one inode).</li>
 * <li>MODIFY / ATTRIB: LOOKUP of (parent, name) answers {@code entry} once, if there is one
 *     (the real node, looked up beforehand, when the kernel held no entry: its reference passes
 *     to the kernel, see {@link #handOver}), else {@code node} with {@code attr} when the kernel
 *     holds it there (its entry expired); a GETATTR or SETATTR of {@code node} answers
 *     {@code attr} (the injector's truncate to the same size, chmod to the same mode), read from
 *     the server, never an event's: the kernel takes its size as i_size. Refused (EAGAIN) once a
 *     program here may have changed the size since ({@link LocalWrites}).</li>
 * </ul>
 */
record Injection(Op op, long parent, String name, long newParent, String newName, FuseEntry entry, long node,
                 FuseAttr attr, long replaced, long stamp, AtomicBoolean handed, AtomicBoolean done) {
    enum Op { CREATE, DELETE, RENAME, MODIFY, ATTRIB }

    Injection(Op op, long parent, String name, long newParent, String newName, FuseEntry entry, long node,
              FuseAttr attr) {
        this(op, parent, name, newParent, newName, entry, node, attr, 0, 0, new AtomicBoolean(), new AtomicBoolean());
    }

    /**
     * A MODIFY or ATTRIB of {@code node}: {@code attr} read from the server after
     * {@link LocalWrites#stamp} gave {@code stamp} (the answers are refused once it moved).
     */
    static Injection change(Op op, long parent, String name, FuseEntry entry, long node, FuseAttr attr, long stamp) {
        return new Injection(op, parent, name, 0, null, entry, node, attr, 0, stamp, new AtomicBoolean(),
                new AtomicBoolean());
    }

    /** A RENAME_EXCHANGE of (parent, name), where the kernel holds {@code node}, with (newParent, newName), where it holds {@code replaced}. */
    static Injection exchange(long parent, String name, long newParent, String newName, FuseEntry entry, long node,
                              long replaced) {
        return new Injection(Op.RENAME, parent, name, newParent, newName, entry, node, null, replaced, 0,
                new AtomicBoolean(), new AtomicBoolean());
    }

    boolean is(long p, String n) {
        return parent == p && name.equals(n);
    }

    boolean isTarget(long p, String n) {
        return op == Op.RENAME && newParent == p && newName.equals(n);
    }

    /** MODIFY / ATTRIB: true the first time only: {@code entry}'s lookup reference now belongs to the kernel. */
    boolean handOver() {
        return entry != null && handed.compareAndSet(false, true);
    }

    boolean handedOver() {
        return handed.get();
    }

    /** RENAME: the kernel's RENAME request was answered (the kernel changed its entries). */
    void markPerformed() {
        done.set(true);
    }

    boolean performed() {
        return done.get();
    }
}
