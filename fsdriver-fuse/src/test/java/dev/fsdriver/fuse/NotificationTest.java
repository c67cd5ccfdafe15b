package dev.fsdriver.fuse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fsdriver.fuse.examples.LoopbackFileSystem;
import dev.fsdriver.fuse.kernel.FuseKernel;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each notification proven by its visible effect: the loopback caches names and attributes for
 * an hour and keeps the page cache across opens, so a change made in the backing directory stays
 * invisible through the mount until the notification.
 */
class NotificationTest {
    @TempDir
    Path tmp;
    Path backing;
    Path mnt;
    LoopbackFileSystem fs;
    FuseMount mount;

    @BeforeEach
    void mount() throws Exception {
        backing = Files.createDirectory(tmp.resolve("backing"));
        mnt = Files.createDirectory(tmp.resolve("mnt")).toRealPath();
        fs = new LoopbackFileSystem(backing, Duration.ofHours(1), true);
        mount = FuseMount.mount(mnt, fs, MountOptions.builder().build());
    }

    @AfterEach
    void unmount() throws Exception {
        mount.close();
    }

    @Test
    void invalInodeMakesNewSizeAndContentVisible() throws Exception {
        Files.writeString(backing.resolve("f"), "aaaa");
        assertThat(Files.size(mnt.resolve("f"))).isEqualTo(4);
        Files.writeString(backing.resolve("f"), "bbbbbbbb");
        assertThat(Files.size(mnt.resolve("f"))).as("cached before the notification").isEqualTo(4);

        assertThat(mount.notifier().invalInode(fs.nodeIdOf("f"), 0, 0)).isZero();

        assertThat(Files.size(mnt.resolve("f"))).isEqualTo(8);
        assertThat(Files.readString(mnt.resolve("f"))).isEqualTo("bbbbbbbb");

        // Same size, new content: the kernel keeps its pages (no AUTO_INVAL_DATA) until told.
        Files.writeString(backing.resolve("f"), "cccccccc");
        assertThat(Files.readString(mnt.resolve("f"))).as("cached before the notification").isEqualTo("bbbbbbbb");

        assertThat(mount.notifier().invalInode(fs.nodeIdOf("f"), 0, 0)).isZero();

        assertThat(Files.readString(mnt.resolve("f"))).isEqualTo("cccccccc");
    }

    /**
     * Who drops cached pages when the size changes: the kernel, as soon as it sees the new size
     * (FUSE_EXPLICIT_INVAL_DATA, which would leave that to the file system, is not negotiated).
     */
    @Test
    void aNewSizeSeenByTheKernelDropsCachedPages() throws Exception {
        assertThat(((FuseSession) mount).connection().flags() & FuseKernel.EXPLICIT_INVAL_DATA).isZero();
        Files.writeString(backing.resolve("x"), "aaaa");
        assertThat(Files.readString(mnt.resolve("x"))).isEqualTo("aaaa");
        Files.writeString(backing.resolve("x"), "bbbbbbbb");
        assertThat(mount.notifier().invalInode(fs.nodeIdOf("x"), -1, 0)).isZero();   // attributes only
        assertThat(Files.readString(mnt.resolve("x"))).as("new size seen: pages dropped").isEqualTo("bbbbbbbb");
    }

    /** A range drops only the pages it covers: the others keep their (now old) cached content. */
    @Test
    void invalInodeRangeDropsOnlyThosePages() throws Exception {
        Files.writeString(backing.resolve("r"), "a".repeat(4096) + "b".repeat(4096) + "c".repeat(4096));
        assertThat(Files.readString(mnt.resolve("r"))).endsWith("c");
        Files.writeString(backing.resolve("r"), "A".repeat(4096) + "B".repeat(4096) + "C".repeat(4096));

        assertThat(mount.notifier().invalInode(fs.nodeIdOf("r"), 4096, 4096)).isZero();

        assertThat(Files.readString(mnt.resolve("r"))).isEqualTo("a".repeat(4096) + "B".repeat(4096) + "c".repeat(4096));
    }

    @Test
    void invalEntryMakesReplacedFileVisible() throws Exception {
        Files.writeString(backing.resolve("e"), "one");
        assertThat(Files.size(mnt.resolve("e"))).isEqualTo(3);
        Files.writeString(backing.resolve("e.new"), "two-two");
        Files.move(backing.resolve("e.new"), backing.resolve("e"), StandardCopyOption.ATOMIC_MOVE);
        assertThat(Files.size(mnt.resolve("e"))).as("cached before the notification").isEqualTo(3);

        assertThat(mount.notifier().invalEntry(FuseFileSystem.ROOT_ID, "e")).isZero();

        assertThat(Files.size(mnt.resolve("e"))).isEqualTo(7);
        assertThat(Files.readString(mnt.resolve("e"))).isEqualTo("two-two");
    }

    @Test
    void deleteMakesNameVanish() throws Exception {
        Files.writeString(backing.resolve("d"), "gone soon");
        assertThat(Files.exists(mnt.resolve("d"))).isTrue();
        long node = fs.nodeIdOf("d");
        Files.delete(backing.resolve("d"));
        assertThat(Files.exists(mnt.resolve("d"))).as("cached before the notification").isTrue();

        assertThat(mount.notifier().delete(FuseFileSystem.ROOT_ID, node, "d")).isZero();

        assertThat(Files.exists(mnt.resolve("d"))).isFalse();
        assertThat(mount.notifier().invalEntry(FuseFileSystem.ROOT_ID, "never-looked-up")).isNegative();
    }

    @Test
    void storedDataIsReadBack() throws Exception {
        Files.writeString(backing.resolve("s"), "0123456789");
        assertThat(Files.readString(mnt.resolve("s"))).isEqualTo("0123456789");

        int r = mount.notifier().store(fs.nodeIdOf("s"), 0, ByteBuffer.wrap("ABCDE".getBytes(StandardCharsets.UTF_8)));
        assertThat(r).isZero();

        assertThat(Files.readString(mnt.resolve("s"))).isEqualTo("ABCDE56789");
        assertThat(Files.readString(backing.resolve("s"))).isEqualTo("0123456789");
    }

    @Test
    void retrieveReturnsWhatTheKernelCaches() throws Exception {
        Files.writeString(backing.resolve("t"), "0123456789");
        assertThat(Files.readString(mnt.resolve("t"))).isEqualTo("0123456789");   // now in the page cache
        long node = fs.nodeIdOf("t");
        assertThat(retrieve(node, 2, 5)).isEqualTo("23456");
        // the kernel's copy, not the file's: after a STORE it holds what was stored
        mount.notifier().store(node, 0, ByteBuffer.wrap("ABCDE".getBytes(StandardCharsets.UTF_8)));
        assertThat(retrieve(node, 0, 100)).as("not past the end of the file").isEqualTo("ABCDE56789");
        assertThat(Files.readString(backing.resolve("t"))).isEqualTo("0123456789");

        assertThat(mount.notifier().invalInode(node, 0, 0)).isZero();
        assertThat(retrieve(node, 0, 10)).as("nothing cached any more").isEmpty();

        assertThatThrownBy(() -> retrieve(987654, 0, 10)).hasRootCauseInstanceOf(FuseException.class)
                .rootCause().hasMessageContaining("ENOENT");
    }

    @Test
    void retrieveAfterTheConnectionEndedFails() throws Exception {
        FuseNotifier notifier = mount.notifier();
        mount.close();
        assertThatThrownBy(() -> notifier.retrieve(FuseFileSystem.ROOT_ID, 0, 10).get(10, TimeUnit.SECONDS))
                .hasRootCauseInstanceOf(FuseException.class).rootCause().hasMessageContaining("ENOTCONN");
    }

    private String retrieve(long node, long offset, int size) throws Exception {
        return new String(mount.notifier().retrieve(node, offset, size).get(10, TimeUnit.SECONDS),
                StandardCharsets.UTF_8);
    }

    @Test
    void notificationsFromManyThreadsAtOnce() throws Exception {
        Files.writeString(backing.resolve("m"), "x");
        assertThat(Files.readString(mnt.resolve("m"))).isEqualTo("x");
        long node = fs.nodeIdOf("m");
        try (var pool = Executors.newFixedThreadPool(8)) {
            var results = new ArrayList<Future<Integer>>();
            for (int i = 0; i < 200; i++) {
                results.add(pool.submit(() -> mount.notifier().invalInode(node, -1, 0)));
            }
            for (var f : results) {
                assertThat(f.get()).isZero();
            }
        }
        Files.writeString(backing.resolve("m"), "yy");
        mount.notifier().invalInode(node, 0, 0);
        assertThat(Files.readString(mnt.resolve("m"))).isEqualTo("yy");
    }
}
