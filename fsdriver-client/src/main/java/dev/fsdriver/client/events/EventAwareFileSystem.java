package dev.fsdriver.client.events;

import dev.fsdriver.client.OwnReads;
import dev.fsdriver.client.cache.CacheStats;
import dev.fsdriver.common.FileMode;
import dev.fsdriver.common.OpenFlags;
import dev.fsdriver.fuse.DirFiller;
import dev.fsdriver.fuse.DirPlusFiller;
import dev.fsdriver.fuse.FuseAttrReply;
import dev.fsdriver.fuse.FuseCreated;
import dev.fsdriver.fuse.FuseEntry;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.fuse.FuseFileSystem;
import dev.fsdriver.fuse.FuseOpen;
import dev.fsdriver.fuse.FuseRequest;
import dev.fsdriver.fuse.FuseSetAttr;
import java.util.function.LongConsumer;

/**
 * Wraps the remote file system with what change events need, so that the remote file system
 * itself stays a plain translation of FUSE requests into RPCs:
 * <ul>
 * <li>keeps {@link KernelView} (which names and nodes the kernel holds) up to date from every
 *     reply and FORGET, through {@link KernelEntries}, which also sets the timeouts and counts
 *     ghosts and local references;</li>
 * <li>marks every name made or removed through the mount in the {@link EchoFilter} (for the
 *     overflow resync);</li>
 * <li>lends {@link InjectionAnswers}, in front of it, the bookkeeping of the injector's requests
 *     answered locally; whatever it forwards passes the {@link InjectionGate}, which refuses
 *     every other request of the injector: an injection never reaches the server;</li>
 * <li>answers what it knows of directories without the server ({@link KnownDirs}; lookups and
 *     getattrs through {@link KnownAnswers});</li>
 * <li>hands listings to the kernel through {@link KernelListings} (the watchers' names, names
 *     about to be announced).</li>
 * </ul>
 * Locking: none of its own beyond the concurrent maps; it never calls the kernel notifier.
 */
public final class EventAwareFileSystem extends ForwardingFileSystem {
    /** The remote file system behind the gate: every call to the server passes the gate. */
    private final InjectionGate delegate;
    private final KernelView view;
    private final EchoFilter echo;
    /** Entries and attributes as handed to the kernel: view, timeouts, local references (see {@link KernelEntries}). */
    private final KernelEntries entries;

    /** The names watchers know per directory, for the overflow resync (see {@link KnownNames}). */
    private final KnownNames watchedNames = new KnownNames();
    /** What is known of directories without asking the server (see {@link KnownDirs}). */
    private final KnownDirs dirs;
    /** Directory listings handed to the kernel (see {@link KernelListings}). */
    private final KernelListings listings;
    /** What the applier asks of the server itself (see {@link ServerReads}). */
    private final ServerReads reads;

    /** Lookups and getattrs, answered from {@code dirs} when it can (see {@link KnownAnswers}). */
    private final KnownAnswers answers;

    /**
     * @param delegate the remote file system, for the kernel's requests
     * @param ownReads the same, for what the events layer reads for itself (see {@link OwnReads})
     */
    EventAwareFileSystem(FuseFileSystem delegate, OwnReads ownReads, KernelView view, EchoFilter echo,
                         CachePolicy policy, Injector injector) {
        this(delegate, ownReads, view, echo, policy, injector, new CacheStats());
    }

    EventAwareFileSystem(FuseFileSystem delegate, OwnReads ownReads, KernelView view, EchoFilter echo,
                         CachePolicy policy, Injector injector, CacheStats caches) {
        this(new InjectionGate(delegate, injector), ownReads, view, echo, policy, caches);
    }

    private EventAwareFileSystem(InjectionGate gate, OwnReads ownReads, KernelView view, EchoFilter echo,
                                 CachePolicy policy, CacheStats caches) {
        super(gate); // what is not overridden here passes the gate unchanged
        this.delegate = gate;
        this.view = view;
        this.echo = echo;
        this.entries = new KernelEntries(view, policy);
        this.dirs = new KnownDirs(policy, caches, watchedNames);
        this.answers = new KnownAnswers(gate, ownReads, dirs, entries, policy, caches);
        this.listings = new KernelListings(gate, view, dirs, policy, watchedNames, ownReads, entries::listed);
        this.reads = new ServerReads(ownReads);
    }

    /**
     * Something changed on the server side (an event arrived: the server sends a mount only
     * other sessions' changes), or the stream state changed: no directory is known complete.
     */
    void changedElsewhere() {
        dirs.changedElsewhere();
    }

    /** The kernel was answered attributes of {@code node} ahead of the server: those kept of it go. */
    void attrsStale(long node) {
        dirs.dirChanged(node);
    }

    KnownNames watchedNames() {
        return watchedNames;
    }

    void onDirOpened(LongConsumer listener) {
        listings.onDirOpened(listener);
    }

    /** The applier will inject the creation of {@code name} in {@code parent} (see {@link KernelListings}). */
    void announcing(long parent, String name) {
        listings.announcing(parent, name);
    }

    /** ...and is done with it. */
    void announced(long parent, String name) {
        listings.announced(parent, name);
    }

    /** {@code parent}'s entry {@code name} as the kernel holds it: changed too. */
    private void childDirChanged(long parent, String name) {
        dirs.dirChanged(view.child(parent, name));
    }

    /** What the kernel is handed: for the local answers in front of this layer ({@link InjectionAnswers}). */
    KernelEntries entries() {
        return entries;
    }

    /** The node the kernel holds (as far as the view knows) at {@code name} in {@code parent}, 0 if none. */
    long heldAt(long parent, String name) {
        return view.child(parent, name);
    }

    /** The generation the kernel's inode of {@code node} was given (see {@link KernelView#generation}). */
    long generation(long node) {
        return view.generation(node);
    }

    /**
     * Whether the kernel holds {@code node} with the type of {@code mode} (a node id a server
     * without generations reused for a file of another type would make the kernel's inode bad).
     */
    boolean holdsAs(long node, int mode) {
        return (view.mode(node) & FileMode.S_IFMT) == (mode & FileMode.S_IFMT);
    }

    /** Whether the kernel holds a directory at {@code name} in {@code parent}. */
    boolean heldDirAt(long parent, String name) {
        long node = view.child(parent, name);
        return node != 0 && FileMode.isDirectory(view.mode(node));
    }

    /** The events layer's own reads of the server: through the gate. */
    ServerReads reads() {
        return reads;
    }

    // ---- helpers -----------------------------------------------------------------------------

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
        long stampToken = entries.stampToken();
        FuseEntry e;
        try {
            e = op.make();
        } finally {
            dirs.dirChanged(parent);
        }
        dirs.madeIn(parent, name, e);
        return entries.entered(parent, name, e, stampToken);
    }

    /** A stand-in node for a name the kernel does not hold, so that unlink/rename can act on it. */
    FuseEntry ghost(int type) {
        return entries.ghost(type);
    }

    // ---- names -------------------------------------------------------------------------------

    @Override
    public void lookup(FuseRequest req, long parent, String name, Reply<FuseEntry> reply) throws FuseException {
        answers.lookup(req, parent, name, reply);
    }

    @Override
    public void forget(long nodeId, long nlookup) {
        if (LocalNodes.isGhost(nodeId)) {
            return;
        }
        view.forgotten(nodeId, nlookup);
        if (!view.held(nodeId)) {
            watchedNames.drop(nodeId); // events for it stop being applied: what is known would go stale
            listings.kept().forgotten(nodeId);
        }
        dirs.forgotten(nodeId);
        long rest = entries.forgotten(nodeId, nlookup);
        if (rest > 0) {
            delegate.forget(nodeId, rest);
        }
    }

    @Override
    public void getattr(FuseRequest req, long nodeId, long fh, Reply<FuseAttrReply> reply) throws FuseException {
        answers.getattr(req, nodeId, fh, reply);
    }

    /** The directories whose listings the kernel may keep (see {@link KernelListings#mayKeep}). */
    KernelKeptListings keptListings() {
        return listings.kept();
    }

    /** LOOKUP for the injector's operation, read as the events layer's own (see {@link KnownAnswers#lookupOwn}). */
    void lookupOwn(long parent, String name, Reply<FuseEntry> reply) throws FuseException {
        answers.lookupOwn(parent, name, reply);
    }

    /** GETATTR for the injector's operation, read as the events layer's own (see {@link KnownAnswers#getattrOwn}). */
    void getattrOwn(long nodeId, Reply<FuseAttrReply> reply) throws FuseException {
        answers.getattrOwn(nodeId, reply);
    }

    @Override
    public void setattr(FuseRequest req, long nodeId, FuseSetAttr changes, Reply<FuseAttrReply> reply)
            throws FuseException {
        try {
            delegate.setattr(req, nodeId, changes, new Reply<>() {
                @Override
                public void done(FuseAttrReply value) {
                    dirs.dirChanged(nodeId);
                    reply.done(entries.timed(nodeId, value));
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
    public FuseEntry symlink(FuseRequest req, long parent, String name, String target) throws FuseException {
        return made(parent, name, () -> delegate.symlink(req, parent, name, target));
    }

    @Override
    public FuseEntry mknod(FuseRequest req, long parent, String name, int mode, int rdev, int umask) throws FuseException {
        return made(parent, name, () -> delegate.mknod(req, parent, name, mode, rdev, umask));
    }

    @Override
    public FuseEntry mkdir(FuseRequest req, long parent, String name, int mode, int umask) throws FuseException {
        FuseEntry e = made(parent, name, () -> delegate.mkdir(req, parent, name, mode, umask));
        dirs.createdDir(e.nodeId());
        return e;
    }

    /** {@code parent}'s {@code name} is gone, in what is known of the directory and in the kernel. */
    void removed(long parent, String name) {
        dirs.goneFrom(parent, name);
        view.removed(parent, name);
    }

    @Override
    public void unlink(FuseRequest req, long parent, String name, Reply<Void> done) throws FuseException {
        markChanged(parent, name);
        delegate.unlink(req, parent, name, Reply.ofErrno(errno -> {
            dirs.dirChanged(parent);
            if (errno == 0) {
                dirs.removedByThisMount(parent, name);
                removed(parent, name);
            }
            Reply.answer(done, errno);
        }));
    }

    @Override
    public void rmdir(FuseRequest req, long parent, String name, Reply<Void> done) throws FuseException {
        markChanged(parent, name);
        delegate.rmdir(req, parent, name, Reply.ofErrno(errno -> {
            dirs.dirChanged(parent);
            childDirChanged(parent, name);
            if (errno == 0) {
                dirs.removedByThisMount(parent, name);
                removed(parent, name);
            }
            Reply.answer(done, errno);
        }));
    }

    @Override
    public void rename(FuseRequest req, long parent, String name, long newParent, String newName, int flags)
            throws FuseException {
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
        renamed(parent, name, newParent, newName, flags);
    }

    /** {@code parent}'s {@code name} is now {@code newParent}'s {@code newName} (or, exchanged, each the other). */
    void renamed(long parent, String name, long newParent, String newName, int flags) {
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

    @Override
    public FuseCreated create(FuseRequest req, long parent, String name, int mode, int flags, int umask)
            throws FuseException {
        markChanged(parent, name);
        long stampToken = entries.stampToken();
        FuseCreated c;
        try {
            c = delegate.create(req, parent, name, mode, flags, umask);
        } finally {
            dirs.dirChanged(parent);
        }
        dirs.madeIn(parent, name, c.entry());
        return new FuseCreated(entries.entered(parent, name, c.entry(), stampToken), c.open());
    }

    // ---- directories (see KernelListings) ----------------------------------------------------

    @Override
    public FuseOpen opendir(FuseRequest req, long nodeId, int flags) throws FuseException {
        return listings.opendir(req, nodeId, flags);
    }

    @Override
    public boolean listsWithoutOpen() {
        return listings.withoutOpen();
    }

    @Override
    public boolean mayKeepListing(long nodeId) {
        return listings.mayKeep(nodeId);
    }

    @Override
    public void readdir(FuseRequest req, long nodeId, long fh, long offset, DirFiller filler) throws FuseException {
        listings.readdir(req, nodeId, fh, offset, filler);
    }

    @Override
    public void readdirplus(FuseRequest req, long nodeId, long fh, long offset, DirPlusFiller filler)
            throws FuseException {
        listings.readdirplus(req, nodeId, fh, offset, filler);
    }

    @Override
    public void releasedir(FuseRequest req, long nodeId, long fh) throws FuseException {
        listings.releasedir(req, nodeId, fh);
    }

    // ---- extended attributes (the rest passes on unchanged: ForwardingFileSystem) --------------

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
