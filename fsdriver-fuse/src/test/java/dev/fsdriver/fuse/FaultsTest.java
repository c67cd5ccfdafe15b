package dev.fsdriver.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.common.Errno;
import dev.fsdriver.fuse.examples.MemoryFileSystem;
import dev.fsdriver.fuse.kernel.FuseOpcode;
import dev.fsdriver.fuse.linux.LinuxNative;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
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
        int fd = LinuxNative.open(out.toString(), LinuxNative.O_RDWR);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(bufferSize + LinuxNative.captureStateSize());
            MemorySegment.copy(request, 0, buf, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, request.length);
            new RequestDispatcher(fs, bufferSize, false, true, () -> {}, null).dispatch(fd, buf, request.length);
        } finally {
            LinuxNative.close(fd);
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

    @Test
    void blockedRequestDoesNotStallOthersWithVirtualThreadDispatch() throws Exception {
        System.setProperty("fsdriver.fuse.dispatch", "virtual");   // read when the session is built
        try {
            blockedRequestDoesNotStallOthers("mnt-virtual");
        } finally {
            System.clearProperty("fsdriver.fuse.dispatch");
        }
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
