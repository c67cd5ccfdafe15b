package dev.fsdriver.fuse;

import static dev.fsdriver.fuse.Wire.i32;
import static dev.fsdriver.fuse.Wire.i64;
import static dev.fsdriver.fuse.Wire.put32;
import static dev.fsdriver.fuse.Wire.put64;

import dev.fsdriver.common.Errno;
import dev.fsdriver.fuse.kernel.FuseKernel;
import dev.fsdriver.fuse.kernel.FuseOpcode;
import dev.fsdriver.linux.FileCalls;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes one request from its buffer, calls the file system, and writes the reply into the
 * same buffer (the request's arguments are decoded first, so the reply may overwrite them) and
 * to the fd the request came from: from an opcode to the file system's method is {@link #serve}.
 * Errors are translated here, in one place: FuseException → its errno,
 * UnsupportedOperationException → ENOSYS, malformed input or any other exception → EIO. The
 * larger structs are {@link Payloads}'; answers, now or later, go out through {@link Replies}.
 *
 * <p>Stateless apart from the map of requests in flight (for INTERRUPT), the counts, and the
 * handles of listings without OPENDIR ({@link DirCursors}, under its own lock); no lock here.
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
    private final ConcurrentHashMap<Long, KernelRequest> inFlight = new ConcurrentHashMap<>();
    /** Requests received per opcode since the mount started (logged when the connection ends). */
    private final AtomicLongArray received = new AtomicLongArray(64);
    private final RequestListener listener;
    private final Replies replies;
    /** Handles for listings without OPENDIR; null when the kernel cannot list so. */
    private final DirCursors cursors;
    /** Set at the first OPENDIR answered ENOSYS: from then on READDIRs come with handle 0. */
    private volatile boolean listingWithoutOpen;

    RequestDispatcher(FuseFileSystem fs, int bufferSize, boolean directIo, boolean debug, Runnable onDestroy,
                      KernelNotifier notifier) {
        this(fs, bufferSize, directIo, debug, onDestroy, notifier, false, false, RequestListener.NONE);
    }

    /** {@code noOpendir}: the kernel offered FUSE_NO_OPENDIR_SUPPORT (see {@link FuseFileSystem#listsWithoutOpen}). */
    RequestDispatcher(FuseFileSystem fs, int bufferSize, boolean directIo, boolean debug, Runnable onDestroy,
                      KernelNotifier notifier, boolean killAlways, boolean noOpendir, RequestListener listener) {
        this.cursors = noOpendir && notifier != null ? new DirCursors(System::nanoTime) : null;
        this.listener = listener;
        this.killAlways = killAlways;
        this.notifier = notifier;
        this.fs = fs;
        this.bufferSize = bufferSize;
        this.directIo = directIo;
        this.debug = debug;
        this.onDestroy = onDestroy;
        this.replies = new Replies(bufferSize, debug, inFlight);
    }

    /** Requests received with {@code opcode} since the mount started; 0 for an opcode out of range. */
    long requestCount(int opcode) {
        return opcode >= 0 && opcode < received.length() ? received.get(opcode) : 0;
    }

    /** "LOOKUP=12, GETATTR=3, ..." (most first), or "none". */
    String requestCounts() {
        List<int[]> seen = new ArrayList<>();
        for (int op = 0; op < received.length(); op++) {
            long n = received.get(op);
            if (n > 0) {
                seen.add(new int[] {op, (int) Math.min(n, Integer.MAX_VALUE)});
            }
        }
        seen.sort((a, b) -> Integer.compare(b[1], a[1]));
        return seen.isEmpty() ? "none" : seen.stream().map(e -> FuseOpcode.name(e[0]) + "=" + e[1])
                .collect(Collectors.joining(", "));
    }

    /** {@link #serve}'s answer for a request answered later, through a {@link FuseFileSystem.Reply}. */
    private static final int DEFERRED = -2;

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
                replies.error(fd, buf, i64(buf, 8), Errno.EIO);
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
        KernelRequest req = new KernelRequest(unique, opcode, nodeId, i32(buf, 24), i32(buf, 28), i32(buf, 32));
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
                replies.now(fd, buf, unique, 0, replyLen);
                if (req.afterReply != null) {
                    req.afterReply.run();
                }
            }
        } catch (FuseException e) {
            replies.error(fd, buf, unique, e.errno());
        } catch (UnsupportedOperationException e) {
            replies.error(fd, buf, unique, Errno.ENOSYS);
        } catch (Wire.NotUtf8 e) {
            // such a name cannot be on the server: not there (a lookup), or not makeable
            replies.error(fd, buf, unique, opcode == FuseOpcode.LOOKUP ? Errno.ENOENT : Errno.EILSEQ);
        } catch (Wire.MalformedRequest | IndexOutOfBoundsException e) {
            log.warn("Malformed FUSE request {}: {}", req, e.toString());
            replies.error(fd, buf, unique, Errno.EIO);
        } catch (RuntimeException | Error e) {
            log.error("File system failed on {}", req, e);
            replies.error(fd, buf, unique, Errno.EIO);
        } finally {
            if (tracked && !deferred) {
                inFlight.remove(unique);
            }
        }
    }

    /** Serves one request; returns the reply payload length, or -1 when no reply is sent. */
    private int serve(KernelRequest req, MemorySegment in, MemorySegment out) throws FuseException {
        long node = req.nodeId;
        switch (req.opcode) {
            case FuseOpcode.LOOKUP -> {
                fs.lookup(req, node, name(in, 0), replies.later(req, this::entry));
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
                KernelRequest target = inFlight.get(i64(in, 0));
                if (target != null) {
                    target.interrupted = true;
                }
                return -1;
            }
            case FuseOpcode.GETATTR -> {
                int flags = i32(in, 0);
                long fh = (flags & FuseKernel.GETATTR_FH) != 0 ? i64(in, 8) : -1;
                fs.getattr(req, node, fh, replies.later(req, RequestDispatcher::attr));
                return DEFERRED;
            }
            case FuseOpcode.SETATTR -> {
                fs.setattr(req, node, Payloads.setAttr(in, killAlways), replies.later(req, RequestDispatcher::attr));
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
                fs.unlink(req, node, name(in, 0), replies.later(req));
                return DEFERRED;
            }
            case FuseOpcode.RMDIR -> {
                fs.rmdir(req, node, name(in, 0), replies.later(req));
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
                return Payloads.statfs(out, fs.statfs(req, node));
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
                if (cursors != null && fs.listsWithoutOpen()) {
                    if (!listingWithoutOpen) {
                        listingWithoutOpen = true;
                        log.info("directories listed without OPENDIR from now on: the kernel keeps their listings until told");
                    }
                    throw new FuseException(Errno.ENOSYS); // the kernel's "no OPENDIR from now on", not an error
                }
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
                return Payloads.xattr(out, size, bufferSize - OUT, value);
            }
            case FuseOpcode.LISTXATTR -> {
                int size = i32(in, 0);
                List<String> names = fs.listxattr(req, node);
                return Payloads.xattr(out, size, bufferSize - OUT, Payloads.xattrNames(names));
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

    /** READDIR / READDIRPLUS: fuse_read_in { fh, offset, size, ... } → packed fuse_dirent / fuse_direntplus. */
    private int readdir(KernelRequest req, MemorySegment in, MemorySegment out, boolean plus) throws FuseException {
        long fh = i64(in, 0);
        long offset = i64(in, 8);
        int size = i32(in, 16);
        checkReply(size);
        Payloads.Dirents dirents = new Payloads.Dirents(out.asSlice(OUT, size));
        if (fh == 0 && listingWithoutOpen) {
            return readdirWithoutOpen(req, offset, plus, dirents);
        }
        if (plus) {
            fs.readdirplus(req, req.nodeId, fh, offset, dirents);
        } else {
            fs.readdir(req, req.nodeId, fh, offset, dirents);
        }
        return dirents.used();
    }

    /** A listing without OPENDIR: the file system's own handle for it ({@link DirCursors}). */
    private int readdirWithoutOpen(KernelRequest req, long offset, boolean plus, Payloads.Dirents dirents)
            throws FuseException {
        long node = req.nodeId;
        DirCursors.Cursor c = cursors.take(node, offset);
        if (c == null) {
            c = cursors.opened(node, fs.opendir(req, node, 0).fh());
        }
        try {
            if (plus) {
                fs.readdirplus(req, node, c.fh, offset, dirents);
            } else {
                fs.readdir(req, node, c.fh, offset, dirents);
            }
        } catch (FuseException | RuntimeException | Error e) {
            releaseQuietly(req, c); // a retry opens another
            throw e;
        }
        for (DirCursors.Cursor done : cursors.served(c, dirents.first(), dirents.used() == 0 ? -1 : dirents.last())) {
            releaseQuietly(req, done);
        }
        if (dirents.used() == 0 && !fs.mayKeepListing(node)) {
            // after the answer: the kernel marks its listing complete as it takes the empty page,
            // and a listing whose pages are gone is read again from the start
            req.afterReply = () -> notifier.invalInode(node, 0, 0);
        }
        return dirents.used();
    }

    private void releaseQuietly(KernelRequest req, DirCursors.Cursor c) {
        try {
            fs.releasedir(req, c.node, c.fh);
        } catch (FuseException | RuntimeException e) {
            log.debug("releasing listing {} of node {}: {}", c.fh, c.node, e.toString());
        }
    }


}
