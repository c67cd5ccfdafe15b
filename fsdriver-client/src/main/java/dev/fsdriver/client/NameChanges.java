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
import dev.fsdriver.proto.v1.RemovedReply;
import dev.fsdriver.proto.v1.RenameRequest;
import dev.fsdriver.proto.v1.RenamedReply;
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
        return making(parent, () -> connection.files().symlink(SymlinkRequest.newBuilder().setParent(parent)
                .setName(name).setTarget(target).setOwner(owner(req)).build()));
    }

    /** A call that makes a node in {@code parent} (no attributes of the parent come back). */
    private FuseEntry making(long parent, java.util.function.Supplier<Node> call) throws FuseException {
        caches.dirChanging(parent);
        Node made;
        try {
            made = call.get();
        } catch (RuntimeException e) {
            throw connection.failure(e);
        } finally {
            caches.dirChanged(parent, null, 0);
        }
        return entries.entry(made(made));
    }

    /**
     * A node just made: its id is an inode number, maybe one a file removed before had, of which
     * something may still be kept.
     */
    private Node made(Node node) {
        caches.changing(node.getId());
        return node;
    }

    FuseEntry mknod(FuseRequest req, long parent, String name, int mode, int rdev, int umask)
            throws FuseException {
        int type = mode & FileMode.S_IFMT;
        if (type == FileMode.S_IFIFO || type == FileMode.S_IFSOCK) {
            return making(parent, () -> connection.files().mknod(MknodRequest.newBuilder().setParent(parent).setName(name)
                    .setMode(type | (mode & ~umask & FileMode.PERMISSIONS)).setOwner(owner(req)).build()));
        }
        if (!FileMode.isRegular(mode)) {
            // device nodes: out of scope (and the mount is nodev); anything else is not a file type
            throw new FuseException(Errno.EPERM, "device nodes cannot be made");
        }
        CreateReply created = null;
        caches.dirChanging(parent);
        long sentAt = attrs.epoch();
        try {
            // through Create, which every server has
            created = connection.files().create(CreateRequest.newBuilder().setParent(parent).setName(name)
                    .setMode(mode & ~umask & FileMode.PERMISSIONS).setOwner(owner(req))
                    .setFlags(OpenFlags.O_CREAT | OpenFlags.O_EXCL | OpenFlags.O_WRONLY).build());
        } catch (RuntimeException e) {
            throw connection.failure(e);
        } finally {
            caches.dirChanged(parent, created != null && created.hasParent() ? created.getParent() : null, sentAt);
        }
        files.releaseQuietly(created.getHandle());
        return entries.entry(made(created.getNode()));
    }

    /** The caller of a request: a file it makes is to be its own (the server applies it where it can). */
    static Owner owner(FuseRequest req) {
        return Owner.newBuilder().setUid(req.uid()).setGid(req.gid()).build();
    }

    FuseEntry mkdir(FuseRequest req, long parent, String name, int mode, int umask) throws FuseException {
        return making(parent, () -> connection.files().mkdir(MkdirRequest.newBuilder().setParent(parent).setName(name)
                .setMode(mode & ~umask & FileMode.PERMISSIONS).setOwner(owner(req)).build()));
    }

    void unlink(FuseRequest req, long parent, String name) throws FuseException {
        beforeNameGoes(parent, name);
        long sentAt = removing(parent, name);
        RemovedReply r = null;
        try {
            r = connection.files().unlink(NameRequest.newBuilder().setParent(parent).setName(name).build());
        } catch (RuntimeException e) {
            throw connection.failure(e);
        } finally {
            removed(parent, name, r, sentAt);
        }
    }

    /** Before {@code name} goes from {@code parent}: the caches told; the clock for {@link #removed}. */
    private long removing(long parent, String name) {
        caches.dirChanging(parent);
        caches.nameChanging(parent, name);
        return attrs.epoch();
    }

    /**
     * {@code name} went from {@code parent} (or the call failed: {@code reply} null): the caches
     * told again, nor what was answered while it went on; the parent's attributes as the reply
     * gave them kept for the kernel's next GETATTR of it (rm -rf: one per name before).
     */
    private void removed(long parent, String name, RemovedReply reply, long sentAt) {
        caches.nameChanging(parent, name);
        caches.dirChanged(parent, reply != null && reply.hasParent() ? reply.getParent() : null, sentAt);
    }

    void unlink(FuseRequest req, long parent, String name, FuseFileSystem.Completion done) throws FuseException {
        beforeNameGoes(parent, name);
        long sentAt = removing(parent, name);
        NameRequest request = NameRequest.newBuilder().setParent(parent).setName(name).build();
        connection.whenAnswered(connection.start(() -> connection.filesAsync().unlink(request)), r -> {
            removed(parent, name, r, sentAt);
            done.done(0);
        }, errno -> {
            removed(parent, name, null, sentAt);
            done.done(errno);
        });
    }

    void rmdir(FuseRequest req, long parent, String name) throws FuseException {
        long sentAt = removing(parent, name);
        RemovedReply r = null;
        try {
            r = connection.files().rmdir(NameRequest.newBuilder().setParent(parent).setName(name).build());
        } catch (RuntimeException e) {
            throw connection.failure(e);
        } finally {
            removed(parent, name, r, sentAt);
        }
    }

    void rmdir(FuseRequest req, long parent, String name, FuseFileSystem.Completion done) throws FuseException {
        long sentAt = removing(parent, name);
        NameRequest request = NameRequest.newBuilder().setParent(parent).setName(name).build();
        connection.whenAnswered(connection.start(() -> connection.filesAsync().rmdir(request)), r -> {
            removed(parent, name, r, sentAt);
            done.done(0);
        }, errno -> {
            removed(parent, name, null, sentAt);
            done.done(errno);
        });
    }

    void rename(FuseRequest req, long parent, String name, long newParent, String newName, int flags)
            throws FuseException {
        if ((flags & (RENAME_NOREPLACE | RENAME_EXCHANGE)) == 0) {
            beforeNameGoes(newParent, newName);
        }
        // the ctime of the file moved, the link count and ctime of one replaced
        caches.dirChanging(parent);
        caches.dirChanging(newParent);
        caches.nameChanging(parent, name);
        caches.nameChanging(newParent, newName, true);
        long sentAt = attrs.epoch();
        RenamedReply r = null;
        try {
            r = connection.files().rename(RenameRequest.newBuilder().setParent(parent).setName(name)
                    .setNewParent(newParent).setNewName(newName).setFlags(flags).build());
        } catch (RuntimeException e) {
            throw connection.failure(e);
        } finally {
            caches.nameChanging(parent, name);
            caches.nameChanging(newParent, newName, true);
            caches.dirChanged(parent, r != null && r.hasParent() ? r.getParent() : null, sentAt);
            if (newParent != parent) {
                caches.dirChanged(newParent, r != null && r.hasNewParent() ? r.getNewParent() : null, sentAt);
            }
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
        caches.dirChanging(newParent);
        caches.changing(nodeId);
        attrs.drop(nodeId); // its link count and ctime
        try {
            return entries.entry(connection.files().link(
                    LinkRequest.newBuilder().setNode(nodeId).setNewParent(newParent).setNewName(newName).build()));
        } catch (RuntimeException e) {
            throw connection.failure(e);
        } finally {
            attrs.drop(nodeId);
            caches.changing(nodeId);
            caches.dirChanged(newParent, null, 0);
        }
    }
}
