package dev.fsdriver.client;

import dev.fsdriver.client.cache.KnownAttrs;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.proto.v1.Attr;
import dev.fsdriver.proto.v1.SetAttrRequest;
import java.nio.ByteBuffer;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * Write-behind for one open file: small sequential writes are coalesced into block-size
 * chunks; a full chunk (or the held-back data when the writer jumps) is sent asynchronously
 * with at most {@code maxChunks} in flight, after which the writer waits. {@link #flush} sends
 * what is held back and waits for everything in flight.
 *
 * <p>Writes to distant places (a database's header and its pages): to a server that takes
 * several ranges in one call ({@code WriteRequest.earlier}), a jump keeps what was held back as
 * an earlier range, up to {@code maxRanges} ranges and one block of data in all, so that a flush
 * or an fsync sends everything dirty in one call and waits once. A jump onto a range held sends
 * what is held first; the buffer may still grow over an earlier range, which is right because
 * the server writes the ranges in the order they were written, the buffer last ({@link WriteBuffer}).
 *
 * <p>Errors: the first failure is remembered and thrown by the next write, flush or fsync of
 * this open file (at the latest on close), and taken only by a process that wrote through it
 * ({@link WriteErrors}). A lost connection is not an error: the chunks it may have kept from
 * the server are sent again, in order, before anything else; what becomes of a chunk sent, and
 * the sending again, is {@link ChunkOutcomes}'.
 *
 * <p>Full share: when the share's free space ({@link Space}) is below what this file holds back
 * or has in flight, a write waits for its data to be written, so ENOSPC comes back from
 * write(2) as on a local file system, not only from close.
 *
 * <p>Memory: a chunk is sent only within the mount's {@link WriteBudget} (shared by all open
 * files), so many writers to a slow server wait instead of growing the heap ({@link ChunksInFlight}).
 *
 * <p>Ordering: a chunk overlapping one still in flight waits for it; with O_APPEND (the server
 * appends at the end, wherever that is) chunks go one at a time. Across the open files of one
 * node, a write first pushes out what another holds back that must land before it
 * ({@link #goesBefore}).
 *
 * <p>A GETATTR while data is only held here may be answered without a call ({@link AttrsAhead},
 * {@link #heldForStat}); the chunk that then takes the data sets the mtime answered on the server.
 *
 * <p>Locking: {@code this} guards what is held back ({@link WriteBuffer}, no lock of its own;
 * only its emptiness and size are read without this), and every send: sending again after a lost
 * connection ({@link ChunkOutcomes#resendLocked}) runs only under it, so chunks go in the order
 * they were written. The completion callbacks never take it (they touch only {@code inflight},
 * {@code outcomes} and {@code errors}, none of which has a lock), so waiting for slots or chunks
 * under it cannot deadlock. One of them also writes the change held ({@code heldAttrs}, a
 * volatile slot): a chunk carrying it that is dropped puts it back ({@link HeldSetAttrs.Slot#keepIfNone},
 * a check then a set without the lock). That is safe because nothing else sets the slot while such
 * a chunk is in flight or kept: {@link #hold} finds them busy ({@link AttrsAhead}) and pushes,
 * awaiting every chunk in flight, before it sets the slot, and {@link #write} pushes first too.
 */
final class BlockWriter {
    /** Whether free space on the share is short for {@code bytes} more (see FreeSpace). */
    @FunctionalInterface
    interface Space {
        boolean lowFor(long bytes);
    }

    private final Connection connection;
    private final OpenNode node;
    private final RemoteHandle handle;
    private final Reopener reopener;
    private final Space space;
    /** The server sets a write's mtime (capability "write-mtime"): a stat may be answered ahead of it. */
    private final boolean setsMtime;
    /** The server makes a change after a write's data (capability "write-setattr"): the change held goes with it. */
    private final boolean changesAfter;
    private final boolean append;
    /** Told the file's attributes each write's reply carries. */
    private final KnownAttrs attrs;
    private final ChunksInFlight inflight;
    private final WriteErrors errors = new WriteErrors();
    /** Answers and failures of the chunks sent, and the chunks to send again. */
    private final ChunkOutcomes outcomes;
    private final HeldSetAttrs.Slot heldAttrs = new HeldSetAttrs.Slot(); // a SETATTR held after the data (HeldSetAttrs)

    // Guarded by this (buffer's emptiness is also read without the lock by dirty()).
    /** The bytes held back. */
    private final WriteBuffer buffer;
    private long nextSeq;
    /** The open file's release began: its last push is under way or done, so nothing more may be held. */
    private boolean closing;
    /**
     * A close(2) of a descriptor of this open file came (FLUSH) and nothing was written through it
     * since: a change of attributes is no longer held ({@link #hold}). RELEASE comes after close(2)
     * returns, so a chmod after the close was held until then: not yet on the server when chmod(2)
     * had returned (MountEndToEndTest#chmodChownUtimens in a CI run).
     */
    private boolean descriptorClosed;
    /** The client's time of the latest write held back (or the mtime a stat was answered with, if later). */
    private long lastWriteNs;
    /** A stat was answered with {@code lastWriteNs} while the data was held: the chunk taking it sets that mtime. */
    private boolean stamped;
    /** A chunk was taken and is not yet in flight or kept (waiting for the budget, a synced Write's call): dirty. */
    private volatile boolean sending;

    /** {@code size}: the file's size at open (Long.MAX_VALUE: not known), where O_APPEND writes begin. */
    BlockWriter(Connection connection, OpenNode node, RemoteHandle handle, Reopener reopener, Space space,
                WriteBudget budget, int blockSize, int maxChunks, int maxRanges, boolean append, KnownAttrs attrs,
                long size, boolean setsMtime, boolean changesAfter) {
        this.attrs = attrs;
        this.changesAfter = changesAfter;
        this.setsMtime = setsMtime;
        this.connection = connection;
        this.node = node;
        this.handle = handle;
        this.reopener = reopener;
        this.space = space;
        this.buffer = new WriteBuffer(blockSize, append ? 1 : Math.max(1, maxRanges));
        this.append = append;
        this.inflight = new ChunksInFlight(append ? 1 : maxChunks, budget);
        this.outcomes = new ChunkOutcomes(connection, node, handle, reopener, attrs, errors,
                append ? new AppendResend(connection, handle, size) : null, heldAttrs);
    }

    /**
     * Takes all of {@code src} for writing at {@code offset}; returns its length. {@code killSuidgid}:
     * the writer lacks CAP_FSETID (see {@code WriteRequest.kill_suidgid}); a chunk carries it when
     * any of the writes coalesced into it did.
     */
    int write(long offset, ByteBuffer src, boolean killSuidgid, int pid) throws FuseException {
        errors.wrote(pid);
        reopener.current(handle); // a file lost in a restart fails here, not only at close
        errors.throwPending(pid);
        if (heldAttrs.get() != null) push(); // the change held goes before this data
        int total = src.remaining();
        synchronized (this) {
            descriptorClosed = false;
            if (!buffer.continues(offset) && !buffer.holdApart(offset, total)) {
                sendLocked();
            }
            lastWriteNs = AttrsAhead.nowNs();
            long pos = offset;
            while (src.hasRemaining()) {
                pos += buffer.add(pos, src, killSuidgid);
                if (buffer.full()) {
                    sendLocked();
                }
            }
        }
        if (space.lowFor(buffer.bytes() + inflight.bytes())) {
            // write-through: this write's own error (ENOSPC) is what write(2) returns
            flush(pid);
        }
        return total;
    }

    /**
     * Whether what this open file holds back or has in flight must reach the server before
     * another open file's write of {@code length} bytes at {@code offset}, an append when
     * {@code appending} (see {@link OpenNode#orderBefore}): appends (the server puts them at its
     * end, wherever that is when they arrive), a change held (HeldSetAttrs), bytes of that range.
     * Writes to other ranges land the same in either order.
     */
    boolean goesBefore(long offset, int length, boolean appending) {
        // Under the lock: a chunk taken for sending is in no list until its send started
        // (waiting for the budget, or a synced Write's whole call), where dirty() misses it.
        synchronized (this) {
            if (!dirty()) {
                return false;
            }
            if (appending || append || heldAttrs.get() != null || stamped) { // stamped: its mtime is older
                return true;
            }
            // a chunk taken with the change or the mtime (heldAttrs, stamped cleared) and kept to go
            // again, or still in flight: landing after this write, it would set the mtime back
            if (outcomes.anyKept() || inflight.anyChange()) {
                return true;
            }
            if (buffer.overlaps(offset, length)) {
                return true;
            }
        }
        return inflight.overlaps(offset, length) || outcomes.overlaps(offset, length);
    }

    /** True while data is held back, in flight or waiting to be sent again. */
    boolean dirty() {
        // buffer before sending, sending before inflight: the order takeHeldLocked and sendLocked change them in
        return !buffer.isEmpty() || sending || !inflight.isEmpty() || outcomes.anyKept() || heldAttrs.get() != null;
    }

    /**
     * Sends what is held back, waits for everything in flight, and throws the error not yet taken
     * (taken when {@code pid}, the process asking, wrote through this open file).
     */
    void flush(int pid) throws FuseException {
        reopener.current(handle); // EIO for a file lost in a restart, even with nothing to send
        push();
        errors.throwPending(pid);
    }

    /** A close(2)'s flush (FLUSH): no change is held after it until the next write ({@link #hold}). */
    void flushOnClose(int pid) throws FuseException {
        synchronized (this) {
            descriptorClosed = true;
        }
        flush(pid);
    }

    /** The release's flush: no change is held after it ({@link #hold}), so none is left unsent. */
    void close(int pid) throws FuseException {
        synchronized (this) {
            closing = true;
        }
        flush(pid);
    }

    /**
     * Holds the change {@code merge} makes of the file's attributes and the change held so far
     * (null: none) with this file's writes; null: it goes to the server now (the merge says so,
     * or the release began: RELEASE comes after close(2) returns, so a chmod right after a close
     * can come during the release's last push, and held then it was never sent: DifferentialStressTest
     * seed 18). With data held and no change yet, the attributes are the ones a stat would be
     * answered ({@link AttrsAhead}: the data is not pushed, untar's futimens used to cost a Write
     * of its own); where that rule says no, the data is pushed first and they are the server's.
     */
    HeldSetAttrs.Held hold(BiFunction<Attr, SetAttrRequest, HeldSetAttrs.Held> merge) throws FuseException {
        synchronized (this) {
            if (closing || descriptorClosed) {
                return null;
            }
            HeldSetAttrs.Held had = heldAttrs.get();
            Attr known = attrs.get(node.nodeId);
            AttrsAhead.Held ahead = had == null && !buffer.isEmpty() ? AttrsAhead.forChange(snapshotLocked(), known) : null;
            if (had == null && ahead == null && dirty()) {
                push(); // its data first: the attributes to start from are the server's after it
                known = attrs.get(node.nodeId);
            }
            Attr base = had != null ? had.view() : ahead != null ? AttrsAhead.with(known, ahead) : known;
            HeldSetAttrs.Held merged = merge.apply(base, had != null ? had.request() : null);
            if (merged != null) {
                if (ahead != null) {
                    stampLocked(ahead); // the chunk taking the data sets the mtime answered
                }
                heldAttrs.set(merged);
            }
            return merged;
        }
    }

    /**
     * For a stat answered without pushing ({@link AttrsAhead#answer}): under the lock, what is
     * held back goes to {@code rule}; the mtime of what it answers is set by the chunk taking the data.
     */
    AttrsAhead.Held heldForStat(Function<AttrsAhead.Snapshot, AttrsAhead.Held> rule) {
        synchronized (this) {
            AttrsAhead.Held held = rule.apply(snapshotLocked());
            if (held != null) {
                stampLocked(held);
            }
            return held;
        }
    }

    private AttrsAhead.Snapshot snapshotLocked() {
        boolean busy = !inflight.isEmpty() || outcomes.anyKept() || heldAttrs.get() != null || handle.lost()
                || errors.pending() != null;
        return new AttrsAhead.Snapshot(setsMtime, append, closing, !buffer.isEmpty(), busy, buffer.end(), lastWriteNs);
    }

    private void stampLocked(AttrsAhead.Held held) {
        lastWriteNs = held.mtimeNs();
        stamped = true;
    }

    /** The error not yet taken by a process that wrote, or null: for an fsync through another open file. */
    FuseException pendingError() {
        return errors.pending();
    }

    /**
     * Sends what is held back and waits for everything in flight; a write error stays pending
     * for this file's own write, flush or fsync (a stat or another file's read must not eat it).
     * A lost connection is not pending but thrown: the data is kept for the next try.
     */
    void push() throws FuseException {
        synchronized (this) {
            if (handle.lost()) {
                discardLocked(); // nowhere to send it; this file's own write, flush, fsync say EIO
                return;
            }
            if (!buffer.isEmpty()) {
                sendLocked();
            }
            inflight.awaitAll(connection);
            replayLocked();
            errors.record(heldAttrs.send(connection, attrs, node.nodeId, handle.id()));
        }
    }

    /**
     * fsync's push, to a server that syncs with a write ({@code WriteRequest.sync}): waits for
     * everything in flight (the server's sync covers only what it has written), then sends what is
     * held back with the server asked to make the file durable before it answers, and throws the
     * first error since the last report. Returns false when nothing was held back, or it could
     * not go that way: the caller then sends Fsync. {@code alsoDir} (0: none): the server syncs
     * that directory too, and {@code dirSynced} runs when it says it did.
     */
    boolean flushSynced(boolean datasync, long alsoDir, Runnable dirSynced, int pid) throws FuseException {
        reopener.current(handle);
        boolean synced = false;
        synchronized (this) {
            if (handle.lost() || buffer.isEmpty() || heldAttrs.get() != null) {
                push();
            } else {
                inflight.awaitAll(connection);
                replayLocked();
                synced = sendSyncedLocked(datasync, alsoDir, dirSynced);
            }
        }
        errors.throwPending(pid);
        return synced;
    }

    /** Sends the held-back data with sync, waiting for the answer; false when it must go again (kept, replayed). */
    private boolean sendSyncedLocked(boolean datasync, long alsoDir, Runnable dirSynced) throws FuseException {
        WriteChunk chunk = takeHeldLocked();
        try {
            if (outcomes.sendSynced(chunk, datasync, alsoDir, dirSynced)) {
                return true;
            }
            replayLocked();
            return false;
        } finally {
            sending = false;
            node.generation.incrementAndGet(); // read-ahead blocks fetched meanwhile may predate it
        }
    }

    /** Everything held back, as one chunk to send; nothing is held back after. */
    private WriteChunk takeHeldLocked() {
        sending = true; // before buffer empties (dirty() reads them without the lock)
        // the change held goes with the data before it (never ahead of a chunk still in flight)
        WriteChunk chunk = buffer.take(nextSeq++, stamped ? lastWriteNs : 0,
                changesAfter && inflight.isEmpty() ? heldAttrs.take() : null);
        stamped = false;
        return chunk;
    }

    /** Sends again the chunks a lost connection may have kept from the server (see {@link ChunkOutcomes}). */
    private void replayLocked() throws FuseException {
        outcomes.resendLocked(this::discardLocked);
    }

    /** Drops what is held back and kept for sending again: the file is lost (see {@link Reopener}). */
    private void discardLocked() {
        buffer.clear();
        if (stamped) {
            attrs.kernelStale(node.nodeId); // a stat was answered as if this data would land
        }
        stamped = false;
        outcomes.clear();
        heldAttrs.clear();
    }

    private void sendLocked() throws FuseException {
        // The RPC keeps a reference to the bytes (retries, sending again): never reuse them.
        WriteChunk chunk = takeHeldLocked();
        try {
            sendLocked(chunk);
        } finally {
            sending = false; // in flight, kept or failed by now
        }
    }

    private void sendLocked(WriteChunk chunk) throws FuseException {
        // Waited for before looking at the chunks kept: one that fails meanwhile is kept there, to go first.
        inflight.awaitBefore(chunk, append, connection);
        if (outcomes.anyKept()) {
            // what was written before goes first; when that cannot be, this waits with it
            outcomes.keep(chunk);
            replayLocked();
            return;
        }
        try {
            inflight.enter(chunk);
        } catch (InterruptedException e) {
            FuseException f = connection.interrupted(e);
            errors.record(f);
            throw f;
        }
        outcomes.send(chunk, () -> done(chunk));
    }

    private void done(WriteChunk chunk) {
        // Read-ahead blocks fetched while this chunk was on its way may predate it: drop them.
        node.generation.incrementAndGet();
        inflight.leave(chunk);
        chunk.done.complete(null);
    }
}
