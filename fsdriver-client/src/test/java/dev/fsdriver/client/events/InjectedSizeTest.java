package dev.fsdriver.client.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.backend.posix.PosixBackend;
import dev.fsdriver.client.ClientOptions;
import dev.fsdriver.client.Connection;
import dev.fsdriver.client.RemoteFileSystem;
import dev.fsdriver.common.FileMode;
import dev.fsdriver.fuse.FuseFileSystem;
import dev.fsdriver.fuse.FuseMount;
import dev.fsdriver.fuse.MountOptions;
import dev.fsdriver.linux.FileCalls;
import dev.fsdriver.proto.v1.Attr;
import dev.fsdriver.proto.v1.ChangeEvent;
import dev.fsdriver.server.FsServer;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.RandomAccessFile;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kernel takes the size in the answer to an injected truncate (and to the GETATTR before
 * it) as the file's i_size and drops the pages past it: an event's size, older than what this
 * mount did since, cut the file (issue 9: SIGBUS in a shared mapping, the echo of the mount's
 * own change after a rename of the parent). Here the MODIFIED event carries the file's first
 * size (1 byte) while the mount has grown it: the kernel's size must stay.
 */
class InjectedSizeTest {
    private static final int GROWN = 61390;

    @TempDir
    Path served;
    @TempDir
    Path mnt;

    FsServer server;
    Connection connection;
    RemoteFileSystem remote;
    FuseMount mount;
    final KernelView view = new KernelView();
    Injector injector;
    EventApplier applier;
    /** Run once (on the applier's thread) before the next lookup of "f" reaches the remote file system. */
    volatile ThrowingRunnable beforeLookup;

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    @BeforeEach
    void mount() throws Exception {
        Files.createDirectories(served.resolve("d"));
        Files.writeString(served.resolve("d/f"), "F");
        String name = InProcessServerBuilder.generateName();
        server = FsServer.builder().serverBuilder(InProcessServerBuilder.forName(name))
                .share("s", PosixBackend.open(served, false), false).build();
        server.start();
        connection = Connection.over(InProcessChannelBuilder.forName(name).build(), "in-process:" + name, "s", null,
                false, ClientOptions.defaults());
        remote = RemoteFileSystem.connect(connection);
        injector = new Injector(mnt, remote.events().writes());
        CachePolicy policy = new CachePolicy(3_600_000_000_000L, 1_000_000_000L);
        policy.setLive(true);
        EventAwareFileSystem fs = new EventAwareFileSystem(remote, OwnReadsOver.beforeLookup(remote.events().reads(), looked -> {
            ThrowingRunnable hook = beforeLookup;
            if (hook != null && "f".equals(looked)) { // the applier's own lookup of f
                beforeLookup = null;
                hook.run();
            }
        }), view, new EchoFilter(), policy, injector);
        mount = FuseMount.mount(mnt, new InjectionAnswers(fs, injector), MountOptions.builder().fsName("fsdriver:test").build());
        applier = new EventApplier(fs, view, new EchoFilter(), injector, mount.notifier());
        assertThat(Files.readString(mnt.resolve("d/f"))).isEqualTo("F"); // the kernel holds d and d/f
    }

    @AfterEach
    void unmount() throws Exception {
        if (mount != null) {
            mount.close();
        }
        injector.close();
        remote.close();
        connection.close();
        server.close();
    }

    /** The MODIFIED of d/f with the attributes it had first (1 byte): older than the mount's growth. */
    private void applyStaleModified() {
        long f = view.resolve("d/f");
        assertThat(f).as("d/f held by the kernel").isNotZero();
        Attr first = Attr.newBuilder().setIno(f).setSize(1).setMode(FileMode.S_IFREG | 0644).setNlink(1).build();
        applier.apply(ChangeEvent.newBuilder().setKind(ChangeEvent.Kind.MODIFIED).setPath("d/f").setNode(f)
                .setAttr(first).build());
    }

    /**
     * The kernel sends RELEASE after close(2) has returned: until the mount has it, the file is
     * open for writing here (nothing injected). Waits for it, at most 10 s.
     */
    private void awaitReleased() throws InterruptedException {
        long f = view.resolve("d/f");
        for (int i = 0; i < 10_000 && remote.events().writes().writing(f); i++) {
            Thread.sleep(1);
        }
        assertThat(remote.events().writes().writing(f)).as("released").isFalse();
    }

    @Test
    void aStaleModifiedWhileTheFileIsOpenForWritingHereIsNotInjected() throws Exception {
        try (RandomAccessFile raf = new RandomAccessFile(mnt.resolve("d/f").toFile(), "rw");
             Arena arena = Arena.ofConfined()) {
            raf.setLength(GROWN); // ftruncate
            MemorySegment map = raf.getChannel().map(FileChannel.MapMode.READ_WRITE, 0, GROWN, arena);
            map.set(ValueLayout.JAVA_BYTE, 3599, (byte) 'a');
            long injected = applier.injectedCount();

            applyStaleModified();

            assertThat(Files.size(mnt.resolve("d/f"))).isEqualTo(GROWN);
            assertThat(applier.injectedCount()).as("nothing injected").isEqualTo(injected);
            map.set(ValueLayout.JAVA_BYTE, GROWN - 1, (byte) 'z'); // a cut file faults here (SIGBUS: InternalError)
            map.force();
        } // unmapped: the file is released
        byte[] data = Files.readAllBytes(served.resolve("d/f"));
        assertThat(data).hasSize(GROWN);
        assertThat(data[3599]).isEqualTo((byte) 'a');
        assertThat(data[GROWN - 1]).isEqualTo((byte) 'z');
    }

    /**
     * Nobody writes the file here (a program only reads it through a mapping): the truncate is
     * injected, answered with the server's size. With the event's, the kernel took 1 byte as the
     * size and the mapping faulted past it.
     */
    @Test
    void aStaleModifiedOfAFileNobodyWritesHereIsInjectedWithTheServersSize() throws Exception {
        try (RandomAccessFile raf = new RandomAccessFile(mnt.resolve("d/f").toFile(), "rw")) {
            raf.setLength(GROWN);
            raf.seek(GROWN - 1);
            raf.write('z');
        }
        awaitReleased();
        try (FileChannel ch = FileChannel.open(mnt.resolve("d/f"));
             Arena arena = Arena.ofConfined()) {
            MemorySegment map = ch.map(FileChannel.MapMode.READ_ONLY, 0, GROWN, arena);
            long injected = applier.injectedCount();

            applyStaleModified();

            assertThat(map.get(ValueLayout.JAVA_BYTE, GROWN - 1)).as("read past the event's size").isEqualTo((byte) 'z');
            assertThat(applier.injectedCount()).as("the truncate to the same size, for IN_MODIFY").isEqualTo(injected + 1);
        }
        assertThat(Files.size(mnt.resolve("d/f"))).isEqualTo(GROWN);
    }

    /**
     * A program grows the file after the applier decided and read its size (here: while it looks
     * the name up): the injected calls are refused, the program's size wins.
     */
    @Test
    void aFileGrownHereAfterTheDecisionRefusesTheInjection() throws Exception {
        beforeLookup = () -> {
            try (RandomAccessFile raf = new RandomAccessFile(mnt.resolve("d/f").toFile(), "rw")) {
                raf.setLength(GROWN);
            }
        };
        long injected = applier.injectedCount();

        applyStaleModified();

        assertThat(beforeLookup).as("the hook ran").isNull();
        assertThat(applier.injectedCount()).as("refused").isEqualTo(injected);
        assertThat(Files.size(mnt.resolve("d/f"))).isEqualTo(GROWN);
    }

    /**
     * The same with a truncate by name (truncate(2): a SETATTR with no file open here, so no open
     * file to hold a stamp): the stamps outlive the open files, and the injection is refused.
     */
    @Test
    void aFileTruncatedByNameHereAfterTheDecisionRefusesTheInjection() throws Exception {
        beforeLookup = () -> FileCalls.truncate(mnt.resolve("d/f").toString(), GROWN);
        long injected = applier.injectedCount();

        applyStaleModified();

        assertThat(beforeLookup).as("the hook ran").isNull();
        assertThat(applier.injectedCount()).as("refused").isEqualTo(injected);
        assertThat(Files.size(mnt.resolve("d/f"))).isEqualTo(GROWN);
    }
}
