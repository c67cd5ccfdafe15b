package dev.fsdriver.server.events;

import dev.fsdriver.backend.Backend;
import dev.fsdriver.backend.Change.Kind;
import dev.fsdriver.backend.FileAttributes;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.server.events.EventHub.Event;
import io.grpc.Context;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.function.ToLongFunction;

/**
 * Who made a change: tells a Watch stream which events are the echo of its own client's
 * changes, so that they are not sent back (the client's kernel saw those changes happen) while
 * every change made by anyone else is, even on a path the client changed a moment before.
 *
 * <p>How: every mutation a session makes through the Files service records the path's state
 * right after it (inode, size, mtime, ctime; for a directory, whose times move with its
 * entries, inode, mode and owner; or "gone"). An event is the session's own when,
 * for every path it names, the last recorded change is that session's, is settled, and the
 * path is still in exactly the recorded state (a delete, or a rename's source, needs no look:
 * "gone" was recorded). Any later change by someone else moves ctime (which no program can
 * set), so it shows as foreign and reaches the client, and from then on the record is dropped:
 * no later event of that path passes for the session's. Recording begins
 * before the backend call ({@link #begin}) because the watcher may report the change before
 * the call returns: until the call has recorded its outcome the verdict is {@link Verdict#WAIT}.
 *
 * <p>Limits, on purpose on the safe side: a foreign change between the client's operation and
 * the server's look at the result (microseconds) is taken for the client's; events of a
 * session's change that arrive after {@code keepNanos} are sent back (an extra invalidation).
 * File systems whose ctime is coarse or missing (FAT) weaken the test to size and mtime.
 *
 * <p>Thread-safe: records live in a concurrent map, each replaced or updated atomically.
 */
public final class Origins {
    /** The session of a call (its number, from the session Hello issued and the call presented on its connection; 0: none). */
    public static final Context.Key<Long> SESSION = Context.key("fsdriver-session");

    /** What a Watch stream does with an event. */
    public enum Verdict {
        /** The session's own change, still the path's current state: do not send. */
        OWN,
        /** Someone else's change (or cannot tell): send. */
        FOREIGN,
        /** The session is changing the path right now: decide once its call has returned. */
        WAIT
    }

    /**
     * The last change a session made to a path; {@code after == null}: the path is gone.
     * {@code overlapped}: two of its changes were in progress at once (write-behind sends a
     * file's writes concurrently), so the last to end need not have looked last.
     */
    private record Record(long session, int inProgress, FileAttributes after, long atNanos, boolean overlapped) {}

    private final Backend backend;
    private final LongSupplier clock;
    private final long keepNanos;
    private final ConcurrentHashMap<RelPath, Record> records = new ConcurrentHashMap<>();
    private volatile long lastSweep;
    /** The node id clients know a file by (from its attributes), 0 if none was handed out. */
    private final ToLongFunction<FileAttributes> nodeOf;

    public Origins(Backend backend, LongSupplier nanoClock, long keepNanos) {
        this(backend, nanoClock, keepNanos, a -> 0);
    }

    public Origins(Backend backend, LongSupplier nanoClock, long keepNanos, ToLongFunction<FileAttributes> nodeOf) {
        this.backend = backend;
        this.clock = nanoClock;
        this.keepNanos = keepNanos;
        this.nodeOf = nodeOf;
    }

    /** Records kept 10 s: events follow their change within milliseconds, even in a storm. */
    public Origins(Backend backend, ToLongFunction<FileAttributes> nodeOf) {
        this(backend, System::nanoTime, 10_000_000_000L, nodeOf);
    }

    public Origins(Backend backend) {
        this(backend, a -> 0);
    }

    /**
     * The node id clients hold the file with attributes {@code a} by, or 0. An event names one
     * path, but a file with hard links is one node under all its names: a client may hold it by
     * another name than the event's.
     */
    public long node(FileAttributes a) {
        return nodeOf.applyAsLong(a);
    }

    /** The calling session, or 0 outside a call or when the client sent none. */
    public static long currentSession() {
        Long s = SESSION.get();
        return s == null ? 0 : s;
    }

    /** {@code session} is about to change {@code path}. Pair with one of the three below. */
    public void begin(long session, RelPath path) {
        if (session == 0) {
            return;
        }
        long now = clock.getAsLong();
        records.compute(path, (p, r) -> r != null && r.session == session
                ? new Record(session, r.inProgress + 1, r.after, now, r.overlapped || r.inProgress > 0)
                : new Record(session, 1, null, now, false));
        sweep(now);
    }

    /** The change succeeded and left {@code path} with {@code after}. */
    public void changed(long session, RelPath path, FileAttributes after) {
        end(session, path, after, true);
    }

    /** The change succeeded and {@code path} is gone (unlink, rmdir, renamed away). */
    public void removed(long session, RelPath path) {
        end(session, path, null, true);
    }

    /** The change failed: whatever the path holds now is not known to be the session's. */
    public void failed(long session, RelPath path) {
        end(session, path, null, false);
    }

    private void end(long session, RelPath path, FileAttributes after, boolean succeeded) {
        if (session == 0) {
            return;
        }
        long now = clock.getAsLong();
        records.compute(path, (p, r) -> {
            if (r == null || r.session != session) {
                return r; // another session changed it meanwhile: its record stands
            }
            int left = Math.max(0, r.inProgress - 1);
            if (!succeeded) {
                return left == 0 ? null : new Record(session, left, r.after, now, r.overlapped);
            }
            if (left == 0 && r.overlapped) {
                // The last of changes made at once: each looked at the path after its own change,
                // but not necessarily in the order they end here (a write that looked before the
                // next one ended after it), so look now. No change of the session can begin while
                // this runs (begin waits for the map's lock on this path), and none is in progress.
                return new Record(session, 0, current(path), now, false);
            }
            return new Record(session, left, after, now, r.overlapped);
        });
    }

    /**
     * {@code from} was renamed to {@code to} (a plain rename, done): the records of the paths
     * below it follow the move (issue 9: a file's own changes came back as someone else's once
     * its parent directory was renamed, because records are keyed by path). A settled record
     * whose file is still in the recorded state at its new path moves there, and its old path is
     * recorded as gone for the same session: an event of the old path still to be judged
     * happened before the rename (a later one would follow a CREATED there, which finds the path
     * back and drops that record). A record whose file changed since is dropped (someone else's
     * change: its events go out); one still in progress stays where it is (its call ends under
     * the old path; its events then go out, on the safe side). Walks all records (kept 10 s).
     */
    public void moved(RelPath from, RelPath to) {
        for (Map.Entry<RelPath, Record> e : records.entrySet()) {
            RelPath p = e.getKey();
            Record r = e.getValue();
            if (p.equals(from) || !p.startsWith(from) || r.inProgress > 0 || r.after == null) {
                continue;
            }
            RelPath q = p.rebase(from, to);
            if (records.remove(p, r) && sameState(r.after, current(q))) {
                records.putIfAbsent(q, r);
                records.putIfAbsent(p, new Record(r.session, 0, null, r.atNanos, false));
            }
        }
    }

    /** Whether {@code e} is the echo of {@code session}'s own change (see the class comment). */
    public Verdict judge(long session, Event e) {
        if (session == 0 || e.kind() == Kind.OVERFLOW) {
            return Verdict.FOREIGN;
        }
        // a delete, or a rename's source, is the session's if it left the path gone: no need to
        // look; so is a change of a path the session removed (events come in the order of the
        // changes, so it happened before the removal: one made by someone else after it would
        // follow their CREATED, which shows the path back and drops the record)
        boolean gone = e.kind() != Kind.CREATED;
        Verdict v = judge(session, e.path(), gone);
        if (v == Verdict.OWN && e.newPath() != null) {
            v = judge(session, e.newPath(), false);
        }
        return v;
    }

    private Verdict judge(long session, RelPath path, boolean expectGone) {
        while (true) {
            Record r = records.get(path);
            if (r == null || r.session != session || clock.getAsLong() - r.atNanos > keepNanos) {
                return Verdict.FOREIGN;
            }
            if (r.inProgress > 0) {
                return Verdict.WAIT;
            }
            if (expectGone && r.after == null) {
                return Verdict.OWN; // see judge(session, event)
            }
            if (sameState(r.after, current(path))) {
                return Verdict.OWN;
            }
            if (records.get(path) != r) {
                // a change was recorded between the look at the record and the look at the path
                // (the session's next write of a file it is busy with, sqlite's journal): the
                // path is to be compared with that newer record, not taken for someone else's
                continue;
            }
            // Someone else changed the path since: none of its later events is the session's either
            // (a foreign re-create and delete must not pass for the session's earlier delete).
            records.remove(path, r);
            return Verdict.FOREIGN;
        }
    }

    /** Whether some session changed {@code path} within the keep time (or is changing it now). */
    public boolean changedBySession(RelPath path) {
        Record r = records.get(path);
        return r != null && (r.inProgress > 0 || clock.getAsLong() - r.atNanos <= keepNanos);
    }

    /** The path's attributes now (not following a symlink), or null when it is gone or unreadable. */
    public FileAttributes current(RelPath path) {
        try {
            return backend.stat(path);
        } catch (FsException e) {
            return null;
        }
    }

    private static boolean sameState(FileAttributes recorded, FileAttributes now) {
        if (recorded == null || now == null) {
            return recorded == null && now == null;
        }
        if (recorded.isDirectory() && now.isDirectory()) {
            // a directory's times and size move with its entries, whose changes have events of
            // their own: what is the directory's own is its identity, mode and owner
            return recorded.ino() == now.ino() && recorded.mode() == now.mode()
                    && recorded.uid() == now.uid() && recorded.gid() == now.gid();
        }
        return recorded.ino() == now.ino() && recorded.size() == now.size()
                && recorded.mtimeNs() == now.mtimeNs() && recorded.ctimeNs() == now.ctimeNs();
    }

    /** Forgets records older than the keep time (at most every keep time, on a recording thread). */
    private void sweep(long now) {
        if (now - lastSweep > keepNanos) {
            lastSweep = now;
            records.values().removeIf(r -> r.inProgress == 0 && now - r.atNanos > keepNanos);
        }
    }

    /** Records held (for tests and statistics). */
    int size() {
        return records.size();
    }
}
