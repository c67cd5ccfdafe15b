package dev.fsdriver.client;

import dev.fsdriver.common.FileMode;
import dev.fsdriver.proto.v1.Attr;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * Attributes of regular files known current without asking the server, while change events
 * flow (issues 13 and 17): what the server answered last for the node (Open, Create, GetAttr,
 * SetAttr) and, on top, each Write's reply, which carries the file's attributes after that write.
 * The kernel asks for a file's attributes after every write through the mount and after every
 * read (the atime it holds is then stale); both are answered from here.
 *
 * <p>What is kept is dropped when it may no longer be the server's truth: every change event and
 * every change of the event stream's state drops all ({@link #changedElsewhere}: the server sends
 * a mount only other sessions' changes); a change through the mount that brings no attributes
 * back drops its node, or all when only a name is known (unlink, rename: {@link #dropAll}).
 *
 * <p>Locking: none. A reply races with a drop through {@link #epoch}: every drop moves it first,
 * a reply is kept only with the epoch read before its call was sent, and used only while that
 * epoch is still the current one.
 */
final class KnownAttrs {
    private static final int MAX_NODES = 1 << 16;
    private static final int SET_ID = FileMode.S_ISUID | FileMode.S_ISGID;

    private record Known(Attr attr, long epoch) {}

    private final ConcurrentHashMap<Long, Known> known = new ConcurrentHashMap<>();
    private final AtomicLong epoch = new AtomicLong();
    private volatile BooleanSupplier live = () -> false;

    /** Keeps attributes only while {@code live} holds (the change events flow). */
    void enableWhile(BooleanSupplier live) {
        this.live = live;
    }

    /** Read before a call whose reply is to be kept. */
    long epoch() {
        return epoch.get();
    }

    /** The attributes of {@code node} as the server last said, if nothing may have changed them since; else null. */
    Attr get(long node) {
        Known k = known.get(node);
        return k != null && k.epoch == epoch.get() && live.getAsBoolean() ? k.attr : null;
    }

    /** The server answered {@code attr} for {@code node} to a call sent at {@code sentAt} (its whole truth then). */
    void answered(long node, Attr attr, long sentAt) {
        if (!keepable(attr, sentAt)) {
            return;
        }
        known.put(node, new Known(attr, sentAt));
    }

    /**
     * A write to {@code node} sent at {@code sentAt} was answered with {@code attr}. Replies of
     * writes in flight together may arrive in any order, and file times may be coarser than the
     * gap between them: the largest size and times win, and a set-id bit any write cleared stays
     * cleared (a write never sets one).
     */
    void written(long node, Attr attr, long sentAt) {
        if (!keepable(attr, sentAt)) {
            return;
        }
        known.compute(node, (n, k) -> k == null || k.epoch != sentAt ? new Known(attr, sentAt)
                : new Known(merged(k.attr, attr), sentAt));
    }

    private static Attr merged(Attr had, Attr got) {
        return got.toBuilder()
                .setSize(Math.max(had.getSize(), got.getSize()))
                .setBlocks(Math.max(had.getBlocks(), got.getBlocks()))
                .setMtimeNs(Math.max(had.getMtimeNs(), got.getMtimeNs()))
                .setCtimeNs(Math.max(had.getCtimeNs(), got.getCtimeNs()))
                .setAtimeNs(Math.max(had.getAtimeNs(), got.getAtimeNs()))
                .setMode(got.getMode() & ~(SET_ID & ~had.getMode()))
                .build();
    }

    private boolean keepable(Attr attr, long sentAt) {
        if (!FileMode.isRegular(attr.getMode()) || sentAt != epoch.get() || !live.getAsBoolean()) {
            return false;
        }
        if (known.size() >= MAX_NODES) {
            known.clear();
        }
        return true;
    }

    /** The mount changed {@code node} in a way whose attributes did not come back. */
    void drop(long node) {
        epoch.incrementAndGet();
        known.remove(node);
    }

    /** The mount changed a name (its node is not known here): nothing kept is sure any more. */
    void dropAll() {
        epoch.incrementAndGet();
        if (!known.isEmpty()) {
            known.clear();
        }
    }

    /** A change event arrived, or the event stream changed state. */
    void changedElsewhere() {
        dropAll();
    }
}
