package dev.fsdriver.client;

import dev.fsdriver.common.Errno;
import dev.fsdriver.common.FileMode;
import dev.fsdriver.common.OpenFlags;
import dev.fsdriver.fuse.FuseEntry;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.fuse.FuseFileSystem;
import dev.fsdriver.fuse.FuseRequest;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Changes of the namespace through the mount: names made (mkdir, mknod, symlink, link), removed
 * (unlink, rmdir) and moved (rename). Each tells the caches first ({@link RemoteCaches}: what
 * was fetched ahead or kept is stale, and the attributes of a file whose name changes), and
 * again once done for an unlink or rename (nor what was answered meanwhile); an open file whose
 * last name goes keeps a server handle to read through ({@link #beforeNameGoes}).
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

    NameChanges(Connection connection, OpenFiles files, RemoteCaches caches, Entries entries, NodeTable nodes) {
        this.connection = connection;
        this.files = files;
        this.caches = caches;
        this.attrs = caches.attrs;
        this.entries = entries;
        this.nodes = nodes;
    }

    FuseEntry symlink(FuseRequest req, long parent, String name, String target) throws FuseException {
        caches.changing(parent);
        long sentAt = attrs.epoch();
        try {
            return made(parent, sentAt, connection.files().symlink(
                    SymlinkRequest.newBuilder().setParent(parent).setName(name).setTarget(target)
                            .setOwner(owner(req)).build()));
        } catch (RuntimeException e) {
            attrs.drop(parent);
            caches.changing(parent);
            throw connection.failure(e);
        }
    }

    /**
     * A name made in {@code parent} by a call sent at {@code sentAt}: its entry, and the parent's
     * attributes after it. The caches told again (nor a listing fetched while it went on), and of
     * the node: its id is an inode number, maybe one a file removed before had.
     */
    private FuseEntry made(long parent, long sentAt, Node node) throws FuseException {
        caches.changing(parent);
        caches.changing(node.getId());
        attrs.dirChanged(parent, node.hasParent() ? node.getParent() : null, sentAt);
        return entries.entry(node);
    }

    /** A call sent at {@code sentAt} that changed names in {@code parent} and {@code newParent} came back. */
    private void changed(long parent, long newParent, long sentAt, ParentAttrs reply) {
        attrs.dirChanged(parent, reply.hasParent() ? reply.getParent() : null, sentAt);
        if (newParent != parent) {
            attrs.dirChanged(newParent, reply.hasNewParent() ? reply.getNewParent() : null, sentAt);
        }
    }

    FuseEntry mknod(FuseRequest req, long parent, String name, int mode, int rdev, int umask)
            throws FuseException {
        caches.changing(parent);
        int type = mode & FileMode.S_IFMT;
        long sentAt = attrs.epoch();
        if (type == FileMode.S_IFIFO || type == FileMode.S_IFSOCK) {
            try {
                return made(parent, sentAt, connection.files().mknod(MknodRequest.newBuilder().setParent(parent).setName(name)
                        .setMode(type | (mode & ~umask & FileMode.PERMISSIONS)).setOwner(owner(req)).build()));
            } catch (RuntimeException e) {
                attrs.drop(parent);
                caches.changing(parent);
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
            attrs.drop(parent);
            caches.changing(parent);
            throw connection.failure(e);
        }
        files.releaseQuietly(created.getHandle());
        return made(parent, sentAt, created.getNode());
    }

    /** The caller of a request: a file it makes is to be its own (the server applies it where it can). */
    static Owner owner(FuseRequest req) {
        return Owner.newBuilder().setUid(req.uid()).setGid(req.gid()).build();
    }

    FuseEntry mkdir(FuseRequest req, long parent, String name, int mode, int umask) throws FuseException {
        caches.changing(parent);
        long sentAt = attrs.epoch();
        try {
            return made(parent, sentAt, connection.files().mkdir(MkdirRequest.newBuilder().setParent(parent).setName(name)
                    .setMode(mode & ~umask & FileMode.PERMISSIONS).setOwner(owner(req)).build()));
        } catch (RuntimeException e) {
            attrs.drop(parent);
            caches.changing(parent);
            throw connection.failure(e);
        }
    }

    void unlink(FuseRequest req, long parent, String name) throws FuseException {
        beforeNameGoes(parent, name);
        caches.nameChanging(parent, name); // the parent's names, the file's link count
        long sentAt = attrs.epoch();
        ParentAttrs reply;
        try {
            reply = connection.files().unlink(NameRequest.newBuilder().setParent(parent).setName(name).build());
        } catch (RuntimeException e) {
            attrs.drop(parent);
            throw connection.failure(e);
        } finally {
            caches.nameChanging(parent, name); // nor what was answered while it went on
        }
        changed(parent, parent, sentAt, reply);
    }

    void unlink(FuseRequest req, long parent, String name, FuseFileSystem.Completion done) throws FuseException {
        beforeNameGoes(parent, name);
        caches.nameChanging(parent, name); // the parent's names, the file's link count
        NameRequest request = NameRequest.newBuilder().setParent(parent).setName(name).build();
        long sentAt = attrs.epoch();
        connection.whenAnswered(connection.start(() -> connection.filesAsync().unlink(request)), reply -> {
            caches.nameChanging(parent, name); // nor what was answered while it went on
            changed(parent, parent, sentAt, reply);
            done.done(0);
        }, errno -> {
            caches.nameChanging(parent, name);
            attrs.drop(parent);
            done.done(errno);
        });
    }

    void rmdir(FuseRequest req, long parent, String name) throws FuseException {
        caches.nameChanging(parent, name);
        long sentAt = attrs.epoch();
        try {
            ParentAttrs reply = connection.files().rmdir(NameRequest.newBuilder().setParent(parent).setName(name).build());
            caches.nameChanging(parent, name);
            changed(parent, parent, sentAt, reply);
        } catch (RuntimeException e) {
            caches.nameChanging(parent, name);
            attrs.drop(parent);
            throw connection.failure(e);
        }
    }

    void rmdir(FuseRequest req, long parent, String name, FuseFileSystem.Completion done) throws FuseException {
        caches.nameChanging(parent, name);
        NameRequest request = NameRequest.newBuilder().setParent(parent).setName(name).build();
        long sentAt = attrs.epoch();
        connection.whenAnswered(connection.start(() -> connection.filesAsync().rmdir(request)), reply -> {
            caches.nameChanging(parent, name);
            changed(parent, parent, sentAt, reply);
            done.done(0);
        }, errno -> {
            caches.nameChanging(parent, name);
            attrs.drop(parent);
            done.done(errno);
        });
    }

    void rename(FuseRequest req, long parent, String name, long newParent, String newName, int flags)
            throws FuseException {
        if ((flags & (RENAME_NOREPLACE | RENAME_EXCHANGE)) == 0) {
            beforeNameGoes(newParent, newName);
        }
        // the ctime of the file moved, the link count and ctime of one replaced
        caches.nameChanging(parent, name);
        caches.nameChanging(newParent, newName, true);
        long sentAt = attrs.epoch();
        ParentAttrs reply;
        try {
            reply = connection.files().rename(RenameRequest.newBuilder().setParent(parent).setName(name)
                    .setNewParent(newParent).setNewName(newName).setFlags(flags).build());
        } catch (RuntimeException e) {
            attrs.drop(parent);
            attrs.drop(newParent);
            throw connection.failure(e);
        } finally {
            caches.nameChanging(parent, name);
            caches.nameChanging(newParent, newName, true);
        }
        changed(parent, newParent, sentAt, reply);
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
        files.flushPending(caches.child(parent, name));
        if (!files.anyHandleless()) {
            return;
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
        caches.changing(newParent);
        caches.changing(nodeId);
        attrs.drop(nodeId); // its link count and ctime
        long sentAt = attrs.epoch();
        try {
            return made(newParent, sentAt, connection.files().link(
                    LinkRequest.newBuilder().setNode(nodeId).setNewParent(newParent).setNewName(newName).build()));
        } catch (RuntimeException e) {
            attrs.drop(newParent);
            caches.changing(newParent);
            throw connection.failure(e);
        } finally {
            attrs.drop(nodeId); // (and the listings' entries of it: see KnownAttrs#onChange)
        }
    }
}
