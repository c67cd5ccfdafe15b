package dev.fsdriver.server;

import dev.fsdriver.backend.Backend;
import dev.fsdriver.backend.Change;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.common.Errno;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One served share: its backend and the per-share tables the RPC handlers work on. */
final class Share implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Share.class);
    static final int MAX_HANDLES = 65_536;

    final String name;
    final Backend backend;
    final boolean readOnly;
    final NodeTable nodes;
    final HandleTable handles = new HandleTable(MAX_HANDLES);
    final DirSnapshots dirs = new DirSnapshots(256, 500_000);
    /**
     * Held across a client's rename (the backend call and the node-table update) and across
     * {@link #followExternalChange}: the watcher may see the rename on disk before the RPC has
     * updated the table, and must not apply it first (the RPC would then take the moved node for
     * a replaced target). Renames of one share are serialised by it; nothing else takes it.
     */
    private final Object renameLock = new Object();

    Share(String name, Backend backend, boolean readOnly) throws FsException {
        this.name = name;
        this.backend = backend;
        this.readOnly = readOnly;
        this.nodes = new NodeTable(backend.stat(RelPath.ROOT).ino());
    }

    /** EROFS unless this share, and the calling session, may be written. */
    void checkWritable(String op) throws FsException {
        if (readOnly || CallContext.sessionReadOnly()) {
            throw new FsException(Errno.EROFS, op + ": share '" + name + "' is read-only"
                    + (readOnly ? "" : " for this session"));
        }
    }

    /** A client's rename: on disk, then in the node table, as one step for the watcher. */
    void rename(RelPath from, RelPath to, int flags) throws FsException {
        synchronized (renameLock) {
            backend.rename(from, to, flags);
            if ((flags & dev.fsdriver.common.OpenFlags.RENAME_EXCHANGE) != 0) {
                nodes.exchanged(from, to);
            } else if (!from.equals(to)) {
                nodes.renamed(from, to);
            }
        }
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
            switch (change.kind()) {
                case RENAMED -> {
                    long ino = nodes.inoAt(change.path());
                    if (ino != 0 && !exists(change.path()) && inoOrZero(change.newPath()) == ino) {
                        nodes.renamed(change.path(), change.newPath());
                    }
                }
                case DELETED -> {
                    if (nodes.inoAt(change.path()) != 0 && !exists(change.path())) {
                        nodes.removed(change.path());
                    }
                }
                default -> { }
            }
        } catch (RuntimeException e) {
            LOG.warn("share '{}': following {} of '{}': {}", name, change.kind(), change.path(), e.toString());
        }
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
        handles.closeAll();
        try {
            backend.close();
        } catch (RuntimeException e) {
            LOG.warn("closing share '{}': {}", name, e.toString());
        }
    }
}
