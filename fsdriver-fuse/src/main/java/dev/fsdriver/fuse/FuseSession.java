package dev.fsdriver.fuse;

import static dev.fsdriver.fuse.Wire.i32;
import static dev.fsdriver.fuse.Wire.i64;
import static dev.fsdriver.fuse.Wire.put32;
import static dev.fsdriver.fuse.Wire.put64;

import dev.fsdriver.common.Errno;
import dev.fsdriver.fuse.kernel.FuseKernel;
import dev.fsdriver.fuse.kernel.FuseOpcode;
import dev.fsdriver.fuse.linux.DeathWatch;
import dev.fsdriver.fuse.linux.FuseMounter;
import dev.fsdriver.linux.ErrnoException;
import dev.fsdriver.linux.FileCalls;
import dev.fsdriver.linux.MemoryCalls;
import dev.fsdriver.linux.MountCalls;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A mounted FUSE connection and its request threads.
 *
 * <h2>Threads</h2>
 * Elastic readers, as libfuse's multi-threaded loop does: {@code MountOptions.threads} platform
 * threads, each blocked in {@code read(2)} on its own fd cloned from the mount's fd with
 * FUSE_DEV_IOC_CLONE (the kernel hands each request to one reader; the reply goes to the fd it
 * came from). A reader serves the request it read itself, in its own buffer, without a hand-off;
 * just before, if it was the last reader left in read(2), it starts another one (up to
 * {@code fsdriver.fuse.maxThreads}, default 256). So a file system blocked in N slow calls (a
 * gRPC round trip each) holds N threads while the rest of the mount keeps being served; extra
 * readers exit again once more than {@code fsdriver.fuse.maxIdleThreads} (default 10, as in
 * libfuse) are idle. The dispatch path takes no
 * lock: two atomic counter updates per request.
 *
 * <p>A virtual thread per request was measured and rejected (docs/benchmarks.md "FUSE layer").
 *
 * <h2>Buffers</h2>
 * A request is read into a native buffer of max_write + 4 KiB (plus the errno capture area) and
 * its reply is written into the same buffer. Each reader thread owns one buffer (an anonymous
 * mapping, unmapped when the thread ends): no per-request large allocation. Its pages take memory
 * only once a request or reply has reached them (a reader that served only metadata holds a few
 * KiB, one that served 1 MiB writes or reads holds 1 MiB), so the mount's resident FUSE buffers
 * are at most the live readers times max_write: {@code fsdriver.fuse.maxThreads} under load,
 * {@code maxIdleThreads} (10) when idle.
 *
 * <h2>INIT</h2>
 * Requested: ASYNC_READ, BIG_WRITES, MAX_PAGES (max_write up to 1 MiB, max_pages up to 256),
 * DO_READDIRPLUS (+ READDIRPLUS_AUTO unless {@code MountOptions.readdirplusAlways}), PARALLEL_DIROPS, ATOMIC_O_TRUNC (the file system's open must
 * honour O_TRUNC), EXPORT_SUPPORT, ASYNC_DIO, INIT_EXT, and WRITEBACK_CACHE only when
 * {@code MountOptions.writebackCache}. Not requested: AUTO_INVAL_DATA (the kernel would drop the
 * page cache whenever it sees a new mtime; fsdriver invalidates explicitly from server events).
 * Nor EXPLICIT_INVAL_DATA: with it the kernel keeps cached pages even when a GETATTR reports a
 * new size, and a reader then sees the old bytes followed by zeros (measured: "aaaa" rewritten
 * underneath as "bbbbbbbb" read back as "aaaa\0\0\0\0" after an atime-triggered GETATTR).
 * Without it a size change seen by the kernel drops the pages, which is the coherence fsdriver
 * relies on when a notification races with a read; content changes of the same size still need
 * FUSE_NOTIFY_INVAL_INODE.
 *
 * <h2>Lifecycle</h2>
 * {@link #close()} unmounts (lazily if busy, then aborts the connection so no reader hangs) and
 * joins the readers. A shutdown hook does the same on SIGINT/SIGTERM of the JVM. An unmount from
 * outside ({@code umount}, {@code fusermount3 -u}) ends the connection: the readers' read(2)
 * fails with ENODEV, the session marks itself unmounted and {@link #awaitUnmount()} returns.
 * So does an abort through /sys/fs/fuse/connections/N/abort, but the dead mount stays (ENOTCONN)
 * until {@link #close()} removes it; close() only ever unmounts the mount it made, not one made at
 * the same place since.
 *
 * <p>If the process dies without unmounting (SIGKILL), the kernel aborts the connection when
 * the last /dev/fuse fd closes; accesses then fail with ENOTCONN ("Transport endpoint is not
 * connected") until someone runs {@code fusermount3 -u -z MOUNTPOINT} or {@code umount -l
 * MOUNTPOINT} (as root). A hung connection of a live but stuck process can be aborted with
 * {@code echo 1 > /sys/fs/fuse/connections/N/abort}, N being the minor device number of the mount
 * (third field of /proc/self/mountinfo). A process that dies with a thread stuck in a request to
 * its own mount never closes that fd; a {@link DeathWatch} aborts the connection then.
 */
final class FuseSession implements FuseMount {
    private static final Logger log = LoggerFactory.getLogger(FuseSession.class);
    /** Force the fusermount3 path even as root (system property). */
    static final String FORCE_FUSERMOUNT_PROPERTY = "fsdriver.fuse.fusermount";

    private final Path mountPoint;
    private final FuseFileSystem fs;
    private final MountOptions options;
    private final int masterFd;
    private final boolean viaFusermount;
    private final int bufferSize;
    private final int maxReaders;
    /**
     * Extra readers exit only when this many are idle: exiting as soon as {@code threads} are idle
     * made a thread start (~100 us, on the request's path) every few requests under light
     * concurrency (measured: 2095 starts for 21000 requests with 2 readers).
     */
    private final int maxIdleReaders;
    /** Readers blocked in read(2) right now; when it drops to 0 a reader is added. */
    private final AtomicInteger idleReaders = new AtomicInteger();
    private final AtomicInteger liveReaders = new AtomicInteger();
    private final AtomicInteger readerNames = new AtomicInteger();
    private final CountDownLatch unmounted = new CountDownLatch(1);
    private final AtomicBoolean closing = new AtomicBoolean();
    private final AtomicBoolean destroyed = new AtomicBoolean();
    /** The connection ended (several readers may see ENODEV at once): once. */
    private final AtomicBoolean gone = new AtomicBoolean();
    private final Set<Thread> readers = ConcurrentHashMap.newKeySet();
    private final List<Integer> fds = new ArrayList<>();
    private final Thread shutdownHook;
    private volatile RequestDispatcher dispatcher;
    private volatile FuseConnection connection;
    private volatile KernelNotifier notifier;
    private volatile boolean stopping;
    private int connectionId = -1;
    /** Aborts the connection if this process dies without closing it (see {@link DeathWatch}); null: none. */
    private volatile DeathWatch deathWatch;
    /** The mountinfo entry of our mount (its device identifies it), or null if it was not found. */
    private FuseMounter.MountInfo ourMount;

    private final RequestListener listener;

    private FuseSession(Path mountPoint, FuseFileSystem fs, MountOptions options, FuseMounter.Mounted mounted,
                        RequestListener listener) {
        this.listener = listener;
        this.mountPoint = mountPoint;
        this.fs = fs;
        this.options = options;
        this.masterFd = mounted.fd();
        this.viaFusermount = mounted.viaFusermount();
        int maxWrite = Math.clamp(options.maxWrite(), 4096, 1 << 20);
        this.bufferSize = Math.max(FuseKernel.MIN_READ_BUFFER, maxWrite + 4096);
        int threads = Math.max(1, options.threads());
        this.maxReaders = Math.max(threads, Integer.getInteger("fsdriver.fuse.maxThreads", 256));
        this.maxIdleReaders = Math.max(threads, Integer.getInteger("fsdriver.fuse.maxIdleThreads", 10));
        this.shutdownHook = Thread.ofPlatform().name("fuse-unmount-" + mountPoint).unstarted(this::closeQuietly);
    }

    static FuseMount mount(Path mountPoint, FuseFileSystem fs, MountOptions options, RequestListener listener)
            throws IOException {
        return mount(mountPoint, fs, options, Boolean.getBoolean(FORCE_FUSERMOUNT_PROPERTY), listener);
    }

    /** Mounts; {@code forceFusermount} takes the unprivileged path (fusermount3) even as root. */
    static FuseMount mount(Path mountPoint, FuseFileSystem fs, MountOptions options, boolean forceFusermount)
            throws IOException {
        return mount(mountPoint, fs, options, forceFusermount, RequestListener.NONE);
    }

    private static FuseMount mount(Path mountPoint, FuseFileSystem fs, MountOptions options, boolean forceFusermount,
                                   RequestListener listener) throws IOException {
        Path target = FuseMounter.checkMountPoint(mountPoint);
        FuseMounter.Mounted mounted = FuseMounter.mount(target,
                new FuseMounter.Spec(options.fsName(), options.subtype(), options.allowOther(),
                        options.defaultPermissions(), options.readOnly()),
                forceFusermount);
        FuseSession session = new FuseSession(target, fs, options, mounted, listener);
        try {
            session.start();
        } catch (IOException | RuntimeException e) {
            session.closeQuietly();
            throw e;
        }
        return session;
    }

    private void start() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            handshake(arena.allocate(bufferSize, 4096));
        }
        ourMount = FuseMounter.findMount(mountPoint);
        connectionId = ourMount != null ? ourMount.minor() : -1;
        deathWatch = connectionId >= 0 ? DeathWatch.start(connectionId) : null;
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        int threads = Math.max(1, options.threads());
        for (int i = 0; i < threads; i++) {
            int fd = masterFd;
            if (i > 0) {
                try {
                    fd = FileCalls.open("/dev/fuse", FileCalls.O_RDWR | FileCalls.O_CLOEXEC, 0);
                    fds.add(fd);   // closed in close(), also if the clone fails
                    MountCalls.ioctlFuseDevClone(fd, masterFd);
                } catch (ErrnoException e) {
                    throw new IOException("cannot clone the FUSE fd: " + e.getMessage());
                }
            }
            liveReaders.incrementAndGet();
            startReader(fd, false);
        }
        log.info("Mounted {} at {} (protocol 7.{}, {} readers{})", options.fsName(), mountPoint,
                connection.negotiatedMinor(), threads,
                viaFusermount ? ", via fusermount3" : "");
    }

    /** Reads FUSE_INIT, negotiates and answers it; then calls the file system's init. */
    private void handshake(MemorySegment buf) throws IOException {
        while (true) {
            int n;
            try {
                n = (int) FileCalls.read(masterFd, buf, bufferSize);
            } catch (ErrnoException e) {
                if (e.errno() == Errno.EINTR || e.errno() == Errno.EAGAIN || e.errno() == Errno.ENOENT) {
                    continue;
                }
                throw new IOException("reading FUSE_INIT failed: " + e.getMessage());
            }
            if (n < FuseKernel.IN_HEADER_SIZE + 16 || i32(buf, 4) != FuseOpcode.INIT) {
                throw new IOException("expected FUSE_INIT from the kernel, got opcode " + (n >= 8 ? i32(buf, 4) : -1));
            }
            long unique = i64(buf, 8);
            MemorySegment in = buf.asSlice(FuseKernel.IN_HEADER_SIZE, n - FuseKernel.IN_HEADER_SIZE);
            // fuse_init_in { major, minor, max_readahead, flags, flags2, unused[11] }
            int major = i32(in, 0);
            int minor = i32(in, 4);
            int kernelReadahead = i32(in, 8);
            long flags = Integer.toUnsignedLong(i32(in, 12));
            if ((flags & FuseKernel.INIT_EXT) != 0 && in.byteSize() >= 20) {
                flags |= Integer.toUnsignedLong(i32(in, 16)) << 32;
            }
            MemorySegment out = buf.asSlice(FuseKernel.OUT_HEADER_SIZE, FuseKernel.INIT_OUT_SIZE);
            out.fill((byte) 0);
            if (major > FuseKernel.KERNEL_VERSION) {
                // Newer major: answer with ours, the kernel sends INIT again with it.
                put32(out, 0, FuseKernel.KERNEL_VERSION);
                put32(out, 4, FuseKernel.KERNEL_MINOR_VERSION);
                writeReply(buf, unique, 0, FuseKernel.INIT_OUT_SIZE);
                continue;
            }
            if (major < FuseKernel.KERNEL_VERSION || minor < FuseKernel.MIN_MINOR_VERSION) {
                writeReply(buf, unique, -Errno.EPROTO, 0);
                throw new IOException("kernel FUSE protocol 7." + minor + " is too old (need 7."
                        + FuseKernel.MIN_MINOR_VERSION + ")");
            }
            int negotiatedMinor = Math.min(minor, FuseKernel.KERNEL_MINOR_VERSION);
            InitReply.Negotiated agreed = InitReply.write(out, flags, kernelReadahead, negotiatedMinor, options,
                    bufferSize);
            long granted = agreed.granted();
            writeReply(buf, unique, 0, FuseKernel.INIT_OUT_SIZE);
            notifier = new KernelNotifier(masterFd, bufferSize);
            connection = new FuseConnection(major, minor, negotiatedMinor, granted, agreed.maxWrite(),
                    agreed.maxReadahead(), agreed.maxPages(), notifier);
            // v1 alone (a kernel before 5.11): every write, truncate and chown is to clear set-id bits
            boolean killAlways = (granted & FuseKernel.HANDLE_KILLPRIV) != 0
                    && (granted & FuseKernel.HANDLE_KILLPRIV_V2) == 0;
            dispatcher = new RequestDispatcher(fs, bufferSize, options.directIo(), options.debug(), this::destroyOnce,
                    notifier, killAlways, (granted & FuseKernel.NO_OPENDIR_SUPPORT) != 0, listener);
            fs.init(connection);
            return;
        }
    }

    private void writeReply(MemorySegment buf, long unique, int error, int payload) throws IOException {
        put32(buf, 0, FuseKernel.OUT_HEADER_SIZE + payload);
        put32(buf, 4, error);
        put64(buf, 8, unique);
        try {
            FileCalls.write(masterFd, buf, FuseKernel.OUT_HEADER_SIZE + payload);
        } catch (ErrnoException e) {
            throw new IOException("answering FUSE_INIT failed: " + e.getMessage());
        }
    }

    /** Starts a reader; {@code liveReaders} already counts it. Extra readers exit when enough are idle. */
    private void startReader(int fd, boolean extra) {
        Thread t = Thread.ofPlatform().name("fuse-reader-" + readerNames.getAndIncrement()).daemon(true)
                .unstarted(() -> {
                    try {
                        readLoop(fd, extra);
                    } finally {
                        readers.remove(Thread.currentThread());
                    }
                });
        readers.add(t);
        t.start();
    }

    /**
     * Elastic readers: each reader serves what it read on its own thread, with its
     * own buffer, and before doing so adds a reader if none is left waiting in read(2). So a file
     * system blocked in N calls holds N threads while others keep reading, and a fast one pays no
     * hand-off; extra readers exit once {@link #maxIdleReaders} are idle.
     */
    private void readLoop(int fd, boolean extra) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf;
            try {
                buf = MemoryCalls.mapAnonymous(bufferSize + FileCalls.captureStateSize(), arena);
            } catch (ErrnoException e) {
                log.error("No buffer for a FUSE reader of {}: {}", mountPoint, e.getMessage());
                return;
            }
            MemorySegment cap = buf.asSlice(bufferSize);
            RequestDispatcher d = dispatcher;
            while (!stopping) {
                idleReaders.incrementAndGet();
                int n;
                try {
                    n = (int) FileCalls.read(fd, buf, bufferSize, cap);
                } catch (ErrnoException e) {
                    idleReaders.decrementAndGet();
                    if (readFailed(e)) {
                        break;
                    }
                    continue;
                }
                if (idleReaders.decrementAndGet() == 0 && !RequestDispatcher.isInline(n >= 8 ? i32(buf, 4) : 0)) {
                    addReader(fd);
                }
                d.dispatch(fd, buf, n);
                if (extra && idleReaders.get() >= maxIdleReaders) {
                    break;   // enough readers waiting: this extra one is not needed any more
                }
            }
        } finally {
            liveReaders.decrementAndGet();
        }
    }

    private void addReader(int fd) {
        int live = liveReaders.get();
        while (live < maxReaders) {
            if (liveReaders.compareAndSet(live, live + 1)) {
                startReader(fd, true);
                return;
            }
            live = liveReaders.get();
        }
    }

    /** Handles a failed read(2); returns true when the reader must stop. */
    private boolean readFailed(ErrnoException e) {
        switch (e.errno()) {
            case Errno.ENOENT, Errno.EINTR, Errno.EAGAIN -> {
                return false;   // request interrupted before we got it, or a signal
            }
            case Errno.ENODEV -> {
                connectionGone();
                return true;
            }
            default -> {
                log.error("Reading {} failed, stopping: {}", mountPoint, e.getMessage());
                connectionGone();
                return true;
            }
        }
    }

    private void connectionGone() {
        if (gone.compareAndSet(false, true)) {
            stopping = true;
            if (deathWatch != null) {
                deathWatch.close(); // nothing to abort any more, and the number may go to a new mount
            }
            log.info("FUSE connection of {} ended ({} reader threads were started); requests: {}", mountPoint,
                    readerNames.get(), dispatcher != null ? dispatcher.requestCounts() : "none");
            // before awaitUnmount returns: whoever waits for the end may count on the file system's
            // (OperationsTest#destroyOnceWhenUnmountedFromOutside saw destroy still running)
            destroyOnce();
            unmounted.countDown();
        }
    }

    private void destroyOnce() {
        if (destroyed.compareAndSet(false, true)) {
            if (notifier != null) {
                notifier.close();   // no answer to a retrieve will come any more
            }
            try {
                fs.destroy();
            } catch (RuntimeException e) {
                log.warn("File system destroy failed", e);
            }
        }
    }

    @Override
    public long requestCount(int opcode) {
        RequestDispatcher d = dispatcher;
        return d != null ? d.requestCount(opcode) : 0;
    }

    @Override
    public Path mountPoint() {
        return mountPoint;
    }

    @Override
    public FuseNotifier notifier() {
        return connection.notifier();
    }

    /** What INIT negotiated. */
    FuseConnection connection() {
        return connection;
    }

    /** True if fusermount3 made the mount (not root, or forced by {@link #FORCE_FUSERMOUNT_PROPERTY}). */
    boolean viaFusermount() {
        return viaFusermount;
    }

    @Override
    public void awaitUnmount() throws InterruptedException {
        unmounted.await();
    }

    @Override
    public boolean awaitUnmount(Duration timeout) throws InterruptedException {
        return unmounted.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    public boolean isUnmounted() {
        return unmounted.getCount() == 0;
    }

    @Override
    public void close() throws IOException {
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException | IllegalArgumentException e) {
            // JVM shutting down (we may be the hook), or the hook was never added
        }
        if (deathWatch != null) {
            deathWatch.close(); // first: the connection number is free for a new mount once unmounted
        }
        IOException failure = null;
        try {
            // Ours while the session lives, and still ours after an abort from outside (a dead mount
            // answering ENOTCONN would stay behind); not a mount someone made there since, whose
            // anonymous device number may be our freed one (hence type and source too).
            FuseMounter.MountInfo now = FuseMounter.findMount(mountPoint);
            boolean ours = now != null && (ourMount == null ? unmounted.getCount() > 0 : now.equals(ourMount));
            if (ours) {
                boolean lazy = FuseMounter.unmount(mountPoint, viaFusermount);
                if (lazy && connectionId >= 0) {
                    FuseMounter.abortConnection(connectionId);   // busy: don't leave readers serving a detached tree
                }
            }
        } catch (IOException e) {
            failure = e;
        }
        try {
            if (!readers.isEmpty() && !unmounted.await(5, TimeUnit.SECONDS) && connectionId >= 0) {
                FuseMounter.abortConnection(connectionId);
                unmounted.await(5, TimeUnit.SECONDS);
            }
            stopping = true;
            for (Thread t : List.copyOf(readers)) {
                t.join(TimeUnit.SECONDS.toMillis(2));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (int fd : fds) {
            FuseMounter.closeQuietly(fd);
        }
        FuseMounter.closeQuietly(masterFd);
        destroyOnce();
        if (failure != null) {
            throw failure;
        }
    }

    private void closeQuietly() {
        try {
            close();
        } catch (IOException | RuntimeException e) {
            log.warn("Unmounting {} failed: {}", mountPoint, e.getMessage());
        }
    }
}
