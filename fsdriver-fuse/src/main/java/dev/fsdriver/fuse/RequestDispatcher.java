package dev.fsdriver.fuse;

import static dev.fsdriver.fuse.Wire.i32;
import static dev.fsdriver.fuse.Wire.i64;
import static dev.fsdriver.fuse.Wire.put32;
import static dev.fsdriver.fuse.Wire.put64;

import dev.fsdriver.common.Errno;
import dev.fsdriver.fuse.kernel.FuseKernel;
import dev.fsdriver.fuse.kernel.FuseOpcode;
import dev.fsdriver.linux.ErrnoException;
import dev.fsdriver.linux.FileCalls;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes one request from its buffer, calls the file system, and writes the reply into the
 * same buffer (the request's arguments are decoded first, so the reply may overwrite them) and
 * to the fd the request came from. Errors are translated here, in one place: FuseException →
 * its errno, UnsupportedOperationException → ENOSYS, malformed input or any other exception → EIO.
 *
 * <p>Stateless apart from the map of requests in flight (for INTERRUPT); no lock.
 */
final class RequestDispatcher {
    private static final Logger log = LoggerFactory.getLogger(RequestDispatcher.class);
    private static final int OUT = FuseKernel.OUT_HEADER_SIZE;

    private final FuseFileSystem fs;
    private final int bufferSize;
    private final boolean directIo;
    private final boolean debug;
    private final Runnable onDestroy;
    /** FUSE_HANDLE_KILLPRIV without its v2: the kernel's KILL_SUIDGID bits never come, every change kills. */
    private final boolean killAlways;
    /** Where NOTIFY_REPLY (the answer to a retrieve) goes; null when not serving a connection. */
    private final KernelNotifier notifier;
    private final ConcurrentHashMap<Long, Request> inFlight = new ConcurrentHashMap<>();
    /** Requests received per opcode since the mount started (logged when the connection ends). */
    private final java.util.concurrent.atomic.AtomicLongArray received = new java.util.concurrent.atomic.AtomicLongArray(64);
    private final RequestListener listener;

    RequestDispatcher(FuseFileSystem fs, int bufferSize, boolean directIo, boolean debug, Runnable onDestroy,
                      KernelNotifier notifier) {
        this(fs, bufferSize, directIo, debug, onDestroy, notifier, false, RequestListener.NONE);
    }

    RequestDispatcher(FuseFileSystem fs, int bufferSize, boolean directIo, boolean debug, Runnable onDestroy,
                      KernelNotifier notifier, boolean killAlways, RequestListener listener) {
        this.listener = listener;
        this.killAlways = killAlways;
        this.notifier = notifier;
        this.fs = fs;
        this.bufferSize = bufferSize;
        this.directIo = directIo;
        this.debug = debug;
        this.onDestroy = onDestroy;
    }

    /** The per-request header handed to the file system. */
    static final class Request implements FuseRequest {
        final long unique;
        final int opcode;
        final long nodeId;
        final int uid;
        final int gid;
        final int pid;
        /** The device fd the request came from: its answer goes back there. */
        int fd = -1;
        volatile boolean interrupted;

        Request(long unique, int opcode, long nodeId, int uid, int gid, int pid) {
            this.unique = unique;
            this.opcode = opcode;
            this.nodeId = nodeId;
            this.uid = uid;
            this.gid = gid;
            this.pid = pid;
        }

        @Override public long unique() { return unique; }
        @Override public int opcode() { return opcode; }
        @Override public long nodeId() { return nodeId; }
        @Override public int uid() { return uid; }
        @Override public int gid() { return gid; }
        @Override public int pid() { return pid; }
        @Override public boolean isInterrupted() { return interrupted; }

        @Override
        public String toString() {
            return FuseOpcode.name(opcode) + "#" + unique + " node=" + nodeId + " pid=" + pid;
        }
    }

    /** Requests received with {@code opcode} since the mount started; 0 for an opcode out of range. */
    long requestCount(int opcode) {
        return opcode >= 0 && opcode < received.length() ? received.get(opcode) : 0;
    }

    /** "LOOKUP=12, GETATTR=3, ..." (most first), or "none". */
    String requestCounts() {
        java.util.List<int[]> seen = new java.util.ArrayList<>();
        for (int op = 0; op < received.length(); op++) {
            long n = received.get(op);
            if (n > 0) {
                seen.add(new int[] {op, (int) Math.min(n, Integer.MAX_VALUE)});
            }
        }
        seen.sort((a, b) -> Integer.compare(b[1], a[1]));
        return seen.isEmpty() ? "none" : seen.stream().map(e -> FuseOpcode.name(e[0]) + "=" + e[1])
                .collect(java.util.stream.Collectors.joining(", "));
    }

    /** {@link #serve}'s answer for a request answered later, through a {@link FuseFileSystem.Reply} or {@link FuseFileSystem.Completion}. */
    private static final int DEFERRED = -2;

    /** The completion of a request answered later: a header with the errno, sent once. */
    private FuseFileSystem.Completion later(Request req) {
        FuseFileSystem.Reply<Void> reply = later(req, (out, none) -> 0);
        return errno -> {
            if (errno == 0) {
                reply.done(null);
            } else {
                reply.failed(errno);
            }
        };
    }

    /** Writes an answer's payload at {@link #OUT}; returns its length. */
    @FunctionalInterface
    private interface Encoder<T> {
        int encode(MemorySegment out, T value) throws FuseException;
    }

    /** Room for the answers given later (attributes, entries), and the errno area after it. */
    private static final int LATER_PAYLOAD = 512;
    private static final ThreadLocal<MemorySegment> LATER_BUFFER = ThreadLocal.withInitial(
            () -> java.lang.foreign.Arena.ofAuto().allocate(OUT + LATER_PAYLOAD + FileCalls.captureStateSize(), 8));

    /** The reply of a request answered later with a value, encoded by {@code encoder}. */
    private <T> FuseFileSystem.Reply<T> later(Request req, Encoder<T> encoder) {
        return new FuseFileSystem.Reply<>() {
            @Override
            public void done(T value) {
                MemorySegment b = LATER_BUFFER.get();
                try {
                    int len;
                    try {
                        len = encoder.encode(b, value);
                    } catch (FuseException e) {
                        failed(e.errno());
                        return;
                    } catch (RuntimeException e) {
                        log.error("File system answered {} with {}", req, value, e);
                        failed(Errno.EIO);
                        return;
                    }
                    reply(req.fd, b, req.unique, 0, len, b.asSlice(OUT + LATER_PAYLOAD));
                } finally {
                    inFlight.remove(req.unique);
                }
            }

            @Override
            public void failed(int errno) {
                MemorySegment b = LATER_BUFFER.get();
                try {
                    reply(req.fd, b, req.unique, -Math.abs(errno), 0, b.asSlice(OUT + LATER_PAYLOAD));
                } finally {
                    inFlight.remove(req.unique);
                }
            }
        };
    }

    /** True for requests without a reply that are cheap and never block: served on the reader thread. */
    static boolean isInline(int opcode) {
        return opcode == FuseOpcode.FORGET || opcode == FuseOpcode.BATCH_FORGET || opcode == FuseOpcode.INTERRUPT
                || opcode == FuseOpcode.NOTIFY_REPLY;
    }

    /**
     * Serves the request of {@code length} bytes in {@code buf}, read from {@code fd}. The buffer
     * holds {@code bufferSize} bytes plus {@link FileCalls#captureStateSize()} for errno.
     */
    void dispatch(int fd, MemorySegment buf, int length) {
        if (length < FuseKernel.IN_HEADER_SIZE || i32(buf, 0) != length) {
            log.warn("Malformed FUSE request: read {} bytes, header says {}", length,
                    length >= 4 ? i32(buf, 0) : -1);
            if (length >= 16) {
                replyError(fd, buf, i64(buf, 8), Errno.EIO);
            }
            return;
        }
        int opcode = i32(buf, 4);
        long unique = i64(buf, 8);
        if (opcode >= 0 && opcode < received.length()) {
            received.incrementAndGet(opcode);
        }
        long nodeId = i64(buf, 16);
        int extLen = Wire.u16(buf, 36) * 8;   // total_extlen: extensions after the arguments
        Request req = new Request(unique, opcode, nodeId, i32(buf, 24), i32(buf, 28), i32(buf, 32));
        req.fd = fd;
        boolean deferred = false;
        boolean tracked = !isInline(opcode);
        if (tracked) {
            inFlight.put(unique, req);
        }
        try {
            if (length - FuseKernel.IN_HEADER_SIZE - extLen < 0) {
                throw new Wire.MalformedRequest("extension length beyond request");
            }
            MemorySegment in = buf.asSlice(FuseKernel.IN_HEADER_SIZE, length - FuseKernel.IN_HEADER_SIZE - extLen);
            if (debug) {
                log.debug("-> {}", req);
            }
            int replyLen;
            listener.serving(opcode);
            try {
                replyLen = serve(req, in, buf);
            } finally {
                listener.served(opcode);
            }
            deferred = replyLen == DEFERRED;
            if (replyLen >= 0) {
                reply(fd, buf, unique, 0, replyLen);
            }
        } catch (FuseException e) {
            replyError(fd, buf, unique, e.errno());
        } catch (UnsupportedOperationException e) {
            replyError(fd, buf, unique, Errno.ENOSYS);
        } catch (Wire.MalformedRequest | IndexOutOfBoundsException e) {
            log.warn("Malformed FUSE request {}: {}", req, e.toString());
            replyError(fd, buf, unique, Errno.EIO);
        } catch (RuntimeException | Error e) {
            log.error("File system failed on {}", req, e);
            replyError(fd, buf, unique, Errno.EIO);
        } finally {
            if (tracked && !deferred) {
                inFlight.remove(unique);
            }
        }
    }

    /** Serves one request; returns the reply payload length, or -1 when no reply is sent. */
    private int serve(Request req, MemorySegment in, MemorySegment out) throws FuseException {
        long node = req.nodeId;
        switch (req.opcode) {
            case FuseOpcode.LOOKUP -> {
                fs.lookup(req, node, name(in, 0), later(req, this::entry));
                return DEFERRED;
            }
            case FuseOpcode.FORGET -> {
                fs.forget(node, i64(in, 0));
                return -1;
            }
            case FuseOpcode.BATCH_FORGET -> {
                int count = i32(in, 0);
                for (int i = 0; i < count; i++) {
                    long off = 8 + 16L * i;
                    fs.forget(i64(in, off), i64(in, off + 8));
                }
                return -1;
            }
            case FuseOpcode.INTERRUPT -> {
                Request target = inFlight.get(i64(in, 0));
                if (target != null) {
                    target.interrupted = true;
                }
                return -1;
            }
            case FuseOpcode.GETATTR -> {
                int flags = i32(in, 0);
                long fh = (flags & FuseKernel.GETATTR_FH) != 0 ? i64(in, 8) : -1;
                fs.getattr(req, node, fh, later(req, RequestDispatcher::attr));
                return DEFERRED;
            }
            case FuseOpcode.SETATTR -> {
                fs.setattr(req, node, setAttr(in, killAlways), later(req, RequestDispatcher::attr));
                return DEFERRED;
            }
            case FuseOpcode.READLINK -> {
                byte[] target = Wire.bytes(fs.readlink(req, node));
                checkReply(target.length, FuseKernel.PATH_MAX - 1);   // the kernel reads it into one page
                Wire.putBytes(out, OUT, target);
                return target.length;
            }
            case FuseOpcode.SYMLINK -> {
                long end = Wire.nul(in, 0);
                String name = Wire.string(in, 0, end);
                String target = Wire.string(in, end + 1, Wire.nul(in, end + 1));
                return entry(out, fs.symlink(req, node, name, target));
            }
            case FuseOpcode.MKNOD -> {
                int mode = i32(in, 0);
                int rdev = i32(in, 4);
                int umask = i32(in, 8);
                return entry(out, fs.mknod(req, node, name(in, 16), mode, rdev, umask));
            }
            case FuseOpcode.MKDIR -> {
                int mode = i32(in, 0);
                int umask = i32(in, 4);
                return entry(out, fs.mkdir(req, node, name(in, 8), mode, umask));
            }
            case FuseOpcode.UNLINK -> {
                fs.unlink(req, node, name(in, 0), later(req));
                return DEFERRED;
            }
            case FuseOpcode.RMDIR -> {
                fs.rmdir(req, node, name(in, 0), later(req));
                return DEFERRED;
            }
            case FuseOpcode.RENAME, FuseOpcode.RENAME2 -> {
                long newDir = i64(in, 0);
                int flags = req.opcode == FuseOpcode.RENAME2 ? i32(in, 8) : 0;
                long off = req.opcode == FuseOpcode.RENAME2 ? 16 : 8;
                long end = Wire.nul(in, off);
                String oldName = Wire.string(in, off, end);
                String newName = Wire.string(in, end + 1, Wire.nul(in, end + 1));
                fs.rename(req, node, oldName, newDir, newName, flags);
                return 0;
            }
            case FuseOpcode.LINK -> {
                long oldNode = i64(in, 0);
                return entry(out, fs.link(req, oldNode, node, name(in, 8)));
            }
            case FuseOpcode.OPEN -> {
                // fuse_open_in { flags, open_flags }
                FuseOpen open = fs.open(req, node, i32(in, 0),
                        killAlways || (i32(in, 4) & FuseKernel.OPEN_KILL_SUIDGID) != 0);
                Wire.putOpen(out, OUT, open.fh(), fileOpenFlags(open.openFlags()));
                return FuseKernel.OPEN_OUT_SIZE;
            }
            case FuseOpcode.READ -> {
                long fh = i64(in, 0);
                long offset = i64(in, 8);
                int size = i32(in, 16);
                checkReply(size);
                ByteBuffer dst = out.asSlice(OUT, size).asByteBuffer();
                int n = fs.read(req, node, fh, offset, size, dst);
                if (n < 0 || n > size) {
                    throw new IllegalStateException("read returned " + n + " for a buffer of " + size);
                }
                return n;
            }
            case FuseOpcode.WRITE -> {
                long fh = i64(in, 0);
                long offset = i64(in, 8);
                int size = i32(in, 16);
                int writeFlags = i32(in, 20) | (killAlways ? FuseKernel.WRITE_KILL_SUIDGID : 0);
                ByteBuffer src = in.asSlice(FuseKernel.WRITE_IN_SIZE, size).asByteBuffer();
                int n = fs.write(req, node, fh, offset, src, writeFlags);
                put32(out, OUT, n);     // fuse_write_out { size, padding }
                put32(out, OUT + 4, 0);
                return 8;
            }
            case FuseOpcode.STATFS -> {
                FuseStatfs st = fs.statfs(req, node);
                MemorySegment o = out.asSlice(OUT, FuseKernel.STATFS_OUT_SIZE);
                o.fill((byte) 0);
                put64(o, 0, st.blocks());
                put64(o, 8, st.bfree());
                put64(o, 16, st.bavail());
                put64(o, 24, st.files());
                put64(o, 32, st.ffree());
                put32(o, 40, st.bsize());
                put32(o, 44, st.namelen());
                put32(o, 48, st.frsize());
                return FuseKernel.STATFS_OUT_SIZE;
            }
            case FuseOpcode.RELEASE -> {
                fs.release(req, node, i64(in, 0), i32(in, 8));
                return 0;
            }
            case FuseOpcode.RELEASEDIR -> {
                fs.releasedir(req, node, i64(in, 0));
                return 0;
            }
            case FuseOpcode.FSYNC -> {
                fs.fsync(req, node, i64(in, 0), (i32(in, 8) & FuseKernel.FSYNC_FDATASYNC) != 0);
                return 0;
            }
            case FuseOpcode.FSYNCDIR -> {
                fs.fsyncdir(req, node, i64(in, 0), (i32(in, 8) & FuseKernel.FSYNC_FDATASYNC) != 0);
                return 0;
            }
            case FuseOpcode.FLUSH -> {
                fs.flush(req, node, i64(in, 0), i64(in, 16));
                return 0;
            }
            case FuseOpcode.OPENDIR -> {
                FuseOpen open = fs.opendir(req, node, i32(in, 0));
                Wire.putOpen(out, OUT, open.fh(), open.openFlags());
                return FuseKernel.OPEN_OUT_SIZE;
            }
            case FuseOpcode.READDIR -> {
                return readdir(req, in, out, false);
            }
            case FuseOpcode.READDIRPLUS -> {
                return readdir(req, in, out, true);
            }
            case FuseOpcode.ACCESS -> {
                fs.access(req, node, i32(in, 0));
                return 0;
            }
            case FuseOpcode.CREATE -> {
                int flags = i32(in, 0);
                int mode = i32(in, 4);
                int umask = i32(in, 8);
                FuseCreated c = fs.create(req, node, name(in, 16), mode, flags, umask);
                Wire.putEntry(out, OUT, c.entry());
                Wire.putOpen(out, OUT + FuseKernel.ENTRY_OUT_SIZE, c.open().fh(), fileOpenFlags(c.open().openFlags()));
                return FuseKernel.ENTRY_OUT_SIZE + FuseKernel.OPEN_OUT_SIZE;
            }
            case FuseOpcode.FALLOCATE -> {
                fs.fallocate(req, node, i64(in, 0), i64(in, 8), i64(in, 16), i32(in, 24));
                return 0;
            }
            case FuseOpcode.LSEEK -> {
                long r = fs.lseek(req, node, i64(in, 0), i64(in, 8), i32(in, 16));
                put64(out, OUT, r);     // fuse_lseek_out { offset }
                return 8;
            }
            case FuseOpcode.COPY_FILE_RANGE, FuseOpcode.COPY_FILE_RANGE_64 -> {
                // fuse_copy_file_range_in { fh_in, off_in, nodeid_out, fh_out, off_out, len, flags }, the
                // same for both; the kernel (7.45) asks _64 first and falls back on ENOSYS
                long n = fs.copyFileRange(req, node, i64(in, 0), i64(in, 8), i64(in, 16), i64(in, 24),
                        i64(in, 32), i64(in, 40), (int) i64(in, 48));
                if (n < 0 || n > i64(in, 40)) {
                    throw new IllegalStateException("copyFileRange returned " + n + " for " + i64(in, 40) + " bytes");
                }
                if (req.opcode == FuseOpcode.COPY_FILE_RANGE_64) {
                    put64(out, OUT, n);     // fuse_copy_file_range_out { bytes_copied }
                } else {
                    put32(out, OUT, (int) Math.min(n, 0xFFFF_F000L));   // fuse_write_out { size, padding }
                    put32(out, OUT + 4, 0);
                }
                return 8;
            }
            case FuseOpcode.GETXATTR -> {
                int size = i32(in, 0);
                byte[] value = fs.getxattr(req, node, name(in, 8));
                return xattrReply(out, size, value);
            }
            case FuseOpcode.LISTXATTR -> {
                int size = i32(in, 0);
                List<String> names = fs.listxattr(req, node);
                java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
                for (String n : names) {
                    b.writeBytes(Wire.bytes(n));
                    b.write(0);
                }
                return xattrReply(out, size, b.toByteArray());
            }
            case FuseOpcode.SETXATTR -> {
                // fuse_setxattr_in in its compat size (FUSE_SETXATTR_EXT not negotiated): { size, flags }
                int size = i32(in, 0);
                int flags = i32(in, 4);
                long end = Wire.nul(in, 8);
                String name = Wire.string(in, 8, end);
                byte[] value = in.asSlice(end + 1, size).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
                fs.setxattr(req, node, name, value, flags);
                return 0;
            }
            case FuseOpcode.REMOVEXATTR -> {
                fs.removexattr(req, node, name(in, 0));
                return 0;
            }
            case FuseOpcode.NOTIFY_REPLY -> {
                // unique is the retrieve's notify_unique; fuse_notify_retrieve_in { dummy1, offset, size,
                // dummy2, dummy3, dummy4 } then the data. No answer.
                int size = i32(in, 16);
                byte[] data = in.asSlice(40, size).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
                if (notifier != null) {
                    notifier.retrieved(req.unique, data);
                }
                return -1;
            }
            case FuseOpcode.DESTROY -> {
                onDestroy.run();
                return 0;
            }
            default -> throw new FuseException(Errno.ENOSYS);   // POLL, locks, IOCTL, STATX, ... and the unknown
        }
    }

    private int fileOpenFlags(int flags) {
        return directIo ? flags | FuseOpen.FOPEN_DIRECT_IO : flags;
    }

    private static String name(MemorySegment in, long off) {
        return Wire.string(in, off, Wire.nul(in, off));
    }

    private void checkReply(long payload) {
        checkReply(payload, bufferSize - OUT);
    }

    /** Refuses (EIO, logged) a reply the kernel would reject or truncate. */
    private static void checkReply(long payload, long limit) {
        if (payload > limit) {
            throw new IllegalStateException("reply of " + payload + " bytes exceeds the limit " + limit);
        }
    }

    private int entry(MemorySegment out, FuseEntry e) throws FuseException {
        if (e == null) {
            throw new FuseException(Errno.ENOENT);
        }
        Wire.putEntry(out, OUT, e);
        return FuseKernel.ENTRY_OUT_SIZE;
    }

    private static int attr(MemorySegment out, FuseAttrReply r) {
        Wire.putAttrOut(out, OUT, r);
        return FuseKernel.ATTR_OUT_SIZE;
    }

    private int xattrReply(MemorySegment out, int size, byte[] value) throws FuseException {
        if (size == 0) {
            put32(out, OUT, value.length);   // fuse_getxattr_out { size, padding }
            put32(out, OUT + 4, 0);
            return 8;
        }
        if (value.length > size) {
            throw new FuseException(Errno.ERANGE);
        }
        checkReply(value.length);
        Wire.putBytes(out, OUT, value);
        return value.length;
    }

    /** fuse_setattr_in { valid, padding, fh, size, lock_owner, atime, mtime, ctime, atimensec, mtimensec, ctimensec, mode, unused4, uid, gid, unused5 } */
    private static FuseSetAttr setAttr(MemorySegment in, boolean killAlways) {
        int valid = i32(in, 0);
        long fh = (valid & FuseKernel.FATTR_FH) != 0 ? i64(in, 8) : -1;
        boolean atimeNow = (valid & FuseKernel.FATTR_ATIME_NOW) != 0;
        boolean mtimeNow = (valid & FuseKernel.FATTR_MTIME_NOW) != 0;
        return new FuseSetAttr(fh,
                (valid & FuseKernel.FATTR_SIZE) != 0 ? OptionalLong.of(i64(in, 16)) : OptionalLong.empty(),
                (valid & FuseKernel.FATTR_MODE) != 0 ? OptionalInt.of(i32(in, 68)) : OptionalInt.empty(),
                (valid & FuseKernel.FATTR_UID) != 0 ? OptionalInt.of(i32(in, 76)) : OptionalInt.empty(),
                (valid & FuseKernel.FATTR_GID) != 0 ? OptionalInt.of(i32(in, 80)) : OptionalInt.empty(),
                (valid & FuseKernel.FATTR_ATIME) != 0 && !atimeNow
                        ? OptionalLong.of(i64(in, 32) * 1_000_000_000L + Integer.toUnsignedLong(i32(in, 56)))
                        : OptionalLong.empty(),
                atimeNow,
                (valid & FuseKernel.FATTR_MTIME) != 0 && !mtimeNow
                        ? OptionalLong.of(i64(in, 40) * 1_000_000_000L + Integer.toUnsignedLong(i32(in, 60)))
                        : OptionalLong.empty(),
                mtimeNow,
                killAlways || (valid & FuseKernel.FATTR_KILL_SUIDGID) != 0);
    }

    /** READDIR / READDIRPLUS: fuse_read_in { fh, offset, size, ... } → packed fuse_dirent / fuse_direntplus. */
    private int readdir(Request req, MemorySegment in, MemorySegment out, boolean plus) throws FuseException {
        long fh = i64(in, 0);
        long offset = i64(in, 8);
        int size = i32(in, 16);
        checkReply(size);
        MemorySegment dst = out.asSlice(OUT, size);
        int[] used = {0};
        if (plus) {
            fs.readdirplus(req, req.nodeId, fh, offset, (name, entry, next) -> {
                byte[] n = Wire.bytes(name);
                int rec = Wire.align8(FuseKernel.ENTRY_OUT_SIZE + FuseKernel.DIRENT_SIZE + n.length);
                if (used[0] + rec > size) {
                    return false;
                }
                long at = used[0];
                Wire.putEntry(dst, at, entry);
                FuseAttr a = entry.attr();
                putDirent(dst, at + FuseKernel.ENTRY_OUT_SIZE, a != null ? a.ino() : 1, next,
                        a != null ? a.mode() : 0, n, rec - FuseKernel.ENTRY_OUT_SIZE);
                used[0] += rec;
                return true;
            });
        } else {
            fs.readdir(req, req.nodeId, fh, offset, (name, ino, mode, next) -> {
                byte[] n = Wire.bytes(name);
                int rec = Wire.align8(FuseKernel.DIRENT_SIZE + n.length);
                if (used[0] + rec > size) {
                    return false;
                }
                putDirent(dst, used[0], ino, next, mode, n, rec);
                used[0] += rec;
                return true;
            });
        }
        return used[0];
    }

    /** fuse_dirent { ino, off, namelen, type, name[] } padded with zeros to {@code rec}. */
    private static void putDirent(MemorySegment s, long at, long ino, long next, int mode, byte[] name, int rec) {
        put64(s, at, ino);
        put64(s, at + 8, next);
        put32(s, at + 16, name.length);
        put32(s, at + 20, (mode >>> 12) & 0xF);
        Wire.putBytes(s, at + 24, name);
        for (long i = at + 24 + name.length; i < at + rec; i++) {
            s.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) 0);
        }
    }

    private void replyError(int fd, MemorySegment buf, long unique, int errno) {
        reply(fd, buf, unique, -errno, 0);
    }

    /** Writes fuse_out_header { len, error, unique } and the payload already at offset 16. */
    private void reply(int fd, MemorySegment buf, long unique, int error, int payload) {
        // errno lands in the buffer's tail, past the largest reply: no per-thread capture area
        reply(fd, buf, unique, error, payload, buf.asSlice(bufferSize));
    }

    private void reply(int fd, MemorySegment buf, long unique, int error, int payload, MemorySegment errnoArea) {
        int len = OUT + payload;
        put32(buf, 0, len);
        put32(buf, 4, error);
        put64(buf, 8, unique);
        if (debug) {
            log.debug("<- #{} error={} len={}", unique, error, len);
        }
        try {
            FileCalls.write(fd, buf, len, errnoArea);
        } catch (ErrnoException e) {
            // ENOENT: the request was interrupted and is gone; ENODEV: unmounted meanwhile.
            if (e.errno() != Errno.ENOENT && e.errno() != Errno.ENODEV) {
                log.warn("Reply to FUSE request {} failed: {}", unique, e.getMessage());
            }
        }
    }
}
