package dev.fsdriver.client;

import dev.fsdriver.client.cache.KnownAttrs;
import dev.fsdriver.common.FileMode;
import dev.fsdriver.proto.v1.Attr;
import java.time.Instant;

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
 *     server that sets a write's mtime ({@link #rule}); other open files of the node hold nothing,
 *     nor have a chunk on its way ({@link BlockWriter#dirty});
 * <li>the client's clock is not behind the server's mtime of the file (the answer, the client's
 *     time, would be older than the server's: an mtime going back).
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

    /**
     * One open file's writer, under its lock ({@link BlockWriter#heldForStat}): whether its server
     * sets a write's mtime, O_APPEND, closing, whether it holds data back, whether anything else
     * is under way (in flight, kept, failed, a change held, the handle lost), where the data held
     * ends, the client's time of its latest write.
     */
    record Snapshot(boolean setsMtime, boolean append, boolean closing, boolean holds, boolean busy, long end,
                    long lastWriteNs) {}

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
        long serverMtime = known.getMtimeNs();
        Held held = holding == null ? null : holding.heldForStat(s -> rule(s, serverMtime, nowNs()));
        if (held == null) {
            return null;
        }
        return with(known, held);
    }

    /** {@code known}, the server's attributes of a file, with the data {@code held} (the rule's answer). */
    static Attr with(Attr known, Held held) {
        long size = Math.max(known.getSize(), held.end());
        return known.toBuilder()
                .setSize(size)
                .setBlocks(Math.max(known.getBlocks(), (size + 511) / 512)) // not "sparse" to cp
                .setMtimeNs(held.mtimeNs())
                .setCtimeNs(Math.max(known.getCtimeNs(), held.mtimeNs()))
                .build();
    }

    /**
     * What a change of attributes held with the data ({@link BlockWriter#hold}) starts from: what
     * a stat of the file, whose server's attributes are {@code known}, is answered; null: push first.
     */
    static Held forChange(Snapshot s, Attr known) {
        return known != null && FileMode.isRegular(known.getMode()) ? rule(s, known.getMtimeNs(), nowNs()) : null;
    }

    /** What to answer for the writer {@code s} (see the class comment), or null: push and ask. */
    static Held rule(Snapshot s, long serverMtime, long nowNs) {
        if (!s.setsMtime() || s.append() || s.closing() || !s.holds() || s.busy()) {
            return null;
        }
        if (nowNs < serverMtime) {
            return null; // the client's clock behind the server's: docs/posix.md
        }
        return new Held(s.end(), Math.max(s.lastWriteNs(), serverMtime)); // not after nowNs
    }

    /** The client's time now, to 100 ns: what Windows keeps of a time, so that the server keeps the mtime answered. */
    static long nowNs() {
        Instant t = Instant.now();
        long ns = t.getEpochSecond() * 1_000_000_000L + t.getNano();
        return ns - ns % 100;
    }
}
