package dev.fsdriver.client;

import com.google.common.primitives.Longs;
import com.google.common.util.concurrent.ListenableFuture;
import dev.fsdriver.client.cache.CacheStats;
import dev.fsdriver.client.cache.KnownAttrs;
import dev.fsdriver.client.cache.RemoteCaches;
import dev.fsdriver.common.Errno;
import dev.fsdriver.common.FileMode;
import dev.fsdriver.common.OpenFlags;
import dev.fsdriver.fuse.FuseCreated;
import dev.fsdriver.fuse.FuseEntry;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.fuse.FuseOpen;
import dev.fsdriver.fuse.FuseRequest;
import dev.fsdriver.fuse.kernel.FuseKernel;
import dev.fsdriver.proto.v1.Attr;
import dev.fsdriver.proto.v1.CreateReply;
import dev.fsdriver.proto.v1.CreateRequest;
import dev.fsdriver.proto.v1.Node;
import dev.fsdriver.proto.v1.FsyncReply;
import dev.fsdriver.proto.v1.FsyncRequest;
import dev.fsdriver.proto.v1.OpenReply;
import dev.fsdriver.proto.v1.OpenRequest;
import java.nio.ByteBuffer;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Open files and their I/O: OPEN (answered locally for a small file known unchanged, or with the
 * whole file fetched ahead, else by the server, with FOPEN_KEEP_CACHE when the file is as it was
 * at its last open), CREATE, READ through read-ahead ({@link BlockReader}), WRITE through
 * write-behind ({@link BlockWriter}), FLUSH, FSYNC and RELEASE (held-back writes of a server
 * that is away are kept and sent once it is back, {@link UnsentWrites}).
 *
 * <p>No state of its own: the open files are {@link OpenFiles}', what is cached {@link RemoteCaches}'.
 */
final class FileIo {
    /** Files up to this many blocks opened again unchanged are opened by the mount alone (see {@link #openLocally}). */
    private static final int LOCAL_OPEN_MAX_BLOCKS = 8;
    private static final Logger log = LoggerFactory.getLogger(FileIo.class);

    private final Connection connection;
    private final ClientOptions options;
    private final int blockSize;
    private final OpenFiles files;
    private final RemoteCaches caches;
    private final KnownAttrs attrs;
    private final Entries entries;
    private final Reopener reopener;
    /** The server makes a file durable with a write (WriteRequest.sync): fsync sends its last data that way. */
    private final boolean writeSync;
    private final UnsyncedNames unsynced;
    /** The server syncs a directory with a file (FsyncRequest.also_dir, capability "fsync-also-dir"). */
    private final boolean alsoDir;

    FileIo(Connection connection, int blockSize, OpenFiles files, RemoteCaches caches, Entries entries,
           Reopener reopener, boolean writeSync, UnsyncedNames unsynced, boolean alsoDir) {
        this.connection = connection;
        this.options = connection.options();
        this.blockSize = blockSize;
        this.files = files;
        this.caches = caches;
        this.attrs = caches.attrs();
        this.entries = entries;
        this.reopener = reopener;
        this.writeSync = writeSync;
        this.unsynced = unsynced;
        this.alsoDir = alsoDir;
    }

    FuseOpen open(FuseRequest req, long nodeId, int flags, boolean killSuidgid) throws FuseException {
        files.flushPending(nodeId);
        boolean readAccess = (flags & OpenFlags.O_ACCMODE) == OpenFlags.O_RDONLY;
        boolean readOnly = readAccess && (flags & OpenFlags.O_TRUNC) == 0;
        FuseOpen local = readOnly ? openLocally(nodeId, flags) : null;
        if (local != null) {
            return local;
        }
        long epoch = attrs.epoch();
        long generation = files.generation(nodeId);
        OpenRequest.Builder request = OpenRequest.newBuilder().setNode(nodeId).setFlags(flags)
                .setKillSuidgid(killSuidgid);
        boolean firstOpen = readOnly && !caches.lastOpen().containsKey(nodeId);
        if (firstOpen) {
            // First open of this file here: its pages are not cached, so the read will follow;
            // a small file comes whole with the reply. (Opened before: the kernel likely keeps
            // its pages, see FOPEN_KEEP_CACHE below, and a read would be wasted.)
            request.setInlineMax(Math.min(options.inlineReadMax(), blockSize));
        }
        // A reply fetched ahead is kept with the attributes as known now: any change since it was
        // fetched dropped it (changed(), caches.changing()) before the attributes' epoch moved.
        OpenReply reply = readOnly ? fetchedAhead(caches.prefetcher().take(nodeId)) : null;
        if (readOnly) {
            connection.counters().caches().add(CacheStats.Cache.CONTENT, reply != null);
        }
        if (reply == null && firstOpen) {
            reply = fetchedAhead(caches.prefetcher().openWithNext(nodeId)); // with the files after it, one call
        }
        if (reply != null && reply.hasAttr()) {
            entries.answered(nodeId, reply.getAttr(), epoch, generation);
        }
        if (reply == null) {
            if (!readOnly) {
                caches.changing(nodeId);
                files.changing(nodeId);
            }
            OpenRequest built = request.build();
            try {
                reply = reopener.refinding(nodeId, f -> f.open(built));
            } finally {
                if (!readOnly) {
                    caches.changing(nodeId); // a truncate, once done
                    files.changing(nodeId);
                }
            }
            if (reply.hasAttr()) {
                entries.answered(nodeId, reply.getAttr(), epoch, generation);
            }
        }
        if (readOnly) {
            caches.prefetcher().opened(nodeId);
        }
        int openFlags = 0;
        if (options.keepCache() && reply.hasAttr() && (flags & OpenFlags.O_TRUNC) == 0) {
            // the generation too: the node id may be another file's now (a reused inode number)
            long[] now = {reply.getAttr().getMtimeNs(), reply.getAttr().getSize(), reply.getAttr().getGeneration()};
            long[] before = caches.lastOpen().put(nodeId, now);
            if (before != null && before[0] == now[0] && before[1] == now[1] && before[2] == now[2]) {
                openFlags |= FuseOpen.FOPEN_KEEP_CACHE;
            }
        } else {
            caches.lastOpen().remove(nodeId);
        }
        if (readAccess) {
            // Nothing to push out at close(2): the kernel need not send FLUSH (one round trip
            // through /dev/fuse less per file read; writeback cache, which ignores this, is off).
            openFlags |= FuseOpen.FOPEN_NOFLUSH;
        }
        FileHandle h = files.register(nodeId, reply.getAttr().getGeneration(), reply.getHandle(), flags,
                reply.hasAttr() ? reply.getAttr().getSize() : Long.MAX_VALUE);
        if (reply.hasData()) {
            h.reader().content(reply.getData());
        }
        return new FuseOpen(h.fh(), openFlags);
    }

    /**
     * A read-only open answered without the server: the file is up to {@link #LOCAL_OPEN_MAX_BLOCKS}
     * blocks, it was opened here before (lastOpen) with the attributes still known current
     * (nothing changed it since, see {@link KnownAttrs}: events flow), and no open file here
     * writes it. The kernel keeps the pages it read then (FOPEN_KEEP_CACHE); a page it dropped
     * meanwhile is read by node, as for a file that came whole with its open (no server handle,
     * so no Release either). Larger files are opened on the server: a read by node opens the file
     * on the server for each call. Null: open it on the server.
     */
    private FuseOpen openLocally(long nodeId, int flags) {
        Attr known = options.keepCache() ? attrs.get(nodeId) : null;
        long[] before = known == null ? null : caches.lastOpen().get(nodeId);
        OpenNode open = files.node(nodeId);
        if (before == null || before[0] != known.getMtimeNs() || before[1] != known.getSize()
                || before[2] != known.getGeneration()
                || known.getSize() > (options.inlineReadMax() == 0 ? 0 : LOCAL_OPEN_MAX_BLOCKS * (long) blockSize)
                || (open != null && open.anyWriter())) {
            return null;
        }
        FileHandle h = files.register(nodeId, known.getGeneration(), 0, flags, known.getSize());
        if (known.getSize() <= Math.min(options.inlineReadMax(), blockSize)) {
            h.openedLocally(); // small enough for the read-ahead of files (see #read)
        }
        return new FuseOpen(h.fh(), FuseOpen.FOPEN_KEEP_CACHE | FuseOpen.FOPEN_NOFLUSH);
    }

    FuseCreated create(FuseRequest req, long parent, String name, int mode, int flags, int umask)
            throws FuseException {
        caches.namesChanging(parent);
        long epoch = attrs.epoch();
        long[] closed = files.releasesFirst(); // files closed here: released first (Releases)
        CreateReply created = connection.call(f -> f.create(CreateRequest.newBuilder().setParent(parent).setName(name)
                .setMode(mode & ~umask & FileMode.PERMISSIONS).setFlags(flags).setOwner(NameChanges.owner(req))
                .addAllReleaseFirst(Longs.asList(closed)).build()),
                () -> {
                    files.releaseAgain(closed);
                    unsynced.changedInDoubt(parent); // it may have been made all the same (no answer in time)
                    attrs.drop(parent);
                    caches.namesChanged(parent, null); // nor a listing fetched while it went on
                });
        unsynced.changed(parent);
        Node node = created.getNode();
        caches.namesChanged(parent, k -> k.made(name, node)); // nor a listing fetched while it went on
        caches.changing(node.getId()); // a new file, maybe with the inode number of one removed
        if ((flags & OpenFlags.O_TRUNC) != 0) {
            files.changing(node.getId()); // an existing file truncated, also through a handle that cannot write
        }
        attrs.dirChanged(parent, node.hasParent() ? node.getParent() : null, epoch);
        FuseEntry entry = entries.entry(node);
        if (!files.isOpen(entry.nodeId())) { // else writes of an open file here may have passed it
            attrs.answered(entry.nodeId(), created.getNode().getAttr(), epoch);
        }
        FileHandle h = files.register(entry.nodeId(), created.getNode().getAttr().getGeneration(), created.getHandle(), flags,
                entry.attr().size());
        h.node().namedIn = parent;
        return new FuseCreated(entry, new FuseOpen(h.fh(), 0));
    }

    int read(FuseRequest req, long nodeId, long fh, long offset, int size, ByteBuffer dst)
            throws FuseException {
        FileHandle h = files.file(fh);
        files.flushPending(h.node().nodeId);
        if (h.firstReadOfLocalOpen()) {
            fromReadAhead(h);
        }
        return h.reader().read(offset, size, dst);
    }

    /**
     * The first read of a file opened by the mount alone: the kernel dropped the pages it kept
     * (memory pressure, drop_caches), and likely those of the files after it in its listing too.
     * The file comes from the read-ahead of files (fetched ahead, or now in one OpenMany with the
     * files after it, when its listing is known), not in a Read by node of its own: a grep -r
     * after the page cache was dropped made one Read per file.
     */
    private void fromReadAhead(FileHandle h) {
        long node = h.node().nodeId;
        OpenReply r = fetchedAhead(caches.prefetcher().take(node));
        if (r != null) {
            caches.prefetcher().opened(node); // reading a listing in order: the next ones ahead
        } else {
            r = fetchedAhead(caches.prefetcher().readWithNext(node));
        }
        Attr known = attrs.get(node); // nothing changed it since, as far as the events say
        if (r != null && r.hasAttr() && known != null && r.getAttr().getIno() == known.getIno()
                && r.getAttr().getGeneration() == known.getGeneration() && r.getAttr().getSize() == known.getSize()
                && r.getAttr().getMtimeNs() == known.getMtimeNs()) {
            h.reader().content(r.getData());
        }
    }

    int write(FuseRequest req, long nodeId, long fh, long offset, ByteBuffer src, int writeFlags)
            throws FuseException {
        caches.changing(nodeId); // and again once it is on the server (KnownAttrs#written)
        files.changing(nodeId);
        try {
            FileHandle h = files.file(fh);
            if (h.writer() == null) {
                throw new FuseException(Errno.EBADF, "not open for writing");
            }
            h.node().orderBefore(h, offset, src.remaining());
            h.node().generation.incrementAndGet();
            return h.writer().write(offset, src, (writeFlags & FuseKernel.WRITE_KILL_SUIDGID) != 0, req.pid());
        } finally {
            files.changing(nodeId);
        }
    }

    void flush(FuseRequest req, long nodeId, long fh, long lockOwner) throws FuseException {
        FileHandle h = files.file(fh);
        if (h.writer() != null) {
            h.writer().flushOnClose(req.pid());
        }
    }

    /**
     * As fsync(2) on Linux, for the file, not only this open file: what any open file of the node
     * holds back is sent, an error one of them holds for its writer is reported (not taken), and
     * the server syncs through a handle that may write when there is one (Windows flushes only
     * through such a handle). When the directory where this mount named the file has names not
     * yet durable (sqlite's new journal), the same call syncs it too, so that the program's fsync
     * of the directory next needs none ({@link UnsyncedNames}).
     */
    void fsync(FuseRequest req, long nodeId, long fh, boolean datasync) throws FuseException {
        FileHandle h = files.file(fh);
        OpenNode node = h.node();
        node.flushWriters(h);
        long named = node.namedIn;
        long dir = alsoDir && named != 0 && unsynced.unsynced(named) ? named : 0;
        UnsyncedNames.Mark mark = unsynced.mark(); // before the call that may sync the directory
        if (h.writer() != null) {
            if (writeSync && h.writer().flushSynced(datasync, dir, () -> unsynced.synced(dir, mark), req.pid())) {
                FuseException others = node.pendingWriteError(h);
                if (others != null) {
                    throw others;
                }
                return; // the server synced the file before answering its last write
            }
            h.writer().flush(req.pid());
        }
        FuseException others = node.pendingWriteError(h);
        if (others != null) {
            throw others;
        }
        FileHandle via = OpenFlags.writable(h.flags()) && h.serverHandle() != 0 ? h : node.anyWritableOr(h);
        if (via.serverHandle() == 0) {
            return; // read-only, with no server handle (see open), and no writer: nothing of ours to sync
        }
        reopener.current(via.remote());
        // The directory is synced only when the reply says so: not when the server could not (it
        // fails nothing then), nor an older server reached after a reconnect (it ignores also_dir)
        FsyncReply r = connection.call(f -> f.fsync(FsyncRequest.newBuilder().setHandle(via.serverHandle())
                .setDatasync(datasync).setAlsoDir(dir).build()));
        if (r.getDirSynced()) {
            unsynced.synced(dir, mark);
        }
    }

    void release(FuseRequest req, long nodeId, long fh, int flags) throws FuseException {
        FileHandle h = files.remove(fh);
        if (h == null) {
            return;
        }
        if (h.writer() != null) {
            caches.lastOpen().remove(h.node().nodeId);
            try {
                h.writer().close(req.pid());
            } catch (FuseException e) {
                if (CallFailures.away(e.errno()) && h.writer().dirty()) {
                    // The program has closed; the data must not go with it: sent once the server is back.
                    log.warn("server away at the close of node {}: its last writes are kept and sent when it is back",
                            nodeId);
                    UnsentWrites.sendLater(h.writer(), h.node().nodeId, () -> closed(h));
                    return;
                }
                // Nobody sees release errors; a close (flush) has reported it if it could, but no
                // process that wrote took it (see BlockWriter): say so where someone may look.
                log.warn("write error at the last close of node {}, not taken by the process that wrote: {}", nodeId,
                        e.getMessage());
            } catch (RuntimeException e) {
                closed(h);
                throw e;
            }
        }
        closed(h);
    }

    private void closed(FileHandle h) {
        files.unregister(h);
        if (!h.remote().lost() && !reopener.stale(h.remote())) {
            files.releaseQuietly(h.serverHandle()); // (a restarted server does not know the old handle)
        }
    }

    /** The whole-file Open reply fetched ahead, or null (then open as usual). */
    private static OpenReply fetchedAhead(ListenableFuture<OpenReply> ahead) {
        if (ahead == null) {
            return null;
        }
        try {
            OpenReply r = ahead.get();
            return r.getHandle() == 0 && r.hasData() ? r : null; // else it grew: released already
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (ExecutionException e) {
            return null; // the program's own open meets the error itself
        }
    }
}
