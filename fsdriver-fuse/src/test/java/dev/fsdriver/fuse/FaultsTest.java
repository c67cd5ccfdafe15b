package dev.fsdriver.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.common.Errno;
import dev.fsdriver.fuse.examples.MemoryFileSystem;
import dev.fsdriver.fuse.kernel.FuseOpcode;
import dev.fsdriver.linux.FileCalls;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input from the device, failing and blocking file systems. */
class FaultsTest {
    @TempDir
    Path tmp;

    /** Runs the dispatcher on a hand-made request; the reply lands in a plain file. */
    private ByteBuffer dispatch(FuseFileSystem fs, byte[] request, int bufferSize) throws Exception {
        Path out = Files.createTempFile(tmp, "reply", ".bin");
        int fd = FileCalls.open(out.toString(), FileCalls.O_RDWR, 0);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(bufferSize + FileCalls.captureStateSize());
            MemorySegment.copy(request, 0, buf, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, request.length);
            new RequestDispatcher(fs, bufferSize, false, true, () -> {}, null).dispatch(fd, buf, request.length);
        } finally {
            FileCalls.close(fd);
        }
        return ByteBuffer.wrap(Files.readAllBytes(out)).order(ByteOrder.nativeOrder());
    }

    private static ByteBuffer header(int len, int opcode, long unique, long node) {
        ByteBuffer b = ByteBuffer.allocate(len).order(ByteOrder.nativeOrder());
        b.putInt(len).putInt(opcode).putLong(unique).putLong(node).putInt(0).putInt(0).putInt(1234).putShort((short) 0)
                .putShort((short) 0);
        return b;
    }

    private static int error(ByteBuffer reply) {
        assertThat(reply.limit()).isGreaterThanOrEqualTo(16);
        return reply.getInt(4);
    }

    @Test
    void malformedRequestsAnswerEioAndUnknownOpcodesEnosys() throws Exception {
        FuseFileSystem fs = new MemoryFileSystem();
        // LOOKUP whose name has no terminating NUL
        ByteBuffer lookup = header(44, FuseOpcode.LOOKUP, 7, 1).put("abcd".getBytes(StandardCharsets.UTF_8));
        ByteBuffer r = dispatch(fs, lookup.array(), 8192);
        assertThat(error(r)).isEqualTo(-Errno.EIO);
        assertThat(r.getLong(8)).isEqualTo(7);
        // header length disagrees with what was read
        ByteBuffer lying = header(48, FuseOpcode.GETATTR, 8, 1);
        lying.putInt(0, 400);
        assertThat(error(dispatch(fs, lying.array(), 8192))).isEqualTo(-Errno.EIO);
        // GETATTR truncated (no fuse_getattr_in)
        assertThat(error(dispatch(fs, header(40, FuseOpcode.GETATTR, 9, 1).array(), 8192))).isEqualTo(-Errno.EIO);
        // unknown opcode, and POLL
        assertThat(error(dispatch(fs, header(40, 4242, 10, 1).array(), 8192))).isEqualTo(-Errno.ENOSYS);
        assertThat(error(dispatch(fs, header(64, FuseOpcode.POLL, 11, 1).array(), 8192))).isEqualTo(-Errno.ENOSYS);
        // READ asking more than the buffer can answer: refused in code
        ByteBuffer read = header(80, FuseOpcode.READ, 12, 1);
        read.putLong(40, 0).putLong(48, 0).putInt(56, 1 << 20);
        assertThat(error(dispatch(fs, read.array(), 8192))).isEqualTo(-Errno.EIO);
        // a well-formed LOOKUP still works after all that
        ByteBuffer ok = header(43, FuseOpcode.LOOKUP, 13, 1).put("no\0".getBytes(StandardCharsets.UTF_8));
        assertThat(error(dispatch(fs, ok.array(), 8192))).isEqualTo(-Errno.ENOENT);
    }

    /** Replies the kernel would reject are refused in code: EIO (logged), or ERANGE for a short xattr buffer. */
    @Test
    void repliesOverTheKernelsLimitsAreRefused() throws Exception {
        FuseFileSystem fs = new FuseFileSystem() {
            @Override
            public String readlink(FuseRequest req, long nodeId) {
                return nodeId == 2 ? "x".repeat(4095) : "x".repeat(4096);
            }

            @Override
            public int read(FuseRequest req, long nodeId, long fh, long offset, int size, ByteBuffer dst) {
                return size + 1;   // claims more than it was asked for
            }

            @Override
            public byte[] getxattr(FuseRequest req, long nodeId, String name) {
                return new byte[100];
            }

            @Override
            public long copyFileRange(FuseRequest req, long nodeIn, long fhIn, long offIn, long nodeOut, long fhOut,
                                      long offOut, long length, int flags) {
                return length + 1;
            }
        };
        ByteBuffer r = dispatch(fs, header(40, FuseOpcode.READLINK, 20, 2).array(), 8192);
        assertThat(error(r)).isZero();
        assertThat(r.limit()).isEqualTo(16 + 4095);
        assertThat(error(dispatch(fs, header(40, FuseOpcode.READLINK, 21, 3).array(), 8192))).isEqualTo(-Errno.EIO);

        ByteBuffer read = header(80, FuseOpcode.READ, 22, 2);
        read.putInt(56, 100);
        assertThat(error(dispatch(fs, read.array(), 8192))).isEqualTo(-Errno.EIO);

        ByteBuffer getxattr = header(40 + 8 + 7, FuseOpcode.GETXATTR, 23, 2);   // fuse_getxattr_in { size, padding } name
        getxattr.putInt(40, 99).putInt(44, 0).put(48, "user.a\0".getBytes(StandardCharsets.UTF_8));
        assertThat(error(dispatch(fs, getxattr.array(), 8192))).isEqualTo(-Errno.ERANGE);
        getxattr.putInt(40, 0);   // the size probe
        ByteBuffer probe = dispatch(fs, getxattr.array(), 8192);
        assertThat(error(probe)).isZero();
        assertThat(probe.getInt(16)).isEqualTo(100);

        ByteBuffer copy = header(40 + 56, FuseOpcode.COPY_FILE_RANGE_64, 24, 2);
        copy.putLong(40 + 40, 10);   // len
        assertThat(error(dispatch(fs, copy.array(), 8192))).isEqualTo(-Errno.EIO);
    }

    /** FORGET and BATCH_FORGET get no answer (the kernel waits for none); DESTROY does. */
    @Test
    void batchForgetAndDestroyAreDecoded() throws Exception {
        List<String> forgets = new CopyOnWriteArrayList<>();
        AtomicInteger destroyed = new AtomicInteger();
        FuseFileSystem fs = new FuseFileSystem() {
            @Override
            public void forget(long nodeId, long nlookup) {
                forgets.add(nodeId + "x" + nlookup);
            }
        };
        // fuse_batch_forget_in { count, dummy } then fuse_forget_one { nodeid, nlookup } per node
        ByteBuffer batch = header(40 + 8 + 32, FuseOpcode.BATCH_FORGET, 30, 0);
        batch.putInt(40, 2).putInt(44, 0).putLong(48, 5).putLong(56, 3).putLong(64, 9).putLong(72, 1);
        assertThat(dispatch(fs, batch.array(), 8192).limit()).isZero();
        ByteBuffer one = header(48, FuseOpcode.FORGET, 31, 7);
        one.putLong(40, 2);
        assertThat(dispatch(fs, one.array(), 8192).limit()).isZero();
        assertThat(forgets).containsExactly("5x3", "9x1", "7x2");

        Path out = Files.createTempFile(tmp, "reply", ".bin");
        int fd = FileCalls.open(out.toString(), FileCalls.O_RDWR, 0);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(8192 + FileCalls.captureStateSize());
            byte[] destroy = header(40, FuseOpcode.DESTROY, 32, 0).array();
            MemorySegment.copy(destroy, 0, buf, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, destroy.length);
            new RequestDispatcher(fs, 8192, false, false, destroyed::incrementAndGet, null).dispatch(fd, buf, destroy.length);
        } finally {
            FileCalls.close(fd);
        }
        assertThat(destroyed).hasValue(1);
        assertThat(error(ByteBuffer.wrap(Files.readAllBytes(out)).order(ByteOrder.nativeOrder()))).isZero();
    }

    @Test
    void exceptionsBecomeEioOrEnosysAndTheLoopGoesOn() throws Exception {
        Path mnt = Files.createDirectory(tmp.resolve("mnt")).toRealPath();
        MemoryFileSystem fs = new MemoryFileSystem() {
            @Override
            public FuseEntry lookup(FuseRequest req, long parent, String name) throws FuseException {
                return switch (name) {
                    case "boom" -> throw new IllegalStateException("bug in the file system (expected by the test)");
                    case "unsupported" -> throw new UnsupportedOperationException();
                    default -> super.lookup(req, parent, name);
                };
            }
        };
        try (FuseMount m = FuseMount.mount(mnt, fs, MountOptions.builder().threads(1).build())) {
            assertThat(Tools.run(mnt, "stat", "boom").output()).contains("Input/output error");
            assertThat(Tools.run(mnt, "stat", "unsupported").output()).contains("Function not implemented");
            Files.writeString(mnt.resolve("fine"), "still serving");
            assertThat(Files.readString(mnt.resolve("fine"))).isEqualTo("still serving");
        }
    }

    @Test
    void blockedRequestDoesNotStallOthers() throws Exception {
        blockedRequestDoesNotStallOthers("mnt");
    }

    private void blockedRequestDoesNotStallOthers(String dir) throws Exception {
        Path mnt = Files.createDirectory(tmp.resolve(dir)).toRealPath();
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        MemoryFileSystem fs = new MemoryFileSystem() {
            @Override
            public FuseEntry lookup(FuseRequest req, long parent, String name) throws FuseException {
                if (name.startsWith("slow")) {
                    entered.countDown();
                    try {
                        release.await();   // blocks like a gRPC call would
                    } catch (InterruptedException e) {
                        throw new FuseException(Errno.EINTR);
                    }
                }
                return super.lookup(req, parent, name);
            }
        };
        // One reader thread: only the hand-off to request threads keeps the mount responsive.
        try (FuseMount m = FuseMount.mount(mnt, fs, MountOptions.builder().threads(1).build())) {
            Files.writeString(mnt.resolve("fast"), "fast");
            Files.createDirectory(mnt.resolve("sub"));
            CompletableFuture<Boolean> slow = CompletableFuture.supplyAsync(() -> Files.exists(mnt.resolve("slow1")));
            assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();
            for (int i = 0; i < 20; i++) {
                assertThat(Files.readString(mnt.resolve("fast"))).isEqualTo("fast");
                // not in the root: the kernel holds the root's i_rwsem (shared) during the slow LOOKUP,
                // and creating a name there needs it exclusively (VFS rule, not a FUSE stall)
                Files.writeString(mnt.resolve("sub/other" + i), "x");
            }
            assertThat(slow).isNotDone();
            release.countDown();
            assertThat(slow.get(30, TimeUnit.SECONDS)).isFalse();

        }
    }

    @Test
    void interruptOfAKilledCallerReachesTheFileSystem() throws Exception {
        Path mnt = Files.createDirectory(tmp.resolve("mnt")).toRealPath();
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch interrupted = new CountDownLatch(1);
        MemoryFileSystem fs = new MemoryFileSystem() {
            @Override
            public FuseEntry lookup(FuseRequest req, long parent, String name) throws FuseException {
                if (name.equals("slow")) {
                    entered.countDown();
                    for (int i = 0; i < 3000 && !req.isInterrupted(); i++) {
                        LockSupport.parkNanos(10_000_000L);
                    }
                    if (req.isInterrupted()) {
                        interrupted.countDown();
                        throw new FuseException(Errno.EINTR);
                    }
                }
                return super.lookup(req, parent, name);
            }
        };
        try (FuseMount m = FuseMount.mount(mnt, fs, MountOptions.builder().threads(2).build())) {
            Process p = new ProcessBuilder("stat", mnt.resolve("slow").toString()).start();
            assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();
            p.destroy();   // SIGTERM while blocked in the LOOKUP: the kernel sends FUSE_INTERRUPT
            assertThat(interrupted.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(Files.exists(mnt)).isTrue();
        }
    }
}
