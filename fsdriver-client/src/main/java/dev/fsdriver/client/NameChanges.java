package dev.fsdriver.client;

import com.google.common.primitives.Longs;
import com.google.common.util.concurrent.ListenableFuture;
import dev.fsdriver.client.cache.KnownAttrs;
import dev.fsdriver.client.cache.RemoteCaches;
import dev.fsdriver.common.Errno;
import dev.fsdriver.common.FileMode;
import dev.fsdriver.common.OpenFlags;
import dev.fsdriver.fuse.FuseEntry;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.fuse.FuseFileSystem;
import dev.fsdriver.fuse.FuseRequest;
import dev.fsdriver.proto.v1.Attr;
import dev.fsdriver.proto.v1.CreateReply;
import dev.fsdriver.proto.v1.CreateRequest;
import dev.fsdriver.proto.v1.LinkRequest;
import dev.fsdriver.proto.v1.LookupRequest;
import dev.fsdriver.proto.v1.MkdirRequest;
import dev.fsdriver.proto.v1.MknodRequest;
import dev.fsdriver.proto.v1.NameRequest;
import dev.fsdriver.proto.v1.Node;
import dev.fsdriver.proto.v1.OpenReply;
import dev.fsdriver.proto.v1.OpenRequest;
import dev.fsdriver.proto.v1.Owner;
import dev.fsdriver.proto.v1.ParentAttrs;
import dev.fsdriver.proto.v1.RenameRequest;
import dev.fsdriver.proto.v1.SymlinkRequest;
import dev.fsdriver.proto.v1.UnlinkManyReply;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Changes of the namespace through the mount: names made (mkdir, mknod, symlink, link), removed
 * (unlink, rmdir) and moved (rename). Each tells the caches first ({@link RemoteCaches}: what
 * was fetched ahead or kept is stale, and the attributes of a file whose name changes), and
 * again once done for an unlink or rename (nor what was answered meanwhile); an open file whose
 * last name goes keeps a server handle to read through ({@link #beforeNameGoes}). Each directory
 * whose names a call changed, or may have changed (it failed), is told to {@link UnsyncedNames}
 * once the call came back, before the kernel is answered.
 *
 * <p>No state of its own.
 */
final class NameChanges {
    private static final Logger log = LoggerFactory.getLogger(NameChanges.class);

    private final Connection connection;
    private final OpenFiles files;
    private final RemoteCaches caches;
    private final KnownAttrs attrs;
    private final Entries entries;
    private final NodeTable nodes;
    private final UnsyncedNames unsynced;
    private final HeldUnlinks held;

    NameChanges(Connection connection, OpenFiles files, RemoteCaches caches, Entries entries, NodeTable nodes,
                UnsyncedNames unsynced, HeldUnlinks held) {
        this.connection = connection;
        this.files = files;
        this.caches = caches;
        this.attrs = caches.attrs();
        this.entries = entries;
        this.nodes = nodes;
        this.unsynced = unsynced;
        this.held = held;
    }

    FuseEntry symlink(FuseRequest req, long parent, String name, String target) throws FuseException {
        caches.namesChanging(parent);
        long sentAt = attrs.epoch();
        long[] closed = files.releasesFirst(); // files closed here: released first (Releases)
        return made(parent, name, sentAt, connection.call(f -> f.symlink(
                SymlinkRequest.newBuilder().setParent(parent).setName(name).setTarget(target)
                        .setOwner(owner(req)).addAllReleaseFirst(Longs.asList(closed)).build()), () -> notMade(parent, closed)));
    }

    /**
     * {@code name} made in {@code parent} by a call sent at {@code sentAt}: its entry, and the
     * parent's attributes after it. The caches told again (the kept listing of the parent gets
     * the name, nor is a listing fetched while it went on kept), and of the node: its id is an
     * inode number, maybe one a file removed before had.
     */
    private FuseEntry made(long parent, String name, long sentAt, Node node) throws FuseException {
        unsynced.changed(parent);
        caches.namesChanged(parent, k -> k.made(name, node));
        caches.changing(node.getId());
        if (node.hasAttr() && FileMode.isDirectory(node.getAttr().getMode())) {
            attrs.answered(node.getId(), node.getAttr(), sentAt); // what its times and owner held for it start from (HeldDirTimes)
        }
        attrs.dirChanged(parent, node.hasParent() ? node.getParent() : null, sentAt);
        return entries.entry(node);
    }

    /** A call sent at {@code sentAt} that changed names in {@code parent} and {@code newParent} came back. */
    private void changed(long parent, long newParent, long sentAt, ParentAttrs reply) {
        unsynced.changed(parent);
        unsynced.changed(newParent);
        attrs.dirChanged(parent, reply.hasParent() ? reply.getParent() : null, sentAt);
        if (newParent != parent) {
            attrs.dirChanged(newParent, reply.hasNewParent() ? reply.getNewParent() : null, sentAt);
        }
    }

    FuseEntry mknod(FuseRequest req, long parent, String name, int mode, int rdev, int umask)
            throws FuseException {
        int type = mode & FileMode.S_IFMT;
        if (type != FileMode.S_IFIFO && type != FileMode.S_IFSOCK && !FileMode.isRegular(mode)) {
            // device nodes: out of scope (and the mount is nodev); anything else is not a file type
            throw new FuseException(Errno.EPERM, "device nodes cannot be made");
        }
        caches.namesChanging(parent);
        long sentAt = attrs.epoch();
        long[] closed = files.releasesFirst(); // files closed here: released first (Releases)
        if (type == FileMode.S_IFIFO || type == FileMode.S_IFSOCK) {
            return made(parent, name, sentAt, connection.call(f -> f.mknod(MknodRequest.newBuilder().setParent(parent).setName(name)
                    .setMode(type | (mode & ~umask & FileMode.PERMISSIONS)).setOwner(owner(req))
                    .addAllReleaseFirst(Longs.asList(closed)).build()), () -> notMade(parent, closed)));
        }
        // through Create, which every server has
        CreateReply created = connection.call(f -> f.create(CreateRequest.newBuilder().setParent(parent).setName(name)
                .setMode(mode & ~umask & FileMode.PERMISSIONS).setOwner(owner(req))
                .setFlags(OpenFlags.O_CREAT | OpenFlags.O_EXCL | OpenFlags.O_WRONLY)
                .addAllReleaseFirst(Longs.asList(closed)).build()), () -> notMade(parent, closed));
        files.releaseQuietly(created.getHandle());
        return made(parent, name, sentAt, created.getNode());
    }

    /** The caller of a request: a file it makes is to be its own (the server applies it where it can). */
    static Owner owner(FuseRequest req) {
        return Owner.newBuilder().setUid(req.uid()).setGid(req.gid()).build();
    }

    FuseEntry mkdir(FuseRequest req, long parent, String name, int mode, int umask) throws FuseException {
        caches.namesChanging(parent);
        long sentAt = attrs.epoch();
        long[] closed = files.releasesFirst(); // files closed here: released first (Releases)
        return made(parent, name, sentAt, connection.call(f -> f.mkdir(MkdirRequest.newBuilder().setParent(parent).setName(name)
                .setMode(mode & ~umask & FileMode.PERMISSIONS).setOwner(owner(req))
                .addAllReleaseFirst(Longs.asList(closed)).build()), () -> notMade(parent, closed)));
    }

    /**
     * After a create, mkdir, symlink, mknod or link that failed: what was said of the parent is
     * not known, and the closes that went with it are given back again.
     */
    private void notMade(long parent, long[] closed) {
        files.releaseAgain(closed);
        unsynced.changedInDoubt(parent); // it may have been made all the same (no answer in time)
        attrs.drop(parent);
        caches.namesChanged(parent, null);
    }

    /** {@code name} is about to go from {@code parent}: the parent's names, the file's link count. */
    private void removing(long parent, String name) {
        caches.namesChanging(parent);
        caches.childChanging(parent, name, false);
    }

    /** ...and went ({@code done}; else it failed): told again, nor is what was answered while it went on kept. */
    private void removed(long parent, String name, boolean done) {
        if (done) {
            unsynced.changed(parent);
        } else {
            unsynced.changedInDoubt(parent); // a failed call may have removed it all the same
        }
        caches.childChanging(parent, name, false);
        caches.namesChanged(parent, done ? k -> k.removed(name, caches::forget) : null);
    }

    void unlink(FuseRequest req, long parent, String name, FuseFileSystem.Reply<Void> done) throws FuseException {
        long known = caches.child(parent, name);
        if (held.mayHold(parent, known)) { // answered here, sent with others (HeldUnlinks)
            removing(parent, name);
            held.hold(parent, name, known);
            removed(parent, name, true);
            done.done(null);
            return;
        }
        held.landAll();
        beforeNameGoes(parent, name);
        removing(parent, name);
        long[] closed = files.releasesFirst(); // files closed here: released first (Releases)
        NameRequest request = removal(parent, name, closed);
        long sentAt = attrs.epoch();
        connection.whenAnswered(started(parent, name, closed, () -> connection.filesAsync().unlink(request)), reply -> {
            held.removedIn(parent);
            removed(parent, name, true);
            changed(parent, parent, sentAt, reply);
            done.done(null);
        }, errno -> {
            files.releaseAgain(closed);
            removed(parent, name, false);
            attrs.drop(parent);
            held.refused(parent); // the next unlink there goes as this one did, its error its own
            done.failed(errno);
        });
    }

    /** A removal's call started; one that could not start is told as failed (the listing set aside goes). */
    private <T> ListenableFuture<T> started(long parent, String name, long[] closed, Supplier<ListenableFuture<T>> call)
            throws FuseException {
        try {
            return connection.start(call);
        } catch (FuseException | RuntimeException e) {
            files.releaseAgain(closed);
            removed(parent, name, false);
            throw e;
        }
    }

    private static NameRequest removal(long parent, String name, long[] closed) {
        return NameRequest.newBuilder().setParent(parent).setName(name).addAllReleaseFirst(Longs.asList(closed)).build();
    }

    void rmdir(FuseRequest req, long parent, String name, FuseFileSystem.Reply<Void> done) throws FuseException {
        removing(parent, name);
        long[] closed = files.releasesFirst(); // files closed under it: released first (Releases)
        NameRequest request = removal(parent, name, closed);
        long sentAt = attrs.epoch();
        UnlinkLanding.Outcome landed = held.landWith(request.toBuilder().setDir(true).build());
        if (landed != null) { // it went last in the landing of the unlinks held (rm -rf: one call)
            UnlinkManyReply r = landed.reply();
            int errno = r == null ? landed.errno() : r.getErrnoCount() > 0 ? r.getErrno(r.getErrnoCount() - 1) : Errno.EIO;
            if (errno == 0) {
                held.removedIn(parent);
                removed(parent, name, true);
                Attr after = r.getParentsMap().get(parent);
                changed(parent, parent, sentAt, after == null ? ParentAttrs.getDefaultInstance()
                        : ParentAttrs.newBuilder().setParent(after).build());
                done.done(null);
            } else {
                if (r == null) {
                    files.releaseAgain(closed); // the call failed: not known to have reached the server
                }
                removed(parent, name, false);
                attrs.drop(parent);
                done.failed(errno);
            }
            return;
        }
        connection.whenAnswered(started(parent, name, closed, () -> connection.filesAsync().rmdir(request)), reply -> {
            held.removedIn(parent);
            removed(parent, name, true);
            changed(parent, parent, sentAt, reply);
            done.done(null);
        }, errno -> {
            files.releaseAgain(closed);
            removed(parent, name, false);
            attrs.drop(parent);
            done.failed(errno);
        });
    }

    void rename(FuseRequest req, long parent, String name, long newParent, String newName, int flags)
            throws FuseException {
        if ((flags & (RENAME_NOREPLACE | RENAME_EXCHANGE)) == 0) {
            beforeNameGoes(newParent, newName);
        }
        // the names of both directories (their kept listings set aside to follow the rename), the
        // ctime of the file moved, the link count and ctime of one replaced
        caches.namesChanging(parent);
        caches.namesChanging(newParent);
        caches.childChanging(parent, name, false);
        caches.childChanging(newParent, newName, true);
        long sentAt = attrs.epoch();
        long moved = caches.child(parent, name);
        long generation = files.generation(moved);
        boolean quiet = !dirty(moved); // no write of it may land on the server around the reply's attributes
        long[] closed = files.releasesFirst(); // files closed under either name: released first (Releases)
        ParentAttrs reply = connection.call(f -> f.rename(RenameRequest.newBuilder().setParent(parent).setName(name)
                .setNewParent(newParent).setNewName(newName).setFlags(flags).addAllReleaseFirst(Longs.asList(closed))
                .build()), () -> {
                    files.releaseAgain(closed);
                    unsynced.changedInDoubt(parent); // it may have been done all the same
                    unsynced.changedInDoubt(newParent);
                    caches.childChanging(parent, name, false);
                    caches.childChanging(newParent, newName, true);
                    caches.namesChanged(parent, null);
                    caches.namesChanged(newParent, null);
                    attrs.drop(parent);
                    attrs.drop(newParent);
                });
        boolean exchange = (flags & RENAME_EXCHANGE) != 0;
        if (!exchange) {
            namedIn(moved, newParent);
        }
        quiet = quiet && !exchange && reply.hasMoved() && !dirty(moved) && files.generation(moved) == generation;
        caches.childMoved(parent, name, quiet ? reply.getMoved() : null, sentAt);
        caches.childChanging(newParent, newName, true);
        if (exchange) {
            caches.namesChanged(parent, null);
            caches.namesChanged(newParent, null);
        } else if (newParent == parent) {
            caches.namesChanged(parent, k -> k.renamed(name, newName, caches::forget));
        } else {
            caches.namesChanged(parent, k -> k.removed(name, caches::forget));
            caches.namesChanged(newParent, null);
        }
        changed(parent, newParent, sentAt, reply);
    }

    /** An open file {@code node} was given a name in {@code dir} (its fsync may sync {@code dir} too, see {@link FileIo#fsync}). */
    private void namedIn(long node, long dir) {
        OpenNode open = node == 0 ? null : files.node(node);
        if (open != null) {
            open.namedIn = dir;
        }
    }

    private boolean dirty(long node) {
        OpenNode open = node == 0 ? null : files.node(node);
        return open != null && open.anyDirty();
    }

    private static final int RENAME_NOREPLACE = 1;
    private static final int RENAME_EXCHANGE = 2;

    /**
     * Before a name goes (unlink, a rename over it): an open file with no server handle (it came
     * with its whole content) reads by node once it grew, which fails when its last name is gone.
     * Each such open of the named file gets a read-only server handle first, so it keeps reading
     * the file as a descriptor does on a local file system. Costs a lookup only while such opens exist.
     */
    private void beforeNameGoes(long parent, String name) throws FuseException {
        // a change held with its writes goes by the file's name (see HeldSetAttrs): before it goes
        long known = caches.child(parent, name);
        files.flushPending(known);
        if (known != 0 ? !files.handleless(known) : !files.anyHandleless()) {
            return; // the file at the name is known and has none (rm -rf while an editor holds a file open)
        }
        Node node;
        try {
            node = connection.files().lookup(LookupRequest.newBuilder().setParent(parent).setName(name).build());
        } catch (RuntimeException e) {
            return; // no such name (the unlink says so), or the server is away: nothing to keep
        }
        nodes.forget(node.getId(), 1); // the lookup's reference: not handed to the kernel
        OpenNode open = files.node(node.getId());
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
                    files.releaseQuietly(r.getHandle()); // closed meanwhile
                }
            } catch (RuntimeException e) {
                log.debug("no server handle for an open file of node {}: {}", open.nodeId, e.toString());
            }
        }
    }

    FuseEntry link(FuseRequest req, long nodeId, long newParent, String newName) throws FuseException {
        caches.namesChanging(newParent);
        caches.changing(nodeId);
        attrs.drop(nodeId); // its link count and ctime
        long sentAt = attrs.epoch();
        long[] closed = files.releasesFirst(); // files closed here: released first (Releases)
        try {
            FuseEntry e = made(newParent, newName, sentAt, connection.call(f -> f.link(
                    LinkRequest.newBuilder().setNode(nodeId).setNewParent(newParent).setNewName(newName)
                            .addAllReleaseFirst(Longs.asList(closed)).build()),
                    () -> notMade(newParent, closed)));
            namedIn(nodeId, newParent);
            return e;
        } finally {
            attrs.drop(nodeId); // (and the listings' entries of it: see KnownAttrs#onChange)
        }
    }
}
