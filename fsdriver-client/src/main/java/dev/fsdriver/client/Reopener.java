package dev.fsdriver.client;

import dev.fsdriver.common.Errno;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.fuse.FuseFileSystem;
import dev.fsdriver.proto.v1.HandleRequest;
import dev.fsdriver.proto.v1.LookupRequest;
import dev.fsdriver.proto.v1.Node;
import dev.fsdriver.proto.v1.OpenReply;
import dev.fsdriver.proto.v1.OpenRequest;
import java.util.function.Function;
import java.util.function.LongFunction;
import java.util.function.LongUnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries open files and node ids across a server restart. Node ids come from the files'
 * identity (the server's NodeTable), so a restarted server gives a file the id it had; but it
 * knows a node only once it was looked up by name again, and it has none of the old handles.
 * {@link #refind} looks a node up again by the path the kernel knows it by; {@link #current}
 * opens a file again (same flags) when the server that gave its handle is not the one answering
 * now. A file that cannot be found or opened again is lost: its handle fails EIO from then on.
 *
 * <p>Thread safety: a reopen is done once, under the handle's monitor; no other lock is held.
 */
final class Reopener {
    private static final Logger log = LoggerFactory.getLogger(Reopener.class);

    private final Connection connection;
    /** Node id -> share-relative path ("" root), or null when unknown; set by the events layer. */
    private volatile LongFunction<String> paths = id -> null;
    /** Node id -> the generation of the kernel's inode for it (0: unknown); set with {@link #paths}. */
    private volatile LongUnaryOperator generations = id -> 0;

    Reopener(Connection connection) {
        this.connection = connection;
    }

    /** Where the paths of the nodes the kernel holds come from (the events layer's view of the kernel). */
    void pathsFrom(LongFunction<String> pathOf, LongUnaryOperator generationOf) {
        this.generations = generationOf;
        this.paths = pathOf;
    }

    /** True when {@code h} was given by an earlier server process than the one answering now. */
    boolean stale(RemoteHandle h) {
        long now = connection.instance();
        return h.id() != 0 && now != 0 && h.instance() != 0 && h.instance() != now;
    }

    /** Makes sure {@code h} is a handle of the server answering now: reopens it, or fails EIO if it is lost. */
    void current(RemoteHandle h) throws FuseException {
        if (!h.lost() && !stale(h)) {
            return;
        }
        synchronized (h) {
            if (h.lost()) {
                throw lostError(h);
            }
            if (!stale(h)) {
                return;
            }
            // The identity rule (docs/server.md, "File identity"): a node id is the file's inode
            // number, which a file made while the server was away can have taken over (the old one
            // deleted meanwhile: seen in CI, the held writes then went into the new file). Where the
            // kernel knows the file's name, that name must still lead to the node, with the
            // generation the file was opened with; else the open file is lost (a rename while the
            // server was away too: EIO rather than a guess). The reopened file's generation is
            // checked again below, for a file whose name is not known.
            if (paths.apply(h.nodeId) != null && !refind(h.nodeId, h.fileGeneration)) {
                h.markLost();
                log.warn("open file of node {} lost in a server restart: its name no longer leads to it; "
                        + "its writes now fail EIO", h.nodeId);
                throw lostError(h);
            }
            OpenRequest request = OpenRequest.newBuilder().setNode(h.nodeId).setFlags(h.reopenFlags).build();
            OpenReply reply;
            try {
                reply = openAgain(request);
            } catch (FuseException e) {
                if (unreachable(e.errno())) {
                    throw e; // the server is not back yet: try again at the next use
                }
                h.markLost();
                log.warn("open file of node {} lost in a server restart ({}): its writes now fail EIO", h.nodeId,
                        e.getMessage());
                throw lostError(h);
            }
            long now = reply.getAttr().getGeneration();
            if (!sameFile(h.fileGeneration, now)) {
                releaseQuietly(reply.getHandle());
                h.markLost();
                log.warn("open file of node {} lost in a server restart: the node is another file now (generation {}, "
                        + "opened as {}); its writes now fail EIO, nothing is written to the other file",
                        h.nodeId, now, h.fileGeneration);
                throw lostError(h);
            }
            h.reopened(reply.getHandle(), connection.instance());
            log.info("reopened node {} after a server restart", h.nodeId);
        }
    }

    private OpenReply openAgain(OpenRequest request) throws FuseException {
        try {
            return connection.call(f -> f.open(request));
        } catch (FuseException f) {
            if (f.errno() != Errno.ESTALE) {
                throw f;
            }
        }
        if (!refind(request.getNode(), 0)) {
            throw new FuseException(Errno.ESTALE, "node " + request.getNode() + " not found again by its path");
        }
        return connection.call(f -> f.open(request));
    }

    /** Generations of one file: equal, or one of them not known (0: an older server, or a backend without). */
    static boolean sameFile(long generation, long other) {
        return generation == 0 || other == 0 || generation == other;
    }

    /** Gives back the handle of the other file, without waiting (nobody waits for its outcome). */
    private void releaseQuietly(long handle) {
        if (handle != 0) {
            connection.filesAsync().release(HandleRequest.newBuilder().setHandle(handle).build());
        }
    }

    /**
     * Looks node {@code nodeId} up again by the path the kernel knows it by, so that the server
     * knows the id again. False when no path is known or the path names another file now: another
     * id, or the same id (a reused inode number) with another {@code generation} than given (0:
     * not known, the id decides).
     */
    boolean refind(long nodeId, long generation) throws FuseException {
        String path = paths.apply(nodeId);
        if (path == null) {
            return false;
        }
        long id = FuseFileSystem.ROOT_ID;
        long found = 0;
        if (!path.isEmpty()) {
            for (String name : path.split("/")) {
                LookupRequest request = LookupRequest.newBuilder().setParent(id).setName(name).build();
                Node n;
                try {
                    n = connection.call(f -> f.lookup(request));
                } catch (FuseException f) {
                    if (unreachable(f.errno())) {
                        throw f;
                    }
                    return false;
                }
                id = n.getId();
                found = n.getGeneration();
            }
        }
        return id == nodeId && sameFile(generation, found);
    }

    /**
     * A call about node {@code nodeId}; when the server does not know the node (ESTALE: it
     * restarted, and node ids are the files' identity), the node is looked up again by its path
     * and the call made once more; not when the path now leads to the same id with another
     * generation than the kernel's inode has (a reused inode number: another file, whose answer
     * must not be given for this one), then ESTALE stays.
     */
    <T> T refinding(long nodeId, Function<FilesCalls, T> call) throws FuseException {
        try {
            return connection.call(call);
        } catch (FuseException f) {
            if (f.errno() != Errno.ESTALE || !refind(nodeId, generations.applyAsLong(nodeId))) {
                throw f;
            }
        }
        return connection.call(call);
    }

    /** The server could not be asked (down, or not answering): nothing is known yet. */
    private static boolean unreachable(int errno) {
        return CallFailures.away(errno) || errno == Errno.EINTR;
    }

    private static FuseException lostError(RemoteHandle h) {
        return new FuseException(Errno.EIO, "node " + h.nodeId + ": the file could not be opened again after a server restart");
    }
}
