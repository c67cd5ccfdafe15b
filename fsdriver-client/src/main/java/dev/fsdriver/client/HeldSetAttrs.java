package dev.fsdriver.client;

import dev.fsdriver.client.cache.KnownAttrs;
import dev.fsdriver.common.FileMode;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.fuse.FuseSetAttr;
import dev.fsdriver.proto.v1.Attr;
import dev.fsdriver.proto.v1.SetAttrRequest;
import dev.fsdriver.proto.v1.TimeSpec;

/**
 * SETATTRs held back with a file's writes (issue 13, "writes in bulk"): tar sets each file's
 * times, owner and mode one call after the other through the descriptor it wrote the file with,
 * three SetAttr calls per file. While this mount writes the file through that descriptor, a
 * change that cannot fail and needs nothing of the server's is held in its {@link BlockWriter}
 * instead, merged with the ones before, and sent after the data held back before it (at close,
 * fsync, the next write, any call that asks the server about the file, a removal of its name;
 * in the Write that takes that data to a server with "write-setattr", see {@link Slot#take}):
 * explicit times, a mode without set-id bits, an owner that is the file's already. The kernel is
 * answered with the attributes the server will have, so a stat by any process on this mount
 * sees them at once; the server's ctime moves when the change is sent.
 *
 * <p>{@link #merge} decides and merges; each open file's change held is in its writer's {@link Slot}.
 */
final class HeldSetAttrs {
    private static final int SET_ID = FileMode.S_ISUID | FileMode.S_ISGID;

    private HeldSetAttrs() {}

    /** The merged change to send and the attributes the file then has (to answer the kernel with). */
    record Held(SetAttrRequest request, Attr view) {}

    /**
     * {@code changes} to node {@code nodeId}, whose attributes are {@code base} (the server's,
     * with {@code had} applied, the change held so far, or null), merged; or null when it must go
     * to the server now: a truncate, a time set to the server's "now", set-id bits (kept or made:
     * the server's rules for them, and a chown that clears them), another owner (may fail), a
     * file whose attributes are not known.
     */
    static Held merge(long nodeId, Attr base, SetAttrRequest had, FuseSetAttr changes) {
        if (base == null || !FileMode.isRegular(base.getMode()) || (base.getMode() & SET_ID) != 0
                || changes.size().isPresent() || changes.atimeNow() || changes.mtimeNow()
                || (changes.mode().isPresent() && (changes.mode().getAsInt() & SET_ID) != 0)
                || (changes.uid().isPresent() && changes.uid().getAsInt() != base.getUid())
                || (changes.gid().isPresent() && changes.gid().getAsInt() != base.getGid())) {
            return null;
        }
        SetAttrRequest.Builder r = had != null ? had.toBuilder() : SetAttrRequest.newBuilder().setNode(nodeId);
        Attr.Builder view = base.toBuilder();
        changes.mode().ifPresent(m -> {
            r.setMode(m & FileMode.PERMISSIONS);
            view.setMode((base.getMode() & FileMode.S_IFMT) | (m & FileMode.PERMISSIONS));
        });
        mergeTimes(changes, r, view);
        // the owner it has already: nothing to send
        return new Held(r.build(), view.build());
    }

    /** The explicit times of {@code changes} into the change to send and the attributes it gives (also {@link HeldDirTimes}'). */
    static void mergeTimes(FuseSetAttr changes, SetAttrRequest.Builder r, Attr.Builder view) {
        changes.atimeNs().ifPresent(ns -> {
            r.setAtime(TimeSpec.newBuilder().setNs(ns));
            view.setAtimeNs(ns);
        });
        changes.mtimeNs().ifPresent(ns -> {
            r.setMtime(TimeSpec.newBuilder().setNs(ns));
            view.setMtimeNs(ns);
        });
    }

    /** The change held for one open file (in its {@link BlockWriter}, which sends it after the data held before it). */
    static final class Slot {
        private volatile Held held;

        Held get() {
            return held;
        }

        void set(Held h) {
            held = h;
        }

        void clear() {
            held = null;
        }

        /**
         * The change held, taken to go in the Write that takes the data before it
         * (WriteRequest.then, see {@link ChunkOutcomes#answered}); null: none, or nothing to send.
         */
        SetAttrRequest take() {
            Held h = held;
            held = null;
            return h == null || (!h.request().hasMode() && !h.request().hasAtime() && !h.request().hasMtime())
                    ? null : h.request();
        }

        /**
         * {@code change}, taken with a chunk whose write failed, is held again (to go in a SetAttr).
         * A newer change held meanwhile cannot be (BlockWriter's Locking), but would win where both
         * set a field: merged, the older one's other fields are not lost.
         */
        void keepIfNone(SetAttrRequest change) {
            Held newer = held;
            if (newer == null) {
                held = new Held(change, null); // no view: a later change is not merged with it, but sent now
                return;
            }
            SetAttrRequest.Builder merged = change.toBuilder();
            newer.request().getAllFields().forEach(merged::setField); // a whole field each, a oneof's case included
            held = new Held(merged.build(), newer.view());
        }

        /**
         * Sends the change held, if any, through {@code handle}: the error for the file's next
         * flush or close, or null; the server away: kept for the next try, and thrown.
         */
        FuseException send(Connection connection, KnownAttrs attrs, long nodeId, long handle) throws FuseException {
            Held h = held;
            if (h == null) {
                return null;
            }
            held = null;
            SetAttrRequest r = h.request();
            if (!r.hasMode() && !r.hasAtime() && !r.hasMtime()) {
                return null; // only the owner it had
            }
            attrs.drop(nodeId); // what listings said of it, too
            long sentAt = attrs.epoch();
            SetAttrRequest withHandle = r.toBuilder().setHandle(handle).build();
            Attr attr;
            try {
                attr = connection.call(f -> f.setAttr(withHandle));
            } catch (FuseException f) {
                attrs.drop(nodeId);
                if (CallFailures.away(f.errno())) {
                    held = h;
                    throw f;
                }
                return f;
            }
            attrs.answered(nodeId, attr, sentAt);
            attrs.changed(nodeId);
            attrs.kernelStale(nodeId); // it was answered the attributes with the ctime before
            return null;
        }
    }
}
