package dev.fsdriver.server.events;

import dev.fsdriver.backend.Change;
import dev.fsdriver.backend.Change.Kind;
import dev.fsdriver.backend.RelPath;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * The debounce windows of an {@link EventHub}, leading and trailing edge: the first MODIFIED (or
 * ATTRIB) of a path is published at once and opens a window; repeats inside it are coalesced into
 * one trailing event, published when the path has been quiet for the window, or at most
 * {@code maxDelay} after the window opened.
 *
 * <p>Not thread-safe: guarded by the hub's monitor, which calls it only from its synchronized
 * methods; {@code publish} is the hub's (it numbers and batches under the same monitor).
 */
final class Debouncer {
    /** The hub's publishing: {@code seenAt} is when the change (a coalesced one: its last) arrived, on the hub's clock. */
    @FunctionalInterface
    interface Publisher {
        void publish(Change c, long seenAt);
    }

    private record Key(Kind kind, RelPath path) {}

    /** A path's open window; {@code dirty}: a coalesced event waits to be published. */
    private static final class Pending {
        final Change change;
        final long first;
        /** When the last change coalesced into it arrived (the hub's clock). */
        long last;
        long due;
        boolean dirty;

        Pending(Change change, long first, long due) {
            this.change = change;
            this.first = first;
            this.last = first;
            this.due = due;
        }
    }

    private final long debounceNanos;
    private final long maxDelayNanos;
    private final Publisher publish;
    /** In arrival order: trailing events of several paths come out in the order they began. */
    private final LinkedHashMap<Key, Pending> pending = new LinkedHashMap<>();

    Debouncer(long debounceNanos, long maxDelayNanos, Publisher publish) {
        this.debounceNanos = debounceNanos;
        this.maxDelayNanos = maxDelayNanos;
        this.publish = publish;
    }

    /**
     * A MODIFIED or ATTRIB at {@code now}: published now (leading edge) or coalesced. Returns
     * true if coalesced; {@link #due(Change)} then says when its window closes.
     */
    boolean offer(Change c, long now) {
        Key key = new Key(c.kind(), c.path());
        Pending p = pending.get(key);
        if (p != null && (p.dirty || p.due - now > 0)) {
            p.dirty = true;
            p.last = now;
            p.due = Math.min(now + debounceNanos, p.first + maxDelayNanos);
            return true;
        }
        // Leading edge: publish now, open the window.
        pending.put(key, new Pending(c, now, now + debounceNanos));
        publish.publish(c, now);
        return false;
    }

    /** When the window of {@code c}'s path and kind closes. */
    long due(Change c) {
        return pending.get(new Key(c.kind(), c.path())).due;
    }

    /**
     * Closes the windows that fell due at {@code now}, publishing their trailing events; a
     * published one opens a new (quiet) window, which keeps a continuous stream at one per window.
     * Returns the earliest due time still open, or Long.MAX_VALUE.
     */
    long closeDue(long now) {
        long next = Long.MAX_VALUE;
        List<Pending> reopened = null;
        for (Iterator<Pending> it = pending.values().iterator(); it.hasNext(); ) {
            Pending p = it.next();
            if (p.due - now > 0) {
                next = Math.min(next, p.due);
                continue;
            }
            it.remove();
            if (p.dirty) {
                publish.publish(p.change, p.last);
                if (reopened == null) {
                    reopened = new ArrayList<>();
                }
                reopened.add(new Pending(p.change, now, now + debounceNanos));
            }
        }
        if (reopened != null) {
            for (Pending p : reopened) {
                pending.put(new Key(p.change.kind(), p.change.path()), p);
            }
            next = Math.min(next, now + debounceNanos);
        }
        return next;
    }

    /**
     * Closes the windows of {@code path} (and below it, for a directory), publishing coalesced
     * events first, in arrival order: one path's events are never reordered.
     */
    void flush(RelPath path, boolean directory) {
        if (pending.isEmpty()) {
            return;
        }
        if (!directory) {
            Pending m = pending.remove(new Key(Kind.MODIFIED, path));
            Pending a = pending.remove(new Key(Kind.ATTRIB, path));
            if (m != null && a != null && a.first - m.first < 0) {
                Pending t = m;
                m = a;
                a = t;
            }
            if (m != null && m.dirty) {
                publish.publish(m.change, m.last);
            }
            if (a != null && a.dirty) {
                publish.publish(a.change, a.last);
            }
            return;
        }
        for (Iterator<Pending> it = pending.values().iterator(); it.hasNext(); ) {
            Pending p = it.next();
            if (p.change.path().startsWith(path)) {
                it.remove();
                if (p.dirty) {
                    publish.publish(p.change, p.last);
                }
            }
        }
    }

    /** Forgets the windows under {@code dir} (an OVERFLOW covers them). */
    void dropUnder(RelPath dir) {
        pending.values().removeIf(p -> p.change.path().startsWith(dir));
    }

    void clear() {
        pending.clear();
    }
}
