package dev.fsdriver.server;

import dev.fsdriver.backend.Change;
import dev.fsdriver.backend.ChangeListener;
import dev.fsdriver.backend.RelPath;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Directory moves the server found itself and published as a RENAMED (a Lookup met a held
 * directory at a new path, a GetAttr's search or a watcher's DELETED found it by its file id), so
 * that the watcher's own later report of the same move is not published again: above all not as
 * the DELETED of the old name a watcher reports when it did not see the target (Wine, which
 * watches only what a Windows process opened; a target outside the share), nor as a CREATED of
 * the new name (Wine's report of a move into a directory it watches). Clients would take the
 * DELETED for the end of the directory, and of the working directory of every process in it
 * (issue 10, B6), and a CREATED of a name they hold would drop its entry (the same).
 *
 * <p>Each side is a record of its own, spent by the watcher's report of it (a DELETED of the old
 * name, a CREATED of the new one, or one RENAMED of both). A record of the old name is dropped by
 * any other news of that name or of a directory above it (a CREATED there, or a rename to it, is
 * a new file whose later DELETED is real); one of the new name by its DELETED or a rename away
 * (a later CREATED there is real); both by a loss there (OVERFLOW: clients resync anyway). No time
 * limit: a report may wait long behind a search in the {@link FollowQueue}; at most {@link #MAX}
 * of each side are kept, the oldest go first.
 *
 * <p>Locking: {@code this}, taken last (under the node table's lock by {@link #found}); the
 * watcher's thread and the FollowQueue's worker ask {@link #published}.
 */
final class FoundMoves {
    private static final Logger LOG = LoggerFactory.getLogger(FoundMoves.class);
    /** Found moves are rare; a report that never comes (an event lost without an overflow) must not pile up. */
    static final int MAX = 1024;

    /** Old name -> new name, oldest first. */
    private final Map<RelPath, RelPath> byFrom = bounded();
    /** New name -> old name, oldest first. */
    private final Map<RelPath, RelPath> byTo = bounded();

    private static Map<RelPath, RelPath> bounded() {
        return new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<RelPath, RelPath> eldest) {
                return size() > MAX;
            }
        };
    }

    /** The directory at {@code from} was found at {@code to}, and that move is to be published. */
    synchronized void found(RelPath from, RelPath to) {
        byFrom.remove(from);
        byFrom.put(from, to);
        arrived(to, from);
    }

    /**
     * A directory arrived at {@code to} from {@code from} as a RENAMED published for the watcher's
     * DELETED of {@code from} (which that search answered): only its new name is still to be reported.
     */
    synchronized void arrived(RelPath to, RelPath from) {
        byTo.remove(to);
        byTo.put(to, from);
    }

    /** The move found from {@code from} is answered otherwise: its old name's record goes. */
    synchronized void forget(RelPath from) {
        byFrom.remove(from);
    }

    /** Whether the watcher's {@code c} reports a move published already. Spends or drops what it matches. */
    synchronized boolean published(Change c) {
        if (byFrom.isEmpty() && byTo.isEmpty()) {
            return false;
        }
        switch (c.kind()) {
            case OVERFLOW -> {
                dropUnder(byFrom, c.path());
                dropUnder(byTo, c.path());
            }
            case CREATED -> {
                if (byTo.remove(c.path()) != null) {
                    return true;
                }
                dropUnder(byFrom, c.path());
            }
            case DELETED -> {
                byTo.remove(c.path()); // the new name left again: a later CREATED there is real
                return byFrom.remove(c.path()) != null;
            }
            case RENAMED -> {
                RelPath to = byFrom.remove(c.path());
                byTo.remove(c.path()); // the new name left again
                byTo.remove(c.newPath()); // this move's report, or something else there now
                dropUnder(byFrom, c.newPath());
                return to != null && to.equals(c.newPath());
            }
            default -> { }
        }
        return false;
    }

    /** Drops the records of {@code p} and of the names below it. */
    private static void dropUnder(Map<RelPath, RelPath> records, RelPath p) {
        if (!records.isEmpty()) {
            records.keySet().removeIf(name -> name.startsWith(p));
        }
    }

    /** {@code hub} without the watcher's reports of moves published already. */
    ChangeListener unlessPublished(String share, ChangeListener hub) {
        return c -> {
            if (published(c)) {
                LOG.debug("share '{}': {} of '{}' was published as the move the server found", share, c.kind(), c.path());
            } else {
                hub.onChange(c);
            }
        };
    }
}
