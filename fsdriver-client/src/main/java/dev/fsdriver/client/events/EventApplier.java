package dev.fsdriver.client.events;

import dev.fsdriver.client.Attrs;
import dev.fsdriver.common.Errno;
import dev.fsdriver.common.FileMode;
import dev.fsdriver.fuse.FuseAttr;
import dev.fsdriver.fuse.FuseEntry;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.fuse.FuseNotifier;
import dev.fsdriver.proto.v1.ChangeEvent;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the server's change events to the mount: invalidates what the kernel caches (entries,
 * attributes, pages) and, where somebody could be watching (the parent directory is held by the
 * kernel, see {@link KernelView}), has the {@link Injector} perform the matching VFS operation
 * so that inotify watchers on the mount receive the event:
 * <pre>
 *   CREATED  -> mknod / mkdir / symlink      IN_CREATE
 *   DELETED  -> unlink / rmdir               IN_DELETE
 *   MODIFIED -> truncate to the same size    IN_MODIFY  (the server's size, never the event's;
 *   ATTRIB   -> chmod to the same mode       IN_ATTRIB   neither while a program here writes the file)
 *   RENAMED  -> rename                       IN_MOVED_FROM + IN_MOVED_TO, one cookie
 *   OVERFLOW -> drop every cache under the path, list the held directories again and
 *               inject CREATE/DELETE for the differences (a watcher sees every create)
 * </pre>
 * CREATED and DELETED are applied here; MODIFIED and ATTRIB by {@link ChangedFiles}, RENAMED by
 * {@link Renames}, OVERFLOW by {@link OverflowResync}.
 * The server sends no events of this mount's own changes (it recognises them by the session
 * the connection sends, see the server's Origins): every event that arrives is someone else's
 * change and is applied in full, even on a path this mount changed a moment before. Only the
 * overflow resync consults the {@link EchoFilter}, to not announce names this mount created.
 *
 * <p>Runs on one thread (the event stream's), never on a FUSE request thread: it calls the
 * kernel notifier and blocks in injected system calls, which need the request threads free.
 */
public final class EventApplier {
    private static final Logger log = LoggerFactory.getLogger(EventApplier.class);

    private final EventAwareFileSystem fs;
    private final KernelView view;
    /** Names this mount changed recently: an overflow resync does not announce them as creates. */
    private final EchoFilter echo;
    private final Injector injector;
    private final FuseNotifier notifier;
    /** What watchers know of each directory: a resync announces only the differences. */
    private final KnownNames names;
    /** Paths whose creation watchers were told of recently (injected): a resync need not repeat them. */
    private final EchoFilter announced = new EchoFilter(60_000_000_000L, System::nanoTime);
    private final AtomicLong injected = new AtomicLong();
    /** Directories this applier just created: injections inside wait for a watcher to list them. */
    private final FreshDirs freshDirs = new FreshDirs();
    private final AtomicLong applied = new AtomicLong();
    private final OverflowResync resync;
    private final ReplacedFiles replacedFiles;
    /** MODIFIED and ATTRIB. */
    private final ChangedFiles changed;
    private final Renames renames;

    EventApplier(EventAwareFileSystem fs, KernelView view, EchoFilter echo, Injector injector, FuseNotifier notifier) {
        this.fs = fs;
        this.view = view;
        this.echo = echo;
        this.injector = injector;
        this.notifier = notifier;
        this.names = fs.watchedNames();
        this.replacedFiles = new ReplacedFiles(view, notifier);
        this.changed = new ChangedFiles(fs, view, injector, notifier, freshDirs, this::mayInject, this::count);
        this.renames = new Renames(this, fs, view, injector, notifier, names);
        this.resync = new OverflowResync(this, fs, view, echo, announced, names, notifier, injector != null);
        fs.onDirOpened(freshDirs::listed);
    }

    long injectedCount() {
        return injected.get();
    }

    long appliedCount() {
        return applied.get();
    }

    static String parentOf(String path) {
        int i = path.lastIndexOf('/');
        return i < 0 ? "" : path.substring(0, i);
    }

    static String nameOf(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    /** The arrival time of the event being applied (see {@link EchoFilter#isEcho(String, long)}). */
    private long arrivedNs;
    /** The sequence of the event being applied (see {@link KnownNames}). */
    private long sequence;
    /** The kind of the event being applied: an OVERFLOW's announcements report no create of their own. */
    private ChangeEvent.Kind kind;

    public void apply(ChangeEvent e) {
        apply(e, System.nanoTime());
    }

    public void apply(ChangeEvent e, long arrivedNs) {
        this.arrivedNs = arrivedNs;
        this.sequence = e.getSequence();
        this.kind = e.getKind();
        names.seen(sequence);
        applied.incrementAndGet();
        if (log.isDebugEnabled()) {
            log.debug("event #{} {} '{}'{}", e.getSequence(), e.getKind(), e.getPath(),
                    e.getNewPath().isEmpty() ? "" : " -> '" + e.getNewPath() + "'");
        }
        try {
            switch (e.getKind()) {
                case CREATED, DELETED, RENAMED -> {
                    // a name changed there: the stamp no longer tells what watchers know (KernelView#unstamp)
                    view.unstamp(view.resolve(parentOf(e.getPath())));
                    if (e.getKind() == ChangeEvent.Kind.RENAMED) {
                        view.unstamp(view.resolve(parentOf(e.getNewPath())));
                    }
                }
                default -> { }
            }
            switch (e.getKind()) {
                case CREATED -> created(e.getPath());
                case DELETED -> deleted(e.getPath(), e.getDirectory());
                case MODIFIED -> changed.apply(e.getPath(), false, e.hasAttr() ? Attrs.toFuse(e.getAttr()) : null, e.getNode());
                case ATTRIB -> changed.apply(e.getPath(), true, e.hasAttr() ? Attrs.toFuse(e.getAttr()) : null, e.getNode());
                case RENAMED -> {
                    long newParent = view.resolve(parentOf(e.getNewPath()));
                    long before = newParent == 0 ? 0 : view.child(newParent, nameOf(e.getNewPath()));
                    renames.renamed(e.getPath(), e.getNewPath(), e.getDirectory());
                    replacedFiles.refresh(newParent, nameOf(e.getNewPath()), before);
                }
                case OVERFLOW -> resync.overflow(e.getPath(), e.getLostAfter(), arrivedNs);
                default -> log.debug("ignoring event {}", e.getKind());
            }
            if (e.getNode() != 0) {
                otherNames(e.getNode(), e.getKind() == ChangeEvent.Kind.MODIFIED);
            }
        } catch (RuntimeException ex) {
            log.warn("could not apply {} {}: {}", e.getKind(), e.getPath(), ex.toString());
        }
    }

    /**
     * The event's file is node {@code node} under every name it has (hard links): the kernel may
     * hold it by another name than the event's path, unknown to it. Its attributes (a new link
     * changes the link count) and, for a content change, its pages are dropped by node id; a
     * node the kernel does not hold is refused by it (ENOENT), which is fine.
     */
    private void otherNames(long node, boolean content) {
        notifier.invalInode(node, content ? 0 : -1, 0);
    }

    private boolean mayInject(long parentNode) {
        return injector != null && parentNode != 0 && view.held(parentNode);
    }

    void created(String path) {
        long c0 = System.nanoTime();
        long parent = view.resolve(parentOf(path));
        if (parent == 0) {
            return; // the kernel holds nothing there: nothing cached, nobody watching
        }
        String name = nameOf(path);
        if (ownAndHeld(parent, name, path)) {
            log.debug("created '{}' is this mount's own file, which the kernel holds: nothing to do", path);
            return;
        }
        notifier.invalEntry(parent, name);   // a cached negative entry
        long c1 = System.nanoTime();
        notifier.invalInode(parent, 0, 0);   // the directory's attributes and cached listing
        log.debug("created '{}': invalEntry {} us, invalInode {} us", path, (c1 - c0) / 1000, (System.nanoTime() - c1) / 1000);
        if (mayInject(parent)) {
            injectCreate(parent, path, name);
        }
    }

    /**
     * Whether this mount made {@code path} itself (recently) and the kernel still holds the very
     * file the server has there: the watchers saw its IN_CREATE when it was made, so a CREATED
     * the server took for someone else's (issue 17: sqlite's journals) must not show them a second.
     * A foreign delete and re-create would have taken the name from the kernel first (its injected
     * delete). Asks the server only for such an event. (A directory the kernel holds at a name
     * because the server published its move there is not announced again either: the server
     * does not pass Wine's CREATED of that name on, see the server's FoundMoves.)
     */
    private boolean ownAndHeld(long parent, String name, String path) {
        long held = view.child(parent, name);
        if (held == 0 || !echo.isEcho(path, arrivedNs)) {
            return false;
        }
        return fs.reads().node(parent, name) == held;
    }

    /** How often an injected create is tried again after EEXIST (a program looked the name up meanwhile). */
    private static final int CREATE_TRIES = 4;

    /** Whether the create was injected (watchers were told of the name). */
    boolean injectCreate(long parent, String path, String name) {
        // From here on READDIRPLUS does not instantiate the name's dentry; drop one made before.
        fs.announcing(parent, name);
        try {
            notifier.invalEntry(parent, name);
            return injectCreateAnnounced(parent, path, name);
        } finally {
            fs.announced(parent, name);
        }
    }

    private boolean injectCreateAnnounced(long parent, String path, String name) {
        FuseEntry entry;
        long t0 = System.nanoTime();
        try {
            entry = fs.reads().lookup(parent, name);
        } catch (FuseException gone) {
            return false; // already gone again: a DELETED follows
        }
        if (entry == null || entry.nodeId() == 0) {
            return false;
        }
        int type = entry.attr().mode() & FileMode.S_IFMT;
        int perm = entry.attr().mode() & 07777;
        // told now, or known already (EEXIST: looked up); the event's own create or rename, not a resync's
        names.added(parent, name, entry.attr().ino(), sequence, kind != ChangeEvent.Kind.OVERFLOW);
        String abs = injector.absolute(path);
        freshDirs.awaitWatcher(parent);
        long t1 = System.nanoTime();
        Injection inj = new Injection(Injection.Op.CREATE, parent, name, 0, null, entry, entry.nodeId(), null);
        int rc = -Errno.EEXIST;
        for (int i = 0; i < CREATE_TRIES && rc == -Errno.EEXIST; i++) {
            if (i > 0) {
                notifier.invalEntry(parent, name); // a program's LOOKUP made the dentry again
            }
            rc = injector.perform(inj, () -> {
                switch (type) {
                    case FileMode.S_IFDIR -> InjectedCalls.mkdir(abs, perm);
                    case FileMode.S_IFLNK -> InjectedCalls.symlink("fsdriver-injected", abs);
                    // the node's own type (FIFO, socket, ...): the kernel refuses an answer of another type
                    default -> InjectedCalls.mknod(abs, type | perm);
                }
            });
        }
        log.debug("injected create '{}': {} (lookup+wait {} us, syscall {} us)", path, rc == 0 ? "ok" : "errno " + -rc,
                (t1 - t0) / 1000, (System.nanoTime() - t1) / 1000);
        if (rc == 0) {
            injected.incrementAndGet();
            announced.mark(path);
            if (type == FileMode.S_IFDIR) {
                names.createdByEvent(entry.nodeId()); // its names follow as events, or a baseline lists them
                freshDirs.created(entry.nodeId());
            }
            return true;
        }
        fs.reads().giveBack(entry.nodeId()); // the kernel did not take the reference
        log.debug("inject create {}: errno {}", path, -rc);
        return false;
    }

    /** How often an injected delete is tried (again on a ghost) when a program looked the name up meanwhile. */
    private static final int DELETE_TRIES = 3;

    void deleted(String path, boolean directory) {
        long parent = view.resolve(parentOf(path));
        if (parent == 0) {
            return;
        }
        String name = nameOf(path);
        replacedFiles.refresh(parent, name, 0); // files the kernel no longer has at the name (see ReplacedFiles)
        long node = view.child(parent, name);
        if (node != 0 && fs.reads().holds(parent, name, node, view.generation(node))) {
            // The kernel holds the file the server has at the name now: it was looked up after this
            // delete (the event is late), or was made again with the same identity. Injected, the
            // delete would unlink a live file in the kernel, and a directory would be dead for good
            // (nothing in it found again: ConcurrentStress seed 19).
            log.debug("deleted '{}': the kernel holds the server's current file {} there, kept", path, node);
            notifier.invalInode(parent, 0, 0);
            notifier.invalInode(node, -1, 0);
            return;
        }
        names.removed(parent, name, sequence);
        notifier.invalInode(parent, 0, 0);
        if (mayInject(parent)) {
            int type = node != 0 && view.mode(node) != 0 ? view.mode(node) & FileMode.S_IFMT
                    : directory ? FileMode.S_IFDIR : FileMode.S_IFREG;
            FuseEntry entry = node != 0 ? standIn(node, type, view.generation(node)) : fs.ghost(type);
            String abs = injector.absolute(path);
            freshDirs.awaitWatcher(parent);
            long decided = node;
            int rc = 0;
            for (int i = 0; i < DELETE_TRIES; i++) {
                Injection inj = new Injection(Injection.Op.DELETE, parent, name, 0, null, entry, entry.nodeId(), null);
                rc = injector.perform(inj, type == FileMode.S_IFDIR ? () -> InjectedCalls.rmdir(abs) : () -> InjectedCalls.unlink(abs));
                if (rc == 0 || view.child(parent, name) == decided) {
                    break;
                }
                // Refused (InjectionAnswers#injectedDelete): a program looked the name up since the
                // decision and the kernel holds the server's current file there. Its entry goes
                // (looked up again when needed) and the delete is announced on a ghost.
                log.debug("inject delete {}: the kernel holds {} there now, not {}", path, view.child(parent, name), decided);
                // the view first: a program's lookup after the invalidation is in it, so the next
                // try is refused again rather than unlinking what that program holds
                view.removed(parent, name);
                notifier.invalEntry(parent, name);
                entry = fs.ghost(type);
                decided = 0;
            }
            if (rc == 0) {
                injected.incrementAndGet();
                view.removed(parent, name);
                return;
            }
            log.debug("inject delete {}: errno {}", path, -rc);
        }
        if (node != 0) {
            notifier.delete(parent, node, name);
            if (!directory) {
                // the kernel cleared the node's link count, but the file may have other names
                notifier.invalInode(node, -1, 0);
            }
        } else {
            notifier.invalEntry(parent, name);
        }
        view.removed(parent, name);
    }

    /**
     * An entry for a node the kernel holds, answered locally (type and generation right, attributes
     * expired at once).
     */
    static FuseEntry standIn(long node, int type, long generation) {
        long now = System.currentTimeMillis() * 1_000_000L;
        return new FuseEntry(node, generation, new FuseAttr(node, 0, 0, now, now, now, type | 0644, 1, 0, 0, 0, 4096), 0, 0);
    }

    void count(int rc, String path) {
        if (rc == 0) {
            injected.incrementAndGet();
        } else {
            log.debug("inject on {}: errno {}", path, -rc);
        }
    }

    /** One more event announced to watchers by an injected call. */
    void injectedOne() {
        injected.incrementAndGet();
    }

    /** The sequence of the event being applied (see {@link KnownNames}). */
    long sequence() {
        return sequence;
    }

    /** The resync let held directory {@code node}'s entry expire (moved where it did not list): see Renames#expired. */
    void expiredHeldDirectory(long parent, String name, long node) {
        renames.expired(parent, name, node);
    }

    /** RENAMED {@code from} -> {@code to} as its event would have it (also a resync's moved directory). */
    void renamed(String from, String to, boolean directory) {
        renames.renamed(from, to, directory);
    }
}
