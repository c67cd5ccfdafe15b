package dev.fsdriver.client;

import dev.fsdriver.client.cache.CacheStats;
import dev.fsdriver.client.cache.KnownAttrs;
import dev.fsdriver.client.cache.ListingSequences;
import dev.fsdriver.client.cache.Prefetcher;
import dev.fsdriver.client.cache.RemoteCaches;
import dev.fsdriver.common.Errno;
import dev.fsdriver.common.Xattrs;
import dev.fsdriver.fuse.DirFiller;
import dev.fsdriver.fuse.DirPlusFiller;
import dev.fsdriver.fuse.FuseAttr;
import dev.fsdriver.fuse.FuseAttrReply;
import dev.fsdriver.fuse.FuseConnection;
import dev.fsdriver.fuse.FuseCreated;
import dev.fsdriver.fuse.FuseEntry;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.fuse.FuseFileSystem;
import dev.fsdriver.fuse.FuseOpen;
import dev.fsdriver.fuse.FuseRequest;
import dev.fsdriver.fuse.FuseSetAttr;
import dev.fsdriver.fuse.FuseStatfs;
import dev.fsdriver.proto.v1.Attr;
import dev.fsdriver.proto.v1.FsyncRequest;
import dev.fsdriver.proto.v1.HelloReply;
import dev.fsdriver.proto.v1.NodeRequest;
import dev.fsdriver.proto.v1.StatFsReply;
import java.nio.ByteBuffer;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The FUSE file system of one share: every kernel operation becomes one RPC on the
 * {@link Connection}; FUSE node ids are the server's node ids (root 1).
 *
 * <p>Each operation goes to the class of its concern: names and attributes to {@link Lookups},
 * names made, removed and moved to {@link NameChanges}, open files and their I/O to
 * {@link FileIo} (the open files themselves are {@link OpenFiles}), listings to
 * {@link DirListings}; readlink, extended attributes and statfs are answered here. What it adds
 * on top of one-RPC-per-op: read-ahead ({@link BlockReader}), write-behind ({@link BlockWriter}),
 * readdirplus pages that fill the kernel's entry cache ({@link DirHandle}), FOPEN_KEEP_CACHE for
 * files unchanged since their last open, lookup references given back with batched asynchronous
 * Forget RPCs ({@link NodeTable}), and while events flow the caches of {@link RemoteCaches}, which
 * {@link EventsLink#changed()} invalidates: what the events layer wires in goes through {@link #events()}.
 *
 * <p>Errors: every failed call goes through {@link Connection#failure}, the one translation to
 * an errno. Every call has a deadline, so nothing hangs when the server is gone.
 *
 * <p>Threads: no global lock. Open files, open directories and per-node state live in
 * concurrent maps; each open file locks only itself.
 */
public final class RemoteFileSystem implements FuseFileSystem, ListingSequences, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RemoteFileSystem.class);

    private final Connection connection;
    private final int blockSize;
    private final boolean readOnly;
    /** The server syncs directories (capability "fsync-dir"). */
    private final boolean fsyncDir;
    private final UnsyncedNames unsynced;
    private final NodeTable nodes;
    private final RemoteCaches caches;
    private final KnownAttrs attrs;
    private final OpenFiles files;
    private final Lookups lookups;
    /** Directories' times held to go with their next change (see {@link HeldDirTimes}): landed first by every request below that reaches the server about names or attributes. */
    private final HeldDirTimes dirTimes;
    /** Unlinks answered here and sent together (see {@link HeldUnlinks}): landed first by every request below that could see them. */
    private final HeldUnlinks unlinks;
    private final NameChanges names;
    private final FileIo io;
    private final DirListings listings;
    private final EventsLink events;
    private final XattrCalls xattrs;
    /** The root's attributes as Hello gave them (null: not given), see {@link #helloRoot}. */
    private final FuseAttr helloRoot;
    private final long helloUnixNanos;
    private final boolean directoryTimesMove;

    /** A file system over a connection that already said Hello ({@code hello} is its reply). */
    public RemoteFileSystem(Connection connection, HelloReply hello) {
        this.connection = connection;
        ClientOptions options = connection.options();
        int maxIo = hello.getMaxIoBytes() > 0 ? hello.getMaxIoBytes() : options.blockSize();
        this.blockSize = Math.min(options.blockSize(), maxIo);
        this.readOnly = hello.getReadOnly();
        boolean writeSync = hello.getCapabilitiesList().contains("write-sync");
        this.fsyncDir = hello.getCapabilitiesList().contains("fsync-dir");
        this.unsynced = new UnsyncedNames(options.callDeadline().toNanos(), System::nanoTime);
        this.nodes = new NodeTable(connection);
        Reopener reopener = new Reopener(connection);
        // Replies fetched ahead live 10 s (every event drops them; the kernel's own caches live an
        // hour while events flow): with 1 s, a slow walk (grep -r) found the directories ahead expired.
        Prefetcher prefetcher = new Prefetcher(connection::filesAsync, hello.getCapabilitiesList().contains("open-many"),
                Math.min(options.inlineReadMax(), blockSize),
                options.prefetchFiles(), options.readDirPageSize(), 10_000_000_000L, System::nanoTime,
                node -> nodes.forget(node, 1));
        this.caches = new RemoteCaches(prefetcher, connection.counters().caches(), node -> nodes.forget(node, 1),
                System::nanoTime);
        this.attrs = caches.attrs();
        // ranges of one Write call: a database's header and pages go in one call (BlockWriter)
        int writeRanges = hello.getCapabilitiesList().contains("write-extents") ? 16 : 1;
        this.files = new OpenFiles(connection, reopener, blockSize, writeRanges, readOnly,
                hello.getCapabilitiesList().contains("write-mtime"), hello.getCapabilitiesList().contains("write-setattr"),
                hello.getCapabilitiesList().contains("release-many"), attrs,
                new FreeSpace(() -> statfs(null, FuseFileSystem.ROOT_ID), (long) blockSize * options.writeBehindChunks()));
        Entries entries = new Entries(connection, files, attrs, options.entryTimeout().toNanos(),
                options.attrTimeout().toNanos());
        this.dirTimes = new HeldDirTimes(connection, attrs, caches::eventsLive);
        this.lookups = new Lookups(connection, files, caches, entries, reopener, dirTimes, options.attrTimeout().toNanos(),
                options.negativeTimeout().toNanos());
        this.unlinks = new HeldUnlinks(caches, files, nodes, new UnlinkLanding(connection, caches, files, unsynced),
                hello.getCapabilitiesList().contains("unlink-many") && !readOnly);
        this.names = new NameChanges(connection, files, caches, entries, nodes, unsynced, unlinks);
        this.io = new FileIo(connection, blockSize, files, caches, entries, reopener, writeSync, unsynced,
                hello.getCapabilitiesList().contains("fsync-also-dir"));
        this.listings = new DirListings(connection, files, caches, entries, nodes);
        this.xattrs = new XattrCalls(connection, caches);
        this.events = new EventsLink(connection, caches, reopener, lookups, files,
                new RemoteOwnReads(lookups, listings, nodes, () -> {
                    unlinks.landAll(); // before times held later (HeldDirTimes)
                    dirTimes.landAll();
                }), dirTimes);
        this.helloRoot = hello.hasRoot() && hello.getRoot().hasAttr() ? Attrs.toFuse(hello.getRoot().getAttr()) : null;
        this.helloUnixNanos = hello.getServerUnixNanos();
        this.directoryTimesMove = directoryTimesMove(hello);
    }

    /**
     * Whether {@code hello} lists "dir-times-move": the share's file system moves a directory's
     * mtime and ctime with every name change in it, so unchanged times may vouch that none
     * changed (the overflow resync's directory stamps); without it they vouch for nothing.
     */
    static boolean directoryTimesMove(HelloReply hello) {
        return hello.getCapabilitiesList().contains("dir-times-move");
    }

    /** See {@link #directoryTimesMove(HelloReply)}: this mount's first Hello's answer. */
    public boolean directoryTimesMove() {
        return directoryTimesMove;
    }

    /**
     * The share root's attributes from Hello, read by the server before the mount was live (null:
     * not given): the events layer keeps its times as the root's stamp (KernelView#stamp).
     */
    public FuseAttr helloRoot() {
        return helloRoot;
    }

    /** The server's clock when it read {@link #helloRoot} (0: an older server). */
    public long helloUnixNanos() {
        return helloUnixNanos;
    }

    /** What the events layer above wires into this file system besides its requests. */
    public EventsLink events() {
        return events;
    }

    /** Hits and misses of this mount's own caches (also those of the events layer above it). */
    public CacheStats caches() {
        return connection.counters().caches();
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

    /** Tests: another answer to "is free space short" (e.g. never: space ran out after statfs said there was room). */
    void spaceCheck(BlockWriter.Space check) {
        files.spaceCheck(check);
    }

    @Override
    public void init(FuseConnection connection) {
        if (connection.notifier() != null) {
            // attributes only (offset -1): takes no kernel lock a request may hold (see FuseNotifier)
            attrs.onKernelStale(node -> connection.notifier().invalInode(node, -1, 0));
            unlinks.notifyWith(connection.notifier());
        }
        log.debug("kernel 7.{}: max_write {}, max_readahead {}, max_pages {}", connection.negotiatedMinor(),
                connection.maxWrite(), connection.maxReadahead(), connection.maxPages());
    }

    /** The closes gathered so far go to the server now (tests; see {@link Releases}). */
    void sendReleases() {
        files.sendReleases();
    }

    @Override
    public void close() {
        unlinks.landAll();
        dirTimes.landAll();
        files.close();
        nodes.close();
    }

    // ---------------------------------------------------------------------------------------
    // Names and attributes (Lookups)

    /**
     * Answered from the network thread; an entry whose file has held-back writes (its size on the
     * server lags) is finished on a thread that may wait for them, never the network thread.
     */
    @Override
    public void lookup(FuseRequest req, long parent, String name, Reply<FuseEntry> reply) throws FuseException {
        if (unlinks.holds(parent, name)) {
            unlinks.landAll();
        }
        dirTimes.landAll();
        lookups.lookup(Asker.KERNEL, parent, name, reply);
    }

    @Override
    public void forget(long nodeId, long nlookup) {
        dirTimes.forgotten(nodeId);
        if (!unlinks.forgetAfterLanding(nodeId, nlookup)) {
            nodes.forget(nodeId, nlookup);
        }
    }

    @Override
    public void getattr(FuseRequest req, long nodeId, long fh, Reply<FuseAttrReply> reply) throws FuseException {
        Attr held = dirTimes.viewFor(nodeId, req.pid());
        if (held != null) {
            reply.done(new FuseAttrReply(Attrs.toFuse(held), 0)); // not kept (see Lookups.held)
            return;
        }
        unlinks.landForAttrs(nodeId);
        dirTimes.landAll();
        lookups.getattr(Asker.KERNEL, nodeId, fh, reply);
    }

    /**
     * Answered from the network thread when the size stays (chmod, chown, utimens: three per file
     * of an untar); a truncate, which updates the open file's readers, waits on the request thread (see Lookups).
     */
    @Override
    public void setattr(FuseRequest req, long nodeId, FuseSetAttr changes, Reply<FuseAttrReply> reply)
            throws FuseException {
        unlinks.landFor(nodeId);
        lookups.setattr(req, nodeId, changes, reply);
    }

    // ---------------------------------------------------------------------------------------
    // Names made, removed, moved (NameChanges)

    @Override
    public FuseEntry symlink(FuseRequest req, long parent, String name, String target) throws FuseException {
        unlinks.nameMadeIn(parent);
        dirTimes.landAll();
        return names.symlink(req, parent, name, target);
    }

    @Override
    public FuseEntry mknod(FuseRequest req, long parent, String name, int mode, int rdev, int umask)
            throws FuseException {
        unlinks.nameMadeIn(parent);
        dirTimes.landAll();
        return names.mknod(req, parent, name, mode, rdev, umask);
    }

    @Override
    public FuseEntry mkdir(FuseRequest req, long parent, String name, int mode, int umask) throws FuseException {
        unlinks.nameMadeIn(parent);
        dirTimes.landAll();
        FuseEntry made = names.mkdir(req, parent, name, mode, umask);
        if (made.attr() != null) {
            dirTimes.made(made.nodeId(), made.attr().uid());
        }
        return made;
    }

    @Override
    public void unlink(FuseRequest req, long parent, String name, Reply<Void> done) throws FuseException {
        dirTimes.landAll();
        names.unlink(req, parent, name, done);
    }

    @Override
    public void rmdir(FuseRequest req, long parent, String name, Reply<Void> done) throws FuseException {
        dirTimes.landAll();
        names.rmdir(req, parent, name, done); // the unlinks held go first, in its call
    }

    @Override
    public void rename(FuseRequest req, long parent, String name, long newParent, String newName, int flags)
            throws FuseException {
        unlinks.nameMadeIn(newParent);
        dirTimes.landAll();
        names.rename(req, parent, name, newParent, newName, flags);
    }

    @Override
    public FuseEntry link(FuseRequest req, long nodeId, long newParent, String newName) throws FuseException {
        unlinks.nameMadeIn(newParent);
        dirTimes.landAll();
        return names.link(req, nodeId, newParent, newName);
    }

    // ---------------------------------------------------------------------------------------
    // Files (FileIo)

    @Override
    public FuseOpen open(FuseRequest req, long nodeId, int flags) throws FuseException {
        unlinks.landFor(nodeId);
        return io.open(req, nodeId, flags, true);
    }

    @Override
    public FuseOpen open(FuseRequest req, long nodeId, int flags, boolean killSuidgid) throws FuseException {
        unlinks.landFor(nodeId); // a held file's other name (a hard link)
        return io.open(req, nodeId, flags, killSuidgid);
    }

    @Override
    public FuseCreated create(FuseRequest req, long parent, String name, int mode, int flags, int umask)
            throws FuseException {
        unlinks.nameMadeIn(parent);
        dirTimes.landAll();
        return io.create(req, parent, name, mode, flags, umask);
    }

    @Override
    public int read(FuseRequest req, long nodeId, long fh, long offset, int size, ByteBuffer dst)
            throws FuseException {
        return io.read(req, nodeId, fh, offset, size, dst);
    }

    @Override
    public int write(FuseRequest req, long nodeId, long fh, long offset, ByteBuffer src, int writeFlags)
            throws FuseException {
        return io.write(req, nodeId, fh, offset, src, writeFlags);
    }

    @Override
    public void flush(FuseRequest req, long nodeId, long fh, long lockOwner) throws FuseException {
        io.flush(req, nodeId, fh, lockOwner);
    }

    @Override
    public void fsync(FuseRequest req, long nodeId, long fh, boolean datasync) throws FuseException {
        io.fsync(req, nodeId, fh, datasync);
    }

    @Override
    public void release(FuseRequest req, long nodeId, long fh, int flags) throws FuseException {
        io.release(req, nodeId, fh, flags);
    }

    // ---------------------------------------------------------------------------------------
    // Directories (DirListings)

    @Override
    public FuseOpen opendir(FuseRequest req, long nodeId, int flags) {
        unlinks.landFor(nodeId);
        dirTimes.landAll();
        return listings.opendir(req, nodeId, flags);
    }

    @Override
    public void readdir(FuseRequest req, long nodeId, long fh, long offset, DirFiller filler) throws FuseException {
        unlinks.landFor(nodeId);
        dirTimes.landAll();
        listings.readdir(req, nodeId, fh, offset, filler);
    }

    @Override
    public void readdirplus(FuseRequest req, long nodeId, long fh, long offset, DirPlusFiller filler)
            throws FuseException {
        unlinks.landFor(nodeId);
        dirTimes.landAll();
        listings.readdirplus(req, nodeId, fh, offset, filler);
    }

    @Override
    public long eventSequence(long fh) {
        return listings.eventSequence(fh);
    }

    @Override
    public void releasedir(FuseRequest req, long nodeId, long fh) {
        listings.releasedir(req, nodeId, fh);
    }

    @Override
    public void fsyncdir(FuseRequest req, long nodeId, long fh, boolean datasync) throws FuseException {
        unlinks.landFor(nodeId);
        dirTimes.landAll();
        int failed = unlinks.failedIn(nodeId);
        if (failed != 0) {
            throw new FuseException(failed, "an unlink answered ahead of the server failed there (see HeldUnlinks)");
        }
        // Names are changed on the server before each call answers; this makes them durable there
        // (a server without "fsync-dir" takes FsyncRequest.dir for handle 0: nothing is sent).
        // None when this mount changed none there since they were last made durable (UnsyncedNames).
        if (!fsyncDir || !unsynced.unsynced(nodeId)) {
            return;
        }
        UnsyncedNames.Mark mark = unsynced.mark();
        try {
            connection.call(f -> f.fsync(FsyncRequest.newBuilder().setDir(nodeId).setDatasync(datasync).build()));
        } catch (FuseException e) {
            if (e.errno() != Errno.ENOENT && e.errno() != Errno.ESTALE && e.errno() != Errno.ENOTDIR) {
                throw e;
            }
            // The node's directory is gone from the server (removed, or something else at its path):
            // fsync(2) of a removed directory's descriptor succeeds on Linux, nothing is left to sync.
        }
        unsynced.synced(nodeId, mark);
    }

    // ---------------------------------------------------------------------------------------
    // One call each: readlink, statfs

    @Override
    public String readlink(FuseRequest req, long nodeId) throws FuseException {
        return connection.call(f -> f.readlink(NodeRequest.newBuilder().setNode(nodeId).build()).getTarget());
    }

    // Extended attributes (XattrCalls): a name no share keeps is answered without landing anything

    @Override
    public byte[] getxattr(FuseRequest req, long nodeId, String name) throws FuseException {
        if (Xattrs.kept(name)) {
            unlinks.landFor(nodeId);
            dirTimes.landAll();
        }
        return xattrs.get(nodeId, name);
    }

    @Override
    public List<String> listxattr(FuseRequest req, long nodeId) throws FuseException {
        unlinks.landFor(nodeId);
        dirTimes.landAll();
        return xattrs.list(nodeId);
    }

    @Override
    public void setxattr(FuseRequest req, long nodeId, String name, byte[] value, int flags) throws FuseException {
        if (Xattrs.kept(name)) {
            unlinks.landFor(nodeId);
            dirTimes.landAll();
        }
        xattrs.set(nodeId, name, value, flags);
    }

    @Override
    public void removexattr(FuseRequest req, long nodeId, String name) throws FuseException {
        if (Xattrs.kept(name)) {
            unlinks.landFor(nodeId);
            dirTimes.landAll();
        }
        xattrs.remove(nodeId, name);
    }

    @Override
    public FuseStatfs statfs(FuseRequest req, long nodeId) throws FuseException {
        long now = System.nanoTime();
        FuseStatfs c = caches.statfs(now);
        if (c != null) {
            return c;
        }
        FuseStatfs fresh = fetchStatfs(nodeId);
        caches.statfsFetched(fresh, now);
        return fresh;
    }

    private FuseStatfs fetchStatfs(long nodeId) throws FuseException {
        StatFsReply s;
        s = connection.call(f -> f.statFs(NodeRequest.newBuilder().setNode(nodeId).build()));
        return new FuseStatfs(s.getBlocks(), s.getBfree(), s.getBavail(), s.getFiles(), s.getFfree(),
                s.getBsize(), s.getNamelen() == 0 ? 255 : s.getNamelen(), s.getFrsize() == 0 ? s.getBsize() : s.getFrsize());
    }
}
