package dev.fsdriver.server;

import dev.fsdriver.backend.FileAttributes;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.OpenFile;
import dev.fsdriver.backend.Owner;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.common.Errno;
import dev.fsdriver.common.FileMode;
import dev.fsdriver.common.OpenFlags;
import dev.fsdriver.proto.v1.Attr;
import dev.fsdriver.proto.v1.CreateReply;
import dev.fsdriver.proto.v1.CreateRequest;
import dev.fsdriver.proto.v1.Empty;
import dev.fsdriver.proto.v1.FilesGrpc;
import dev.fsdriver.proto.v1.ForgetRequest;
import dev.fsdriver.proto.v1.FsyncReply;
import dev.fsdriver.proto.v1.FsyncRequest;
import dev.fsdriver.proto.v1.GetAttrRequest;
import dev.fsdriver.proto.v1.HandleRequest;
import dev.fsdriver.proto.v1.LinkRequest;
import dev.fsdriver.proto.v1.LookupRequest;
import dev.fsdriver.proto.v1.MkdirRequest;
import dev.fsdriver.proto.v1.MknodRequest;
import dev.fsdriver.proto.v1.NameRequest;
import dev.fsdriver.proto.v1.Node;
import dev.fsdriver.proto.v1.NodeRequest;
import dev.fsdriver.proto.v1.OpenManyReply;
import dev.fsdriver.proto.v1.OpenManyRequest;
import dev.fsdriver.proto.v1.OpenReply;
import dev.fsdriver.proto.v1.OpenRequest;
import dev.fsdriver.proto.v1.ParentAttrs;
import dev.fsdriver.proto.v1.ReadDirReply;
import dev.fsdriver.proto.v1.ReadDirRequest;
import dev.fsdriver.proto.v1.ReadReply;
import dev.fsdriver.proto.v1.ReadRequest;
import dev.fsdriver.proto.v1.ReadlinkReply;
import dev.fsdriver.proto.v1.ReleaseManyRequest;
import dev.fsdriver.proto.v1.RenameRequest;
import dev.fsdriver.proto.v1.SetAttrRequest;
import dev.fsdriver.proto.v1.SetXattrRequest;
import dev.fsdriver.proto.v1.StatFsReply;
import dev.fsdriver.proto.v1.SymlinkRequest;
import dev.fsdriver.proto.v1.UnlinkManyReply;
import dev.fsdriver.proto.v1.UnlinkManyRequest;
import dev.fsdriver.proto.v1.WriteReply;
import dev.fsdriver.proto.v1.WriteRequest;
import dev.fsdriver.proto.v1.XattrNames;
import dev.fsdriver.proto.v1.XattrRequest;
import dev.fsdriver.proto.v1.XattrValue;
import dev.fsdriver.server.HandleTable.Handle;
import dev.fsdriver.server.HandleTable.OpenedFile;
import io.grpc.stub.StreamObserver;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Files.*: every handler has the same shape: check the request ({@link Requests}), decode (share
 * from the call context, node ids to paths), one backend call, encode. Failures go
 * through {@link Rpc#unary}. Mutations check {@link Share#checkWritable} first (EROFS).
 * Here: the routing of every call (and its thread: {@link Rpc#offload} for what moves data), the
 * bodies of lookups, attributes, listings and the namespace; the calls on handles are in
 * {@link OpenFileHandlers}, the xattr calls in {@link XattrHandlers}.
 */
final class FilesService extends FilesGrpc.FilesImplBase {
    private static final Logger LOG = LoggerFactory.getLogger(FilesService.class);
    static final int DEFAULT_PAGE = 512;
    /** Largest ReadDir page: 2048 entries of 255-char names with attributes stay below 4 MiB. */
    static final int MAX_PAGE = 2048;
    private static final Empty EMPTY = Empty.getDefaultInstance();

    /** Where calls that move data or may wait on the disk run (see {@link Rpc#offload}). */
    private final Executor io;

    /** Whether clients may add set-id bits ({@link SetIdRule}; serve --allow-setid). */
    private final boolean allowSetId;
    private final OpenFileHandlers openFiles;
    private final SetAttrHandler setAttrs;

    FilesService(Executor io, boolean allowSetId) {
        this.allowSetId = allowSetId;
        this.io = io;
        this.setAttrs = new SetAttrHandler(allowSetId);
        this.openFiles = new OpenFileHandlers(allowSetId, setAttrs);
    }

    // ------------------------------------------------------------------------------- helpers

    /** A Node reply for {@code path}: registers (or re-references) its id. */
    static Node entry(Share s, RelPath path, FileAttributes a) {
        return Messages.node(s.nodes.register(path, a.ino(), a.generation(), a.isDirectory(),
                a.mode() & FileMode.S_IFMT, a.nlink()), a);
    }

    /** As {@link #entry(Share, RelPath, FileAttributes)}, for a name just made in {@code parent} (see {@link #parentAfter}). */
    static Node madeEntry(Share s, long parent, RelPath path, FileAttributes a) {
        Node node = entry(s, path, a);
        Attr after = parentAfter(s, parent);
        return after == null ? node : node.toBuilder().setParent(after).build();
    }

    /**
     * Directory {@code parent}'s attributes just after a change of its names (Node.parent,
     * ParentAttrs): the kernel asks for them before the next create or unlink there (its
     * permission check), and the client keeps them instead of asking. Null when they cannot be
     * read now (gone, or another directory under that path): the client then asks.
     */
    static Attr parentAfter(Share s, long parent) {
        try {
            return Messages.attr(s.statNode(parent));
        } catch (FsException e) {
            return null;
        }
    }

    /** The reply of a call that changed names in {@code parent} and {@code newParent} (0: none other). */
    static ParentAttrs parents(Share s, long parent, long newParent) {
        ParentAttrs.Builder b = ParentAttrs.newBuilder();
        Attr p = parentAfter(s, parent);
        if (p != null) {
            b.setParent(p);
        }
        Attr np = newParent == 0 || newParent == parent ? null : parentAfter(s, newParent);
        if (np != null) {
            b.setNewParent(np);
        }
        return b.build();
    }

    static RelPath child(Share s, long parent, String name) throws FsException {
        return s.nodes.path(parent).resolve(name);
    }

    // ------------------------------------------------------------------------------- lookups

    @Override
    public void lookup(LookupRequest req, StreamObserver<Node> out) {
        Rpc.unary("Lookup", out, () -> {
            Requests.check(req);
            Share s = CallContext.share();
            RelPath path = child(s, req.getParent(), req.getName());
            return entry(s, path, s.backend.stat(path));
        });
    }

    @Override
    public void getAttr(GetAttrRequest req, StreamObserver<Attr> out) {
        // a node whose path went stale is searched for by its file id: on an io thread, never this one
        Rpc.unaryOrOffload(io, "GetAttr", out, () -> {
            Share s = CallContext.share();
            if (req.getHandle() != 0) {
                Handle h = s.handles.get(CallContext.owner(), req.getHandle(), Handle.class);
                if (h instanceof OpenedFile fh) {
                    return Messages.attr(OpenFileHandlers.attrOf(s, fh));
                }
            }
            try {
                return Messages.attr(s.statNode(req.getNode()));
            } catch (FsException e) {
                if (s.searchable(req.getNode(), e)) {
                    throw new Rpc.Elsewhere();
                }
                throw e;
            }
        }, () -> Messages.attr(CallContext.share().statNodeOrSearch(req.getNode())));
    }

    @Override
    public void setAttr(SetAttrRequest req, StreamObserver<Attr> out) {
        Rpc.unary("SetAttr", out, () -> setAttrs.setAttr(req));
    }

    @Override
    public void readDir(ReadDirRequest req, StreamObserver<ReadDirReply> out) {
        Rpc.offload(io, "ReadDir", out, () -> DirPages.readDir(CallContext.share(), req));
    }

    // ------------------------------------------------------------------------------- open files

    @Override
    public void open(OpenRequest req, StreamObserver<OpenReply> out) {
        Rpc.unary("Open", out, () -> openFiles.open(req));
    }

    @Override
    public void openMany(OpenManyRequest req, StreamObserver<OpenManyReply> out) {
        Rpc.offload(io, "OpenMany", out, () -> openFiles.openMany(req));
    }

    @Override
    public void read(ReadRequest req, StreamObserver<ReadReply> out) {
        Rpc.offload(io, "Read", out, () -> openFiles.read(req));
    }

    /**
     * A small write that waits for no disk (no sync, no truncate in its change, a handle opened
     * without O_SYNC/O_DSYNC) is a copy into the page cache and a few system calls, as a Create
     * is: answered on the network thread (untar's per-file Write: the hop to the io pool and back
     * was two thread wake-ups). Larger ones, and those that sync, go to the io pool.
     */
    @Override
    public void write(WriteRequest req, StreamObserver<WriteReply> out) {
        if (DataCalls.answersOnNetworkThread(req)) {
            Rpc.unary("Write", out, () -> openFiles.write(req));
        } else {
            Rpc.offload(io, "Write", out, () -> openFiles.write(req));
        }
    }

    @Override
    public void flush(HandleRequest req, StreamObserver<Empty> out) {
        Rpc.unary("Flush", out, () -> openFiles.flush(req));
    }

    @Override
    public void fsync(FsyncRequest req, StreamObserver<FsyncReply> out) {
        Rpc.offload(io, "Fsync", out, () -> openFiles.fsync(req));
    }

    @Override
    public void release(HandleRequest req, StreamObserver<Empty> out) {
        Rpc.unary("Release", out, () -> openFiles.release(req));
    }

    @Override
    public void releaseMany(ReleaseManyRequest req, StreamObserver<Empty> out) {
        Rpc.unary("ReleaseMany", out, () -> openFiles.releaseMany(req));
    }

    // ------------------------------------------------------------------------------- namespace

    @Override
    public void create(CreateRequest req, StreamObserver<CreateReply> out) {
        Rpc.unary("Create", out, () -> openFiles.create(req));
    }

    @Override
    public void mkdir(MkdirRequest req, StreamObserver<Node> out) {
        Rpc.unary("Mkdir", out, () -> {
            openFiles.releaseQuietly(req.getReleaseFirstList()); // the client's closes, made or not
            Requests.check(req);
            Share s = CallContext.share();
            s.checkWritable("mkdir");
            RelPath path = child(s, req.getParent(), req.getName());
            return madeEntry(s, req.getParent(), path, s.change(path, () -> s.backend.mkdir(path, req.getMode() & FileMode.PERMISSIONS,
                    owner(req.hasOwner(), req.getOwner()))));
        });
    }

    @Override
    public void mknod(MknodRequest req, StreamObserver<Node> out) {
        Rpc.unary("Mknod", out, () -> {
            openFiles.releaseQuietly(req.getReleaseFirstList()); // the client's closes, made or not
            Requests.check(req);
            Share s = CallContext.share();
            s.checkWritable("mknod");
            int mode = req.getMode();
            if (!allowSetId) {
                SetIdRule.checkCreate(mode);
            }
            RelPath path = child(s, req.getParent(), req.getName());
            Owner owner = owner(req.hasOwner(), req.getOwner());
            int type = mode & FileMode.S_IFMT;
            return madeEntry(s, req.getParent(), path, s.change(path, () -> type == 0 || type == FileMode.S_IFREG
                    ? makeRegular(s, path, mode & FileMode.PERMISSIONS, owner)
                    : s.backend.mknod(path, mode, owner)));
        });
    }

    /** mknod(2) of a regular file (the backends make only FIFOs and sockets): an exclusive create, closed at once. */
    private static FileAttributes makeRegular(Share s, RelPath path, int permissions, Owner owner) throws FsException {
        try (OpenFile f = s.backend.create(path, permissions, OpenFlags.O_CREAT | OpenFlags.O_EXCL | OpenFlags.O_WRONLY, owner)) {
            return f.stat();
        }
    }

    /** The backend's owner of a new file: the caller the client named, or null (the server's user). */
    static Owner owner(boolean present, dev.fsdriver.proto.v1.Owner owner) {
        return present ? new Owner(owner.getUid(), owner.getGid()) : null;
    }

    @Override
    public void unlink(NameRequest req, StreamObserver<ParentAttrs> out) {
        Rpc.unary("Unlink", out, () -> {
            openFiles.releaseQuietly(req.getReleaseFirstList()); // the client's closes, made or not
            Requests.check(req);
            Share s = CallContext.share();
            s.checkWritable("unlink");
            removeFile(s, child(s, req.getParent(), req.getName()));
            return parents(s, req.getParent(), 0);
        });
    }

    /**
     * Each unlink as {@link #unlink} makes it, in order, one failing leaving the others to go:
     * the unlinks a client answered itself (rm -rf), held and sent together, and maybe the rmdir
     * that needed them first; one naming a node that is no longer the file at its name removes
     * nothing. On the io pool (a batch is up to
     * thousands of system calls): a client waits for its reply before it sends anything that
     * must come after it.
     */
    @Override
    public void unlinkMany(UnlinkManyRequest req, StreamObserver<UnlinkManyReply> out) {
        Rpc.offload(io, "UnlinkMany", out, () -> {
            Requests.check(req);
            Share s = CallContext.share();
            s.checkWritable("unlink");
            UnlinkManyReply.Builder reply = UnlinkManyReply.newBuilder();
            for (NameRequest u : req.getUnlinksList()) {
                openFiles.releaseQuietly(u.getReleaseFirstList());
                reply.addErrno(unlinkOne(s, u));
            }
            for (NameRequest u : req.getUnlinksList()) {
                if (!reply.containsParents(u.getParent())) {
                    Attr after = parentAfter(s, u.getParent());
                    if (after != null) {
                        reply.putParents(u.getParent(), after);
                    }
                }
            }
            return reply.build();
        });
    }

    private static int unlinkOne(Share s, NameRequest u) {
        try {
            Requests.check(u);
            RelPath path = child(s, u.getParent(), u.getName());
            if (u.getDir()) {
                removeDir(s, path);
            } else if (u.getNode() != 0 && !isNode(s, u.getNode(), s.backend.stat(path))) {
                return Errno.ENOENT; // another file took the name since: the one asked for is gone
            } else {
                removeFile(s, path);
            }
            return 0;
        } catch (FsException e) {
            return e.errno();
        } catch (RuntimeException e) {
            LOG.warn("UnlinkMany: unlink of \"{}\" in node {} failed", u.getName(), u.getParent(), e);
            return Errno.EIO; // the others still go
        }
    }

    /** Unlink of {@code path}: the session's own change, then the node table. */
    private static void removeFile(Share s, RelPath path) throws FsException {
        s.change(path, () -> {
            s.backend.unlink(path);
            return null;
        });
        s.nodes.removed(path);
    }

    /** Rmdir of {@code path}: the session's own change, then the node table. */
    private static void removeDir(Share s, RelPath path) throws FsException {
        s.change(path, () -> {
            s.backend.rmdir(path);
            return null;
        });
        s.nodes.removedEmptyDirectory(path);
    }

    /**
     * Whether {@code at} is node {@code id}'s file: its inode number and generation where the
     * node is known, else (forgotten, or a server restarted since) its inode number, which is the
     * id of a file that has one ({@link NodeIdSpace#idFor}).
     */
    private static boolean isNode(Share s, long id, FileAttributes at) {
        return s.nodes.facts(id) != null ? s.nodes.isFile(id, at.ino(), at.generation()) : NodeIdSpace.idFor(at.ino()) == id;
    }

    @Override
    public void rmdir(NameRequest req, StreamObserver<ParentAttrs> out) {
        Rpc.unary("Rmdir", out, () -> {
            openFiles.releaseQuietly(req.getReleaseFirstList()); // the client's closes, made or not
            Requests.check(req);
            Share s = CallContext.share();
            s.checkWritable("rmdir");
            removeDir(s, child(s, req.getParent(), req.getName()));
            return parents(s, req.getParent(), 0);
        });
    }

    @Override
    public void rename(RenameRequest req, StreamObserver<ParentAttrs> out) {
        Rpc.unary("Rename", out, () -> {
            openFiles.releaseQuietly(req.getReleaseFirstList()); // the client's closes, made or not
            Requests.check(req);
            Share s = CallContext.share();
            s.checkWritable("rename");
            RelPath from = child(s, req.getParent(), req.getName());
            RelPath to = child(s, req.getNewParent(), req.getNewName());
            FileAttributes moved = s.rename(from, to, req.getFlags());
            ParentAttrs parents = parents(s, req.getParent(), req.getNewParent());
            return moved == null ? parents : parents.toBuilder().setMoved(Messages.attr(moved)).build();
        });
    }

    @Override
    public void link(LinkRequest req, StreamObserver<Node> out) {
        Rpc.unary("Link", out, () -> {
            openFiles.releaseQuietly(req.getReleaseFirstList()); // the client's closes, made or not
            Requests.check(req);
            Share s = CallContext.share();
            s.checkWritable("link");
            RelPath existing = s.nodes.path(req.getNode());
            RelPath path = child(s, req.getNewParent(), req.getNewName());
            // the new name, and the file's other names (its link count and ctime moved)
            return madeEntry(s, req.getNewParent(), path,
                    s.change(existing, () -> s.change(path, () -> s.backend.link(existing, path))));
        });
    }

    @Override
    public void symlink(SymlinkRequest req, StreamObserver<Node> out) {
        Rpc.unary("Symlink", out, () -> {
            openFiles.releaseQuietly(req.getReleaseFirstList()); // the client's closes, made or not
            Requests.check(req);
            Share s = CallContext.share();
            s.checkWritable("symlink");
            RelPath path = child(s, req.getParent(), req.getName());
            return madeEntry(s, req.getParent(), path, s.change(path, () -> s.backend.symlink(path, req.getTarget(),
                    owner(req.hasOwner(), req.getOwner()))));
        });
    }

    @Override
    public void readlink(NodeRequest req, StreamObserver<ReadlinkReply> out) {
        Rpc.unary("Readlink", out, () -> {
            Share s = CallContext.share();
            return ReadlinkReply.newBuilder().setTarget(s.backend.readlink(s.nodes.path(req.getNode()))).build();
        });
    }

    @Override
    public void statFs(NodeRequest req, StreamObserver<StatFsReply> out) {
        Rpc.offload(io, "StatFs", out, () -> {
            Share s = CallContext.share();
            try {
                s.nodes.path(req.getNode()); // a node id the server never gave out: ESTALE, as every call on a node
            } catch (FsException e) {
                if (e.errno() != Errno.ENOENT) {
                    throw e;
                }
                // deleted but still held (fstatfs of an unlinked open file): the share's answer
            }
            return Messages.statfs(s.backend.statfs());
        });
    }

    @Override
    public void getXattr(XattrRequest req, StreamObserver<XattrValue> out) {
        Rpc.unary("GetXattr", out, () -> XattrHandlers.get(req));
    }

    @Override
    public void listXattr(NodeRequest req, StreamObserver<XattrNames> out) {
        Rpc.unary("ListXattr", out, () -> XattrHandlers.list(req));
    }

    @Override
    public void setXattr(SetXattrRequest req, StreamObserver<Empty> out) {
        Rpc.unary("SetXattr", out, () -> XattrHandlers.set(req));
    }

    @Override
    public void removeXattr(XattrRequest req, StreamObserver<Empty> out) {
        Rpc.unary("RemoveXattr", out, () -> XattrHandlers.remove(req));
    }

    /** Each occurrence of an id lowers its lookup count by one (send an id nlookup times). */
    @Override
    public void forget(ForgetRequest req, StreamObserver<Empty> out) {
        Rpc.unary("Forget", out, () -> {
            Share s = CallContext.share();
            Map<Long, Long> counts = new HashMap<>();
            for (long id : req.getNodesList()) {
                counts.merge(id, 1L, Long::sum);
            }
            counts.forEach(s.nodes::forget);
            return EMPTY;
        });
    }
}
