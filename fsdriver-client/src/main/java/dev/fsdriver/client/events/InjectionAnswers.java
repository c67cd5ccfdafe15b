package dev.fsdriver.client.events;

import dev.fsdriver.client.LocalWrites;
import dev.fsdriver.common.Errno;
import dev.fsdriver.common.OpenFlags;
import dev.fsdriver.fuse.FuseAttr;
import dev.fsdriver.fuse.FuseAttrReply;
import dev.fsdriver.fuse.FuseEntry;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.fuse.FuseRequest;
import dev.fsdriver.fuse.FuseSetAttr;

/**
 * The file system the kernel talks to when events are injected: in front of
 * {@link EventAwareFileSystem}, it answers the requests the {@link Injector}'s operation in
 * progress causes (see {@link Injection} for what each answer is), with the events layer's
 * bookkeeping of what it hands the kernel but without the server. Everything else, the
 * injector's requests that do not match included, passes on, and the {@link InjectionGate}
 * behind the events layer refuses whatever of the injector's would reach the server.
 *
 * <p>Locking: none; the injection in progress is the injector's volatile field, and a request
 * is answered from it only on the injecting thread, which waits in the kernel meanwhile.
 */
final class InjectionAnswers extends ForwardingFileSystem {
    private final EventAwareFileSystem fs;
    private final Injector injector;
    /** The mount's own writes, kept by the file system the requests reach (see {@link LocalWrites}). */
    private final LocalWrites writers;

    InjectionAnswers(EventAwareFileSystem fs, Injector injector) {
        super(fs);
        this.fs = fs;
        this.injector = injector;
        this.writers = injector.writes();
    }

    /** The injection that caused {@code req}, or null for any other request. */
    private Injection injection(FuseRequest req) {
        return injector.isInjected(req.pid()) ? injector.current() : null;
    }

    private static boolean changesContent(Injection inj) {
        return inj.op() == Injection.Op.MODIFY || inj.op() == Injection.Op.ATTRIB;
    }

    // ---- names -------------------------------------------------------------------------------

    @Override
    public void lookup(FuseRequest req, long parent, String name, Reply<FuseEntry> reply) throws FuseException {
        Injection inj = injection(req);
        if (inj != null) { // answered here
            if ((inj.op() == Injection.Op.CREATE && inj.is(parent, name)) || inj.isTarget(parent, name)) {
                throw new FuseException(Errno.ENOENT);
            }
            if ((inj.op() == Injection.Op.DELETE || inj.op() == Injection.Op.RENAME) && inj.is(parent, name)) {
                reply.done(fs.entries().localEntry(parent, name, inj.entry()));
                return;
            }
            if (changesContent(inj) && inj.is(parent, name) && inj.entry() != null
                    && !writers.unchangedSince(inj.node(), inj.stamp())) {
                throw new FuseException(Errno.EAGAIN); // its attributes may be older than the kernel's (see injectedAttr)
            }
            if (changesContent(inj) && inj.is(parent, name) && inj.handOver()) {
                reply.done(fs.entries().injected(parent, name, inj.entry())); // the applier's reference, now the kernel's
                return;
            }
            if (changesContent(inj) && inj.is(parent, name) && inj.entry() == null && inj.attr() != null
                    && fs.heldAt(parent, name) == inj.node() && fs.holdsAs(inj.node(), inj.attr().mode())) {
                // the kernel holds the file there and its entry expired (the short timeout of a
                // storm or a backlog): the node it holds, with the attributes the injection carries
                if (!writers.unchangedSince(inj.node(), inj.stamp())) {
                    throw new FuseException(Errno.EAGAIN); // as injectedAttr
                }
                reply.done(fs.entries().localEntry(parent, name,
                        new FuseEntry(inj.node(), fs.generation(inj.node()), inj.attr(), 0, 0)));
                return;
            }
            if (!inj.is(parent, name) && fs.heldDirAt(parent, name)) {
                // a directory on the injected path whose entry expired (the short timeout of a
                // storm or a backlog): read as the events layer's own, as getattr is below; a
                // name the kernel does not hold (a wrong path) is refused at the gate
                fs.lookupOwn(parent, name, reply);
                return;
            }
            // anything else the injection causes: refused by the gate behind the events layer
        }
        fs.lookup(req, parent, name, reply);
    }

    /**
     * With default_permissions the kernel checks the caller's permission on every directory an
     * injected operation walks and changes, and on a truncated or chmod-ed file, and first asks for
     * their attributes when the ones it holds expired (the applier has just invalidated some). The
     * injected file's come with the event (null: any other node).
     */
    private FuseAttr injectedAttr(Injection inj, long nodeId) throws FuseException {
        if (!changesContent(inj) || inj.node() != nodeId || inj.attr() == null) {
            return null;
        }
        if (!writers.unchangedSince(nodeId, inj.stamp())) {
            // A program here opened, wrote or resized the file since the applier read its size:
            // the kernel's may be ahead of it, and taking it would cut the file (issue 9).
            // Refused, the injected call fails: no IN_MODIFY, the kernel's size kept.
            throw new FuseException(Errno.EAGAIN, "the file changed here since the injected size was read");
        }
        return inj.attr();
    }

    /**
     * Any other node's attributes are read by the events layer itself ({@link
     * EventAwareFileSystem#getattrOwn}): the injector's own request still reaches nothing.
     */
    @Override
    public void getattr(FuseRequest req, long nodeId, long fh, Reply<FuseAttrReply> reply) throws FuseException {
        Injection inj = injection(req);
        if (inj != null) {
            FuseAttr known = injectedAttr(inj, nodeId);
            if (known != null) {
                reply.done(new FuseAttrReply(known, 0));
                return;
            }
            fs.getattrOwn(nodeId, reply);
            return;
        }
        fs.getattr(req, nodeId, fh, reply);
    }

    @Override
    public void setattr(FuseRequest req, long nodeId, FuseSetAttr changes, Reply<FuseAttrReply> reply)
            throws FuseException {
        Injection inj = injection(req);
        FuseAttr known = inj == null ? null : injectedAttr(inj, nodeId);
        if (known != null) {
            // the injector's same-size truncate or same-mode chmod: answer with the server's truth
            reply.done(new FuseAttrReply(known, 0));
            return;
        }
        fs.setattr(req, nodeId, changes, reply); // any other of the injector's: refused at the gate
    }

    /** The injected create's node (looked up beforehand), or null. */
    private FuseEntry injectedCreate(FuseRequest req, long parent, String name) {
        Injection inj = injection(req);
        return inj != null && inj.op() == Injection.Op.CREATE && inj.is(parent, name) ? inj.entry() : null;
    }

    @Override
    public FuseEntry symlink(FuseRequest req, long parent, String name, String target) throws FuseException {
        FuseEntry injected = injectedCreate(req, parent, name);
        return injected != null ? fs.entries().injected(parent, name, injected) : fs.symlink(req, parent, name, target);
    }

    @Override
    public FuseEntry mknod(FuseRequest req, long parent, String name, int mode, int rdev, int umask)
            throws FuseException {
        FuseEntry injected = injectedCreate(req, parent, name);
        return injected != null ? fs.entries().injected(parent, name, injected) : fs.mknod(req, parent, name, mode, rdev, umask);
    }

    @Override
    public FuseEntry mkdir(FuseRequest req, long parent, String name, int mode, int umask) throws FuseException {
        FuseEntry injected = injectedCreate(req, parent, name);
        return injected != null ? fs.entries().injected(parent, name, injected) : fs.mkdir(req, parent, name, mode, umask);
    }

    /**
     * Whether {@code req} is the injected delete's UNLINK/RMDIR; refused (ENOENT) unless the kernel
     * still holds at the name the node the applier decided on (a ghost: none). A program's LOOKUP
     * or READDIRPLUS since then gave the kernel the server's current file there (deleted and made
     * again on the server), which the unlink would remove from the kernel, and an rmdir kill for
     * good (as with {@link #rename}). Refused, the kernel drops its entry (and the applier tries again, see EventApplier#deleted).
     */
    private boolean injectedDelete(FuseRequest req, long parent, String name) throws FuseException {
        Injection inj = injection(req);
        if (inj == null || inj.op() != Injection.Op.DELETE || !inj.is(parent, name)) {
            return false;
        }
        if (fs.heldAt(parent, name) != (LocalNodes.isGhost(inj.node()) ? 0 : inj.node())) {
            throw new FuseException(Errno.ENOENT);
        }
        return true;
    }

    @Override
    public void unlink(FuseRequest req, long parent, String name, Reply<Void> done) throws FuseException {
        if (injectedDelete(req, parent, name)) {
            fs.removed(parent, name);
            done.done(null);
        } else {
            fs.unlink(req, parent, name, done);
        }
    }

    @Override
    public void rmdir(FuseRequest req, long parent, String name, Reply<Void> done) throws FuseException {
        if (injectedDelete(req, parent, name)) {
            fs.removed(parent, name);
            done.done(null);
        } else {
            fs.rmdir(req, parent, name, done);
        }
    }

    @Override
    public void rename(FuseRequest req, long parent, String name, long newParent, String newName, int flags)
            throws FuseException {
        Injection inj = injection(req);
        if (inj != null && inj.op() == Injection.Op.RENAME && inj.is(parent, name) && inj.isTarget(newParent, newName)) {
            boolean exchange = (flags & OpenFlags.RENAME_EXCHANGE) != 0;
            if (fs.heldAt(parent, name) != (LocalNodes.isGhost(inj.node()) ? 0 : inj.node())
                    || exchange && fs.heldAt(newParent, newName) != inj.replaced()) {
                // A program looked a name up since the applier decided (ConcurrentStress seed 4):
                // the kernel would move or swap the server's current files, not the ones the event
                // is about. Refused: the kernel drops both entries, the applier its view of them.
                throw new FuseException(Errno.ENOENT);
            }
            fs.renamed(parent, name, newParent, newName, flags);
            inj.markPerformed();
        } else {
            fs.rename(req, parent, name, newParent, newName, flags);
        }
    }

    @Override
    public byte[] getxattr(FuseRequest req, long nodeId, String name) throws FuseException {
        if (injection(req) != null) {
            // the kernel asks before the injected truncate whether it must drop privileges
            // (security.capability): the injection changes nothing, so there are none to drop
            throw new FuseException(Errno.ENODATA);
        }
        return fs.getxattr(req, nodeId, name);
    }
}
