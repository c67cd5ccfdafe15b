package dev.fsdriver.backend.posix.watch;

import static dev.fsdriver.linux.InotifyCalls.inotify_add_watch;
import static dev.fsdriver.linux.InotifyCalls.inotify_rm_watch;

import dev.fsdriver.backend.Change;
import dev.fsdriver.backend.ChangeListener;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.common.Errno;
import dev.fsdriver.linux.ErrnoException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The watches of an {@link InotifyWatcher}: one per directory, added by path with the parent's
 * watch and the name recorded in its {@link WatchTree}; a directory found later is watched first,
 * then scanned (what the scan finds reported as CREATED); a subtree moved out is unwatched; and a
 * directory whose path an unread ancestor rename made wrong is tried again after each directory
 * rename. A directory that cannot be watched becomes OVERFLOW(that directory), with a log line.
 *
 * <p>Threading: the watcher thread's alone, like the tree (the initial walk runs before that
 * thread starts); only {@link #count} is read by other threads.
 */
final class DirectoryWatches {
    /** The watcher's logger: its lines keep their name (log settings, and what operators grep for). */
    private static final Logger log = LoggerFactory.getLogger(InotifyWatcher.class);

    private final Path root;
    private final int ifd;
    private final WatchTree watches;
    /** The watcher's listener (its own emit, which logs a listener's failure). */
    private final ChangeListener listener;
    private volatile int watchCount;
    private boolean limitLogged;
    /**
     * Directories whose watch, added by path, failed because the path no longer led to them:
     * an ancestor may have been renamed on disk before its rename was read. Tried again at
     * their parent's new path after each directory rename; forgotten when their own delete or
     * rename is read, or their parent's watch goes.
     */
    private final Set<Unwatched> unwatched = new HashSet<>();

    /** A directory not watched: its parent's watch and its name there. */
    private record Unwatched(int parent, String name) {}

    DirectoryWatches(Path root, int ifd, WatchTree watches, ChangeListener listener) {
        this.root = root;
        this.ifd = ifd;
        this.watches = watches;
        this.listener = listener;
    }

    /** Number of directories currently watched (read by any thread). */
    int count() {
        return watchCount;
    }

    /** The kernel dropped watch {@code wd} (IN_IGNORED): directory deleted, or unwatched here. */
    void ignored(int wd) {
        if (watches.remove(wd)) {
            watchCount = watches.size();
        }
        unwatched.removeIf(u -> u.parent == wd);
    }

    /** {@code name} in the directory watched by {@code wd} was deleted or moved: no retry for it. */
    void forgetUnwatched(int wd, String name) {
        unwatched.remove(new Unwatched(wd, name));
    }

    /**
     * Watches {@code top} and every directory below it (depth first, without following links).
     * With {@code report}, every entry found is reported as CREATED, each parent before its
     * children. The watch is added before the listing, so entries created meanwhile show up in
     * the listing, as an event, or both.
     */
    void scanTree(int parentWd, String name, RelPath top, boolean report) {
        record Todo(int parentWd, String name, RelPath dir) {}
        Deque<Todo> todo = new ArrayDeque<>();
        todo.push(new Todo(parentWd, name, top));
        while (!todo.isEmpty()) {
            Todo t = todo.pop();
            RelPath dir = t.dir;
            int wd = dir.isRoot() ? watches.rootWd() : addWatch(t.parentWd, t.name, dir);
            if (wd < 0) {
                continue;
            }
            Path abs = absolute(dir);
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(abs)) {
                for (Path child : ds) {
                    RelPath rel;
                    try {
                        rel = dir.resolve(child.getFileName().toString());
                    } catch (FsException e) {
                        listener.onChange(Change.of(Change.Kind.OVERFLOW, dir, true));
                        continue;
                    }
                    boolean childDir;
                    try {
                        childDir = Files.readAttributes(child, BasicFileAttributes.class,
                                LinkOption.NOFOLLOW_LINKS).isDirectory();
                    } catch (IOException e) {
                        continue; // gone again: its delete event follows
                    }
                    if (report) {
                        listener.onChange(Change.of(Change.Kind.CREATED, rel, childDir));
                    }
                    if (childDir) {
                        todo.push(new Todo(wd, rel.name(), rel));
                    }
                }
            } catch (NoSuchFileException | NotDirectoryException e) {
                // Gone or replaced meanwhile: the events about that follow.
            } catch (IOException | RuntimeException e) {
                log.warn("cannot list {}: {}; reporting overflow for it", abs, e.toString());
                listener.onChange(Change.of(Change.Kind.OVERFLOW, dir, true));
            }
        }
        watchCount = watches.size();
    }

    /**
     * Adds the watch for {@code dir}, named {@code name} in the directory watched by
     * {@code parentWd}; -1 if it is gone, could not be watched (reported), or is watched already
     * under another parent or name (another directory, moved there by a rename not read yet).
     */
    private int addWatch(int parentWd, String name, RelPath dir) {
        try {
            int wd = inotify_add_watch(ifd, absolute(dir).toString(), InotifyWatcher.DIR_MASK);
            if (watches.contains(wd) && !watches.isAt(wd, parentWd, name)) {
                // Another watched directory is at this path now: moved here by a rename not read
                // yet, which will move its entry. Renaming it now would put the events of both
                // under wrong paths; the directory meant here went elsewhere, its events follow.
                // Tried again once that rename is read: it may never move the entry (no
                // IN_MOVED_TO when this directory's parent was not watched yet at the rename).
                log.debug("watch of {} is that of {}, moved there by a rename not read yet", dir, watches.pathOf(wd));
                if (parentWd >= 0) {
                    unwatched.add(new Unwatched(parentWd, name));
                }
                return -1;
            }
            watches.put(wd, parentWd, name);
            return wd;
        } catch (ErrnoException e) {
            if (e.errno() == Errno.ENOENT || e.errno() == Errno.ENOTDIR) {
                if (parentWd >= 0) {
                    unwatched.add(new Unwatched(parentWd, name));
                }
                return -1; // gone or replaced (events about that follow), or an ancestor renamed
            }
            if (e.errno() == Errno.ENOSPC && !limitLogged) {
                limitLogged = true;
                log.warn("inotify watch limit reached (sysctl fs.inotify.max_user_watches) at {} directories;"
                        + " changes in unwatched directories of {} are reported as overflow", watches.size(), root);
            } else {
                log.warn("cannot watch {}/{}: {}; reporting overflow for it", root, dir, Errno.name(e.errno()));
            }
            listener.onChange(Change.of(Change.Kind.OVERFLOW, dir, true));
            return -1;
        }
    }

    /** A directory moved out of the share: stop watching it (each of {@code tops}) and everything under it. */
    void unwatchTree(Set<Integer> tops) {
        if (tops.isEmpty()) {
            return;
        }
        for (int wd : watches.removeSubtrees(tops)) {
            try {
                inotify_rm_watch(ifd, wd);
            } catch (ErrnoException ex) {
                // EINVAL: already gone
            }
        }
        watchCount = watches.size();
    }

    /** Tries the directories in {@link #unwatched} again, at their parents' paths as known now. */
    void watchUnwatched() {
        if (unwatched.isEmpty()) {
            return;
        }
        List<Unwatched> retry = new ArrayList<>(unwatched);
        unwatched.clear();
        for (Unwatched u : retry) {
            RelPath parent = watches.pathOf(u.parent);
            if (parent == null) {
                continue;
            }
            if (!watches.children(u.parent, u.name).isEmpty()) {
                continue; // a rename moved the directory's watch here: watched already
            }
            try {
                scanTree(u.parent, u.name, parent.resolve(u.name), true);
            } catch (FsException e) {
                listener.onChange(Change.of(Change.Kind.OVERFLOW, parent, true));
            }
        }
    }

    private Path absolute(RelPath p) {
        return p.isRoot() ? root : root.resolve(p.toString());
    }
}
