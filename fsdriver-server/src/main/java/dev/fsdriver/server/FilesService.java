package dev.fsdriver.server;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.fsdriver.backend.DirEntry;
import dev.fsdriver.backend.FileAttributes;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.OpenFile;
import dev.fsdriver.backend.Owner;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.backend.SetAttributes;
import dev.fsdriver.common.Errno;
import dev.fsdriver.common.FileMode;
import dev.fsdriver.common.OpenFlags;
import dev.fsdriver.proto.v1.Attr;
import dev.fsdriver.proto.v1.CreateReply;
import dev.fsdriver.proto.v1.CreateRequest;
import dev.fsdriver.proto.v1.Empty;
import dev.fsdriver.proto.v1.FilesGrpc;
import dev.fsdriver.proto.v1.ForgetRequest;
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
import dev.fsdriver.proto.v1.OpenReply;
import dev.fsdriver.proto.v1.OpenRequest;
import dev.fsdriver.proto.v1.ReadDirReply;
import dev.fsdriver.proto.v1.ReadDirRequest;
import dev.fsdriver.proto.v1.ReadReply;
import dev.fsdriver.proto.v1.ReadRequest;
import dev.fsdriver.proto.v1.ReadlinkReply;
import dev.fsdriver.proto.v1.RenameRequest;
import dev.fsdriver.proto.v1.SetAttrRequest;
import dev.fsdriver.proto.v1.StatFsReply;
import dev.fsdriver.proto.v1.SymlinkRequest;
import dev.fsdriver.proto.v1.WriteReply;
import dev.fsdriver.proto.v1.WriteRequest;
import dev.fsdriver.protocol.Protocol;
import dev.fsdriver.server.HandleTable.DirHandle;
import dev.fsdriver.server.HandleTable.FileHandle;
import dev.fsdriver.server.HandleTable.Handle;
import io.grpc.stub.StreamObserver;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;

/**
 * Files.*: every handler has the same shape: check the request ({@link Requests}), decode (share
 * from the call context, node ids to paths), one backend call, encode. Failures go
 * through {@link Rpc#unary}. Mutations check {@link Share#checkWritable} first (EROFS).
 */
final class FilesService extends FilesGrpc.FilesImplBase {
    static final int DEFAULT_PAGE = 512;
    /** Largest ReadDir page: 2048 entries of 255-char names with attributes stay below 4 MiB. */
    static final int MAX_PAGE = 2048;
    private static final Empty EMPTY = Empty.getDefaultInstance();

    /** Where calls that move data or may wait on the disk run (see {@link Rpc#offload}). */
    private final Executor io;

    /** Whether clients may add set-id bits ({@link SetIdRule}; serve --allow-setid). */
    private final boolean allowSetId;

    FilesService(Executor io, boolean allowSetId) {
        this.allowSetId = allowSetId;
        this.io = io;
    }

    // ------------------------------------------------------------------------------- helpers

    /** A Node reply for {@code path}: registers (or re-references) its id. */
    private static Node entry(Share s, RelPath path, FileAttributes a) {
        return Wire.node(s.nodes.register(path, a.ino(), a.isDirectory(),
                a.mode() & dev.fsdriver.common.FileMode.S_IFMT, a.nlink()), a);
    }

    private static RelPath child(Share s, long parent, String name) throws FsException {
        return s.nodes.path(parent).resolve(name);
    }

    /** Attributes of an open file: by its node's path while that is still the file, else fstat-like. */
    private static FileAttributes attrOf(Share s, FileHandle fh) throws FsException {
        RelPath p = s.nodes.pathOrNull(fh.node());
        if (p != null) {
            try {
                FileAttributes a = s.backend.stat(p);
                if (a.ino() == fh.ino()) {
                    return a;
                }
            } catch (FsException e) {
                // renamed or unlinked behind our back: ask the open file
            }
        }
        return fh.file().stat();
    }

    /**
     * After a write, a truncate or a chown: clears set-user-ID, and set-group-ID where it means
     * "run as the group" (group execute set), as Linux does. The client's kernel leaves this to
     * the server (FUSE_HANDLE_KILLPRIV), so it need not fetch the attributes before every chown.
     * Whether to: the request's kill_suidgid, which the client's kernel sets for a caller without
     * CAP_FSETID (FUSE_HANDLE_KILLPRIV_V2: a write or truncate by root keeps them, as on Linux);
     * absent (an older client) means yes, as NFS servers do. Returns the attributes afterwards.
     */
    static FileAttributes dropSetId(Share s, RelPath path, OpenFile f, FileAttributes a) throws FsException {
        int kill = a.mode() & FileMode.S_ISUID;
        if ((a.mode() & (FileMode.S_ISGID | FileMode.S_IXGRP)) == (FileMode.S_ISGID | FileMode.S_IXGRP)) {
            kill |= FileMode.S_ISGID;
        }
        if (kill == 0 || a.isDirectory() || path == null) {
            return a;
        }
        return s.backend.setattr(path, f, new SetAttributes(java.util.OptionalLong.empty(),
                java.util.OptionalInt.of(a.mode() & FileMode.PERMISSIONS & ~kill), java.util.OptionalInt.empty(),
                java.util.OptionalInt.empty(), null, null));
    }

    @FunctionalInterface
    private interface Opener {
        OpenFile open() throws FsException;
    }

    private record Opened(OpenFile file, FileAttributes attr) {}

    /** An open that changes the file (create, O_TRUNC), recorded as the session's change. */
    private static Opened openChanging(Share s, RelPath path, Opener opener) throws FsException {
        OpenFile[] f = new OpenFile[1];
        FileAttributes a = s.change(path, () -> {
            f[0] = opener.open();
            try {
                return f[0].stat();
            } catch (FsException | RuntimeException e) {
                closeQuietly(f[0]);
                throw e;
            }
        });
        return new Opened(f[0], a);
    }

    private static void closeQuietly(OpenFile f) {
        try {
            f.close();
        } catch (FsException | RuntimeException ignored) {
            // the original failure is what the client hears about
        }
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
        Rpc.unary("GetAttr", out, () -> {
            Share s = CallContext.share();
            if (req.getHandle() != 0) {
                Handle h = s.handles.get(CallContext.owner(), req.getHandle(), Handle.class);
                if (h instanceof FileHandle fh) {
                    return Wire.attr(attrOf(s, fh));
                }
            }
            return Wire.attr(s.backend.stat(s.nodes.path(req.getNode())));
        });
    }

    @Override
    public void setAttr(SetAttrRequest req, StreamObserver<Attr> out) {
        Rpc.unary("SetAttr", out, () -> {
            Requests.check(req);
            Share s = CallContext.share();
            SetAttributes changes = Wire.changes(req);
            if (changes.mutates()) {
                s.checkWritable("setattr");
            }
            FileHandle fh = req.getHandle() == 0 ? null : s.handles.get(CallContext.owner(), req.getHandle(), FileHandle.class);
            RelPath path = s.nodes.pathOrNull(req.getNode());
            if (path == null && fh != null && changes.mode().isEmpty() && changes.uid().isEmpty()
                    && changes.gid().isEmpty() && changes.atime() == null && changes.mtime() == null) {
                // ftruncate of an unlinked (or forgotten) open file: through the handle alone
                if (changes.size().isPresent()) {
                    fh.file().truncate(changes.size().getAsLong());
                }
                return Wire.attr(fh.file().stat());
            }
            if (path == null) {
                path = s.nodes.path(req.getNode()); // throws the right errno
            }
            if (changes.mode().isPresent()) {
                if (!allowSetId) {
                    SetIdRule.checkChmod(s.backend.stat(path), changes.mode().getAsInt());
                }
            }
            RelPath p = path;
            OpenFile f = fh == null ? null : fh.file();
            boolean killsSetId = changes.mode().isEmpty() && (!req.hasKillSuidgid() || req.getKillSuidgid())
                    && (changes.size().isPresent() || changes.uid().isPresent() || changes.gid().isPresent());
            return Wire.attr(changes.mutates()
                    ? s.change(p, () -> {
                        FileAttributes a = s.backend.setattr(p, f, changes);
                        return killsSetId ? dropSetId(s, p, f, a) : a;
                    })
                    : s.backend.setattr(p, f, changes));
        });
    }

    @Override
    public void readDir(ReadDirRequest req, StreamObserver<ReadDirReply> out) {
        Rpc.offload(io, "ReadDir", out, () -> {
            Share s = CallContext.share();
            long node = req.getNode();
            RelPath dir = s.nodes.path(node);
            DirSnapshots.Snapshot snap = null;
            int pos = 0;
            if (req.getCursor() != 0) {
                snap = s.dirs.find(node, req.getCursor());
                pos = DirSnapshots.position(req.getCursor());
                if (pos < 0) {
                    throw new FsException(Errno.EINVAL, "bad cursor " + req.getCursor());
                }
            }
            if (snap == null) {
                List<DirEntry> list = new ArrayList<>(s.backend.list(dir));
                list.sort(Comparator.comparing(DirEntry::name));
                snap = s.dirs.add(node, List.copyOf(list));
            }
            List<DirEntry> entries = snap.entries();
            int max = Requests.pageSize(req);
            int end = (int) Math.min((long) pos + max, entries.size());
            ReadDirReply.Builder reply = ReadDirReply.newBuilder();
            for (int i = pos; i < end; i++) {
                DirEntry e = entries.get(i);
                FileAttributes a = e.attributes();
                dev.fsdriver.proto.v1.DirEntry.Builder d = dev.fsdriver.proto.v1.DirEntry.newBuilder()
                        .setName(e.name())
                        .setType(a.mode() & FileMode.S_IFMT)
                        .setIno(a.ino())
                        .setCursor(DirSnapshots.cursor(snap.id(), i + 1));
                if (req.getPlus()) {
                    d.setNode(entry(s, dir.resolve(e.name()), a));
                }
                reply.addEntries(d);
            }
            return reply.setEof(end >= entries.size()).build();
        });
    }

    // ------------------------------------------------------------------------------- open files

    @Override
    public void open(OpenRequest req, StreamObserver<OpenReply> out) {
        Rpc.unary("Open", out, () -> {
            Requests.check(req);
            Share s = CallContext.share();
            RelPath path = s.nodes.path(req.getNode());
            int flags = req.getFlags();
            if (req.getDirectory()) {
                FileAttributes a = s.backend.stat(path);
                if (!a.isDirectory()) {
                    throw new FsException(a.isSymlink() ? Errno.ELOOP : Errno.ENOTDIR, "opendir '" + path + "'");
                }
                long h = s.handles.add(CallContext.owner(), new DirHandle(req.getNode()));
                return OpenReply.newBuilder().setHandle(h).setAttr(Wire.attr(a)).build();
            }
            if (OpenFlags.writable(flags) || (flags & OpenFlags.O_TRUNC) != 0) {
                s.checkWritable("open for writing");
            }
            OpenFile f;
            if ((flags & OpenFlags.O_TRUNC) != 0) {
                Opened o = openChanging(s, path, () -> s.backend.open(path, flags));
                f = o.file();
                try {
                    if (!req.hasKillSuidgid() || req.getKillSuidgid()) {
                        dropSetId(s, path, f, o.attr());
                    }
                } catch (FsException | RuntimeException e) {
                    closeQuietly(f);
                    throw e;
                }
            } else {
                f = s.backend.open(path, flags);
            }
            OpenReply.Builder reply = OpenReply.newBuilder();
            try {
                FileAttributes a = f.stat();
                reply.setAttr(Wire.attr(a));
                if (!((flags & OpenFlags.O_ACCMODE) == OpenFlags.O_RDONLY && a.size() <= inlineMax(req)
                        && inlineContent(f, (int) a.size(), reply))) {
                    return reply.setHandle(s.handles.add(CallContext.owner(), new FileHandle(req.getNode(), f, flags, a.ino()))).build();
                }
            } catch (FsException | RuntimeException e) {
                closeQuietly(f);
                throw e;
            }
            s.bytesRead.add(reply.getData().size());
            // The client has the whole file: keep nothing open (no handle, no Release to come).
            closeQuietly(f);
            return reply.setHandle(0).build();
        });
    }

    @Override
    public void read(ReadRequest req, StreamObserver<ReadReply> out) {
        Rpc.offload(io, "Read", out, () -> {
            Requests.check(req);
            Share s = CallContext.share();
            // Read into this thread's scratch buffer, then copy exactly what came: a 1 MiB read of
            // a 5 KiB file must not allocate (and zero) 1 MiB.
            ByteBuffer buf = READ_SCRATCH.get().clear().limit(req.getSize());
            if (req.getHandle() == 0) {
                // By node (an Open that answered with the whole file and no handle)
                try (OpenFile f = s.backend.open(s.nodes.path(req.getNode()), OpenFlags.O_RDONLY)) {
                    f.read(req.getOffset(), buf);
                }
            } else {
                s.handles.get(CallContext.owner(), req.getHandle(), FileHandle.class).file().read(req.getOffset(), buf);
            }
            s.bytesRead.add(buf.flip().remaining());
            return ReadReply.newBuilder().setData(ByteString.copyFrom(buf)).build();
        });
    }

    /**
     * Per-thread read buffer. Reads run on the server's call pool (platform threads, a handful
     * on a busy server): each keeps one direct buffer of the largest read, which the backend
     * fills without the JDK's own temporary copy.
     */
    private static final ThreadLocal<ByteBuffer> READ_SCRATCH =
            ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(Protocol.MAX_IO_BYTES));

    private static long inlineMax(OpenRequest req) {
        return Math.min(Integer.toUnsignedLong(req.getInlineMax()), Protocol.MAX_IO_BYTES);
    }

    /**
     * Puts the whole content of a small file opened read-only into the Open reply. One byte more
     * than its size is asked: if it came, the file grew meanwhile and nothing is inlined (the
     * client then reads as usual).
     */
    private static boolean inlineContent(OpenFile f, int size, OpenReply.Builder reply) throws FsException {
        byte[] buf = new byte[size + 1];
        int n = f.read(0, ByteBuffer.wrap(buf));
        if (n > size) {
            return false;
        }
        reply.setData(UnsafeByteOperations.unsafeWrap(buf, 0, n));
        return true;
    }

    @Override
    public void write(WriteRequest req, StreamObserver<WriteReply> out) {
        Rpc.offload(io, "Write", out, () -> {
            Requests.check(req);
            Share s = CallContext.share();
            s.checkWritable("write");
            FileHandle fh = s.handles.get(CallContext.owner(), req.getHandle(), FileHandle.class);
            if (!OpenFlags.writable(fh.flags())) {
                throw new FsException(Errno.EBADF, "handle " + req.getHandle() + " not open for writing");
            }
            int[] n = new int[1];
            RelPath path = s.nodes.pathOrNull(fh.node());
            Share.Mutation write = () -> {
                n[0] = fh.file().write(req.getOffset(), req.getData().asReadOnlyByteBuffer());
                FileAttributes a = attrOf(s, fh);
                return !req.hasKillSuidgid() || req.getKillSuidgid() ? dropSetId(s, path, fh.file(), a) : a;
            };
            FileAttributes after = path == null ? write.run() : s.change(path, write);
            if (req.getSync()) {
                fh.file().sync(req.getDatasync()); // the client's fsync, with its last data
            }
            s.bytesWritten.add(n[0]);
            return WriteReply.newBuilder().setWritten(n[0]).setAttr(Wire.attr(after)).build();
        });
    }

    @Override
    public void flush(HandleRequest req, StreamObserver<Empty> out) {
        Rpc.unary("Flush", out, () -> {
            // writes go straight to the file: nothing buffered here, only the handle is checked
            CallContext.share().handles.get(CallContext.owner(), req.getHandle(), Handle.class);
            return EMPTY;
        });
    }

    @Override
    public void fsync(FsyncRequest req, StreamObserver<Empty> out) {
        Rpc.offload(io, "Fsync", out, () -> {
            Handle h = CallContext.share().handles.get(CallContext.owner(), req.getHandle(), Handle.class);
            if (h instanceof FileHandle fh) {
                fh.file().sync(req.getDatasync());
            }
            return EMPTY;
        });
    }

    @Override
    public void release(HandleRequest req, StreamObserver<Empty> out) {
        Rpc.unary("Release", out, () -> {
            Handle h = CallContext.share().handles.remove(CallContext.owner(), req.getHandle());
            if (h instanceof FileHandle fh) {
                fh.file().close();
            }
            return EMPTY;
        });
    }

    // ------------------------------------------------------------------------------- namespace

    @Override
    public void create(CreateRequest req, StreamObserver<CreateReply> out) {
        Rpc.unary("Create", out, () -> {
            Requests.check(req);
            Share s = CallContext.share();
            s.checkWritable("create");
            if (!allowSetId) {
                SetIdRule.checkCreate(req.getMode());
            }
            RelPath path = child(s, req.getParent(), req.getName());
            Opened created = openChanging(s, path,
                    () -> s.backend.create(path, req.getMode() & FileMode.PERMISSIONS, req.getFlags(),
                            owner(req.hasOwner(), req.getOwner())));
            OpenFile f = created.file();
            FileAttributes a = created.attr();
            try {
                Node node = entry(s, path, a);
                long h = s.handles.add(CallContext.owner(), new FileHandle(node.getId(), f, req.getFlags() | OpenFlags.O_CREAT, a.ino()));
                return CreateReply.newBuilder().setNode(node).setHandle(h).build();
            } catch (FsException | RuntimeException e) {
                closeQuietly(f);
                throw e;
            }
        });
    }

    @Override
    public void mkdir(MkdirRequest req, StreamObserver<Node> out) {
        Rpc.unary("Mkdir", out, () -> {
            Requests.check(req);
            Share s = CallContext.share();
            s.checkWritable("mkdir");
            RelPath path = child(s, req.getParent(), req.getName());
            return entry(s, path, s.change(path, () -> s.backend.mkdir(path, req.getMode() & FileMode.PERMISSIONS,
                    owner(req.hasOwner(), req.getOwner()))));
        });
    }

    @Override
    public void mknod(MknodRequest req, StreamObserver<Node> out) {
        Rpc.unary("Mknod", out, () -> {
            Share s = CallContext.share();
            s.checkWritable("mknod");
            RelPath path = child(s, req.getParent(), req.getName());
            int mode = req.getMode() & (FileMode.S_IFMT | FileMode.PERMISSIONS);
            return entry(s, path, s.change(path, () -> s.backend.mknod(path, mode, owner(req.hasOwner(), req.getOwner()))));
        });
    }

    /** The backend's owner of a new file: the caller the client named, or null (the server's user). */
    private static Owner owner(boolean present, dev.fsdriver.proto.v1.Owner owner) {
        return present ? new Owner(owner.getUid(), owner.getGid()) : null;
    }

    @Override
    public void unlink(NameRequest req, StreamObserver<Empty> out) {
        Rpc.unary("Unlink", out, () -> {
            Requests.check(req);
            Share s = CallContext.share();
            s.checkWritable("unlink");
            RelPath path = child(s, req.getParent(), req.getName());
            s.change(path, () -> {
                s.backend.unlink(path);
                return null;
            });
            s.nodes.removed(path);
            return EMPTY;
        });
    }

    @Override
    public void rmdir(NameRequest req, StreamObserver<Empty> out) {
        Rpc.unary("Rmdir", out, () -> {
            Requests.check(req);
            Share s = CallContext.share();
            s.checkWritable("rmdir");
            RelPath path = child(s, req.getParent(), req.getName());
            s.change(path, () -> {
                s.backend.rmdir(path);
                return null;
            });
            s.nodes.removedEmptyDirectory(path);
            return EMPTY;
        });
    }

    @Override
    public void rename(RenameRequest req, StreamObserver<Empty> out) {
        Rpc.unary("Rename", out, () -> {
            Requests.check(req);
            Share s = CallContext.share();
            s.checkWritable("rename");
            RelPath from = child(s, req.getParent(), req.getName());
            RelPath to = child(s, req.getNewParent(), req.getNewName());
            s.rename(from, to, req.getFlags());
            return EMPTY;
        });
    }

    @Override
    public void link(LinkRequest req, StreamObserver<Node> out) {
        Rpc.unary("Link", out, () -> {
            Requests.check(req);
            Share s = CallContext.share();
            s.checkWritable("link");
            RelPath existing = s.nodes.path(req.getNode());
            RelPath path = child(s, req.getNewParent(), req.getNewName());
            // the new name, and the file's other names (its link count and ctime moved)
            return entry(s, path, s.change(existing, () -> s.change(path, () -> s.backend.link(existing, path))));
        });
    }

    @Override
    public void symlink(SymlinkRequest req, StreamObserver<Node> out) {
        Rpc.unary("Symlink", out, () -> {
            Requests.check(req);
            Share s = CallContext.share();
            s.checkWritable("symlink");
            RelPath path = child(s, req.getParent(), req.getName());
            return entry(s, path, s.change(path, () -> s.backend.symlink(path, req.getTarget(),
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
        Rpc.offload(io, "StatFs", out, () -> Wire.statfs(CallContext.share().backend.statfs()));
    }

    @Override
    public void getXattr(dev.fsdriver.proto.v1.XattrRequest req, StreamObserver<dev.fsdriver.proto.v1.XattrValue> out) {
        Rpc.unary("GetXattr", out, () -> XattrHandlers.get(req));
    }

    @Override
    public void listXattr(NodeRequest req, StreamObserver<dev.fsdriver.proto.v1.XattrNames> out) {
        Rpc.unary("ListXattr", out, () -> XattrHandlers.list(req));
    }

    @Override
    public void setXattr(dev.fsdriver.proto.v1.SetXattrRequest req, StreamObserver<Empty> out) {
        Rpc.unary("SetXattr", out, () -> XattrHandlers.set(req));
    }

    @Override
    public void removeXattr(dev.fsdriver.proto.v1.XattrRequest req, StreamObserver<Empty> out) {
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
