package dev.fsdriver.fuse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fsdriver.fuse.examples.MemoryFileSystem;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Mount points, both mount paths, unmounts from outside and by signal. */
class MountLifecycleTest {
    @TempDir
    Path tmp;

    private static boolean mounted(Path p) throws IOException {
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .anyMatch(l -> l.split(" ")[4].equals(p.toString()));
    }

    private static MountOptions opts() {
        return MountOptions.builder().fsName("lifecycle").subtype("memfs").threads(2).build();
    }

    @Test
    void badMountPointsGiveClearMessages() throws Exception {
        FuseFileSystem fs = new MemoryFileSystem();
        assertThatThrownBy(() -> FuseMount.mount(tmp.resolve("missing"), fs, opts()))
                .isInstanceOf(IOException.class).hasMessageContaining("does not exist");
        Path file = Files.writeString(tmp.resolve("file"), "x");
        assertThatThrownBy(() -> FuseMount.mount(file, fs, opts()))
                .isInstanceOf(IOException.class).hasMessageContaining("not a directory");
        Path mnt = Files.createDirectory(tmp.resolve("mnt")).toRealPath();
        try (FuseMount m = FuseMount.mount(mnt, fs, opts())) {
            assertThatThrownBy(() -> FuseMount.mount(mnt, new MemoryFileSystem(), opts()))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("already a mount point").hasMessageContaining("fuse.memfs");
        }
    }

    @Test
    void unmountFromOutsideIsDetected() throws Exception {
        Path mnt = Files.createDirectory(tmp.resolve("mnt")).toRealPath();
        FuseMount m = FuseMount.mount(mnt, new MemoryFileSystem(), opts());
        Files.writeString(mnt.resolve("x"), "x");
        assertThat(m.isUnmounted()).isFalse();
        Tools.ok(tmp, "umount", mnt.toString());
        assertThat(m.awaitUnmount(Duration.ofSeconds(10))).isTrue();
        assertThat(m.isUnmounted()).isTrue();
        m.close();   // idempotent after an outside unmount
        assertThat(mounted(mnt)).isFalse();
    }

    @Test
    void closeWhileBusyDetachesAndAbortsTheConnection() throws Exception {
        Path mnt = Files.createDirectory(tmp.resolve("mnt")).toRealPath();
        FuseMount m = FuseMount.mount(mnt, new MemoryFileSystem(), opts());
        Files.writeString(mnt.resolve("open"), "data");
        var ch = java.nio.channels.FileChannel.open(mnt.resolve("open"));
        m.close();   // EBUSY: lazy unmount, then abort via /sys/fs/fuse/connections/N/abort
        assertThat(m.isUnmounted()).isTrue();
        assertThat(mounted(mnt)).isFalse();
        assertThatThrownBy(() -> ch.read(java.nio.ByteBuffer.allocate(8), 0))
                .isInstanceOf(IOException.class).hasMessageContaining("not connected");
        try {
            ch.close();
        } catch (IOException expected) {
            // a FLUSH on the aborted connection may fail with ENOTCONN
        }
    }

    @Test
    void fusermountPathMountsServesAndDetectsFusermountU() throws Exception {
        Path mnt = Files.createDirectory(tmp.resolve("mnt")).toRealPath();
        FuseMount m = FuseSession.mount(mnt, new MemoryFileSystem(), opts(), true);
        try {
            Files.writeString(mnt.resolve("via-fusermount"), "yes");
            assertThat(Files.readString(mnt.resolve("via-fusermount"))).isEqualTo("yes");
            assertThat(Files.readAllLines(Path.of("/proc/self/mountinfo")))
                    .anyMatch(l -> l.contains(" " + mnt + " ") && l.contains("fuse.memfs lifecycle"));
            Tools.ok(tmp, "fusermount3", "-u", mnt.toString());
            assertThat(m.awaitUnmount(Duration.ofSeconds(10))).isTrue();
        } finally {
            m.close();
        }
        assertThat(mounted(mnt)).isFalse();

        FuseMount again = FuseSession.mount(mnt, new MemoryFileSystem(), opts(), true);
        Files.writeString(mnt.resolve("again"), "a");
        again.close();
        assertThat(again.isUnmounted()).isTrue();
        assertThat(mounted(mnt)).isFalse();
    }

    @Test
    void sigtermOfOwningJvmUnmounts() throws Exception {
        Path mnt = Files.createDirectory(tmp.resolve("mnt")).toRealPath();
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process child = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), MountMain.class.getName(), mnt.toString())
                .redirectErrorStream(true).start();
        try {
            var out = new java.io.BufferedReader(new java.io.InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            String line;
            while ((line = out.readLine()) != null && !line.equals("MOUNTED")) {
                // skip log lines
            }
            assertThat(line).isEqualTo("MOUNTED");
            assertThat(Files.readString(mnt.resolve("hello"))).isEqualTo("from child");
            child.destroy();   // SIGTERM
            assertThat(child.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(mounted(mnt)).isFalse();
        } finally {
            child.destroyForcibly();
            if (mounted(mnt)) {
                Tools.run(tmp, "umount", "-l", mnt.toString());
            }
        }
    }

    /** The child JVM of {@link #sigtermOfOwningJvmUnmounts}. */
    public static final class MountMain {
        public static void main(String[] args) throws Exception {
            Path mnt = Path.of(args[0]);
            FuseMount m = FuseMount.mount(mnt, new MemoryFileSystem(), opts());
            Files.writeString(mnt.resolve("hello"), "from child");
            System.out.println("MOUNTED");
            System.out.flush();
            m.awaitUnmount();
        }
    }

}
