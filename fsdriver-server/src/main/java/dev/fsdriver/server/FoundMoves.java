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
 * directory at a new path, or a GetAttr's search found it by its file id), so that the watcher's
 * own later report of the same move is not published again: above all not as the DELETED of the
 * old name a watcher reports when it did not see the target (Wine, which watches only what a
 * Windows process opened; a target outside the share). Clients would take that DELETED for the
 * end of the directory, and of the working directory of every process in it (issue 10, B6).
 *
 * <p>A record is the old name's. It is spent by the watcher's report of it, and dropped by any
 * other news of that name or of a directory above it (a CREATED there, or a rename to it, is a new
 * file whose later DELETED is real) or of a loss there (OVERFLOW: clients resync anyway). No time limit: the report may wait long
 * behind a search in the {@link FollowQueue}; at most {@link #MAX} are kept, the oldest go first.
 *
 * <p>Locking: {@code this}, taken last (under the node table's lock by {@link #found}); the
 * watcher's thread and the FollowQueue's worker ask {@link #published}.
 */
final class FoundMoves {
    private static final Logger LOG = LoggerFactory.getLogger(FoundMoves.class);
    /** Found moves are rare; a report that never comes (an event lost without an overflow) must not pile up. */
    static final int MAX = 1024;

    /** Old name -> new name, oldest first. */
    private final Map<RelPath, RelPath> byFrom = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<RelPath, RelPath> eldest) {
            return size() > MAX;
        }
    };

    /** The directory at {@code from} was found at {@code to}, and that move is to be published. */
    synchronized void found(RelPath from, RelPath to) {
        byFrom.remove(from);
        byFrom.put(from, to);
    }

    /** The move found from {@code from} is not published after all. */
    synchronized void forget(RelPath from) {
        byFrom.remove(from);
    }

    /**
     * Whether the watcher's {@code c} reports a move published already: its DELETED of the old
     * name, or its RENAMED of the old name to the same new one. Spends or drops what it matches.
     */
    synchronized boolean published(Change c) {
        if (byFrom.isEmpty()) {
            return false;
        }
        switch (c.kind()) {
            case OVERFLOW -> dropUnder(c.path());
            case CREATED -> dropUnder(c.path());
            case DELETED -> {
                return byFrom.remove(c.path()) != null;
            }
            case RENAMED -> {
                RelPath to = byFrom.remove(c.path());
                dropUnder(c.newPath()); // something else there now
                return to != null && to.equals(c.newPath());
            }
            default -> { }
        }
        return false;
    }

    /** Drops the records of {@code p} and of the names below it. */
    private void dropUnder(RelPath p) {
        byFrom.keySet().removeIf(from -> from.startsWith(p));
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
