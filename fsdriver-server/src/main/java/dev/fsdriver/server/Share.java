package dev.fsdriver.server;

import dev.fsdriver.backend.Backend;
import dev.fsdriver.backend.Change;
import dev.fsdriver.backend.ChangeListener;
import dev.fsdriver.backend.FileAttributes;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.common.Errno;
import dev.fsdriver.common.OpenFlags;
import dev.fsdriver.server.events.Origins;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One served share: its backend and the per-share tables the RPC handlers work on. */
final class Share implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Share.class);
    static final int MAX_HANDLES = 65_536;
    /** How often the follower decides again when calls change the names meanwhile. */
    private static final int FOLLOW_TRIES = 1000;

    final String name;
    final Backend backend;
    final boolean readOnly;
    final NodeIds nodes;
    final HandleTable handles = new HandleTable(MAX_HANDLES);
    final DirSnapshots dirs = new DirSnapshots(256, 500_000);
    /**
     * The share's last change-event sequence (its EventHub's), 0 when it has no events: read
     * before a listing is made and sent with it (ReadDirReply.event_sequence). Set once events start.
     */
    volatile LongSupplier eventSequence = () -> 0;
    /** Who changed what: keeps a client's own changes from being sent back to it as events. */
    final Origins origins;
    /**
     * Held across a client's rename (the backend call and the node-table update) and across
     * {@link #followExternalChange}: the watcher may see the rename on disk before the RPC has
     * updated the table, and must not apply it first (the RPC would then take the moved node for
     * a replaced target). Renames of one share are serialised by it; nothing else takes it.
     */
    private final Object renameLock = new Object();
    /** Finds nodes whose path went stale again by their file id. */
    final Relocator relocator;
    /**
     * The share's event hub, where changes go to clients; set once events start (until then,
     * and on a share without events, nowhere).
     */
    volatile ChangeListener events = change -> { };
    /** The paths of the client rename under way (under renameLock), for {@link #directoryFound}. */
    private final Set<RelPath> renaming = ConcurrentHashMap.newKeySet();
    /** Moves the server found and published itself: the watcher's reports of them are not sent again. */
    private final FoundMoves foundMoves = new FoundMoves();
    /** Set by the watcher's thread at its first change. */
    private volatile FollowQueue followQueue;
    /** FollowQueue's searches: one thread while there is work, none when idle. */
    private final ThreadPoolExecutor worker = new ThreadPoolExecutor(0, 1, 30, TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(), Thread.ofPlatform().daemon().name("relocate-", 0).factory());
    /** File bytes sent in Read and inline Open replies, and written by Write (for metrics). */
    final LongAdder bytesRead = new LongAdder();
    final LongAdder bytesWritten = new LongAdder();
    /** Directories synced (a directory's Fsync, or one after a file's: FsyncRequest.also_dir), for metrics. */
    final LongAdder dirSyncs = new LongAdder();

    Share(String name, Backend backend, boolean readOnly) throws FsException {
        this.name = name;
        this.backend = backend;
        this.readOnly = readOnly;
        FileAttributes root = backend.stat(RelPath.ROOT);
        this.nodes = new NodeIds(root.ino(), root.generation());
        this.origins = new Origins(backend, a -> nodes.idOf(a.ino()));
        this.relocator = new Relocator(name, backend, nodes, renameLock);
        nodes.onDirectoryFound(new NodeIds.DirectoryFound() {
            @Override
            public boolean record(RelPath from, RelPath to) {
                return directoryFound(from, to);
            }

            @Override
            public void publish(RelPath from, RelPath to) {
                publishFound(from, to);
            }
        });
    }

    /** A change of one path; returns the path's attributes afterwards, or null when it is gone. */
    @FunctionalInterface
    interface Mutation {
        FileAttributes run() throws FsException;
    }

    /**
     * Runs {@code op}, a change of {@code path} by the calling session, and records its outcome
     * in {@link #origins} (begun before the call: the watcher may report it first).
     */
    FileAttributes change(RelPath path, Mutation op) throws FsException {
        long session = Origins.currentSession();
        origins.begin(session, path);
        boolean done = false;
        try {
            FileAttributes after = op.run();
            done = true;
            if (after == null) {
                origins.removed(session, path);
            } else {
                origins.changed(session, path, after);
            }
            return after;
        } finally {
            if (!done) {
                origins.failed(session, path);
            }
        }
    }

    /**
     * {@link #change(RelPath, Mutation)} of a file through an open handle, recorded for each of
     * {@code paths}, the file's names: the watcher reports a write under the name the file was
     * opened by, which for a file with hard links need not be the node's first name (its own
     * writes came back to the client as someone else's: DifferentialStressTest seed 18's log).
     */
    FileAttributes change(List<RelPath> paths, Mutation op) throws FsException {
        if (paths.size() == 1) {
            return change(paths.get(0), op);
        }
        long session = Origins.currentSession();
        for (RelPath p : paths) {
            origins.begin(session, p);
        }
        boolean done = false;
        try {
            FileAttributes after = op.run();
            done = true;
            for (RelPath p : paths) {
                origins.changed(session, p, after);
            }
            return after;
        } finally {
            if (!done) {
                for (RelPath p : paths) {
                    origins.failed(session, p);
                }
            }
        }
    }

    /**
     * The attributes of node {@code id}, by its path; may search the share (not on a network thread). ESTALE when that path holds another file
     * now (renamed, or exchanged, behind the server's back, the event not followed yet): never
     * another file's attributes, which the client's kernel would keep for the node. Another file
     * can also have the node's inode number (the node's file deleted, the number reused): the
     * generation tells. The client finds the node again by the name it knows, or its kernel
     * looks the name up again. When nothing is at the path (ENOENT, ENOTDIR), the file is looked for by
     * its id ({@link Relocator}): found, the node moves there, the answer is its attributes and
     * the move is published as a RENAMED (a process working in a directory renamed behind the
     * server's back, its events lost, keeps its working directory on the mount).
     */
    FileAttributes statNodeOrSearch(long id) throws FsException {
        return statNode(id, true);
    }

    /** {@link #statNodeOrSearch} without the search (may run on a network thread): see {@link #searchable}. */
    FileAttributes statNode(long id) throws FsException {
        return statNode(id, false);
    }

    /**
     * Whether {@link #statNode} failing with {@code e} for node {@code id} is one that
     * {@link #statNodeOrSearch} would search for: nothing at the path of a directory node, on a
     * backend that can locate files by id. Only directories: a file deleted on the server's side
     * (the common case) would cost a walk each; a process's working directory is what matters.
     */
    boolean searchable(long id, FsException e) {
        if (e.errno() != Errno.ENOENT && e.errno() != Errno.ENOTDIR || !relocator.canLocate()) {
            return false;
        }
        NodeIds.Facts f = nodes.facts(id);
        return f != null && f.directory();
    }

    private FileAttributes statNode(long id, boolean search) throws FsException {
        long seen = nodes.version(); // before the path: see Relocator
        RelPath path = nodes.path(id);
        FileAttributes a;
        try {
            a = backend.stat(path);
        } catch (FsException e) {
            if (!search || !searchable(id, e)) {
                throw e;
            }
            // Nothing at the path: the file may have been renamed behind the server's back, its
            // events lost (issue 10, B6). Found by its id, it is published as that rename. (Not
            // for ESTALE below: another file at the path is most often an exchange or a replace
            // the watcher has still to follow, and taking it for a move would cut the other node.)
            Relocator.Found found = relocator.relocate(id, path, seen, foundMoves::found);
            if (found == null) {
                throw e;
            }
            if (found.moved()) {
                publish(new Change(Change.Kind.RENAMED, found.from(), found.to(), found.directory()));
            }
            return found.attrs();
        }
        if (!nodes.isFile(id, a.ino(), a.generation())) {
            throw new FsException(Errno.ESTALE, "node " + id + ": '" + path + "' is another file now");
        }
        return a;
    }


    /**
     * A Lookup found a directory the table knew at {@code from} at {@code to} instead: moved behind
     * the server's back, the watcher's report not followed yet (or never coming: a Wine watcher
     * that did not see the target reports only a DELETED). Recorded (under the table's lock, with
     * its move: the watcher's report cannot slip between them) to be published as that rename,
     * unless a client's rename of either path is under way (its events are its own, and the
     * rename's own table update keeps the node where the Lookup put it).
     */
    private boolean directoryFound(RelPath from, RelPath to) {
        for (RelPath r : renaming) {
            if (from.startsWith(r) || to.startsWith(r)) {
                return false;
            }
        }
        foundMoves.found(from, to);
        return true;
    }

    /** {@link #directoryFound}'s move, published (outside the table's lock). */
    private void publishFound(RelPath from, RelPath to) {
        publish(new Change(Change.Kind.RENAMED, from, to, true));
    }

    /** Hands a change the server found itself (not its watcher) to the share's clients. */
    void publish(Change change) {
        events.onChange(change);
    }

    /**
     * Makes the entries of directory node {@code id} durable. The path is resolved now, and the
     * directory synced must be the node's (inode number and generation): ESTALE when another is
     * at that path (renamed or exchanged behind the server's back, or between the resolution and
     * the open), which the client takes as not synced.
     */
    void syncDir(long id) throws FsException {
        RelPath path = nodes.path(id);
        FileAttributes a = backend.syncDir(path);
        if (!nodes.isFile(id, a.ino(), a.generation())) {
            throw new FsException(Errno.ESTALE, "node " + id + ": '" + path + "' is another directory now, not synced");
        }
        dirSyncs.increment();
    }

    /** EROFS unless this share, and the calling session, may be written. */
    void checkWritable(String op) throws FsException {
        if (readOnly || CallContext.sessionReadOnly()) {
            throw new FsException(Errno.EROFS, op + ": share '" + name + "' is read-only"
                    + (readOnly ? "" : " for this session"));
        }
    }

    /** A client's rename: on disk, then in the node table, as one step for the watcher. Returns the attributes now at {@code to}. */
    FileAttributes rename(RelPath from, RelPath to, int flags) throws FsException {
        boolean exchange = (flags & OpenFlags.RENAME_EXCHANGE) != 0;
        FileAttributes[] moved = new FileAttributes[1];
        // Both paths change: `to` now holds the moved file, `from` is gone (or, exchanged, holds the other)
        change(from, () -> {
            moved[0] = change(to, () -> {
                synchronized (renameLock) {
                    long movedId = nodes.idAt(from); // before a Lookup can find the moved file at `to`
                    renaming.add(from);
                    renaming.add(to);
                    try {
                        backend.rename(from, to, flags);
                        if (exchange) {
                            nodes.exchanged(from, to);
                        } else if (!from.equals(to)) {
                            nodes.renamed(from, to, movedId);
                            origins.moved(from, to); // the own-change records of what was below from
                        }
                    } finally {
                        renaming.remove(from);
                        renaming.remove(to);
                    }
                }
                try {
                    return backend.stat(to);
                } catch (FsException gone) {
                    return null; // renamed, then changed again by someone else: no attributes to give
                }
            });
            return exchange || from.equals(to) ? backend.stat(from) : null;
        });
        return moved[0];
    }

    /**
     * A change from the share's watcher, on its thread, and the hub it goes to: followed in the
     * node table and handed on in order through the {@link FollowQueue}, where a DELETED of a
     * directory a client holds is first searched for by its file id ({@link #searchGone}).
     */
    void onWatcherChange(Change change, ChangeListener hub) {
        if (change.kind() == Change.Kind.OVERFLOW || change.directory()
                && (change.kind() == Change.Kind.CREATED || change.kind() == Change.Kind.RENAMED)) {
            relocator.changeArrived(); // a directory not found may have appeared somewhere now
        }
        FollowQueue q = followQueue;
        if (q == null) {
            // in order, at the last step: a watcher's report of a move found meanwhile goes no further
            q = new FollowQueue(name, this::heldDirectoryGone, this::searchGone, this::followExternalChange,
                    foundMoves.unlessPublished(name, hub), worker);
            followQueue = q; // only the watcher's thread calls this
        }
        q.accept(change);
    }

    /**
     * Whether {@code c} is a DELETED of a directory the table has a node for at that path, gone
     * from there: nothing there, or another file (`mv work bak\work; mkdir work` on Windows, both
     * reported before the node was looked for: the held one is still to be found).
     */
    private boolean heldDirectoryGone(Change c) {
        if (c.kind() != Change.Kind.DELETED || c.path().isRoot() || !relocator.canLocate()) {
            return false;
        }
        long id = nodes.idAt(c.path());
        NodeIds.Facts f = nodes.facts(id);
        if (f == null || !f.directory()) {
            return false;
        }
        try {
            FileAttributes a = backend.stat(c.path());
            return !nodes.isFile(id, a.ino(), a.generation());
        } catch (FsException e) {
            return true;
        }
    }

    /**
     * On the FollowQueue's thread: the held directory {@code deleted} names, found by its file id
     * somewhere else (the table moved there), is published as that rename; not found, the delete
     * is followed and published as it came.
     */
    private Change searchGone(Change deleted) {
        long seen = nodes.version();
        long id = nodes.idAt(deleted.path());
        // not recorded in foundMoves: this search answers the watcher's report itself
        Relocator.Found found = id == 0 ? null : relocator.relocate(id, deleted.path(), seen, (from, to) -> { });
        if (found != null && found.moved()) {
            foundMoves.arrived(found.to(), deleted.path()); // Wine may still report a CREATED of it
            return new Change(Change.Kind.RENAMED, deleted.path(), found.to(), true);
        }
        if (found != null) {
            foundMoves.forget(deleted.path()); // this report is answered: the finder's record goes
            return null; // moved meanwhile by another (a GetAttr's search or a Lookup publishes it itself)
        }
        followExternalChange(deleted);
        if (id != 0) {
            // not found, and another file at its path (a gone one is followed above): the held
            // directory leaves that path, so the next DELETED there is not searched for again
            // (`rm -rf out; mkdir out` in a loop while a client holds out)
            long now = nodes.version();
            synchronized (renameLock) {
                nodes.ifUnchanged(now, () -> {
                    if (nodes.idAt(deleted.path()) == id) {
                        nodes.removed(deleted.path());
                    }
                });
            }
        }
        return deleted;
    }

    /**
     * Keeps node ids right when the share changes behind the server's back (a program on the
     * server renames or deletes): the node that was at a renamed path keeps its id at the new
     * path, so clients holding it (kernel inodes, inotify watches) keep working. Changes the
     * server made itself were applied already; each case checks the disk so that an echo
     * arriving late never undoes a newer state. Runs on the watcher's thread.
     */
    void followExternalChange(Change change) {
        synchronized (renameLock) {
            followLocked(change);
        }
    }

    private void followLocked(Change change) {
        try {
            // A call (not a rename: those hold renameLock) may change the disk and the table
            // while this reads them: decide again then (bounded: calls are short)
            for (int tries = 0; tries < FOLLOW_TRIES; tries++) {
                long seen = nodes.version();
                Runnable update = decide(change);
                if (update == null || nodes.ifUnchanged(seen, update)) {
                    return;
                }
            }
            LOG.warn("share '{}': {} of '{}' not followed: the names kept changing", name, change.kind(), change.path());
        } catch (RuntimeException e) {
            LOG.warn("share '{}': following {} of '{}': {}", name, change.kind(), change.path(), e.toString());
        }
    }

    /** What {@code change} asks of the node table, from the table and the disk now; null: nothing. */
    private Runnable decide(Change change) {
        switch (change.kind()) {
            case RENAMED -> {
                long ino = nodes.inoAt(change.path());
                if (ino == 0) {
                    return null; // not known here, or the table has it already
                }
                long there = inoOrZero(change.path());
                long now = inoOrZero(change.newPath());
                if (now != ino) {
                    long target = nodes.inoAt(change.newPath());
                    if (there == 0 && target == 0) {
                        // It moved on (or went) since: later events start from the new name,
                        // so the table must have it there (a stale first name of a hard link
                        // failed every call through the node)
                        return () -> nodes.renamed(change.path(), change.newPath());
                    } else if (there == 0 && target != ino && target != now) {
                        // The same, over a file the table has at the new name and the disk has
                        // not: this rename replaced it (ConcurrentStress seed 43: skipped, the
                        // hard link kept its old name first, every open through it ENOENT). A
                        // directory there is kept aside: an exchange moved on looks the same.
                        return () -> nodes.renamed(change.path(), change.newPath(), true);
                    } else if (there == 0 && target == ino && !change.directory()) {
                        return () -> nodes.removed(change.path()); // known by the new name already
                    } else if (there != 0 && there == target) {
                        // The new name's file is at the old name: an exchange (its first
                        // half), and this side moved on since. The second half then finds
                        // the table right.
                        return () -> nodes.exchanged(change.path(), change.newPath());
                    }
                    return null;
                }
                if (there == 0 && nodes.inoAt(change.newPath()) == ino) {
                    // a client found the file at its new name before this event: the old
                    // name is gone (not a rename between two names of one file, a no-op)
                    return () -> nodes.removed(change.path());
                } else if (there == 0) {
                    // A directory the table has at the new name may not have been replaced:
                    // an exchange whose other side moved on since looks the same here
                    return () -> nodes.renamed(change.path(), change.newPath(), true);
                } else if (there != ino) {
                    long target = nodes.inoAt(change.newPath());
                    if (target == 0 || target == there) {
                        // RENAME_EXCHANGE (reported as a -> b, then b -> a): each file is
                        // where the other was. The second event then finds the table right.
                        return () -> nodes.exchanged(change.path(), change.newPath());
                    }
                }
            }
            case DELETED -> {
                if (nodes.inoAt(change.path()) != 0 && !exists(change.path())) {
                    return () -> nodes.removed(change.path());
                }
            }
            default -> { }
        }
        return null;
    }

    private boolean exists(RelPath path) {
        return inoOrZero(path) != 0;
    }

    private long inoOrZero(RelPath path) {
        try {
            return backend.stat(path).ino();
        } catch (FsException e) {
            return 0;
        }
    }

    @Override
    public void close() {
        worker.shutdownNow();
        try {
            worker.awaitTermination(2, TimeUnit.SECONDS); // a search still running uses the backend
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        handles.closeAll();
        try {
            backend.close();
        } catch (RuntimeException e) {
            LOG.warn("closing share '{}': {}", name, e.toString());
        }
    }
}
