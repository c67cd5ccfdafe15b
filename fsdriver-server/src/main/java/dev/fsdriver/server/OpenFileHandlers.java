package dev.fsdriver.server;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.fsdriver.backend.FileAttributes;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.OpenFile;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.common.Errno;
import dev.fsdriver.common.FileMode;
import dev.fsdriver.common.OpenFlags;
import dev.fsdriver.proto.v1.Attr;
import dev.fsdriver.proto.v1.CreateReply;
import dev.fsdriver.proto.v1.CreateRequest;
import dev.fsdriver.proto.v1.Empty;
import dev.fsdriver.proto.v1.FsyncReply;
import dev.fsdriver.proto.v1.FsyncRequest;
import dev.fsdriver.proto.v1.HandleRequest;
import dev.fsdriver.proto.v1.Node;
import dev.fsdriver.proto.v1.OpenManyReply;
import dev.fsdriver.proto.v1.OpenManyRequest;
import dev.fsdriver.proto.v1.OpenOutcome;
import dev.fsdriver.proto.v1.OpenReply;
import dev.fsdriver.proto.v1.OpenRequest;
import dev.fsdriver.proto.v1.ReadReply;
import dev.fsdriver.proto.v1.ReadRequest;
import dev.fsdriver.proto.v1.ReleaseManyRequest;
import dev.fsdriver.proto.v1.SetAttrRequest;
import dev.fsdriver.proto.v1.WriteReply;
import dev.fsdriver.proto.v1.WriteExtent;
import dev.fsdriver.proto.v1.WriteRequest;
import dev.fsdriver.protocol.Protocol;
import dev.fsdriver.server.HandleTable.Handle;
import dev.fsdriver.server.HandleTable.OpenedDir;
import dev.fsdriver.server.HandleTable.OpenedFile;
import java.nio.ByteBuffer;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bodies of the Files calls that live on handles: Open and Create (which hand one out, or
 * answer a small read-only file whole with none), Read, Write, Flush, Fsync and Release.
 * {@link FilesService} routes to them and chooses the thread ({@link Rpc#unary} or
 * {@link Rpc#offload}). Handles belong to the calling session ({@link HandleTable}); an open that
 * changes the file (create, O_TRUNC) and every write are the session's change of it
 * ({@link Share#change}), so that other mounts hear of it and this one does not.
 */
final class OpenFileHandlers {
    private static final Logger LOG = LoggerFactory.getLogger(OpenFileHandlers.class);
    private static final Empty EMPTY = Empty.getDefaultInstance();

    /** Whether clients may add set-id bits ({@link SetIdRule}; serve --allow-setid). */
    private final boolean allowSetId;
    /** A Write's change after its data (WriteRequest.then): the SetAttr call's handler. */
    private final SetAttrHandler setAttrs;

    OpenFileHandlers(boolean allowSetId, SetAttrHandler setAttrs) {
        this.allowSetId = allowSetId;
        this.setAttrs = setAttrs;
    }

    /**
     * Attributes of an open file: its own where it reads them itself ({@link OpenFile#statsItself}:
     * fstat); else by its node's path while that is still the file, else as the open file gives them.
     */
    static FileAttributes attrOf(Share s, OpenedFile fh) throws FsException {
        if (fh.file().statsItself()) {
            return fh.file().stat();
        }
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

    /** Opens a directory (a handle only) or a file; a small read-only file comes back whole, with no handle. */
    OpenReply open(OpenRequest req) throws FsException {
        Requests.check(req);
        Share s = CallContext.share();
        RelPath path = s.nodes.path(req.getNode());
        int flags = req.getFlags();
        if (req.getDirectory()) {
            FileAttributes a = s.backend.stat(path);
            if (!a.isDirectory()) {
                throw new FsException(a.isSymlink() ? Errno.ELOOP : Errno.ENOTDIR, "opendir '" + path + "'");
            }
            long h = s.handles.add(CallContext.owner(), new OpenedDir(req.getNode()));
            return OpenReply.newBuilder().setHandle(h).setAttr(Messages.attr(a)).build();
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
                    SetIdRule.drop(s, path, f, o.attr());
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
            reply.setAttr(Messages.attr(a));
            // inline_max 0: never, an empty file too (a client asks so for a handle to keep)
            if (!((flags & OpenFlags.O_ACCMODE) == OpenFlags.O_RDONLY && inlineMax(req) > 0 && a.size() <= inlineMax(req)
                    && inlineContent(f, (int) a.size(), reply))) {
                return reply.setHandle(s.handles.add(CallContext.owner(), new OpenedFile(req.getNode(), f, flags, a.ino()))).build();
            }
        } catch (FsException | RuntimeException e) {
            closeQuietly(f);
            throw e;
        }
        s.bytesRead.add(reply.getData().size());
        // The client has the whole file: keep nothing open (no handle, no Release to come).
        closeQuietly(f);
        return reply.setHandle(0).build();
    }

    /**
     * Read-only opens of small files, each answered whole or not at all (see fs.proto): nothing
     * stays open, and the data of the reply stays within max_io_bytes in all.
     */
    OpenManyReply openMany(OpenManyRequest req) throws FsException {
        Requests.check(req);
        Share s = CallContext.share();
        long budget = Protocol.MAX_IO_BYTES;
        OpenManyReply.Builder reply = OpenManyReply.newBuilder();
        for (long node : req.getNodesList()) {
            OpenOutcome.Builder o = OpenOutcome.newBuilder();
            long max = Math.min(Integer.toUnsignedLong(req.getInlineMax()), budget);
            if (max > 0) {
                try {
                    OpenReply whole = whole(s, node, max);
                    if (whole != null) {
                        budget -= whole.getData().size();
                        o.setOpened(whole);
                    }
                } catch (FsException e) {
                    o.setErrno(e.errno());
                }
            }
            reply.addOutcomes(o);
        }
        return reply.build();
    }

    /** The file of {@code node} read whole through a read-only open, or null when it holds more than {@code max} bytes. */
    private static OpenReply whole(Share s, long node, long max) throws FsException {
        OpenFile f = s.backend.open(s.nodes.path(node), OpenFlags.O_RDONLY);
        try {
            FileAttributes a = f.stat();
            OpenReply.Builder reply = OpenReply.newBuilder().setAttr(Messages.attr(a));
            if (a.size() > max || !inlineContent(f, (int) a.size(), reply)) {
                return null;
            }
            s.bytesRead.add(reply.getData().size());
            return reply.build();
        } finally {
            closeQuietly(f); // read-only: nothing a failed close could lose
        }
    }

    /** Reads through the caller's handle, or by node when Open answered with the whole file. */
    ReadReply read(ReadRequest req) throws FsException {
        Requests.check(req);
        Share s = CallContext.share();
        // Read into this thread's scratch buffer, then copy exactly what came: a 1 MiB read of
        // a 5 KiB file must not allocate (and zero) 1 MiB.
        ByteBuffer buf = DataCalls.buffer().clear().limit(req.getSize());
        if (req.getHandle() == 0) {
            // By node (an Open that answered with the whole file and no handle, or the client's
            // reopen of a file it knows unchanged): only from the node's own file, never from
            // another one put at its path since (a replace the watcher has not reported yet)
            try (OpenFile f = s.backend.open(s.nodes.path(req.getNode()), OpenFlags.O_RDONLY)) {
                if (s.backend.identifiesOpenFiles()) {
                    FileAttributes a = f.stat();
                    if (!s.nodes.isFile(req.getNode(), a.ino(), a.generation())) {
                        throw new FsException(Errno.ESTALE, "node " + req.getNode() + " is another file now");
                    }
                }
                f.read(req.getOffset(), buf);
            }
        } else {
            s.handles.get(CallContext.owner(), req.getHandle(), OpenedFile.class).file().read(req.getOffset(), buf);
        }
        s.bytesRead.add(buf.flip().remaining());
        return ReadReply.newBuilder().setData(ByteString.copyFrom(buf)).build();
    }

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

    /** Writes through the caller's handle: the session's change of the file; returns its attributes after. */
    WriteReply write(WriteRequest req) throws FsException {
        Requests.check(req);
        Share s = CallContext.share();
        s.checkWritable("write");
        OpenedFile fh = s.handles.get(CallContext.owner(), req.getHandle(), OpenedFile.class);
        if (!OpenFlags.writable(fh.flags())) {
            throw new FsException(Errno.EBADF, "handle " + req.getHandle() + " not open for writing");
        }
        if (req.getEarlierCount() > 0 && (fh.flags() & OpenFlags.O_APPEND) != 0) {
            throw new FsException(Errno.EINVAL, "ranges at offsets through an O_APPEND handle");
        }
        if (req.hasThen()) {
            checkThen(req, fh); // malformed: nothing written
        }
        boolean kill = !req.hasKillSuidgid() || req.getKillSuidgid();
        int[] n = new int[1];
        List<RelPath> paths = s.nodes.pathsOf(fh.node());
        RelPath path = paths.isEmpty() ? null : paths.get(0);
        ByteBuffer scratch = DataCalls.buffer(req);
        Share.Mutation write = () -> {
            try {
                for (WriteExtent e : req.getEarlierList()) {
                    n[0] += writeAll(fh, e.getOffset(), e.getData(), scratch);
                }
                n[0] += writeAll(fh, req.getOffset(), req.getData(), scratch);
                if (req.hasSetMtimeNs()) {
                    setMtime(fh, req.getSetMtimeNs()); // what the client answered stat with meanwhile
                }
            } catch (FsException e) {
                if (kill) {
                    dropQuietly(s, path, fh); // some ranges may be written: as Linux, the bits go all the same
                }
                throw e;
            }
            FileAttributes a = attrOf(s, fh);
            return kill ? SetIdRule.drop(s, path, fh.file(), a) : a;
        };
        FileAttributes after = path == null ? write.run() : s.change(paths, write);
        Attr attr = null; // the change's reply when it went through, else the write's
        int thenErrno = 0;
        if (req.hasThen()) {
            long thenStart = System.nanoTime();
            try {
                attr = setAttrs.setAttr(req.getThen().toBuilder().setHandle(req.getHandle()).build());
            } catch (FsException e) {
                thenErrno = e.errno(); // the data landed: the write stands
                LOG.debug("write's change after its data failed: {}", e.getMessage());
            } catch (RuntimeException e) {
                // the data landed: EIO for the change alone (failing the Write would send the data again);
                // logged and counted as Rpc does an unexpected failure, under a method of its own
                thenErrno = Errno.EIO;
                LOG.warn("Write's change after its data failed unexpectedly", e);
                CallMetrics.record("Write.then", s, Errno.name(Errno.EIO), thenStart);
            }
        }
        boolean dirSynced = false;
        if (req.getSync()) {
            fh.file().sync(req.getDatasync()); // the client's fsync, with its last data
            dirSynced = req.getAlsoDir() != 0 && syncDirQuietly(s, req.getAlsoDir());
        }
        s.bytesWritten.add(n[0]);
        if (attr == null) {
            attr = Messages.attr(after);
        }
        return WriteReply.newBuilder().setWritten(n[0]).setAttr(attr).setDirSynced(dirSynced).setThenErrno(thenErrno).build();
    }

    /** WriteRequest.then is of the handle's node and names no other handle: else EINVAL, before anything is written. */
    private static void checkThen(WriteRequest req, OpenedFile fh) throws FsException {
        SetAttrRequest then = req.getThen();
        if (then.getNode() != fh.node() || (then.getHandle() != 0 && then.getHandle() != req.getHandle())) {
            throw new FsException(Errno.EINVAL, "write's change of node " + then.getNode() + " (handle " + then.getHandle()
                    + ") through handle " + req.getHandle() + " of node " + fh.node());
        }
        Requests.check(then);
    }

    /**
     * The file's mtime set to {@code ns} after a write (WriteRequest.set_mtime_ns), best effort:
     * the data has landed, so a refusal (EPERM: not the file's owner; EOPNOTSUPP: the backend
     * cannot through a handle) must not fail the write; the reply then carries the file's real
     * mtime, and the client has the kernel ask again after every write that carried one. Never by
     * path: another file may be at that name by now.
     */
    private static void setMtime(OpenedFile fh, long ns) {
        try {
            fh.file().setMtime(ns);
        } catch (FsException e) {
            LOG.debug("write's mtime not set (the write stands): {}", e.getMessage());
        }
    }

    /** A failed write's set-id bits: cleared if it can be (the write's own error is what is reported). */
    private static void dropQuietly(Share s, RelPath path, OpenedFile fh) {
        try {
            SetIdRule.drop(s, path, fh.file(), attrOf(s, fh));
        } catch (FsException ignored) {
            // the write's error is the answer
        }
    }

    /** Writes all of {@code bytes} at {@code offset} through {@code scratch}; ENOSPC if the file takes fewer. */
    private static int writeAll(OpenedFile fh, long offset, ByteString bytes, ByteBuffer scratch) throws FsException {
        ByteBuffer data = scratch.clear();
        bytes.copyTo(data);
        data.flip();
        int n = fh.file().write(offset, data);
        if (n != bytes.size()) {
            throw new FsException(Errno.ENOSPC, "wrote " + n + " of " + bytes.size() + " bytes at " + offset);
        }
        return n;
    }

    /** Checks the handle: writes are not buffered here. */
    Empty flush(HandleRequest req) throws FsException {
        // writes go straight to the file: nothing buffered here, only the handle is checked
        CallContext.share().handles.get(CallContext.owner(), req.getHandle(), Handle.class);
        return EMPTY;
    }

    /**
     * fsync or fdatasync of an open file (and of the directory {@code also_dir} names after it:
     * the reply says whether it was synced), or (handle 0) of a directory's entries.
     */
    FsyncReply fsync(FsyncRequest req) throws FsException {
        Requests.check(req);
        Share s = CallContext.share();
        if (req.getHandle() == 0 && req.getDir() != 0) {
            s.syncDir(req.getDir());
            return FsyncReply.getDefaultInstance();
        }
        Handle h = s.handles.get(CallContext.owner(), req.getHandle(), Handle.class);
        if (h instanceof OpenedFile fh) {
            fh.file().sync(req.getDatasync());
        }
        boolean dirSynced = req.getAlsoDir() != 0 && syncDirQuietly(s, req.getAlsoDir());
        return FsyncReply.newBuilder().setDirSynced(dirSynced).build();
    }

    /**
     * A directory synced after its file (Fsync or Write with also_dir), resolved only now: any
     * failure is the directory's own fsync's to report, never the file's; the client keeps the
     * directory unsynced.
     */
    private static boolean syncDirQuietly(Share s, long dir) {
        try {
            s.syncDir(dir);
            return true;
        } catch (FsException | RuntimeException e) {
            return false;
        }
    }

    /** Forgets the handle and closes its file (once the last call in flight on it is done). */
    Empty release(HandleRequest req) throws FsException {
        Handle h = CallContext.share().handles.remove(CallContext.owner(), req.getHandle());
        if (h instanceof OpenedFile fh) {
            fh.file().close();
        }
        return EMPTY;
    }

    /** Handles one call may give back (a client gathers 256 at most). */
    static final int MAX_RELEASES = 4096;

    /** {@link #releaseQuietly} of each handle of the request. */
    Empty releaseMany(ReleaseManyRequest req) throws FsException {
        releaseQuietly(req.getHandlesList());
        return EMPTY;
    }

    /**
     * Each handle as {@link #release}; one the caller does not own, or that fails to close, is
     * logged and the rest are released all the same (nobody waits for a release's outcome).
     */
    void releaseQuietly(List<Long> handles) throws FsException {
        if (handles.isEmpty()) {
            return;
        }
        if (handles.size() > MAX_RELEASES) {
            throw new FsException(Errno.EINVAL, handles.size() + " handles to release in one call (at most " + MAX_RELEASES + ")");
        }
        Share s = CallContext.share();
        Object owner = CallContext.owner();
        for (long id : handles) {
            try {
                if (s.handles.remove(owner, id) instanceof OpenedFile fh) {
                    fh.file().close();
                }
            } catch (FsException e) {
                LOG.debug("release of handle {} in a batch: {}", id, e.getMessage());
            } catch (RuntimeException e) { // the rest, and the call they came with, go on all the same
                LOG.warn("release of handle {} in a batch failed", id, e);
            }
        }
    }

    /** Creates (or with O_EXCL unset, opens) a file and hands out its handle. */
    CreateReply create(CreateRequest req) throws FsException {
        releaseQuietly(req.getReleaseFirstList()); // the client's closes, made or not
        Requests.check(req);
        Share s = CallContext.share();
        s.checkWritable("create");
        if (!allowSetId) {
            SetIdRule.checkCreate(req.getMode());
        }
        RelPath path = FilesService.child(s, req.getParent(), req.getName());
        Opened created = openChanging(s, path,
                () -> s.backend.create(path, req.getMode() & FileMode.PERMISSIONS, req.getFlags(),
                        FilesService.owner(req.hasOwner(), req.getOwner())));
        OpenFile f = created.file();
        FileAttributes a = created.attr();
        try {
            Node node = FilesService.madeEntry(s, req.getParent(), path, a);
            long h = s.handles.add(CallContext.owner(), new OpenedFile(node.getId(), f, req.getFlags() | OpenFlags.O_CREAT, a.ino()));
            return CreateReply.newBuilder().setNode(node).setHandle(h).build();
        } catch (FsException | RuntimeException e) {
            closeQuietly(f);
            throw e;
        }
    }
}
