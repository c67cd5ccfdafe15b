package dev.fsdriver.client.events;

import dev.fsdriver.client.OwnReads;
import dev.fsdriver.common.Errno;
import dev.fsdriver.fuse.DirFiller;
import dev.fsdriver.fuse.FuseAttr;
import dev.fsdriver.fuse.FuseAttrReply;
import dev.fsdriver.fuse.FuseEntry;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.fuse.FuseFileSystem.Reply;

/**
 * What the events layer itself asks of the server ({@link EventApplier}, {@link OverflowResync}),
 * in the shapes they need: reads only, through the remote side's {@link OwnReads}, which has no
 * way to change anything. Lookups and getattrs are answered later by the remote file system;
 * these wait for the answer ({@link Reply#await}), on the caller's thread (the applier's, never
 * the network thread that answers), and are asked once more after ENOTCONN ({@link #awaitOnceMore}).
 *
 * <p>Locking: none; the remote file system has its own.
 */
final class ServerReads {
    /** The remote side's reads, with its listing sequences (see {@link KnownNames}). */
    private final OwnReads server;

    ServerReads(OwnReads server) {
        this.server = server;
    }

    /**
     * The server's entry of {@code name} in {@code parent} (null or node 0: none), with one lookup
     * reference that the caller hands to the kernel or gives back ({@link #giveBack}).
     *
     * @throws FuseException when the name is gone (or cannot be looked up)
     */
    FuseEntry lookup(long parent, String name) throws FuseException {
        return awaitOnceMore(r -> server.lookup(parent, name, false, r));
    }

    /**
     * {@link #lookup}, answered by the server itself, never from a listing or attributes the
     * client keeps (see {@link OwnReads}): attributes read after this call began.
     */
    FuseEntry lookupFresh(long parent, String name) throws FuseException {
        return awaitOnceMore(r -> server.lookup(parent, name, true, r));
    }

    /**
     * The server's attributes of {@code node} now, or null when they cannot be read. No reference
     * kept. Asked of the server itself: attributes the client keeps may have been refilled by a
     * program's stat after the change the caller looks for (see {@link OwnReads}).
     */
    FuseAttr attr(long node) {
        try {
            FuseAttrReply a = fresh(node);
            return a == null ? null : a.attr();
        } catch (FuseException e) {
            return null;
        }
    }

    /**
     * Whether the server no longer has node {@code node}: its GetAttr failed with ENOENT or ESTALE.
     * Any other failure (server down, timeout) says nothing, so false.
     */
    boolean gone(long node) {
        try {
            return fresh(node) == null;
        } catch (FuseException e) {
            return e.errno() == Errno.ENOENT || e.errno() == Errno.ESTALE;
        }
    }

    /** The server's own GetAttr of {@code node}, fresh (see {@link OwnReads}). */
    private FuseAttrReply fresh(long node) throws FuseException {
        return awaitOnceMore(r -> server.getattr(node, true, r));
    }

    /**
     * {@link Reply#await}, sent once more when the first answer is ENOTCONN. The answered path does
     * not resend a call the server refused with SESSION_ELSEWHERE (the blocking calls do): after
     * the channel quietly reconnected, the first call fails so, and marks the session lost, so the
     * second says Hello first. Waiting is fine here: this is the applier's thread.
     */
    private static <T> T awaitOnceMore(Reply.Call<T> call) throws FuseException {
        try {
            return Reply.await(call);
        } catch (FuseException e) {
            if (e.errno() != Errno.ENOTCONN) {
                throw e;
            }
            return Reply.await(call);
        }
    }

    /** Gives back one lookup reference to {@code node} that the kernel did not take. */
    void giveBack(long node) {
        server.forget(node, 1);
    }

    /** The node the server has at {@code name} in {@code parent} now, 0 if none (or unknown); no reference kept. */
    long node(long parent, String name) {
        try {
            FuseEntry now = lookup(parent, name);
            if (now == null || now.nodeId() == 0) {
                return 0;
            }
            giveBack(now.nodeId()); // this lookup's reference: the kernel took none
            return now.nodeId();
        } catch (FuseException gone) {
            return 0;
        }
    }

    /**
     * Whether the server has at {@code name} in {@code parent} now the very file the kernel holds
     * as {@code node} with {@code generation}: the same id and generation (a known 0 matches any).
     * Events can be late: the kernel may have been told of the name's current file after the change
     * an event describes (see EventApplier). No reference kept.
     */
    boolean holds(long parent, String name, long node, long generation) {
        try {
            FuseEntry now = lookup(parent, name);
            if (now == null || now.nodeId() == 0) {
                return false;
            }
            giveBack(now.nodeId());
            return now.nodeId() == node && (generation == 0 || now.generation() == 0 || generation == now.generation());
        } catch (FuseException gone) {
            return false;
        }
    }

    /** Receives names of a listing with the event sequence of their page (0: not known). */
    @FunctionalInterface
    interface NameSink {
        void add(String name, long ino, long sequence);
    }

    /**
     * Up to {@code max} names of {@code dir} to {@code sink}, each with its page's sequence;
     * returns the sequence of the last page read (0: not known), so an empty listing has one too.
     */
    long listNames(long dir, int max, NameSink sink) throws FuseException {
        long fh = server.opendir(dir);
        int[] count = {0};
        try {
            long[] offset = {0};
            while (count[0] < max) {
                long start = offset[0];
                DirFiller filler = (name, ino, mode, next) -> {
                    if (!name.equals(".") && !name.equals("..")) {
                        sink.add(name, ino, server.eventSequence(fh));
                        count[0]++;
                    }
                    offset[0] = next;
                    return count[0] < max;
                };
                server.readdir(dir, fh, start, filler);
                if (offset[0] == start) {
                    break;
                }
            }
            return server.eventSequence(fh);
        } finally {
            server.releasedir(dir, fh);
        }
    }

    /** Lists {@code dir} into {@code into}; returns the listing's event sequence (the lowest of its pages', 0: not known). */
    long list(long dir, ResyncListing into) throws FuseException {
        long fh = server.opendir(dir);
        long sequence = Long.MAX_VALUE;
        try {
            long[] offset = {0};
            while (true) {
                long start = offset[0];
                DirFiller filler = (name, ino, mode, next) -> {
                    if (!name.equals(".") && !name.equals("..")) {
                        into.add(name, ino, mode);
                    }
                    offset[0] = next;
                    return true;
                };
                server.readdir(dir, fh, start, filler);
                sequence = Math.min(sequence, server.eventSequence(fh));
                if (offset[0] == start) {
                    break;
                }
            }
        } finally {
            server.releasedir(dir, fh);
        }
        return sequence == Long.MAX_VALUE ? 0 : sequence;
    }
}
