package dev.fsdriver.client;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import dev.fsdriver.client.cache.KnownAttrs;
import dev.fsdriver.common.Errno;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.proto.v1.HandleRequest;
import dev.fsdriver.proto.v1.WriteReply;
import dev.fsdriver.proto.v1.WriteRequest;
import java.util.concurrent.ConcurrentSkipListMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What becomes of the chunks one {@link BlockWriter} sent: an answer is taken (the attributes it
 * carries, where an O_APPEND file ends, EIO for a short write), a failure becomes the open file's
 * error ({@link WriteErrors}) unless it is only a lost connection: a chunk the server did not
 * answer (down, or no answer in time) or refused because its handle belongs to a server process
 * that has since restarted. Such chunks are kept and sent again, in order, before anything else
 * ({@link #resendLocked}), once the handle is current again ({@link Reopener#current}: the file
 * reopened, or lost: EIO from then on). An O_APPEND chunk is sent again only when the file's size
 * says it did not land ({@link AppendResend}: the server appends wherever the end is, so one that
 * landed but whose reply was lost would go in twice); one that landed is dropped, and when the
 * size says neither the file fails with EIO.
 *
 * <p>Locking: no lock of its own. {@link #answered} and {@link #failed} run in completion
 * callbacks, which take no lock (the chunks kept are a concurrent map, {@link AppendResend#end}
 * is volatile, {@link WriteErrors} is thread-safe); sending again runs only under the owning
 * BlockWriter's lock (see there), the methods named {@code ...Locked}. A callback may also write
 * the writer's change held: a chunk carrying one ({@link WriteChunk#then}) that is dropped puts it
 * back ({@link HeldSetAttrs.Slot#keepIfNone}); why that check-then-set is safe: BlockWriter's Locking.
 */
final class ChunkOutcomes {
    private static final Logger log = LoggerFactory.getLogger(ChunkOutcomes.class);
    /** Pause between tries to reach a server that is away (the channel reconnects at once, see Connection). */
    private static final long RETRY_MILLIS = 100;

    private final Connection connection;
    private final OpenNode node;
    private final RemoteHandle handle;
    private final Reopener reopener;
    /** Told the file's attributes each write's reply carries. */
    private final KnownAttrs attrs;
    private final WriteErrors errors;
    /** With O_APPEND: where the file ends as far as this open file knows, to judge a chunk sent again; else null. */
    private final AppendResend appends;
    /** Chunks to send again (see the class comment), by sequence: the order they were written in. */
    private final ConcurrentSkipListMap<Long, WriteChunk> unacked = new ConcurrentSkipListMap<>();
    /** The writer's change held: one that went with a chunk dropped goes back there, to be sent after it. */
    private final HeldSetAttrs.Slot held;

    ChunkOutcomes(Connection connection, OpenNode node, RemoteHandle handle, Reopener reopener, KnownAttrs attrs,
                  WriteErrors errors, AppendResend appends, HeldSetAttrs.Slot held) {
        this.held = held;
        this.connection = connection;
        this.node = node;
        this.handle = handle;
        this.reopener = reopener;
        this.attrs = attrs;
        this.errors = errors;
        this.appends = appends;
    }

    /** True while chunks wait to be sent again. */
    boolean anyKept() {
        return !unacked.isEmpty();
    }

    /** Whether a chunk waiting to be sent again writes some of {@code length} bytes at {@code offset}. */
    boolean overlaps(long offset, int length) {
        return unacked.values().stream().anyMatch(c -> c.overlaps(offset, length));
    }

    /** {@code c} goes after the chunks kept (what was written before goes first). */
    void keep(WriteChunk c) {
        unacked.put(c.seq, c);
    }

    /** The file is lost: nothing is sent again. */
    void clear() {
        unacked.clear();
    }

    /** The call to send {@code c} with, now; a change in it drops what is known of the file (as a SetAttr's). */
    private WriteRequest request(WriteChunk c) {
        if (c.then != null) {
            attrs.drop(node.nodeId);
        }
        return c.request(handle.id(), attrs.epoch());
    }

    /**
     * Takes the server's answer to {@code c}: the attributes it carries, or EIO for a short write.
     * A change that went with it ({@link WriteChunk#then}) and failed is this file's error, as a
     * held change's SetAttr (the data landed: not sent again); the kernel, answered ahead, asks again.
     */
    void answered(WriteReply r, WriteChunk c) {
        if (r.getWritten() != c.bytes()) {
            attrs.drop(node.nodeId);
            if (c.mtimeNs != 0 || c.then != null) {
                attrs.kernelStale(node.nodeId); // a stat was answered as if it had all landed
            }
            errors.record(new FuseException(Errno.EIO, "short write: " + r.getWritten() + " of " + c.bytes()));
        } else if (c.then != null) {
            if (r.getThenErrno() != 0) {
                attrs.drop(node.nodeId);
                errors.record(new FuseException(r.getThenErrno(), "node " + node.nodeId + ": change after the write failed"));
            } else if (r.hasAttr()) {
                attrs.answered(node.nodeId, r.getAttr(), c.sentAt); // its times are the change's, not the largest
            }
            attrs.changed(node.nodeId);
            attrs.kernelStale(node.nodeId); // answered with the ctime before
        } else if (r.hasAttr()) {
            attrs.written(node.nodeId, r.getAttr(), c.sentAt);
            if (c.mtimeNs != 0) {
                attrs.kernelStale(node.nodeId); // it was answered the ctime of the write, the server's is now
            }
        }
        if (appends != null) {
            appends.acked(r.hasAttr() ? r.getAttr().getSize() : appends.end() + r.getWritten());
        }
    }

    /** Sends {@code c} without waiting; {@code done} runs once its answer or failure is taken. */
    void send(WriteChunk c, Runnable done) {
        ListenableFuture<WriteReply> reply;
        try {
            reply = connection.filesAsync().write(request(c));
        } catch (RuntimeException e) {
            failed(c, e);
            done.run();
            return;
        }
        Futures.addCallback(reply, new FutureCallback<WriteReply>() {
            @Override
            public void onSuccess(WriteReply r) {
                answered(r, c);
                done.run();
            }

            @Override
            public void onFailure(Throwable t) {
                failed(c, t);
                done.run();
            }
        }, MoreExecutors.directExecutor());
    }

    /**
     * Sends {@code c} with the server asked to sync the file ({@code WriteRequest.sync}), and
     * waits: false when it must go again (kept), true when answered or dropped (its failure this
     * file's error). {@code dirSynced} runs when the server synced {@code alsoDir} too.
     */
    boolean sendSynced(WriteChunk c, boolean datasync, long alsoDir, Runnable dirSynced) {
        try {
            WriteReply r = connection.files().write(request(c).toBuilder()
                    .setSync(true).setDatasync(datasync).setAlsoDir(alsoDir).build());
            answered(r, c);
            if (r.getDirSynced()) {
                dirSynced.run();
            }
            return true;
        } catch (RuntimeException e) {
            return !failed(c, e);
        }
    }

    /** {@code c} failed with {@code t}: kept to send again (true), or dropped and its failure this file's error. */
    boolean failed(WriteChunk c, Throwable t) {
        attrs.drop(node.nodeId); // it may have reached the file, or part of it
        if (c.mtimeNs != 0 || c.then != null) {
            attrs.kernelStale(node.nodeId); // a stat was answered as if it had landed (AttrsAhead)
        }
        Failure f = failure(c, t);
        if (f.sendAgain()) {
            unacked.put(c.seq, c);
            return true;
        }
        dropped(c, f.error());
        return false;
    }

    /**
     * Sends the chunks kept after a lost connection, in order, each waited for, to the server
     * answering now (the handle reopened first). While the server is out of reach this keeps
     * trying for up to one call deadline (a restarting server is back within it), then throws
     * with the chunks kept; a lost file throws EIO; another error drops the chunk and is thrown.
     * {@code discard}: drops all the writer holds, once the file is lost (see {@link Reopener}).
     */
    void resendLocked(Runnable discard) throws FuseException {
        long giveUp = System.nanoTime() + connection.options().callDeadline().toNanos();
        while (!unacked.isEmpty()) {
            try {
                resendOnceLocked(discard);
            } catch (FuseException e) {
                // out of reach, or EBADF for a chunk kept to send again (restarted meanwhile)
                boolean away = CallFailures.away(e.errno())
                        || (e.errno() == Errno.EBADF && !unacked.isEmpty() && !handle.lost());
                if (!away || System.nanoTime() > giveUp) {
                    throw e;
                }
                try {
                    Thread.sleep(RETRY_MILLIS);
                } catch (InterruptedException ie) {
                    throw connection.interrupted(ie);
                }
            }
        }
    }

    private void resendOnceLocked(Runnable discard) throws FuseException {
        try {
            reopener.current(handle);
        } catch (FuseException e) {
            if (handle.lost()) {
                discard.run();
            }
            throw e;
        }
        for (WriteChunk c : unacked.values()) {
            AppendResend.Verdict v = appends != null ? appends.check(c) : AppendResend.Verdict.RESEND;
            if (v == AppendResend.Verdict.UNKNOWN) {
                // lost, as a file gone in a restart: EIO for its writes, flush, fsync and close;
                // the server's handle is alive, and a lost one is not released at close: give it back now
                try {
                    connection.filesAsync().release(HandleRequest.newBuilder().setHandle(handle.id()).build());
                } catch (RuntimeException e) {
                    log.debug("release of node {}'s handle failed: {}", node.nodeId, e.toString());
                }
                handle.markLost();
                discard.run();
                errors.record(new FuseException(Errno.EIO, "node " + node.nodeId + ": whether an append landed is not known"));
                return;
            }
            if (v == AppendResend.Verdict.LANDED) {
                unacked.remove(c.seq); // in the file already: not sent again
                node.generation.incrementAndGet();
                continue;
            }
            try {
                answered(connection.files().write(request(c)), c);
            } catch (RuntimeException e) {
                attrs.drop(node.nodeId);
                Failure f = failure(c, e);
                if (f.sendAgain()) {
                    throw f.error();
                }
                // Dropped: the error is this file's, for its own write, flush or fsync; thrown here it
                // would go to whoever pushed (another file's stat, another process's close) and be lost.
                dropped(c, f.error());
            } finally {
                node.generation.incrementAndGet();
            }
            unacked.remove(c.seq);
        }
    }

    /** A write's failure: the errno it gives, and whether its chunk goes again. */
    private record Failure(FuseException error, boolean sendAgain) {}

    /**
     * The failure of {@code c}'s call, {@code t}: the one place here that translates one. It takes
     * the call's Throwable, not only the errno {@link Connection#call} would give, because whether
     * the chunk may have missed the server only for a lost connection is read from its status
     * ({@link CallFailures#unreachable}), which the errno does not always tell (an EAGAIN answer
     * travels as UNAVAILABLE, as an unreachable server does); and a chunk sent without waiting
     * gets its failure as a Throwable from the call's future.
     */
    private Failure failure(WriteChunk c, Throwable t) {
        FuseException f = connection.failure(t);
        if (CallFailures.unreachable(t)) {
            return new Failure(f, true);
        }
        // the handle is unknown because the server restarted since the chunk was sent (and the
        // file may have been reopened meanwhile, by this writer or by a read)
        return new Failure(f, f.errno() == Errno.EBADF && (reopener.stale(handle) || c.sentWith != handle.id()));
    }

    /** {@code c} will not be sent again: its failure {@code f} is this file's error. */
    private void dropped(WriteChunk c, FuseException f) {
        log.warn("write of {} bytes at {} to node {} failed: {}", c.bytes(), c.offset, node.nodeId, f.getMessage());
        errors.record(f);
        if (c.then != null) {
            // the data failed, not the change (a chmod after it must not be lost): a SetAttr of its
            // own, after it (the push that sent it waits for it under the writer's lock, then sends the change held)
            held.keepIfNone(c.then);
        }
    }
}
