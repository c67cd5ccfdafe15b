package dev.fsdriver.client;

import dev.fsdriver.common.Errno;
import dev.fsdriver.common.OpenFlags;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.proto.v1.GetAttrRequest;
import dev.fsdriver.proto.v1.ReadReply;
import dev.fsdriver.proto.v1.ReadRequest;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether an O_APPEND chunk the server did not acknowledge may be sent again ({@link BlockWriter}
 * keeps such chunks after a lost connection or a restart). The server appends wherever the file's
 * end is, so a chunk that reached the file but whose reply was lost (the server killed after
 * writing it, or the reply late) would be appended twice. So before a chunk is sent again, the
 * file's size (GetAttr through the current handle) is held against {@link #end()}, the end this
 * open file knows: the size after its last acknowledged append (every Write reply carries it):
 * <ul>
 * <li>equal: the chunk did not land; send it ({@link Verdict#RESEND});
 * <li>{@code end} + the chunk's length, and the file's last that many bytes are the chunk's: it
 *     landed; drop it, the end moves past it ({@link Verdict#LANDED});
 * <li>anything else: someone else changed the file, or part of the chunk landed; nothing tells
 *     which, so the open file fails with EIO rather than guess ({@link Verdict#UNKNOWN}).
 * </ul>
 * Several kept chunks go through this one by one, in order, each moving the end on. Before the
 * first acknowledged append the end is the size at open, not at a reopen after a restart: a chunk
 * sent before the restart may be in the size the reopen sees. A size not known at open
 * ({@code Long.MAX_VALUE}) matches nothing: EIO. So does a file appended to by another open file
 * meanwhile, even of this mount: the rule asks nothing but this open file's own end.
 *
 * <p>Limit: a Write whose reply timed out may still be queued on the same server when the size
 * is asked; it then lands after the resend, twice (docs/server.md, "Server restarts").
 *
 * <p>Thread safety: {@link #end} is volatile: set from a Write's completion callback, read by the
 * writer under its lock (O_APPEND chunks go one at a time, so the two do not overlap).
 */
final class AppendResend {
    private static final Logger log = LoggerFactory.getLogger(AppendResend.class);

    enum Verdict { RESEND, LANDED, UNKNOWN }

    private final Connection connection;
    private final RemoteHandle handle;
    private volatile long end;

    AppendResend(Connection connection, RemoteHandle handle, long sizeAtOpen) {
        this.connection = connection;
        this.handle = handle;
        this.end = sizeAtOpen;
    }

    /** The end of the file this open file knows: after its last acknowledged append, or at open. */
    long end() {
        return end;
    }

    /** An append was acknowledged: the file's size after it, as its reply says. */
    void acked(long size) {
        end = size;
    }

    /** The rule of the class comment for {@code c}, the first chunk kept; the handle is current. */
    Verdict check(WriteChunk c) throws FuseException {
        long known = end;
        long size;
        boolean landed;
        try {
            size = connection.call(f -> f.getAttr(GetAttrRequest.newBuilder()
                    .setNode(handle.nodeId).setHandle(handle.id()).build())).getSize();
            if (size == known) {
                return Verdict.RESEND;
            }
            landed = size == known + c.length && lastBytesAre(known, c);
        } catch (FuseException e) {
            if (CallFailures.away(e.errno()) || e.errno() == Errno.EBADF) {
                throw e; // asked again once the server answers (EBADF: restarted meanwhile, see BlockWriter)
            }
            warn(c, "the file could not be asked about (" + e.getMessage() + ")");
            return Verdict.UNKNOWN;
        }
        if (landed) {
            end = size;
            log.info("append of {} bytes to node {} reached the file though its reply was lost: not sent again",
                    c.length, handle.nodeId);
            return Verdict.LANDED;
        }
        warn(c, "the file's size is " + size + ", " + known + " if it did not land, " + (known + c.length)
                + " if it did" + (size == known + c.length ? " but its last bytes are others" : ""));
        return Verdict.UNKNOWN;
    }

    private void warn(WriteChunk c, String why) {
        log.warn("append of {} bytes to node {} not acknowledged and not sent again: {}; the file was changed "
                + "meanwhile or the append cut short, so whether it landed is not known: the open file now fails EIO",
                c.length, handle.nodeId, why);
    }

    /** Whether the file's bytes at {@code at} are {@code c}'s data. */
    private boolean lastBytesAre(long at, WriteChunk c) throws FuseException {
        // a write-only O_APPEND handle cannot be read: read by node (opened read-only for the call)
        ReadRequest.Builder r = ReadRequest.newBuilder().setOffset(at).setSize(c.length);
        if (OpenFlags.readable(handle.reopenFlags)) {
            r.setHandle(handle.id());
        } else {
            r.setNode(handle.nodeId);
        }
        ReadReply reply = connection.call(f -> f.read(r.build()));
        return reply.getData().size() == c.length
                && Arrays.equals(reply.getData().toByteArray(), 0, c.length, c.data, 0, c.length);
    }
}
