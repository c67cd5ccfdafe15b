package dev.fsdriver.client;

import com.google.common.primitives.Longs;
import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import dev.fsdriver.client.cache.KnownAttrs;
import dev.fsdriver.common.Errno;
import dev.fsdriver.common.OpenFlags;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.proto.v1.Attr;
import dev.fsdriver.proto.v1.Empty;
import dev.fsdriver.proto.v1.HandleRequest;
import dev.fsdriver.proto.v1.ReleaseManyRequest;
import io.grpc.Status;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The files open through the mount: each kernel file handle ({@link FileHandle}, with its
 * read-ahead and write-behind) and, per node, what its open files share ({@link OpenNode}: the
 * held-back writes to push out before the server is asked about the node, the count of writes
 * that tells a reply older than one of them). Also hands out the kernel handle numbers of open
 * directories, from the same counter. What the events layer must know of this mount's own
 * writes ({@link LocalWrites}) is read here: an open file that may write, and the size-change
 * stamps.
 *
 * <p>The stamps cannot live in {@link OpenNode}: a truncate(2) by name changes a size with no
 * file open, and a program can open, write and close a file between the applier's stamp and the
 * injected answer, making and dropping the node's entry meanwhile. So they are a bounded table
 * striped by node id, outliving the open files: another node's change in the same stripe only
 * refuses an injection more often.
 *
 * <p>Locking: concurrent maps and an atomic array; a node's entry is made and dropped with its
 * reference count inside {@code compute}; each open file locks only itself.
 */
final class OpenFiles implements LocalWrites {
    private static final Logger log = LoggerFactory.getLogger(OpenFiles.class);
    private static final int STRIPES = 1024;

    private final Connection connection;
    private final Reopener reopener;
    private final ClientOptions options;
    private final int blockSize;
    /** Ranges one Write call may carry (capability "write-extents"; 1: one). */
    private final int writeRanges;
    private final boolean readOnly;
    /** The server sets a write's mtime (capability "write-mtime"): see {@link AttrsAhead}. */
    private final boolean writeMtime;
    /** The server makes a change of attributes after a write's data (capability "write-setattr"). */
    private final boolean writeSetattr;
    private final KnownAttrs attrs;
    private final WriteBudget writeBudget = new WriteBudget(WriteBudget.DEFAULT_BYTES);
    /** Whether writes must wait for the server (the share is nearly full), see {@link FreeSpace}. */
    private volatile BlockWriter.Space space;
    private final AtomicLong nextHandle = new AtomicLong(1);
    private final ConcurrentHashMap<Long, FileHandle> files = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, OpenNode> openNodes = new ConcurrentHashMap<>();
    /** Size-change stamps by stripe of node id (see the class comment). */
    private final AtomicLongArray stamps = new AtomicLongArray(STRIPES);
    /** Closes gathered into ReleaseMany calls (capability "release-many"); null: one Release each. */
    private final Releases releases;
    /**
     * A server answered ReleaseMany with ENOSYS (an older one came back in place of the one that
     * listed "release-many"): one Release each from then on. Handles that had gone with a name
     * change to it (release_first, which it ignores) stay open until its session ends.
     */
    private volatile boolean batchesRefused;

    OpenFiles(Connection connection, Reopener reopener, int blockSize, int writeRanges, boolean readOnly,
              boolean writeMtime, boolean writeSetattr, boolean releaseMany, KnownAttrs attrs, BlockWriter.Space space) {
        this.releases = releaseMany ? new Releases(this::releaseMany) : null;
        this.writeMtime = writeMtime;
        this.writeSetattr = writeSetattr;
        this.connection = connection;
        this.writeRanges = writeRanges;
        this.reopener = reopener;
        this.options = connection.options();
        this.blockSize = blockSize;
        this.readOnly = readOnly;
        this.attrs = attrs;
        this.space = space;
    }

    /**
     * The handles given back so far, to go with the unlink, rmdir or rename the caller starts
     * next (its {@code release_first}: see {@link Releases}); empty without "release-many".
     */
    long[] releasesFirst() {
        return releases == null || batchesRefused ? NONE : releases.takeForCall();
    }

    /**
     * Starts one ReleaseMany (see {@link Releases}). A batch the server did not get because it
     * was away is gathered again a second later (its session, and the files, may outlive the
     * connection), its failure translated as any call's (the session is lost, and the channel
     * tries to connect at once on the next call instead of failing it in its back-off). A server
     * that does not know ReleaseMany (an older one started since) gets one Release per handle.
     */
    private void releaseMany(long[] handles) {
        ListenableFuture<Empty> done = connection.filesAsync().releaseMany(
                ReleaseManyRequest.newBuilder().addAllHandles(Longs.asList(handles)).build());
        Futures.addCallback(done, new FutureCallback<>() {
            @Override
            public void onSuccess(Empty result) {
            }

            @Override
            public void onFailure(Throwable t) {
                if (Status.fromThrowable(t).getCode() == Status.Code.UNIMPLEMENTED) {
                    if (!batchesRefused) {
                        batchesRefused = true;
                        log.warn("the server does not know ReleaseMany (an older one?): closes go one by one from now on");
                    }
                    for (long h : handles) {
                        releaseOne(h);
                    }
                } else if (CallFailures.unreachable(t) || CallFailures.sessionElsewhere(t)) {
                    connection.failure(t); // the session lost, the channel to connect again at once (not in backoff)
                    releases.later(handles);
                } else {
                    log.debug("release of {} handles failed: {}", handles.length, Status.fromThrowable(t).getCode());
                }
            }
        }, MoreExecutors.directExecutor());
    }

    /** {@code handles} went with a call that failed: given back again (the server ignores one it closed). */
    void releaseAgain(long[] handles) {
        for (long h : handles) {
            releaseQuietly(h);
        }
    }

    private static final long[] NONE = {};

    /** Starts a ReleaseMany of the handles gathered so far (tests: a close that reaches the server now). */
    void sendReleases() {
        if (releases != null) {
            releases.sendNow();
        }
    }

    /** Sends the handles gathered and stops the batches' timer (the mount ends). */
    void close() {
        if (releases != null) {
            releases.close();
        }
    }

    /** A new kernel handle number (files and directories). */
    long nextHandle() {
        return nextHandle.getAndIncrement();
    }

    /** Tests: another answer to "is free space short" (e.g. never: space ran out after statfs said there was room). */
    void spaceCheck(BlockWriter.Space check) {
        this.space = check;
    }

    /** The open file of kernel handle {@code fh}, or null. */
    FileHandle get(long fh) {
        return files.get(fh);
    }

    /** The open file of kernel handle {@code fh}; EBADF when none. */
    FileHandle file(long fh) throws FuseException {
        FileHandle h = files.get(fh);
        if (h == null) {
            throw new FuseException(Errno.EBADF, "unknown file handle " + fh);
        }
        return h;
    }

    /** The open file of {@code fh}, no longer known by it (RELEASE), or null. */
    FileHandle remove(long fh) {
        return files.remove(fh);
    }

    /** What the open files of {@code nodeId} share, or null when it is not open here. */
    OpenNode node(long nodeId) {
        return openNodes.get(nodeId);
    }

    /** Whether a file of {@code nodeId} is open here. */
    boolean isOpen(long nodeId) {
        return openNodes.containsKey(nodeId);
    }

    /** Whether an open file here has no server handle (it came with its whole content). */
    boolean anyHandleless() {
        return openNodes.values().stream().anyMatch(OpenNode::anyHandleless);
    }

    /** Whether {@code nodeId} is open here with no server handle (see {@link #anyHandleless}). */
    boolean handleless(long nodeId) {
        OpenNode open = openNodes.get(nodeId);
        return open != null && open.anyHandleless();
    }

    /** Writes through this mount to {@code nodeId} so far (see {@link OpenNode#generation}); 0 when not open here. */
    long generation(long nodeId) {
        OpenNode open = openNodes.get(nodeId);
        return open == null ? 0 : open.generation.get();
    }

    /** The attributes of {@code nodeId} with the writes held back for it, without a call (see {@link AttrsAhead}), or null. */
    Attr attrsAhead(long nodeId, Attr known) {
        return AttrsAhead.answer(openNodes.get(nodeId), known);
    }

    /** Before asking the server about a node, push out writes still held back for it. */
    void flushPending(long nodeId) throws FuseException {
        OpenNode open = openNodes.get(nodeId);
        if (open != null && open.anyDirty()) {
            open.flushWriters(null);
        }
    }

    /** Whether a file of {@code nodeId} is open for writing here (until its RELEASE has sent what it held back). */
    @Override
    public boolean writing(long nodeId) {
        OpenNode open = openNodes.get(nodeId);
        return open != null && open.anyWriter();
    }

    private static int stripe(long node) {
        return (int) ((node ^ (node >>> 32)) * 0x9E3779B9L >>> 22) & (STRIPES - 1);
    }

    @Override
    public long stamp(long nodeId) {
        return stamps.get(stripe(nodeId));
    }

    /** A request that may change the size of {@code nodeId} starts or ends (see {@link LocalWrites}). */
    void changing(long nodeId) {
        stamps.incrementAndGet(stripe(nodeId));
    }

    /**
     * A server handle of a file of {@code nodeId} open here, or 0. The kernel's GETATTR for
     * fstat() carries no handle, and a file unlinked while open is no longer found by its node's
     * path: the server then answers through the open file.
     */
    long openServerHandle(long nodeId) {
        OpenNode open = openNodes.get(nodeId);
        if (open != null) {
            for (FileHandle h : open.handles) {
                long handle = current(h);
                if (handle != 0) {
                    return handle; // not one that reads by node (opened by the mount alone, see FileIo#openLocally)
                }
            }
        }
        return 0;
    }

    /** The server handle of {@code h} to name in a call, 0 for none (or one a restarted server would not know). */
    long current(FileHandle h) {
        return h == null || h.remote().lost() || reopener.stale(h.remote()) ? 0 : h.serverHandle();
    }

    FileHandle register(long nodeId, long fileGeneration, long serverHandle, int flags, long size) {
        OpenNode node = openNodes.compute(nodeId, (id, n) -> {
            OpenNode v = n == null ? new OpenNode(id) : n;
            v.refs++;
            return v;
        });
        long fh = nextHandle.getAndIncrement();
        RemoteHandle remote = new RemoteHandle(nodeId, fileGeneration, flags, serverHandle, connection.instance());
        BlockReader reader = new BlockReader(connection, remote, reopener, blockSize, options.readAheadBlocks(), node, size);
        BlockWriter writer = OpenFlags.writable(flags) && !readOnly
                ? new BlockWriter(connection, node, remote, reopener, space, writeBudget, blockSize,
                        options.writeBehindChunks(), writeRanges, (flags & OpenFlags.O_APPEND) != 0, attrs, size, writeMtime,
                        writeSetattr)
                : null;
        FileHandle h = new FileHandle(fh, remote, node, flags, reader, writer);
        node.handles.add(h);
        files.put(fh, h);
        if (writer != null) {
            changing(nodeId); // a writer comes (after it is counted)
        }
        return h;
    }

    /** The open file {@code h} is gone (RELEASE, once what it held back was sent). */
    void unregister(FileHandle h) {
        if (h.writer() != null) {
            changing(h.node().nodeId); // a writer goes (before it is no longer counted)
        }
        h.node().handles.remove(h);
        openNodes.computeIfPresent(h.node().nodeId, (id, n) -> --n.refs == 0 ? null : n);
    }

    /**
     * Gives a server handle back without waiting: nobody sees a release's outcome (the kernel
     * does not wait for RELEASE either). With "release-many" it goes with the next batch
     * ({@link Releases}), or with the next call that removes or moves a name ({@link #releasesFirst});
     * else the RPC goes out on the same connection before any later call, so the server closes
     * the file before it serves what follows.
     */
    void releaseQuietly(long serverHandle) {
        if (serverHandle == 0) {
            return; // the server kept nothing open (a small file that came whole with Open)
        }
        if (releases != null && !batchesRefused) {
            releases.release(serverHandle);
            return;
        }
        releaseOne(serverHandle);
    }

    private void releaseOne(long serverHandle) {
        ListenableFuture<Empty> done;
        try {
            done = connection.filesAsync().release(HandleRequest.newBuilder().setHandle(serverHandle).build());
        } catch (RuntimeException e) {
            log.debug("release of handle {} failed: {}", serverHandle, Status.fromThrowable(e).getCode());
            return;
        }
        Futures.addCallback(done, new FutureCallback<>() {
            @Override
            public void onSuccess(Empty result) {
            }

            @Override
            public void onFailure(Throwable t) {
                // The server drops handles of a connection that goes away; nobody sees this error.
                log.debug("release of handle {} failed: {}", serverHandle, Status.fromThrowable(t).getCode());
            }
        }, MoreExecutors.directExecutor());
    }
}
