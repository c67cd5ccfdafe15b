package dev.fsdriver.backend.posix.watch;

import static dev.fsdriver.linux.InotifyCalls.*;

import dev.fsdriver.backend.Change;
import dev.fsdriver.backend.ChangeListener;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.common.Errno;
import dev.fsdriver.linux.ErrnoException;
import dev.fsdriver.linux.FileCalls;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Recursive watcher of one share through Linux inotify: one watch per directory, never
 * following symlinks ({@link DirectoryWatches} adds, scans and removes them). Reports {@link Change}s to a listener on its own thread, in the order the
 * kernel queued them.
 *
 * <ul>
 *   <li>Directories created (or moved in) later are watched first, then scanned, and what the
 *       scan finds is reported as CREATED: nothing created in between is missed (a file can be
 *       reported twice as CREATED, never zero times). A directory watched by a path that an
 *       ancestor's rename, not read yet, made wrong is watched again after that rename is read.
 *   <li>IN_MOVED_FROM/IN_MOVED_TO with one cookie become one RENAMED; a FROM not followed by its
 *       TO (next event, or within {@value #PAIR_WINDOW_MS} ms) becomes DELETED (moved out), a
 *       TO without a FROM becomes CREATED (moved in, scanned if a directory).
 *   <li>Kernel queue overflow becomes OVERFLOW(root); a directory that cannot be watched
 *       (watch limit, permissions) becomes OVERFLOW(that directory), with a log line.
 * </ul>
 *
 * <p>The watch table is a tree ({@link WatchTree}): a directory rename moves one entry. Which
 * watch a rename moves is the one the kernel's IN_MOVE_SELF, queued right after the IN_MOVED_TO on
 * the moved directory's own watch, names; the watches at the old name are not trusted (the second
 * half of an exchange, a replaced directory whose watch is not gone yet). No IN_MOVE_SELF: the
 * moved directory was not watched, and is watched and scanned at its new path.
 *
 * <p>Threading: the watch table and the pending moves belong to the watcher thread alone (the
 * initial walk in {@link #start} runs before that thread starts), so they need no locks.
 */
public final class InotifyWatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(InotifyWatcher.class);

    /** Events asked for on every directory. IN_EXCL_UNLINK: no events from unlinked-but-open files. */
    static final int DIR_MASK = IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB
            | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF
            | IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK;

    /** How long an IN_MOVED_FROM waits for its IN_MOVED_TO before it counts as a delete. */
    static final int PAIR_WINDOW_MS = 10;

    /** How long changes gather after the first one before they are read (see {@link #run}). */
    static final long GATHER_NANOS = 1_000_000;

    /** Read buffer: many events per read(2); allocated once per watcher. */
    private static final int BUFFER_BYTES = 64 * 1024;

    private final Path root;
    private final ChangeListener listener;
    private final int ifd;
    private final int wakeFd;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile boolean closing;
    private Thread thread;

    // Owned by the watcher thread (see class comment).
    private final WatchTree watches = new WatchTree();
    /** Adds, scans and removes the watches in {@link #watches}. */
    private final DirectoryWatches dirs;
    private PendingMove pendingMove;
    private DeferredRename deferred;

    /** An IN_MOVED_FROM waiting for its IN_MOVED_TO: the source's parent watch and name. */
    private record PendingMove(int cookie, RelPath from, boolean directory, int parentWd, String name) {}

    /** A directory rename with watches at the source's name: the next IN_MOVE_SELF, if any, says which moved. */
    private record DeferredRename(int newParent, String newName, RelPath to) {}

    private InotifyWatcher(Path root, ChangeListener listener, int ifd, int wakeFd) {
        this.root = root;
        this.listener = listener;
        this.ifd = ifd;
        this.wakeFd = wakeFd;
        this.dirs = new DirectoryWatches(root, ifd, watches, this::emit);
    }

    /**
     * Watches every directory under {@code shareRoot} (the root itself may be reached through a
     * symlink; nothing below it is followed) and starts the watcher thread. When this returns,
     * the whole tree is watched.
     *
     * @throws FsException if inotify is not available or the root cannot be watched
     */
    public static InotifyWatcher start(Path shareRoot, ChangeListener listener) throws FsException {
        Path root;
        try {
            root = shareRoot.toRealPath();
        } catch (IOException e) {
            throw new FsException(Errno.ENOENT, "share root " + shareRoot + ": " + e.getMessage(), e);
        }
        int ifd;
        try {
            ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        } catch (ErrnoException e) {
            throw new FsException(e.errno(), "inotify_init1 (limit fs.inotify.max_user_instances?)");
        }
        int wakeFd;
        try {
            wakeFd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        } catch (ErrnoException e) {
            closeQuietly(ifd);
            throw new FsException(e.errno(), "eventfd");
        }
        InotifyWatcher w = new InotifyWatcher(root, listener, ifd, wakeFd);
        try {
            w.watches.setRoot(inotify_add_watch(ifd, root.toString(), DIR_MASK));
        } catch (ErrnoException e) {
            closeQuietly(ifd);
            closeQuietly(wakeFd);
            throw new FsException(e.errno(), "inotify_add_watch " + root
                    + (e.errno() == Errno.ENOSPC ? " (watch limit fs.inotify.max_user_watches reached)" : ""));
        }
        w.dirs.scanTree(-1, null, RelPath.ROOT, false);
        w.thread = Thread.ofPlatform().daemon().name("inotify-" + root.getFileName()).start(w::run);
        log.info("watching {} ({} directories)", root, w.watches.size());
        return w;
    }

    /** Number of directories currently watched (for logs and tests). */
    public int watchCount() {
        return dirs.count();
    }

    /** Stops the thread (waking it through the eventfd), which then releases the inotify fd. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        closing = true;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment one = arena.allocate(ValueLayout.JAVA_LONG);
            one.set(ValueLayout.JAVA_LONG, 0, 1L);
            FileCalls.write(wakeFd, one, 8);
        } catch (ErrnoException e) {
            log.warn("cannot wake inotify thread: {}", e.getMessage());
        }
        if (Thread.currentThread() != thread) {
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void run() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(BUFFER_BYTES, 8);
            MemorySegment fds = arena.allocate(POLLFD, 2);
            fds.set(ValueLayout.JAVA_INT, 0, ifd);
            fds.set(ValueLayout.JAVA_SHORT, 4, POLLIN);
            fds.set(ValueLayout.JAVA_INT, 8, wakeFd);
            fds.set(ValueLayout.JAVA_SHORT, 12, POLLIN);
            while (!closing) {
                int n;
                try {
                    n = poll(fds, 2, pendingMove != null || deferred != null ? PAIR_WINDOW_MS : -1);
                } catch (ErrnoException e) {
                    if (e.errno() == Errno.EINTR) {
                        continue;
                    }
                    throw e;
                }
                if (closing) {
                    break;
                }
                if (n == 0) {
                    flushPendingMove();
                    settleDeferred();
                    continue;
                }
                if ((fds.get(ValueLayout.JAVA_SHORT, 6) & POLLIN) != 0) {
                    // Let the changes of a burst (rm -rf, untar) gather for a moment and read them
                    // together: this thread, the hub and every stream's drain then wake once per
                    // millisecond, not once per file, on the CPUs the server needs for the calls
                    // that make the burst; and a call through the server has mostly returned (and
                    // recorded its outcome, see Origins) by the time its change is judged.
                    LockSupport.parkNanos(GATHER_NANOS);
                    drain(buf);
                }
            }
        } catch (Throwable t) {
            // Never silent: the consumer must rescan everything.
            log.error("inotify watcher of {} failed; reporting overflow and stopping", root, t);
            emit(Change.of(Change.Kind.OVERFLOW, RelPath.ROOT, true));
        } finally {
            closeQuietly(ifd);
            closeQuietly(wakeFd);
        }
    }

    /** Reads until the (non-blocking) inotify fd is empty. */
    private void drain(MemorySegment buf) throws ErrnoException {
        while (!closing) {
            long n;
            try {
                n = FileCalls.read(ifd, buf, BUFFER_BYTES);
            } catch (ErrnoException e) {
                if (e.errno() == Errno.EAGAIN) {
                    return;
                }
                if (e.errno() == Errno.EINTR) {
                    continue;
                }
                throw e;
            }
            long off = 0;
            while (off + EVENT_HEADER_BYTES <= n) {
                int wd = buf.get(ValueLayout.JAVA_INT, off);
                int mask = buf.get(ValueLayout.JAVA_INT, off + 4);
                int cookie = buf.get(ValueLayout.JAVA_INT, off + 8);
                int len = buf.get(ValueLayout.JAVA_INT, off + 12);
                String name = len > 0 ? buf.getString(off + EVENT_HEADER_BYTES) : null;
                off += EVENT_HEADER_BYTES + len;
                handle(wd, mask, cookie, name == null || name.isEmpty() ? null : name);
            }
        }
    }

    private void handle(int wd, int mask, int cookie, String name) {
        if ((mask & IN_Q_OVERFLOW) != 0) {
            flushPendingMove();
            log.warn("inotify queue overflow on {} (fs.inotify.max_queued_events): reporting overflow", root);
            emit(Change.of(Change.Kind.OVERFLOW, RelPath.ROOT, true));
            return;
        }
        if ((mask & IN_IGNORED) != 0) {
            dirs.ignored(wd); // the kernel dropped this watch (directory deleted, or we removed it)
            return;
        }
        if (deferred != null && !(name == null && (mask & IN_MOVE_SELF) == 0)) {
            // (an event about a watched directory itself, such as the replaced target's
            // IN_ATTRIB, may come before the IN_MOVE_SELF: it does not decide)
            if (name == null && wd != watches.rootWd()) {
                // the moved directory's own watch, whichever the table had at its old name
                DeferredRename d = deferred;
                deferred = null;
                watches.put(wd, d.newParent, d.newName);
                dirs.watchUnwatched();
                return;
            }
            settleDeferred();
        }
        RelPath dir = watches.pathOf(wd);
        if (dir == null) {
            return; // a watch removed by us whose IN_IGNORED has not arrived yet
        }
        boolean isDir = (mask & IN_ISDIR) != 0;
        if (name == null) {
            // About the watched directory itself; subdirectories are reported by their parent.
            if (wd == watches.rootWd()) {
                if ((mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT)) != 0) {
                    flushPendingMove();
                    log.warn("share root {} was deleted, moved or unmounted: reporting overflow", root);
                    emit(Change.of(Change.Kind.OVERFLOW, RelPath.ROOT, true));
                } else if ((mask & IN_ATTRIB) != 0) {
                    emit(Change.of(Change.Kind.ATTRIB, RelPath.ROOT, true));
                }
            }
            return;
        }
        RelPath path;
        try {
            path = dir.resolve(name);
        } catch (FsException e) {
            // A name RelPath refuses (too long in UTF-16, ...): tell the consumer to rescan.
            flushPendingMove();
            log.warn("unrepresentable name in {}: {}", dir, e.getMessage());
            emit(Change.of(Change.Kind.OVERFLOW, dir, true));
            return;
        }
        if ((mask & IN_MOVED_TO) != 0) {
            PendingMove pm = pendingMove;
            if (pm != null && pm.cookie == cookie) {
                pendingMove = null;
                emit(new Change(Change.Kind.RENAMED, pm.from, path, isDir));
                if (isDir) {
                    movedDirectory(pm, wd, name, path);
                }
                return;
            }
            flushPendingMove();
            emit(Change.of(Change.Kind.CREATED, path, isDir));
            if (isDir) {
                dirs.scanTree(wd, name, path, true);
            }
            return;
        }
        flushPendingMove();
        if ((mask & (IN_MOVED_FROM | IN_DELETE)) != 0) {
            dirs.forgetUnwatched(wd, name); // its own move is followed, its delete needs nothing
        }
        if ((mask & IN_MOVED_FROM) != 0) {
            pendingMove = new PendingMove(cookie, path, isDir, wd, name);
        } else if ((mask & IN_CREATE) != 0) {
            emit(Change.of(Change.Kind.CREATED, path, isDir));
            if (isDir) {
                dirs.scanTree(wd, name, path, true);
            }
        } else if ((mask & IN_DELETE) != 0) {
            emit(Change.of(Change.Kind.DELETED, path, isDir));
        } else if ((mask & (IN_MODIFY | IN_CLOSE_WRITE)) != 0) {
            emit(Change.of(Change.Kind.MODIFIED, path, isDir));
        } else if ((mask & IN_ATTRIB) != 0) {
            emit(Change.of(Change.Kind.ATTRIB, path, isDir));
        }
    }

    /**
     * A directory rename not followed by an IN_MOVE_SELF (next event, or within
     * {@value #PAIR_WINDOW_MS} ms): the moved directory was not watched (a watch at its old name
     * is another directory, e.g. the other side of an exchange). It is watched where it is now.
     */
    private void settleDeferred() {
        DeferredRename d = deferred;
        if (d != null) {
            deferred = null;
            dirs.scanTree(d.newParent, d.newName, d.to, true);
        }
    }

    /** An IN_MOVED_FROM whose IN_MOVED_TO did not follow: moved out of the share. */
    private void flushPendingMove() {
        PendingMove pm = pendingMove;
        if (pm == null) {
            return;
        }
        pendingMove = null;
        emit(Change.of(Change.Kind.DELETED, pm.from, pm.directory));
        if (pm.directory) {
            dirs.unwatchTree(watches.children(pm.parentWd, pm.name));
            // moved where no watch was yet to see it arrive: its place there is tried again
            dirs.watchUnwatched();
        }
    }

    /**
     * The directory {@code pm} names was renamed to {@code newName} in the directory watched by
     * {@code newParent}: its watch moves there (see the class comment for which one).
     */
    private void movedDirectory(PendingMove pm, int newParent, String newName, RelPath to) {
        Set<Integer> candidates = watches.children(pm.parentWd, pm.name);
        if (candidates.isEmpty()) {
            // It was renamed before we could watch it (created and moved at once).
            dirs.scanTree(newParent, newName, to, true);
        } else {
            // Even one candidate may not be the moved directory: after an exchange's first half
            // the watched side sits at the name the unwatched side leaves in the second half.
            deferred = new DeferredRename(newParent, newName, to);
        }
    }

    private void emit(Change change) {
        try {
            listener.onChange(change);
        } catch (RuntimeException e) {
            log.error("change listener failed on {}", change, e);
        }
    }

    private static void closeQuietly(int fd) {
        try {
            FileCalls.close(fd);
        } catch (ErrnoException e) {
            // nothing useful to do
        }
    }
}
