package dev.fsdriver.client;

import dev.fsdriver.common.FileMode;
import dev.fsdriver.proto.v1.Attr;

/**
 * GETATTR answered without a call while a file's writes are held back (issue 17), as the kernel
 * answers stat itself in FUSE writeback-cache mode: without that mode the kernel drops a file's
 * attributes after each WRITE and asks again before the next read past what it knows (sqlite's
 * pread past its journal's end before each fsync), which cost a push of the held data, and the
 * fsync then a call of its own.
 *
 * <p>The rule, in one place: answered here only when
 * <ul>
 * <li>the server's attributes of the file are known current ({@link KnownAttrs}: events flow and
 *     nothing dropped them since; a change event drops them, so the server's change wins);
 * <li>exactly one open file of the node holds data back, and it holds only that: nothing in
 *     flight, kept to send again or failed, no change held with it, not O_APPEND, not closing, a
 *     server that sets a write's mtime ({@link BlockWriter#heldForStat}); other open files of the
 *     node hold nothing.
 * </ul>
 * Then size = the larger of the server's and the end of the data held; mtime and ctime = the
 * client's time of the latest write held (the kernel uses current_time). The write that takes
 * the data sets that mtime on the server ({@code WriteRequest.set_mtime_ns}), so a stat before
 * and after it agree; the server's ctime is then the time of that write (Linux lets nobody set
 * a ctime), and the kernel is told to ask again ({@link ChunkOutcomes#answered}). Until then a
 * write through another open file of the node first pushes this data (its mtime is older, see
 * {@link BlockWriter#goesBefore}); a truncate, chmod, another open or a read pushes it as before.
 * Otherwise: null, and the caller pushes and asks the server as before.
 */
final class AttrsAhead {
    private AttrsAhead() {}

    /** What one open file holds back: where the data ends and the mtime it will have. */
    record Held(long end, long mtimeNs) {}

    /** The attributes of {@code open}'s node with its held data, from {@code known} (the server's), or null (see above). */
    static Attr answer(OpenNode open, Attr known) {
        if (open == null || known == null || !FileMode.isRegular(known.getMode())) {
            return null;
        }
        BlockWriter holding = null;
        for (FileHandle h : open.handles) {
            BlockWriter w = h.writer();
            if (w != null && w.dirty()) {
                if (holding != null) {
                    return null; // two hold data: their mtimes would land in either order
                }
                holding = w;
            }
        }
        AttrsAhead.Held held = holding == null ? null : holding.heldForStat(known.getMtimeNs());
        if (held == null) {
            return null;
        }
        long size = Math.max(known.getSize(), held.end());
        return known.toBuilder()
                .setSize(size)
                .setBlocks(Math.max(known.getBlocks(), (size + 511) / 512)) // not "sparse" to cp
                .setMtimeNs(held.mtimeNs())
                .setCtimeNs(Math.max(known.getCtimeNs(), held.mtimeNs()))
                .build();
    }
}
