package dev.fsdriver.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.fuse.examples.LoopbackFileSystem;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
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
    void notificationsFromManyThreadsAtOnce() throws Exception {
        Files.writeString(backing.resolve("m"), "x");
        assertThat(Files.readString(mnt.resolve("m"))).isEqualTo("x");
        long node = fs.nodeIdOf("m");
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(8)) {
            var results = new java.util.ArrayList<java.util.concurrent.Future<Integer>>();
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
