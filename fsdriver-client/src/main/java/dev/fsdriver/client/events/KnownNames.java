package dev.fsdriver.client.events;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The names watchers on the mount know in each directory: what an overflow resync compares its
 * listing with, so that it announces only real differences (issue 10, B6). Per directory, name
 * -> inode number (0: not known).
 *
 * <p>Where the names come from, and why not from every listing: a listing shows the server's
 * state ahead of its event stream, so a name listed while its CREATED was still on its way may
 * have been lost with it, and must then be announced. So a directory's names are taken from a
 * listing only once, when nothing is known of it yet (a directory that existed before the mount
 * saw it: a watcher starting on it sees what is there); from then on only from what watchers are
 * told: applied events, the mount's own changes and resyncs. A directory created by an event or
 * through the mount starts empty. A directory not known here (never listed) gets the old rule:
 * every name is announced.
 *
 * <p>Limits: the first listing of a directory races with its own event stream (a name listed
 * there whose event is lost is not announced); an inode number reused for a file deleted and
 * created again under the same name during a loss is taken for the same file. Both would need
 * the server's event sequence number with each listing.
 */
final class KnownNames {
    private final ConcurrentHashMap<Long, ConcurrentHashMap<String, Long>> dirs = new ConcurrentHashMap<>();
    /** Directory handles whose listing is a directory's first: its names are taken. */
    private final Set<Long> firstListings = ConcurrentHashMap.newKeySet();
    private static final int MAX_DIRS = 100_000;

    /** A directory opened for listing by a program: its first listing is taken as the baseline. */
    void opened(long dir, long fh) {
        if (!dirs.containsKey(dir) && dirs.size() < MAX_DIRS) {
            dirs.putIfAbsent(dir, new ConcurrentHashMap<>());
            firstListings.add(fh);
        }
    }

    /** A name listed through handle {@code fh} of {@code dir}. */
    void listed(long dir, long fh, String name, long ino) {
        if (!firstListings.contains(fh) || name.equals(".") || name.equals("..")) {
            return;
        }
        Map<String, Long> names = dirs.get(dir);
        if (names != null) {
            names.put(name, ino);
        }
    }

    void closed(long fh) {
        firstListings.remove(fh);
    }

    /** A directory that was just created: empty as far as anybody knows. */
    void createdDir(long dir) {
        if (dirs.size() < MAX_DIRS) {
            dirs.put(dir, new ConcurrentHashMap<>());
        }
    }

    /** {@code name} was announced to watchers in {@code dir} (an event applied, or made through the mount). */
    void added(long dir, String name, long ino) {
        Map<String, Long> names = dirs.get(dir);
        if (names != null) {
            names.put(name, ino);
        }
    }

    void removed(long dir, String name) {
        Map<String, Long> names = dirs.get(dir);
        if (names != null) {
            names.remove(name);
        }
    }

    /** The kernel let go of {@code dir}: its events are no longer applied, so what is known would go stale. */
    void drop(long dir) {
        dirs.remove(dir);
    }

    /** The names known in {@code dir}, or null when nothing is known of it. */
    Map<String, Long> of(long dir) {
        Map<String, Long> names = dirs.get(dir);
        return names == null ? null : Map.copyOf(names);
    }

    /** After a resync: what watchers now know of {@code dir}. */
    void replace(long dir, Map<String, Long> names) {
        dirs.put(dir, new ConcurrentHashMap<>(names));
    }

    /** Whether {@code ino} (listed now) is the file {@code known} stood for (0: not known, the name decides). */
    static boolean same(Long known, long ino) {
        return known != null && (known == 0 || ino == 0 || known == ino);
    }
}
