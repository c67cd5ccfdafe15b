package dev.fsdriver.client;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import dev.fsdriver.common.Errno;
import dev.fsdriver.common.FileMode;
import dev.fsdriver.common.OpenFlags;
import dev.fsdriver.common.Xattrs;
import dev.fsdriver.fuse.DirFiller;
import dev.fsdriver.fuse.DirPlusFiller;
import dev.fsdriver.fuse.FuseAttr;
import dev.fsdriver.fuse.FuseAttrReply;
import dev.fsdriver.fuse.FuseConnection;
import dev.fsdriver.fuse.FuseCreated;
import dev.fsdriver.fuse.FuseEntry;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.fuse.kernel.FuseKernel;
import dev.fsdriver.fuse.FuseFileSystem;
import dev.fsdriver.fuse.FuseOpen;
import dev.fsdriver.fuse.FuseRequest;
import dev.fsdriver.fuse.FuseSetAttr;
import dev.fsdriver.fuse.FuseStatfs;
import dev.fsdriver.proto.v1.Attr;
import dev.fsdriver.proto.v1.CreateReply;
import dev.fsdriver.proto.v1.CreateRequest;
import dev.fsdriver.proto.v1.DirEntry;
import dev.fsdriver.proto.v1.Empty;
import dev.fsdriver.proto.v1.FsyncRequest;
import dev.fsdriver.proto.v1.GetAttrRequest;
import dev.fsdriver.proto.v1.HandleRequest;
import dev.fsdriver.proto.v1.HelloReply;
import dev.fsdriver.proto.v1.LinkRequest;
import dev.fsdriver.proto.v1.LookupRequest;
import dev.fsdriver.proto.v1.MkdirRequest;
import dev.fsdriver.proto.v1.MknodRequest;
import dev.fsdriver.proto.v1.NameRequest;
import dev.fsdriver.proto.v1.Node;
import dev.fsdriver.proto.v1.NodeRequest;
import dev.fsdriver.proto.v1.Owner;
import dev.fsdriver.proto.v1.OpenReply;
import dev.fsdriver.proto.v1.OpenRequest;
import dev.fsdriver.proto.v1.ReadDirReply;
import dev.fsdriver.proto.v1.ReadDirRequest;
import dev.fsdriver.proto.v1.RenameRequest;
import dev.fsdriver.proto.v1.SetAttrRequest;
import dev.fsdriver.proto.v1.SetXattrRequest;
import dev.fsdriver.proto.v1.StatFsReply;
import dev.fsdriver.proto.v1.SymlinkRequest;
import dev.fsdriver.proto.v1.TimeSpec;
import dev.fsdriver.proto.v1.XattrRequest;
import io.grpc.Status;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The FUSE file system of one share: every kernel operation becomes one RPC on the
 * {@link Connection}; FUSE node ids are the server's node ids (root 1).
 *
 * <p>What it adds on top of one-RPC-per-op: read-ahead ({@link BlockReader}), write-behind
 * ({@link BlockWriter}), readdirplus pages that fill the kernel's entry cache
 * ({@link DirHandle}), FOPEN_KEEP_CACHE for files unchanged since their last open, lookup
 * references given back with batched asynchronous Forget RPCs ({@link NodeTable}).
 *
 * <p>Errors: every failed call goes through {@link Connection#failure}, the one translation to
 * an errno. Every call has a deadline, so nothing hangs when the server is gone.
 *
 * <p>Threads: no global lock. Open files, open directories and per-node state live in
 * concurrent maps; each open file locks only itself.
 */
public final class RemoteFileSystem implements FuseFileSystem, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RemoteFileSystem.class);

    private final Connection connection;
    private final ClientOptions options;
    private final int blockSize;
    private final boolean readOnly;
    private final long entryTimeoutNs;
    private final long attrTimeoutNs;
    private final long negativeTimeoutNs;
    private final NodeTable nodes;
    private final Reopener reopener;
    /** Whether writes must wait for the server (the share is nearly full), see {@link FreeSpace}. */
    private volatile BlockWriter.Space space;
    private final AtomicLong nextHandle = new AtomicLong(1);
    private final ConcurrentHashMap<Long, FileHandle> files = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, DirHandle> dirs = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, OpenNode> openNodes = new ConcurrentHashMap<>();
    /** mtime and size of each node at its last open (FOPEN_KEEP_CACHE decision). */
    private final ConcurrentHashMap<Long, long[]> lastOpen = new ConcurrentHashMap<>();
    private final Prefetcher prefetcher;
    /** Attributes of files answered without the server while events flow (see {@link KnownAttrs}). */
    private final KnownAttrs attrs = new KnownAttrs();
    private final WriteBudget writeBudget = new WriteBudget(WriteBudget.DEFAULT_BYTES);
    /** The server makes a file durable with a write (WriteRequest.sync): fsync sends its last data that way. */
    private final boolean writeSync;

    /** A file system over a connection that already said Hello ({@code hello} is its reply). */
    public RemoteFileSystem(Connection connection, HelloReply hello) {
        this.connection = connection;
        this.options = connection.options();
        int maxIo = hello.getMaxIoBytes() > 0 ? hello.getMaxIoBytes() : options.blockSize();
        this.blockSize = Math.min(options.blockSize(), maxIo);
        this.readOnly = hello.getReadOnly();
        this.writeSync = hello.getCapabilitiesList().contains("write-sync");
        this.entryTimeoutNs = options.entryTimeout().toNanos();
        this.attrTimeoutNs = options.attrTimeout().toNanos();
        this.negativeTimeoutNs = options.negativeTimeout().toNanos();
        this.nodes = new NodeTable(connection);
        this.reopener = new Reopener(connection);
        this.space = new FreeSpace(() -> statfs(null, FuseFileSystem.ROOT_ID),
                (long) blockSize * options.writeBehindChunks());
        this.prefetcher = new Prefetcher(connection, Math.min(options.inlineReadMax(), blockSize),
                options.prefetchFiles(), options.readDirPageSize(), 1_000_000_000L, System::nanoTime,
                node -> nodes.forget(node, 1));
    }

    /**
     * Lets this file system fetch small files ahead of a program reading a directory in order
     * while {@code eventsLive} holds; {@link #changed()} must then be called for every change
     * event (see {@link Prefetcher}).
     */
    public void prefetchWhile(java.util.function.BooleanSupplier eventsLive) {
        prefetcher.enableWhile(eventsLive);
        attrs.enableWhile(eventsLive);
        this.eventsLive = eventsLive;
    }

    /**
     * Where the share-relative paths of the nodes the kernel holds come from (the events layer's
     * view of the kernel): after a server restart, nodes are looked up again by them and open
     * files reopened (see {@link Reopener}). Without it, open files do not survive a restart.
     */
    public void pathsFrom(java.util.function.LongFunction<String> pathOf) {
        reopener.pathsFrom(pathOf);
    }

    /** Hits and misses of this mount's own caches (also those of the events layer above it). */
    public CacheStats caches() {
        return connection.counters().caches();
    }

    /**
     * Where the node the kernel holds under a name comes from (0: none known), so that an unlink
     * or rename through the mount forgets the attributes known of that file only (see
     * {@link KnownAttrs}); without it, of every file.
     */
    public void childrenFrom(java.util.function.ToLongBiFunction<Long, String> childOf) {
        this.childOf = childOf;
    }

    private volatile java.util.function.ToLongBiFunction<Long, String> childOf = (parent, name) -> 0;

    /** {@code name} in {@code parent} is being unlinked or renamed, or is replaced: its file's link count and ctime change. */
    private void nameChanging(long parent, String name) {
        long node = childOf.applyAsLong(parent, name);
        if (node == 0) {
            attrs.dropAll();
        } else {
            attrs.drop(node);
        }
    }

    /**
     * A change event arrived, or the event stream changed state: nothing fetched ahead, kept for
     * a listing again, or known of a file's attributes may be used any more.
     */
    public void changed() {
        prefetcher.dropAll(); // before the attributes: see open()
        attrs.changedElsewhere();
        dropRelistings();
    }

    /** A change through the mount: the same. */
    private void changedHere() {
        prefetcher.dropAll();
        dropRelistings();
    }

    private void dropRelistings() {
        relistEpoch.incrementAndGet();
        if (!relistings.isEmpty()) {
            relistings.clear();
        }
    }

    /**
     * Complete listings of directories just closed, each kept for one listing of the same
     * directory started again soon after (rm -rf, like every fts program, reads a directory
     * twice: a first pass, then again from the start): entries the kernel has taken already come
     * back as names only (it holds their nodes; another reference would be one the server never
     * counted), the others with the references the server counted for them. Only while events
     * flow; every change, through the mount or on the server's side, moves {@link #relistEpoch},
     * and a listing kept from an earlier epoch is not used.
     */
    private final ConcurrentHashMap<Long, Relisting> relistings = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicLong relistEpoch = new java.util.concurrent.atomic.AtomicLong();
    private volatile java.util.function.BooleanSupplier eventsLive = () -> false;
    private static final long RELIST_NANOS = 1_000_000_000L;
    private static final int MAX_RELISTINGS = 64;

    private record Relisting(List<DirEntry> page, java.util.BitSet given, long epoch, long atNanos) {}

    /** Whole-file Open replies fetched ahead and not yet taken (for tests). */
    int prefetchedWaiting() {
        return prefetcher.waiting();
    }

    /** Directory pages fetched ahead and not yet taken (for tests). */
    int listingsWaiting() {
        return prefetcher.listingsWaiting();
    }

    /** Says Hello on {@code connection} and returns the file system of its share. */
    public static RemoteFileSystem connect(Connection connection) throws HelloException {
        return new RemoteFileSystem(connection, connection.hello());
    }

    /** The block size in use (the option, capped by the server's max_io_bytes). */
    public int blockSize() {
        return blockSize;
    }

    /** The share is read-only (the server said so, or the session asked for it). */
    public boolean readOnly() {
        return readOnly;
    }

    @Override
    public void init(FuseConnection connection) {
        log.debug("kernel 7.{}: max_write {}, max_readahead {}, max_pages {}", connection.negotiatedMinor(),
                connection.maxWrite(), connection.maxReadahead(), connection.maxPages());
    }

    // ---------------------------------------------------------------------------------------
    // Names and attributes

    @Override
    public FuseEntry lookup(FuseRequest req, long parent, String name) throws FuseException {
        Node node;
        try {
            node = connection.files().lookup(LookupRequest.newBuilder().setParent(parent).setName(name).build());
        } catch (RuntimeException e) {
            FuseException f = connection.failure(e);
            if (f.errno() == Errno.ENOENT && negativeTimeoutNs > 0) {
                return FuseEntry.negative(negativeTimeoutNs);
            }
            throw f;
        }
        return entry(node);
    }

    /**
     * Answered from the network thread; an entry whose file has held-back writes (its size on the
     * server lags) is finished on a thread that may wait for them, never the network thread.
     */
    @Override
    public void lookup(FuseRequest req, long parent, String name, Reply<FuseEntry> reply) throws FuseException {
        LookupRequest request = LookupRequest.newBuilder().setParent(parent).setName(name).build();
        whenAnswered(call(() -> connection.filesAsync().lookup(request)), node -> {
            OpenNode open = openNodes.get(node.getId());
            if (open == null || !open.anyDirty()) {
                reply.done(entryNoCount(node));
                return;
            }
            Thread.startVirtualThread(() -> {
                try {
                    reply.done(entry(node));
                } catch (FuseException e) {
                    reply.failed(e.errno());
                }
            });
        }, errno -> {
            if (errno == Errno.ENOENT && negativeTimeoutNs > 0) {
                reply.done(FuseEntry.negative(negativeTimeoutNs));
            } else {
                reply.failed(errno);
            }
        });
    }

    @Override
    public void getattr(FuseRequest req, long nodeId, long fh, Reply<FuseAttrReply> reply) throws FuseException {
        flushPending(nodeId);
        Attr known = attrs.get(nodeId);
        if (known != null) {
            reply.done(new FuseAttrReply(Attrs.toFuse(known), attrTimeoutNs));
            return;
        }
        long epoch = attrs.epoch();
        long generation = generation(nodeId);
        FileHandle h = fh >= 0 ? files.get(fh) : null;
        GetAttrRequest request = GetAttrRequest.newBuilder().setNode(nodeId).setHandle(current(h)).build();
        whenAnswered(call(() -> connection.filesAsync().getAttr(request)), attr -> {
            answered(nodeId, attr, epoch, generation);
            reply.done(new FuseAttrReply(Attrs.toFuse(attr), attrTimeoutNs));
        }, errno -> {
                    if (errno == Errno.ESTALE || errno == Errno.EBADF) {
                        // the server restarted: node looked up again, file reopened (not on this transport thread)
                        Thread.startVirtualThread(() -> {
                            try {
                                reply.done(getattr(req, nodeId, fh));
                            } catch (FuseException e) {
                                reply.failed(e.errno());
                            }
                        });
                        return;
                    }
                    long open = h == null && errno == Errno.ENOENT ? openServerHandle(nodeId) : 0;
                    if (open == 0) {
                        reply.failed(errno);
                        return;
                    }
                    try {
                        whenAnswered(call(() -> connection.filesAsync().getAttr(request.toBuilder().setHandle(open).build())),
                                attr -> reply.done(new FuseAttrReply(Attrs.toFuse(attr), attrTimeoutNs)), reply::failed);
                    } catch (FuseException e) {
                        reply.failed(e.errno());
                    }
                });
    }

    /**
     * A server handle of a file of {@code nodeId} open here, or 0. The kernel's GETATTR for
     * fstat() carries no handle, and a file unlinked while open is no longer found by its node's
     * path: the server then answers through the open file.
     */
    private long openServerHandle(long nodeId) {
        OpenNode open = openNodes.get(nodeId);
        if (open != null) {
            for (FileHandle h : open.handles) {
                return current(h);
            }
        }
        return 0;
    }

    @Override
    public void forget(long nodeId, long nlookup) {
        nodes.forget(nodeId, nlookup);
    }

    @Override
    public FuseAttrReply getattr(FuseRequest req, long nodeId, long fh) throws FuseException {
        flushPending(nodeId);
        Attr known = attrs.get(nodeId);
        if (known != null) {
            return new FuseAttrReply(Attrs.toFuse(known), attrTimeoutNs);
        }
        long epoch = attrs.epoch();
        long generation = generation(nodeId);
        FileHandle h = fh >= 0 ? files.get(fh) : null;
        try {
            Attr attr = reopener.refinding(nodeId, () -> connection.files().getAttr(GetAttrRequest.newBuilder()
                    .setNode(nodeId).setHandle(current(h)).build()));
            answered(nodeId, attr, epoch, generation);
            return new FuseAttrReply(Attrs.toFuse(attr), attrTimeoutNs);
        } catch (FuseException f) {
            long open = h == null && f.errno() == Errno.ENOENT ? openServerHandle(nodeId) : 0;
            if (open == 0) {
                throw f;
            }
            try {
                return new FuseAttrReply(Attrs.toFuse(connection.files().getAttr(GetAttrRequest.newBuilder()
                        .setNode(nodeId).setHandle(open).build())), attrTimeoutNs);
            } catch (RuntimeException again) {
                throw connection.failure(again);
            }
        }
    }

    @Override
    public FuseAttrReply setattr(FuseRequest req, long nodeId, FuseSetAttr changes) throws FuseException {
        SetAttrRequest request = setattrRequest(nodeId, changes);
        long epoch = attrs.epoch();
        long generation = generation(nodeId);
        Attr attr;
        try {
            attr = connection.files().setAttr(request);
        } catch (RuntimeException e) {
            attrs.drop(nodeId);
            throw connection.failure(e);
        }
        answered(nodeId, attr, epoch, generation);
        return setattrDone(nodeId, changes, attr);
    }

    /**
     * Answered from the network thread when the size stays (chmod, chown, utimens: three per file
     * of an untar); a truncate, which updates the open file's readers, waits here as above.
     */
    @Override
    public void setattr(FuseRequest req, long nodeId, FuseSetAttr changes, Reply<FuseAttrReply> reply)
            throws FuseException {
        if (changes.size().isPresent()) {
            reply.done(setattr(req, nodeId, changes));
            return;
        }
        SetAttrRequest request = setattrRequest(nodeId, changes);
        long epoch = attrs.epoch();
        long generation = generation(nodeId);
        whenAnswered(call(() -> connection.filesAsync().setAttr(request)), attr -> {
            answered(nodeId, attr, epoch, generation);
            reply.done(new FuseAttrReply(Attrs.toFuse(attr), attrTimeoutNs));
        }, errno -> {
            attrs.drop(nodeId); // it may have changed anyway
            reply.failed(errno);
        });
    }

    /** Held-back writes pushed out first (they land before the change, as they were issued). */
    private SetAttrRequest setattrRequest(long nodeId, FuseSetAttr changes) throws FuseException {
        changedHere();
        OpenNode open = openNodes.get(nodeId);
        if (open != null) {
            open.flushWriters(null);
        }
        FileHandle h = changes.fh() >= 0 ? files.get(changes.fh()) : null;
        SetAttrRequest.Builder b = SetAttrRequest.newBuilder().setNode(nodeId).setHandle(current(h));
        changes.size().ifPresent(b::setSize);
        changes.mode().ifPresent(m -> b.setMode(m & FileMode.PERMISSIONS));
        changes.uid().ifPresent(b::setUid);
        changes.gid().ifPresent(b::setGid);
        b.setKillSuidgid(changes.killSuidgid());
        if (changes.atimeNow()) {
            b.setAtime(TimeSpec.newBuilder().setNow(true));
        } else {
            changes.atimeNs().ifPresent(ns -> b.setAtime(TimeSpec.newBuilder().setNs(ns)));
        }
        if (changes.mtimeNow()) {
            b.setMtime(TimeSpec.newBuilder().setNow(true));
        } else {
            changes.mtimeNs().ifPresent(ns -> b.setMtime(TimeSpec.newBuilder().setNs(ns)));
        }
        return b.build();
    }

    private FuseAttrReply setattrDone(long nodeId, FuseSetAttr changes, Attr attr) {
        OpenNode open = openNodes.get(nodeId);
        if (changes.size().isPresent()) {
            lastOpen.remove(nodeId);
            if (open != null) {
                open.generation.incrementAndGet();
                for (FileHandle fh : open.handles) {
                    fh.reader().sizeChanged(attr.getSize());
                }
            }
        }
        return new FuseAttrReply(Attrs.toFuse(attr), attrTimeoutNs);
    }

    @Override
    public String readlink(FuseRequest req, long nodeId) throws FuseException {
        try {
            return connection.files().readlink(NodeRequest.newBuilder().setNode(nodeId).build()).getTarget();
        } catch (RuntimeException e) {
            throw connection.failure(e);
        }
    }

    /*
     * Extended attributes: never cached here (the kernel keeps none for FUSE either), so a change
     * made by anyone is read at once. Names no share keeps are answered without a call, as the
     * server would ({@link Xattrs}): the kernel asks security.capability before writes.
     */

    @Override
    public byte[] getxattr(FuseRequest req, long nodeId, String name) throws FuseException {
        if (!Xattrs.kept(name)) {
            throw new FuseException(Xattrs.absentError(name));
        }
        try {
            return connection.files().getXattr(XattrRequest.newBuilder().setNode(nodeId).setName(name).build())
                    .getValue().toByteArray();
        } catch (RuntimeException e) {
            throw connection.failure(e);
        }
    }

    @Override
    public List<String> listxattr(FuseRequest req, long nodeId) throws FuseException {
        try {
            return connection.files().listXattr(NodeRequest.newBuilder().setNode(nodeId).build()).getNamesList();
        } catch (RuntimeException e) {
            throw connection.failure(e);
        }
    }

    @Override
    public void setxattr(FuseRequest req, long nodeId, String name, byte[] value, int flags) throws FuseException {
        if (!Xattrs.kept(name)) {
            throw new FuseException(Xattrs.setError(name));
        }
        changedHere();
        attrs.drop(nodeId); // its ctime
        try {
            connection.files().setXattr(SetXattrRequest.newBuilder().setNode(nodeId).setName(name)
                    .setValue(com.google.protobuf.ByteString.copyFrom(value)).setFlags(flags).build());
        } catch (RuntimeException e) {
            throw connection.failure(e);
        } finally {
            attrs.drop(nodeId);
        }
    }

    @Override
    public void removexattr(FuseRequest req, long nodeId, String name) throws FuseException {
        if (!Xattrs.kept(name)) {
            throw new FuseException(Xattrs.absentError(name));
        }
        changedHere();
        attrs.drop(nodeId); // its ctime
        try {
            connection.files().removeXattr(XattrRequest.newBuilder().setNode(nodeId).setName(name).build());
        } catch (RuntimeException e) {
            throw connection.failure(e);
        } finally {
            attrs.drop(nodeId);
        }
    }

    @Override
    public FuseEntry symlink(FuseRequest req, long parent, String name, String target) throws FuseException {
        changedHere();
        try {
            return entry(connection.files().symlink(
                    SymlinkRequest.newBuilder().setParent(parent).setName(name).setTarget(target)
                            .setOwner(owner(req)).build()));
        } catch (RuntimeException e) {
            throw connection.failure(e);
        }
    }

    @Override
    public FuseEntry mknod(FuseRequest req, long parent, String name, int mode, int rdev, int umask)
            throws FuseException {
        changedHere();
        int type = mode & FileMode.S_IFMT;
        if (type == FileMode.S_IFIFO || type == FileMode.S_IFSOCK) {
            try {
                return entry(connection.files().mknod(MknodRequest.newBuilder().setParent(parent).setName(name)
                        .setMode(type | (mode & ~umask & FileMode.PERMISSIONS)).setOwner(owner(req)).build()));
            } catch (RuntimeException e) {
                throw connection.failure(e);
            }
        }
        if (!FileMode.isRegular(mode)) {
            // device nodes: out of scope (and the mount is nodev); anything else is not a file type
            throw new FuseException(Errno.EPERM, "device nodes cannot be made");
        }
        CreateReply created;
        try {
            // through Create, which every server has
            created = connection.files().create(CreateRequest.newBuilder().setParent(parent).setName(name)
                    .setMode(mode & ~umask & FileMode.PERMISSIONS).setOwner(owner(req))
                    .setFlags(OpenFlags.O_CREAT | OpenFlags.O_EXCL | OpenFlags.O_WRONLY).build());
        } catch (RuntimeException e) {
            throw connection.failure(e);
        }
        releaseQuietly(created.getHandle());
        return entry(created.getNode());
    }

    /** The caller of a request: a file it makes is to be its own (the server applies it where it can). */
    private static Owner owner(FuseRequest req) {
        return Owner.newBuilder().setUid(req.uid()).setGid(req.gid()).build();
    }

    @Override
    public FuseEntry mkdir(FuseRequest req, long parent, String name, int mode, int umask) throws FuseException {
        changedHere();
        try {
            return entry(connection.files().mkdir(MkdirRequest.newBuilder().setParent(parent).setName(name)
                    .setMode(mode & ~umask & FileMode.PERMISSIONS).setOwner(owner(req)).build()));
        } catch (RuntimeException e) {
            throw connection.failure(e);
        }
    }

    @Override
    public void unlink(FuseRequest req, long parent, String name) throws FuseException {
        changedHere();
        beforeNameGoes(parent, name);
        nameChanging(parent, name);
        try {
            connection.files().unlink(NameRequest.newBuilder().setParent(parent).setName(name).build());
        } catch (RuntimeException e) {
            throw connection.failure(e);
        } finally {
            nameChanging(parent, name); // nor what was answered while it went on
        }
    }

    @Override
    public void unlink(FuseRequest req, long parent, String name, Completion done) throws FuseException {
        changedHere();
        beforeNameGoes(parent, name);
        nameChanging(parent, name);
        NameRequest request = NameRequest.newBuilder().setParent(parent).setName(name).build();
        whenAnswered(call(() -> connection.filesAsync().unlink(request)), ok -> {
            nameChanging(parent, name); // nor what was answered while it went on
            done.done(0);
        }, errno -> {
            nameChanging(parent, name);
            done.done(errno);
        });
    }

    @Override
    public void rmdir(FuseRequest req, long parent, String name, Completion done) throws FuseException {
        changedHere();
        NameRequest request = NameRequest.newBuilder().setParent(parent).setName(name).build();
        whenAnswered(call(() -> connection.filesAsync().rmdir(request)), ok -> done.done(0), done::done);
    }

    /** Starts a call; a failure to start it is the errno the kernel gets at once. */
    private <T> ListenableFuture<T> call(java.util.function.Supplier<ListenableFuture<T>> start) throws FuseException {
        try {
            return start.get();
        } catch (RuntimeException e) {
            throw connection.failure(e);
        }
    }

    /**
     * Runs {@code answered} with the call's reply, or {@code failed} with its errno, on the thread
     * that ends the call (the transport's: what runs there must not wait for another call).
     */
    private <T> void whenAnswered(ListenableFuture<T> call, java.util.function.Consumer<T> answered,
                                  java.util.function.IntConsumer failed) {
        Futures.addCallback(call, new FutureCallback<T>() {
            @Override
            public void onSuccess(T reply) {
                answered.accept(reply);
            }

            @Override
            public void onFailure(Throwable t) {
                failed.accept(connection.failure(t).errno());
            }
        }, MoreExecutors.directExecutor());
    }

    @Override
    public void rmdir(FuseRequest req, long parent, String name) throws FuseException {
        changedHere();
        try {
            connection.files().rmdir(NameRequest.newBuilder().setParent(parent).setName(name).build());
        } catch (RuntimeException e) {
            throw connection.failure(e);
        }
    }

    @Override
    public void rename(FuseRequest req, long parent, String name, long newParent, String newName, int flags)
            throws FuseException {
        changedHere();
        if ((flags & (RENAME_NOREPLACE | RENAME_EXCHANGE)) == 0) {
            beforeNameGoes(newParent, newName);
        }
        // the ctime of the file moved, the link count and ctime of one replaced
        nameChanging(parent, name);
        nameChanging(newParent, newName);
        try {
            connection.files().rename(RenameRequest.newBuilder().setParent(parent).setName(name)
                    .setNewParent(newParent).setNewName(newName).setFlags(flags).build());
        } catch (RuntimeException e) {
            throw connection.failure(e);
        } finally {
            nameChanging(parent, name);
            nameChanging(newParent, newName);
        }
    }

    private static final int RENAME_NOREPLACE = 1;
    private static final int RENAME_EXCHANGE = 2;

    /**
     * Before a name goes (unlink, a rename over it): an open file with no server handle (it came
     * with its whole content) reads by node once it grew, which fails when its last name is gone.
     * Each such open of the named file gets a read-only server handle first, so it keeps reading
     * the file as a descriptor does on a local file system. Costs a lookup only while such opens exist.
     */
    private void beforeNameGoes(long parent, String name) {
        if (openNodes.values().stream().noneMatch(OpenNode::anyHandleless)) {
            return;
        }
        Node node;
        try {
            node = connection.files().lookup(LookupRequest.newBuilder().setParent(parent).setName(name).build());
        } catch (RuntimeException e) {
            return; // no such name (the unlink says so), or the server is away: nothing to keep
        }
        nodes.forget(node.getId(), 1); // the lookup's reference: not handed to the kernel
        OpenNode open = openNodes.get(node.getId());
        if (open == null) {
            return;
        }
        for (FileHandle h : open.handles) {
            if (h.serverHandle() != 0 || h.remote().lost()) {
                continue;
            }
            try {
                OpenReply r = connection.files().open(
                        OpenRequest.newBuilder().setNode(open.nodeId).setFlags(OpenFlags.O_RDONLY).build());
                h.remote().attached(r.getHandle(), connection.instance());
                if (!open.handles.contains(h)) {
                    releaseQuietly(r.getHandle()); // closed meanwhile
                }
            } catch (RuntimeException e) {
                log.debug("no server handle for an open file of node {}: {}", open.nodeId, e.toString());
            }
        }
    }

    @Override
    public FuseEntry link(FuseRequest req, long nodeId, long newParent, String newName) throws FuseException {
        changedHere();
        attrs.drop(nodeId); // its link count and ctime
        try {
            return entry(connection.files().link(
                    LinkRequest.newBuilder().setNode(nodeId).setNewParent(newParent).setNewName(newName).build()));
        } catch (RuntimeException e) {
            throw connection.failure(e);
        } finally {
            attrs.drop(nodeId);
        }
    }

    @Override
    public FuseStatfs statfs(FuseRequest req, long nodeId) throws FuseException {
        CachedStatfs c = lastStatfs;
        long now = System.nanoTime();
        if (c != null && now - c.at < STATFS_CACHE_NANOS) {
            connection.counters().caches().hit(CacheStats.Cache.STATFS);
            return c.value;
        }
        connection.counters().caches().miss(CacheStats.Cache.STATFS);
        FuseStatfs fresh = fetchStatfs(nodeId);
        lastStatfs = new CachedStatfs(fresh, now);
        return fresh;
    }

    /**
     * The share's figures are the same from every node (the server asks its file system once),
     * and programs ask often: rm and find once per directory tree, some shells per prompt. Kept
     * one second, as sizes shown by df are a moment old anyway.
     */
    private static final long STATFS_CACHE_NANOS = 1_000_000_000L;
    private volatile CachedStatfs lastStatfs;

    private record CachedStatfs(FuseStatfs value, long at) {}

    private FuseStatfs fetchStatfs(long nodeId) throws FuseException {
        StatFsReply s;
        try {
            s = connection.files().statFs(NodeRequest.newBuilder().setNode(nodeId).build());
        } catch (RuntimeException e) {
            throw connection.failure(e);
        }
        return new FuseStatfs(s.getBlocks(), s.getBfree(), s.getBavail(), s.getFiles(), s.getFfree(),
                s.getBsize(), s.getNamelen() == 0 ? 255 : s.getNamelen(), s.getFrsize() == 0 ? s.getBsize() : s.getFrsize());
    }

    // ---------------------------------------------------------------------------------------
    // Files

    @Override
    public FuseOpen open(FuseRequest req, long nodeId, int flags) throws FuseException {
        return open(req, nodeId, flags, true);
    }

    @Override
    public FuseOpen open(FuseRequest req, long nodeId, int flags, boolean killSuidgid) throws FuseException {
        flushPending(nodeId);
        boolean readAccess = (flags & OpenFlags.O_ACCMODE) == OpenFlags.O_RDONLY;
        boolean readOnly = readAccess && (flags & OpenFlags.O_TRUNC) == 0;
        FuseOpen local = readOnly ? openLocally(nodeId, flags) : null;
        if (local != null) {
            return local;
        }
        long epoch = attrs.epoch();
        long generation = generation(nodeId);
        OpenRequest.Builder request = OpenRequest.newBuilder().setNode(nodeId).setFlags(flags)
                .setKillSuidgid(killSuidgid);
        if (readOnly && !lastOpen.containsKey(nodeId)) {
            // First open of this file here: its pages are not cached, so the read will follow;
            // a small file comes whole with the reply. (Opened before: the kernel likely keeps
            // its pages, see FOPEN_KEEP_CACHE below, and a read would be wasted.)
            request.setInlineMax(Math.min(options.inlineReadMax(), blockSize));
        }
        // A reply fetched ahead is kept with the attributes as known now: any change since it was
        // fetched dropped it (changed(), changedHere()) before the attributes' epoch moved.
        OpenReply reply = readOnly ? fetchedAhead(nodeId) : null;
        if (reply != null && reply.hasAttr()) {
            answered(nodeId, reply.getAttr(), epoch, generation);
        }
        if (readOnly) {
            connection.counters().caches().add(CacheStats.Cache.CONTENT, reply != null);
        }
        if (reply == null) {
            if (!readOnly) {
                changedHere();
            }
            OpenRequest built = request.build();
            reply = reopener.refinding(nodeId, () -> connection.files().open(built));
            if (reply.hasAttr()) {
                answered(nodeId, reply.getAttr(), epoch, generation);
            }
        }
        if (readOnly) {
            prefetcher.opened(nodeId);
        }
        int openFlags = 0;
        if (options.keepCache() && reply.hasAttr() && (flags & OpenFlags.O_TRUNC) == 0) {
            // the generation too: the node id may be another file's now (a reused inode number)
            long[] now = {reply.getAttr().getMtimeNs(), reply.getAttr().getSize(), reply.getAttr().getGeneration()};
            long[] before = lastOpen.put(nodeId, now);
            if (before != null && before[0] == now[0] && before[1] == now[1] && before[2] == now[2]) {
                openFlags |= FuseOpen.FOPEN_KEEP_CACHE;
            }
        } else {
            lastOpen.remove(nodeId);
        }
        if (readAccess) {
            // Nothing to push out at close(2): the kernel need not send FLUSH (one round trip
            // through /dev/fuse less per file read; writeback cache, which ignores this, is off).
            openFlags |= FuseOpen.FOPEN_NOFLUSH;
        }
        FileHandle h = register(nodeId, reply.getAttr().getGeneration(), reply.getHandle(), flags,
                reply.hasAttr() ? reply.getAttr().getSize() : Long.MAX_VALUE);
        if (reply.hasData()) {
            h.reader().content(reply.getData());
        }
        return new FuseOpen(h.fh(), openFlags);
    }

    /**
     * A read-only open answered without the server: the file is small, it was opened here before
     * (lastOpen) with the attributes still known current (nothing changed it since, see
     * {@link KnownAttrs}: events flow), and no open file here writes it. The kernel keeps the
     * pages it read then (FOPEN_KEEP_CACHE); a page it dropped meanwhile is read by node, as for
     * a file that came whole with its open (no server handle, so no Release either). Null: open
     * it on the server.
     */
    private FuseOpen openLocally(long nodeId, int flags) {
        Attr known = options.keepCache() ? attrs.get(nodeId) : null;
        long[] before = known == null ? null : lastOpen.get(nodeId);
        OpenNode open = openNodes.get(nodeId);
        if (before == null || before[0] != known.getMtimeNs() || before[1] != known.getSize()
                || before[2] != known.getGeneration()
                || known.getSize() > Math.min(options.inlineReadMax(), blockSize) || (open != null && open.anyWriter())) {
            return null;
        }
        FileHandle h = register(nodeId, known.getGeneration(), 0, flags, known.getSize());
        return new FuseOpen(h.fh(), FuseOpen.FOPEN_KEEP_CACHE | FuseOpen.FOPEN_NOFLUSH);
    }

    @Override
    public FuseCreated create(FuseRequest req, long parent, String name, int mode, int flags, int umask)
            throws FuseException {
        changedHere();
        long epoch = attrs.epoch();
        CreateReply created;
        try {
            created = connection.files().create(CreateRequest.newBuilder().setParent(parent).setName(name)
                    .setMode(mode & ~umask & FileMode.PERMISSIONS).setFlags(flags).setOwner(owner(req)).build());
        } catch (RuntimeException e) {
            throw connection.failure(e);
        }
        FuseEntry entry = entry(created.getNode());
        if (!openNodes.containsKey(entry.nodeId())) { // else writes of an open file here may have passed it
            attrs.answered(entry.nodeId(), created.getNode().getAttr(), epoch);
        }
        FileHandle h = register(entry.nodeId(), created.getNode().getAttr().getGeneration(), created.getHandle(), flags,
                entry.attr().size());
        return new FuseCreated(entry, new FuseOpen(h.fh(), 0));
    }

    @Override
    public int read(FuseRequest req, long nodeId, long fh, long offset, int size, ByteBuffer dst)
            throws FuseException {
        FileHandle h = file(fh);
        flushPending(h.node().nodeId);
        return h.reader().read(offset, size, dst);
    }

    @Override
    public int write(FuseRequest req, long nodeId, long fh, long offset, ByteBuffer src, int writeFlags)
            throws FuseException {
        changedHere();
        FileHandle h = file(fh);
        if (h.writer() == null) {
            throw new FuseException(Errno.EBADF, "not open for writing");
        }
        h.node().generation.incrementAndGet();
        return h.writer().write(offset, src, (writeFlags & FuseKernel.WRITE_KILL_SUIDGID) != 0, req.pid());
    }

    @Override
    public void flush(FuseRequest req, long nodeId, long fh, long lockOwner) throws FuseException {
        FileHandle h = file(fh);
        if (h.writer() != null) {
            h.writer().flush(req.pid());
        }
    }

    /**
     * As fsync(2) on Linux, for the file, not only this open file: what any open file of the node
     * holds back is sent, an error one of them holds for its writer is reported (not taken), and
     * the server syncs through a handle that may write when there is one (Windows flushes only
     * through such a handle).
     */
    @Override
    public void fsync(FuseRequest req, long nodeId, long fh, boolean datasync) throws FuseException {
        FileHandle h = file(fh);
        OpenNode node = h.node();
        node.flushWriters(h);
        if (h.writer() != null) {
            if (writeSync && h.writer().flushSynced(datasync, req.pid())) {
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
        try {
            connection.files().fsync(FsyncRequest.newBuilder().setHandle(via.serverHandle()).setDatasync(datasync).build());
        } catch (RuntimeException e) {
            throw connection.failure(e);
        }
    }

    @Override
    public void release(FuseRequest req, long nodeId, long fh, int flags) throws FuseException {
        FileHandle h = files.remove(fh);
        if (h == null) {
            return;
        }
        if (h.writer() != null) {
            lastOpen.remove(h.node().nodeId);
            try {
                h.writer().flush(req.pid());
            } catch (FuseException e) {
                if (away(e) && h.writer().dirty()) {
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

    private static boolean away(FuseException e) {
        return e.errno() == Errno.ENOTCONN || e.errno() == Errno.ETIMEDOUT;
    }

    private void closed(FileHandle h) {
        unregister(h);
        if (!h.remote().lost() && !reopener.stale(h.remote())) {
            releaseQuietly(h.serverHandle()); // (a restarted server does not know the old handle)
        }
    }

    // ---------------------------------------------------------------------------------------
    // Directories

    @Override
    public FuseOpen opendir(FuseRequest req, long nodeId, int flags) {
        long fh = nextHandle.getAndIncrement();
        dirs.put(fh, new DirHandle(nodeId));
        return FuseOpen.of(fh);
    }

    @Override
    public void releasedir(FuseRequest req, long nodeId, long fh) {
        DirHandle dir = dirs.remove(fh);
        if (dir == null || !eventsLive.getAsBoolean()) {
            return;
        }
        synchronized (dir) {
            if (dir.pagePlus && dir.pageCursor == 0 && dir.pageEof && !dir.page.isEmpty()
                    && dir.fetchEpoch == relistEpoch.get()) {
                if (relistings.size() >= MAX_RELISTINGS) {
                    relistings.clear();
                }
                relistings.put(nodeId, new Relisting(dir.page, (java.util.BitSet) dir.given.clone(), dir.fetchEpoch,
                        dir.fetchedAtNanos));
            }
        }
    }

    @Override
    public void fsyncdir(FuseRequest req, long nodeId, long fh, boolean datasync) {
        // Directory changes are synchronous on the server.
    }

    @Override
    public void readdir(FuseRequest req, long nodeId, long fh, long offset, DirFiller filler) throws FuseException {
        list(nodeId, fh, offset, false, (name, entry, ino, mode, next) -> filler.add(name, ino, mode, next));
    }

    @Override
    public void readdirplus(FuseRequest req, long nodeId, long fh, long offset, DirPlusFiller filler)
            throws FuseException {
        list(nodeId, fh, offset, true, (name, entry, ino, mode, next) -> {
            return filler.add(name, entry, next);
        });
    }

    private interface Sink {
        boolean add(String name, FuseEntry entry, long ino, int mode, long nextOffset);
    }

    /**
     * Kernel offsets: 1 after ".", 2 after "..", and server cursor + 2 after an entry (server
     * cursors are never 0, so they never collide with the first two).
     */
    private void list(long nodeId, long fh, long offset, boolean plus, Sink sink) throws FuseException {
        DirHandle dir = dirs.get(fh);
        if (dir == null) {
            dir = new DirHandle(nodeId);
        }
        if (offset < 1 && !sink.add(".", dotEntry(nodeId), nodeId, FileMode.S_IFDIR, 1)) {
            return;
        }
        if (offset < 2 && !sink.add("..", dotEntry(1), 1, FileMode.S_IFDIR, 2)) {
            return;
        }
        long cursor = offset < 2 ? 0 : offset - 2;
        synchronized (dir) {
            while (true) {
                int start = positionLocked(dir, cursor, plus);
                if (start < 0) {
                    fetchLocked(dir, cursor, plus);
                    start = 0;
                }
                List<DirEntry> page = dir.page;
                for (int i = start; i < page.size(); i++) {
                    DirEntry e = page.get(i);
                    // the server counted one reference per entry: the kernel gets it once, then names
                    boolean counted = plus && e.hasNode() && !dir.given.get(i);
                    // a file open for writing here: the server's size may lag behind held-back
                    // writes (a lookup pushes them out first), so the kernel gets the name only
                    boolean withheld = counted && writing(e.getNode().getId());
                    boolean full = counted && !withheld;
                    FuseEntry entry = full ? entryNoCount(e.getNode()) : nameOnly(e);
                    int mode = e.getType() != 0 ? e.getType() : (entry.attr() == null ? 0 : entry.attr().mode());
                    if (!sink.add(e.getName(), entry, e.getIno(), mode, e.getCursor() + 2)) {
                        return;
                    }
                    if (withheld) {
                        nodes.forget(e.getNode().getId(), 1); // the server counted it for the kernel
                    }
                    if (counted) {
                        dir.given.set(i);
                    }
                    cursor = e.getCursor();
                }
                if (dir.pageEof || page.isEmpty()) {
                    return;
                }
            }
        }
    }

    private boolean writing(long nodeId) {
        OpenNode open = openNodes.get(nodeId);
        return open != null && open.anyWriter();
    }

    /** Where in the cached page the entries after {@code cursor} start, or -1 when not cached. */
    private static int positionLocked(DirHandle dir, long cursor, boolean plus) {
        if (dir.pageCursor < 0 || (plus && !dir.pagePlus)) {
            return -1;
        }
        if (cursor == dir.pageCursor) {
            return 0;
        }
        List<DirEntry> page = dir.page;
        for (int i = 0; i < page.size(); i++) {
            if (page.get(i).getCursor() == cursor) {
                return i + 1 < page.size() || dir.pageEof ? i + 1 : -1;
            }
        }
        return -1;
    }

    private void fetchLocked(DirHandle dir, long cursor, boolean plus) throws FuseException {
        long epoch = relistEpoch.get(); // before the fetch: a change meanwhile makes it older
        if (cursor == 0 && plus) {
            Relisting r = relistings.remove(dir.nodeId);
            if (r != null && r.epoch == epoch && System.nanoTime() - r.atNanos < RELIST_NANOS
                    && eventsLive.getAsBoolean()) {
                dir.page = r.page;
                dir.given = r.given;
                dir.pageCursor = 0;
                dir.pageEof = true;
                dir.pagePlus = true;
                dir.fetchEpoch = epoch;
                dir.fetchedAtNanos = r.atNanos; // kept at most RELIST_NANOS from the server's answer
                connection.counters().caches().hit(CacheStats.Cache.DIRECTORY);
                return;
            }
        }
        // A first page fetched ahead (a plus page: its entries' references go to the kernel)
        ReadDirReply reply = cursor == 0 && plus ? prefetcher.takeListing(dir.nodeId) : null;
        if (cursor == 0) {
            connection.counters().caches().add(CacheStats.Cache.DIRECTORY, reply != null);
        }
        if (reply == null) {
            try {
                reply = connection.files().readDir(ReadDirRequest.newBuilder().setNode(dir.nodeId).setCursor(cursor)
                        .setMaxEntries(options.readDirPageSize()).setPlus(plus).build());
            } catch (RuntimeException e) {
                throw connection.failure(e);
            }
        }
        dir.page = reply.getEntriesList();
        dir.given = new java.util.BitSet();
        dir.fetchEpoch = epoch;
        dir.fetchedAtNanos = System.nanoTime();
        if (plus) {
            prefetcher.listed(dir.nodeId, cursor, dir.page);
        }
        dir.pageCursor = cursor;
        dir.pageEof = reply.getEof();
        dir.pagePlus = plus;
    }

    private FuseEntry dotEntry(long ino) {
        return new FuseEntry(0, 0, new FuseAttr(ino, 0, 0, 0, 0, 0, FileMode.S_IFDIR | 0755, 2, 0, 0, 0, 4096), 0, 0);
    }

    private static FuseEntry nameOnly(DirEntry e) {
        return new FuseEntry(0, 0, new FuseAttr(e.getIno(), 0, 0, 0, 0, 0, e.getType(), 1, 0, 0, 0, 4096), 0, 0);
    }

    // ---------------------------------------------------------------------------------------
    // Helpers

    /** An entry for the kernel, with attributes that include this client's held-back writes. */
    private FuseEntry entry(Node node) throws FuseException {
        Node n = node;
        OpenNode open = openNodes.get(n.getId());
        if (open != null && open.anyDirty()) {
            // The server's size lags behind held-back writes: push them out and ask again.
            open.flushWriters(null);
            try {
                n = n.toBuilder().setAttr(connection.files().getAttr(GetAttrRequest.newBuilder().setNode(n.getId()).build())).build();
            } catch (RuntimeException e) {
                throw connection.failure(e);
            }
        }
        return entryNoCount(n);
    }

    private FuseEntry entryNoCount(Node n) {
        attrs.entered(n.getId(), n.getAttr());
        return new FuseEntry(n.getId(), n.getGeneration(), Attrs.toFuse(n.getAttr()), entryTimeoutNs, attrTimeoutNs);
    }

    /** The whole-file Open reply fetched ahead for {@code nodeId}, or null (then open as usual). */
    private OpenReply fetchedAhead(long nodeId) {
        ListenableFuture<OpenReply> ahead = prefetcher.take(nodeId);
        if (ahead == null) {
            return null;
        }
        try {
            OpenReply r = ahead.get();
            return r.getHandle() == 0 && r.hasData() ? r : null; // else it grew: released already
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (java.util.concurrent.ExecutionException e) {
            return null; // the program's own open meets the error itself
        }
    }

    /** Writes through this mount to {@code nodeId} so far (see {@link OpenNode#generation}); 0 when not open here. */
    private long generation(long nodeId) {
        OpenNode open = openNodes.get(nodeId);
        return open == null ? 0 : open.generation.get();
    }

    /**
     * Keeps attributes the server answered to a call sent at {@code epoch}, unless a write through
     * this mount went out since (its reply may have come first: then this answer is the older one).
     */
    private void answered(long nodeId, Attr attr, long epoch, long generation) {
        if (generation(nodeId) == generation) {
            attrs.answered(nodeId, attr, epoch);
        }
    }

    /** Before asking the server about a node, push out writes still held back for it. */
    private void flushPending(long nodeId) throws FuseException {
        OpenNode open = openNodes.get(nodeId);
        if (open != null && open.anyDirty()) {
            open.flushWriters(null);
        }
    }

    /** The server handle of {@code h} to name in a call, 0 for none (or one a restarted server would not know). */
    private long current(FileHandle h) {
        return h == null || h.remote().lost() || reopener.stale(h.remote()) ? 0 : h.serverHandle();
    }

    /** Tests: another answer to "is free space short" (e.g. never: space ran out after statfs said there was room). */
    void spaceCheck(BlockWriter.Space check) {
        this.space = check;
    }

    private FileHandle file(long fh) throws FuseException {
        FileHandle h = files.get(fh);
        if (h == null) {
            throw new FuseException(Errno.EBADF, "unknown file handle " + fh);
        }
        return h;
    }

    private FileHandle register(long nodeId, long fileGeneration, long serverHandle, int flags, long size) {
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
                        options.writeBehindChunks(), (flags & OpenFlags.O_APPEND) != 0, attrs)
                : null;
        FileHandle h = new FileHandle(fh, remote, node, flags, reader, writer);
        node.handles.add(h);
        files.put(fh, h);
        return h;
    }

    private void unregister(FileHandle h) {
        h.node().handles.remove(h);
        openNodes.computeIfPresent(h.node().nodeId, (id, n) -> --n.refs == 0 ? null : n);
    }

    /**
     * Gives a server handle back without waiting: nobody sees a release's outcome (the kernel
     * does not wait for RELEASE either), and the RPC goes out on the same connection before any
     * later call, so the server closes the file before it serves what follows.
     */
    private void releaseQuietly(long serverHandle) {
        if (serverHandle == 0) {
            return; // the server kept nothing open (a small file that came whole with Open)
        }
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

    @Override
    public void close() {
        nodes.close();
    }
}
