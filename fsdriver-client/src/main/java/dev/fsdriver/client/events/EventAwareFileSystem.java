package dev.fsdriver.client.events;

import dev.fsdriver.client.CacheStats;
import dev.fsdriver.client.ListingSequences;
import dev.fsdriver.client.CacheStats.Cache;
import dev.fsdriver.common.Errno;
import dev.fsdriver.common.OpenFlags;
import dev.fsdriver.fuse.DirFiller;
import dev.fsdriver.fuse.DirPlusFiller;
import dev.fsdriver.fuse.FuseAttr;
import dev.fsdriver.fuse.FuseAttrReply;
import dev.fsdriver.fuse.FuseConnection;
import dev.fsdriver.fuse.FuseCreated;
import dev.fsdriver.fuse.FuseEntry;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.fuse.FuseFileSystem;
import dev.fsdriver.fuse.FuseOpen;
import dev.fsdriver.fuse.FuseRequest;
import dev.fsdriver.fuse.FuseSetAttr;
import dev.fsdriver.fuse.FuseStatfs;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Wraps the remote file system with what change events need, so that the remote file system
 * itself stays a plain translation of FUSE requests into RPCs:
 * <ul>
 * <li>keeps {@link KernelView} (which names and nodes the kernel holds) up to date from every
 *     reply and FORGET;</li>
 * <li>marks every name made or removed through the mount in the {@link EchoFilter} (for the
 *     overflow resync);</li>
 * <li>answers the {@link Injector}'s own requests locally (see {@link Injection}); whatever
 *     else it forwards passes the {@link InjectionGate}, which refuses every other request of
 *     the injector: an injection never reaches the server;</li>
 * <li>sets entry and attribute timeouts from the {@link CachePolicy}: long while the event
 *     stream is live, short while it is not;</li>
 * <li>answers what it knows of directories without the server ({@link KnownDirs}), and hands
 *     out ghosts and local references ({@link LocalNodes}).</li>
 * </ul>
 * Locking: none of its own beyond the concurrent maps; it never calls the kernel notifier.
 */
public final class EventAwareFileSystem implements FuseFileSystem {
    /** Node ids from here up are ghosts (see {@link LocalNodes}). */
    static final long GHOST_BASE = LocalNodes.GHOST_BASE;

    /** The remote file system behind the gate: every call to the server passes the gate. */
    private final InjectionGate delegate;
    private final KernelView view;
    private final EchoFilter echo;
    private final CachePolicy policy;
    private final Injector injector;
    /** Ghosts, and references to real nodes handed to the kernel locally (see {@link LocalNodes}). */
    private final LocalNodes local = new LocalNodes();
    private volatile FuseConnection connection;
    /**
     * Names the applier is about to announce with an injected create: a READDIRPLUS meanwhile
     * gives them without attributes, so the kernel does not instantiate their dentries (the
     * injected mknod would then fail EEXIST and the watcher never hear of them).
     */
    private final Set<Announcement> announcing = ConcurrentHashMap.newKeySet();

    private record Announcement(long parent, String name) {}

    /** The names watchers know per directory, for the overflow resync (see {@link KnownNames}). */
    private final KnownNames watchedNames = new KnownNames();
    /** What is known of directories without asking the server (see {@link KnownDirs}). */
    private final KnownDirs dirs;

    /** Told of every RELEASEDIR by a program (not the injector): see EventApplier's fresh directories. */
    private volatile java.util.function.LongConsumer dirOpened = node -> { };

    /** Hits and misses of dirAttrs, known and local listings (see {@link CacheStats}). */
    private final CacheStats caches;
    /** The remote side's listing sequences (see {@link KnownNames}); 0 from a file system without them. */
    private final ListingSequences sequences;

    EventAwareFileSystem(FuseFileSystem delegate, KernelView view, EchoFilter echo, CachePolicy policy,
                         Injector injector) {
        this(delegate, view, echo, policy, injector, new CacheStats());
    }

    EventAwareFileSystem(FuseFileSystem delegate, KernelView view, EchoFilter echo, CachePolicy policy,
                         Injector injector, CacheStats caches) {
        this.caches = caches;
        this.delegate = new InjectionGate(delegate, injector);
        this.view = view;
        this.echo = echo;
        this.policy = policy;
        this.injector = injector;
        this.dirs = new KnownDirs(policy, caches, watchedNames);
        this.sequences = delegate instanceof ListingSequences s ? s : fh -> 0;
    }

    /** The server's event sequence of the listing on open directory {@code fh} (0: not known). */
    long listingSequence(long fh) {
        return sequences.eventSequence(fh);
    }

    /**
     * Something changed on the server side (an event arrived: the server sends a mount only
     * other sessions' changes), or the stream state changed: no directory is known complete.
     */
    void changedElsewhere() {
        dirs.changedElsewhere();
    }

    KnownNames watchedNames() {
        return watchedNames;
    }

    void onDirOpened(java.util.function.LongConsumer listener) {
        this.dirOpened = listener;
    }

    /** The applier will inject the creation of {@code name} in {@code parent} (see {@link #announcing}). */
    void announcing(long parent, String name) {
        announcing.add(new Announcement(parent, name));
    }

    /** ...and is done with it. */
    void announced(long parent, String name) {
        announcing.remove(new Announcement(parent, name));
    }

    /** {@code parent}'s entry {@code name} as the kernel holds it: changed too. */
    private void childDirChanged(long parent, String name) {
        dirs.dirChanged(view.child(parent, name));
    }

    FuseConnection connection() {
        return connection;
    }

    /** The way to the server for the events layer: through the gate. */
    FuseFileSystem delegate() {
        return delegate;
    }

    // ---- helpers -----------------------------------------------------------------------------

    private Injection injection(FuseRequest req) {
        return injector != null && injector.isInjected(req.pid()) ? injector.current() : null;
    }

    static boolean isGhost(long node) {
        return LocalNodes.isGhost(node);
    }

    private FuseEntry timed(FuseEntry e) {
        if (e == null || policy == null) {
            return e;
        }
        long t = policy.timeoutNs();
        return new FuseEntry(e.nodeId(), e.generation(), e.attr(), t, e.nodeId() == 0 ? t : t);
    }

    private FuseAttrReply timed(FuseAttrReply a) {
        return a == null || policy == null ? a : new FuseAttrReply(a.attr(), policy.timeoutNs());
    }

    private FuseEntry entered(long parent, String name, FuseEntry e) {
        if (e != null && e.nodeId() != 0) {
            e = asTheKernelHolds(e);
            view.entered(parent, name, e.nodeId(), e.attr() == null ? 0 : e.attr().mode(), e.generation());
        }
        return timed(e);
    }

    /** {@code e} with the generation the kernel's inode of the node has where one side does not know it (see KernelView). */
    private FuseEntry asTheKernelHolds(FuseEntry e) {
        long g = view.generationFor(e.nodeId(), e.generation());
        return g == e.generation() ? e : new FuseEntry(e.nodeId(), g, e.attr(), e.entryTimeoutNs(), e.attrTimeoutNs());
    }

    private String path(long parent, String name) {
        String p = view.pathOf(parent);
        return p == null ? null : p.isEmpty() ? name : p + "/" + name;
    }

    /**
     * A name made (or removed) through the mount: an overflow resync must not announce it as
     * new (see {@link EchoFilter}). Content and attribute changes need no mark: the server does
     * not send them back, and a resync only announces names.
     */
    private void markChanged(long parent, String name) {
        echo.mark(path(parent, name));
    }

    @FunctionalInterface
    private interface Making {
        FuseEntry make() throws FuseException;
    }

    /** {@code name} made in {@code parent} through the mount by {@code op}, with everything that goes with it. */
    private FuseEntry made(long parent, String name, Making op) throws FuseException {
        markChanged(parent, name);
        FuseEntry e;
        try {
            e = op.make();
        } finally {
            dirs.dirChanged(parent);
        }
        dirs.madeIn(parent, name, e);
        return entered(parent, name, e);
    }

    /** An entry answered by us, not the delegate: account the kernel's reference ourselves. */
    private FuseEntry localEntry(long parent, String name, FuseEntry e) {
        if (!isGhost(e.nodeId())) {
            local.handedOut(e.nodeId());
            view.entered(parent, name, e.nodeId(), e.attr() == null ? 0 : e.attr().mode(), e.generation());
        }
        return new FuseEntry(e.nodeId(), e.generation(), e.attr(), 0, 0);
    }

    /** A stand-in node for a name the kernel does not hold, so that unlink/rename can act on it. */
    FuseEntry ghost(int type) {
        return local.ghost(type);
    }

    // ---- lifecycle ---------------------------------------------------------------------------

    @Override
    public void init(FuseConnection c) {
        this.connection = c;
        delegate.init(c);
    }

    @Override
    public void destroy() {
        delegate.destroy();
    }

    // ---- names -------------------------------------------------------------------------------

    @Override
    public FuseEntry lookup(FuseRequest req, long parent, String name) throws FuseException {
        Injection inj = injection(req);
        if (inj != null) {
            if ((inj.op() == Injection.Op.CREATE && inj.is(parent, name)) || inj.isTarget(parent, name)) {
                throw new FuseException(Errno.ENOENT);
            }
            if ((inj.op() == Injection.Op.DELETE || inj.op() == Injection.Op.RENAME) && inj.is(parent, name)) {
                return localEntry(parent, name, inj.entry());
            }
            if ((inj.op() == Injection.Op.MODIFY || inj.op() == Injection.Op.ATTRIB) && inj.is(parent, name)
                    && inj.handOver()) {
                return entered(parent, name, inj.entry()); // the applier's reference, now the kernel's
            }
            // anything else the injection causes: refused by the gate below
        }
        if (dirs.knownAbsent(parent, name)) {
            caches.hit(Cache.ENTRY);
            return timed(FuseEntry.negative(policy.timeoutNs()));
        }
        if (inj == null) {
            caches.miss(Cache.ENTRY);
        }
        long epoch = dirs.epoch();
        FuseEntry e = delegate.lookup(req, parent, name);
        if (e != null) {
            dirs.rememberDir(e.nodeId(), e.attr(), epoch);
        }
        return entered(parent, name, e);
    }

    @Override
    public void lookup(FuseRequest req, long parent, String name, Reply<FuseEntry> reply) throws FuseException {
        if (injection(req) != null) {
            reply.done(lookup(req, parent, name)); // answered here
            return;
        }
        if (dirs.knownAbsent(parent, name)) {
            caches.hit(Cache.ENTRY);
            reply.done(timed(FuseEntry.negative(policy.timeoutNs())));
            return;
        }
        caches.miss(Cache.ENTRY);
        long epoch = dirs.epoch();
        delegate.lookup(req, parent, name, Reply.mapped(reply, e -> {
            if (e != null) {
                dirs.rememberDir(e.nodeId(), e.attr(), epoch);
            }
            return entered(parent, name, e);
        }));
    }

    @Override
    public void forget(long nodeId, long nlookup) {
        if (isGhost(nodeId)) {
            return;
        }
        view.forgotten(nodeId, nlookup);
        if (!view.held(nodeId)) {
            watchedNames.drop(nodeId); // events for it stop being applied: what is known would go stale
        }
        dirs.forgotten(nodeId);
        long rest = local.forgotten(nodeId, nlookup);
        if (rest > 0) {
            delegate.forget(nodeId, rest);
        }
    }

    /**
     * With default_permissions the kernel checks the caller's permission on every directory an
     * injected operation walks and changes, and on a truncated or chmod-ed file, and first asks for
     * their attributes when the ones it holds expired (the applier has just invalidated some). The
     * injected file's come with the event; any other is read by the events layer itself (a read,
     * which the gate lets the applier make): the injector's own request still reaches nothing.
     */
    private FuseAttr injectedAttr(Injection inj, long nodeId) {
        boolean ownNode = (inj.op() == Injection.Op.MODIFY || inj.op() == Injection.Op.ATTRIB) && inj.node() == nodeId;
        return ownNode ? inj.attr() : null;
    }

    @Override
    public FuseAttrReply getattr(FuseRequest req, long nodeId, long fh) throws FuseException {
        Injection inj = injection(req);
        if (inj != null) {
            FuseAttr known = injectedAttr(inj, nodeId);
            if (known != null) {
                return new FuseAttrReply(known, 0);
            }
            req = new InjectionGate.Internal(nodeId);
        }
        if (isGhost(nodeId)) {
            throw new FuseException(Errno.ENOENT);
        }
        if (policy != null && policy.live()) {
            FuseAttr cached = dirs.dirAttr(nodeId);
            if (cached != null) {
                caches.hit(Cache.ATTRIBUTE);
                return new FuseAttrReply(cached, policy.timeoutNs());
            }
        }
        if (inj == null) {
            caches.miss(Cache.ATTRIBUTE);
        }
        long epoch = dirs.epoch();
        FuseAttrReply r = delegate.getattr(req, nodeId, fh);
        if (r != null) {
            dirs.rememberDir(nodeId, r.attr(), epoch);
        }
        return timed(r);
    }

    @Override
    public void getattr(FuseRequest req, long nodeId, long fh, Reply<FuseAttrReply> reply) throws FuseException {
        Injection inj = injection(req);
        if (inj != null) {
            FuseAttr known = injectedAttr(inj, nodeId);
            if (known != null) {
                reply.done(new FuseAttrReply(known, 0));
                return;
            }
            req = new InjectionGate.Internal(nodeId);
        }
        if (isGhost(nodeId)) {
            throw new FuseException(Errno.ENOENT);
        }
        if (policy != null && policy.live()) {
            FuseAttr cached = dirs.dirAttr(nodeId);
            if (cached != null) {
                caches.hit(Cache.ATTRIBUTE);
                reply.done(new FuseAttrReply(cached, policy.timeoutNs()));
                return;
            }
        }
        if (inj == null) {
            caches.miss(Cache.ATTRIBUTE);
        }
        long epoch = dirs.epoch();
        delegate.getattr(req, nodeId, fh, Reply.mapped(reply, r -> {
            if (r != null) {
                dirs.rememberDir(nodeId, r.attr(), epoch);
            }
            return timed(r);
        }));
    }

    @Override
    public FuseAttrReply setattr(FuseRequest req, long nodeId, FuseSetAttr changes) throws FuseException {
        Injection inj = injection(req);
        if (inj != null && (inj.op() == Injection.Op.MODIFY || inj.op() == Injection.Op.ATTRIB)
                && inj.attr() != null && inj.node() == nodeId) {
            // the injector's same-size truncate or same-mode chmod: answer with the server's truth
            return new FuseAttrReply(inj.attr(), 0);
        }
        try {
            return timed(delegate.setattr(req, nodeId, changes));
        } finally {
            dirs.dirChanged(nodeId);
        }
    }

    @Override
    public void setattr(FuseRequest req, long nodeId, FuseSetAttr changes, Reply<FuseAttrReply> reply)
            throws FuseException {
        if (injection(req) != null) {
            reply.done(setattr(req, nodeId, changes)); // answered here, or refused
            return;
        }
        try {
            delegate.setattr(req, nodeId, changes, new Reply<>() {
                @Override
                public void done(FuseAttrReply value) {
                    dirs.dirChanged(nodeId);
                    reply.done(timed(value));
                }

                @Override
                public void failed(int errno) {
                    dirs.dirChanged(nodeId);
                    reply.failed(errno);
                }
            });
        } catch (FuseException | RuntimeException e) {
            dirs.dirChanged(nodeId);
            throw e;
        }
    }

    @Override
    public String readlink(FuseRequest req, long nodeId) throws FuseException {
        return delegate.readlink(req, nodeId);
    }

    private FuseEntry injectedCreate(FuseRequest req, long parent, String name) {
        Injection inj = injection(req);
        return inj != null && inj.op() == Injection.Op.CREATE && inj.is(parent, name) ? inj.entry() : null;
    }

    @Override
    public FuseEntry symlink(FuseRequest req, long parent, String name, String target) throws FuseException {
        FuseEntry injected = injectedCreate(req, parent, name);
        if (injected != null) {
            return entered(parent, name, injected);
        }
        return made(parent, name, () -> delegate.symlink(req, parent, name, target));
    }

    @Override
    public FuseEntry mknod(FuseRequest req, long parent, String name, int mode, int rdev, int umask) throws FuseException {
        FuseEntry injected = injectedCreate(req, parent, name);
        if (injected != null) {
            return entered(parent, name, injected);
        }
        return made(parent, name, () -> delegate.mknod(req, parent, name, mode, rdev, umask));
    }

    @Override
    public FuseEntry mkdir(FuseRequest req, long parent, String name, int mode, int umask) throws FuseException {
        FuseEntry injected = injectedCreate(req, parent, name);
        if (injected != null) {
            return entered(parent, name, injected);
        }
        FuseEntry e = made(parent, name, () -> delegate.mkdir(req, parent, name, mode, umask));
        dirs.createdDir(e.nodeId());
        return e;
    }

    @Override
    public void unlink(FuseRequest req, long parent, String name) throws FuseException {
        Injection inj = injection(req);
        if (inj == null || inj.op() != Injection.Op.DELETE || !inj.is(parent, name)) {
            markChanged(parent, name);
            try {
                delegate.unlink(req, parent, name);
            } finally {
                dirs.dirChanged(parent);
            }
            dirs.removedByThisMount(parent, name);
        }
        dirs.goneFrom(parent, name);
        view.removed(parent, name);
    }

    @Override
    public void unlink(FuseRequest req, long parent, String name, Completion done) throws FuseException {
        Injection inj = injection(req);
        if (inj != null && inj.op() == Injection.Op.DELETE && inj.is(parent, name)) {
            unlink(req, parent, name); // answered here
            done.done(0);
            return;
        }
        markChanged(parent, name);
        delegate.unlink(req, parent, name, errno -> {
            dirs.dirChanged(parent);
            if (errno == 0) {
                dirs.removedByThisMount(parent, name);
                dirs.goneFrom(parent, name);
                view.removed(parent, name);
            }
            done.done(errno);
        });
    }

    @Override
    public void rmdir(FuseRequest req, long parent, String name, Completion done) throws FuseException {
        Injection inj = injection(req);
        if (inj != null && inj.op() == Injection.Op.DELETE && inj.is(parent, name)) {
            rmdir(req, parent, name);
            done.done(0);
            return;
        }
        markChanged(parent, name);
        delegate.rmdir(req, parent, name, errno -> {
            dirs.dirChanged(parent);
            childDirChanged(parent, name);
            if (errno == 0) {
                dirs.removedByThisMount(parent, name);
                dirs.goneFrom(parent, name);
                view.removed(parent, name);
            }
            done.done(errno);
        });
    }

    @Override
    public void rmdir(FuseRequest req, long parent, String name) throws FuseException {
        Injection inj = injection(req);
        if (inj == null || inj.op() != Injection.Op.DELETE || !inj.is(parent, name)) {
            markChanged(parent, name);
            try {
                delegate.rmdir(req, parent, name);
            } finally {
                dirs.dirChanged(parent);
                childDirChanged(parent, name);
            }
            dirs.removedByThisMount(parent, name);
        }
        dirs.goneFrom(parent, name);
        view.removed(parent, name);
    }

    @Override
    public void rename(FuseRequest req, long parent, String name, long newParent, String newName, int flags)
            throws FuseException {
        Injection inj = injection(req);
        if (inj == null || inj.op() != Injection.Op.RENAME || !inj.is(parent, name) || !inj.isTarget(newParent, newName)) {
            markChanged(parent, name);
            markChanged(newParent, newName);
            long moved = view.child(parent, name);
            long replaced = view.child(newParent, newName);
            try {
                delegate.rename(req, parent, name, newParent, newName, flags);
            } finally {
                dirs.dirChanged(parent);
                dirs.dirChanged(newParent);
                dirs.dirChanged(moved);    // a directory moved: its ".." and ctime
                dirs.dirChanged(replaced); // one replaced or exchanged
            }
            if ((flags & OpenFlags.RENAME_EXCHANGE) == 0) {
                dirs.removedByThisMount(parent, name);
            }
        }
        if ((flags & OpenFlags.RENAME_EXCHANGE) == 0) {
            KnownDirs.Made m = dirs.goneFrom(parent, name);
            dirs.madeIn(newParent, newName, m == null ? KnownDirs.UNKNOWN : m);
        } else {
            // both names stay, each now naming the other's file
            if (dirs.knows(parent, name)) {
                dirs.madeIn(parent, name, KnownDirs.UNKNOWN);
            }
            dirs.madeIn(newParent, newName, KnownDirs.UNKNOWN);
        }
        if ((flags & OpenFlags.RENAME_EXCHANGE) == 0) {
            view.renamed(parent, name, newParent, newName);
        } else {
            view.exchanged(parent, name, newParent, newName);
        }
    }

    @Override
    public FuseEntry link(FuseRequest req, long nodeId, long newParent, String newName) throws FuseException {
        return made(newParent, newName, () -> delegate.link(req, nodeId, newParent, newName));
    }

    // ---- files -------------------------------------------------------------------------------

    @Override
    public FuseOpen open(FuseRequest req, long nodeId, int flags) throws FuseException {
        return delegate.open(req, nodeId, flags);
    }

    @Override
    public FuseOpen open(FuseRequest req, long nodeId, int flags, boolean killSuidgid) throws FuseException {
        return delegate.open(req, nodeId, flags, killSuidgid);
    }

    @Override
    public int read(FuseRequest req, long nodeId, long fh, long offset, int size, ByteBuffer dst) throws FuseException {
        return delegate.read(req, nodeId, fh, offset, size, dst);
    }

    @Override
    public int write(FuseRequest req, long nodeId, long fh, long offset, ByteBuffer src, int writeFlags)
            throws FuseException {
        return delegate.write(req, nodeId, fh, offset, src, writeFlags);
    }

    @Override
    public void flush(FuseRequest req, long nodeId, long fh, long lockOwner) throws FuseException {
        delegate.flush(req, nodeId, fh, lockOwner);
    }

    @Override
    public void release(FuseRequest req, long nodeId, long fh, int flags) throws FuseException {
        delegate.release(req, nodeId, fh, flags);
    }

    @Override
    public void fsync(FuseRequest req, long nodeId, long fh, boolean datasync) throws FuseException {
        delegate.fsync(req, nodeId, fh, datasync);
    }

    @Override
    public FuseCreated create(FuseRequest req, long parent, String name, int mode, int flags, int umask)
            throws FuseException {
        markChanged(parent, name);
        FuseCreated c;
        try {
            c = delegate.create(req, parent, name, mode, flags, umask);
        } finally {
            dirs.dirChanged(parent);
        }
        dirs.madeIn(parent, name, c.entry());
        return new FuseCreated(entered(parent, name, c.entry()), c.open());
    }

    @Override
    public void fallocate(FuseRequest req, long nodeId, long fh, long offset, long length, int mode)
            throws FuseException {
        delegate.fallocate(req, nodeId, fh, offset, length, mode);
    }

    @Override
    public long lseek(FuseRequest req, long nodeId, long fh, long offset, int whence) throws FuseException {
        return delegate.lseek(req, nodeId, fh, offset, whence);
    }

    @Override
    public long copyFileRange(FuseRequest req, long nodeIn, long fhIn, long offIn, long nodeOut, long fhOut,
                              long offOut, long length, int flags) throws FuseException {
        return delegate.copyFileRange(req, nodeIn, fhIn, offIn, nodeOut, fhOut, offOut, length, flags);
    }

    // ---- directories -------------------------------------------------------------------------

    @Override
    public FuseOpen opendir(FuseRequest req, long nodeId, int flags) throws FuseException {
        FuseOpen open = delegate.opendir(req, nodeId, flags);
        if (injection(req) == null) {
            watchedNames.opened(nodeId, open.fh());
        }
        if (policy != null && policy.live()) {
            // While events flow, the kernel may keep directory listings in its page cache: every
            // server-side change to the directory drops them (EventApplier's INVAL_INODE of the
            // parent) and the kernel versions the changes made through the mount itself.
            return new FuseOpen(open.fh(), open.openFlags() | FuseOpen.FOPEN_CACHE_DIR | FuseOpen.FOPEN_KEEP_CACHE);
        }
        return open;
    }

    @Override
    public void readdir(FuseRequest req, long nodeId, long fh, long offset, DirFiller filler) throws FuseException {
        List<Map.Entry<String, KnownDirs.Made>> local = dirs.localListing(nodeId, fh, offset);
        if (local != null) {
            KnownDirs.serveLocal(nodeId, local, offset, filler);
            return;
        }
        delegate.readdir(req, nodeId, fh, offset, (name, ino, mode, next) -> {
            boolean added = filler.add(name, ino, mode, next);
            if (added) {
                watchedNames.listed(nodeId, fh, name, ino, sequences.eventSequence(fh));
            }
            return added;
        });
    }

    @Override
    public void readdirplus(FuseRequest req, long nodeId, long fh, long offset, DirPlusFiller filler)
            throws FuseException {
        List<Map.Entry<String, KnownDirs.Made>> local = dirs.localListing(nodeId, fh, offset);
        if (local != null) {
            KnownDirs.serveLocal(nodeId, local, offset, (name, ino, mode, next) -> filler.add(name,
                    new FuseEntry(0, 0, new FuseAttr(ino, 0, 0, 0, 0, 0, mode, 1, 0, 0, 0, 4096), 0, 0), next));
            return;
        }
        long epoch = dirs.epoch();
        delegate.readdirplus(req, nodeId, fh, offset, (name, entry, next) -> {
            if (entry.nodeId() != 0 && !announcing.isEmpty() && announcing.contains(new Announcement(nodeId, name))) {
                boolean added = filler.add(name, new FuseEntry(0, 0, entry.attr(), 0, 0), next);
                if (added) {
                    delegate.forget(entry.nodeId(), 1); // the kernel takes no reference to it
                }
                return added;
            }
            FuseEntry e = entry.nodeId() == 0 ? entry : timed(asTheKernelHolds(entry));
            boolean added = filler.add(name, e, next);
            if (added) {
                watchedNames.listed(nodeId, fh, name, entry.attr() == null ? 0 : entry.attr().ino(),
                        sequences.eventSequence(fh));
            }
            if (added && entry.nodeId() != 0) {
                view.entered(nodeId, name, entry.nodeId(), entry.attr() == null ? 0 : entry.attr().mode(),
                        e.generation());
                dirs.rememberDir(entry.nodeId(), entry.attr(), epoch);
            }
            return added;
        });
    }

    @Override
    public void releasedir(FuseRequest req, long nodeId, long fh) throws FuseException {
        dirs.closed(fh);
        watchedNames.closed(fh);
        delegate.releasedir(req, nodeId, fh);
        if (injection(req) == null) {
            dirOpened.accept(nodeId);
        }
    }

    @Override
    public void fsyncdir(FuseRequest req, long nodeId, long fh, boolean datasync) throws FuseException {
        delegate.fsyncdir(req, nodeId, fh, datasync);
    }

    // ---- the rest: plain delegation ------------------------------------------------------------

    @Override
    public FuseStatfs statfs(FuseRequest req, long nodeId) throws FuseException {
        return delegate.statfs(req, nodeId);
    }

    @Override
    public void access(FuseRequest req, long nodeId, int mask) throws FuseException {
        delegate.access(req, nodeId, mask);
    }

    @Override
    public byte[] getxattr(FuseRequest req, long nodeId, String name) throws FuseException {
        if (injection(req) != null) {
            // the kernel asks before the injected truncate whether it must drop privileges
            // (security.capability): the injection changes nothing, so there are none to drop
            throw new FuseException(Errno.ENODATA);
        }
        return delegate.getxattr(req, nodeId, name);
    }

    @Override
    public List<String> listxattr(FuseRequest req, long nodeId) throws FuseException {
        return delegate.listxattr(req, nodeId);
    }

    @Override
    public void setxattr(FuseRequest req, long nodeId, String name, byte[] value, int flags) throws FuseException {
        try {
            delegate.setxattr(req, nodeId, name, value, flags);
        } finally {
            dirs.dirChanged(nodeId); // its ctime
        }
    }

    @Override
    public void removexattr(FuseRequest req, long nodeId, String name) throws FuseException {
        try {
            delegate.removexattr(req, nodeId, name);
        } finally {
            dirs.dirChanged(nodeId);
        }
    }
}
