package dev.fsdriver.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.fuse.examples.MemoryFileSystem;
import dev.fsdriver.fuse.kernel.FuseKernel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MountBasicsTest {
    @TempDir
    Path tmp;

    @Test
    void mountsWritesReadsAndUnmounts() throws Exception {
        Path mnt = Files.createDirectory(tmp.resolve("mnt")).toRealPath();
        long fusefds = fuseFds();
        try (FuseMount mount = FuseMount.mount(mnt, new MemoryFileSystem(), MountOptions.builder().threads(3).build())) {
            // one /dev/fuse fd per reader: the mount's, and two cloned with FUSE_DEV_IOC_CLONE
            assertThat(fuseFds() - fusefds).isEqualTo(3);
            Path f = mnt.resolve("hello.txt");
            Files.writeString(f, "hello fuse");
            assertThat(Files.readString(f)).isEqualTo("hello fuse");
            // root: mount(2) itself, with the fd=N,rootmode=,user_id=,group_id= data the kernel shows back
            assertThat(((FuseSession) mount).viaFusermount()).isFalse();
            assertThat(Files.readAllLines(Path.of("/proc/self/mountinfo")))
                    .anyMatch(l -> l.contains(" " + mnt + " ") && l.contains("fuse.fsdriver")
                            && l.contains("user_id=0,group_id=0"));
            assertThat(((FuseSession) mount).connection().flags() & FuseKernel.WRITEBACK_CACHE)
                    .as("writeback cache only when asked for").isZero();
        }
        assertThat(Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8))
                .noneMatch(l -> l.contains(" " + mnt + " "));
        assertThat(fuseFds()).isEqualTo(fusefds);
    }

    private static long fuseFds() throws java.io.IOException {
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().equals("/dev/fuse");
                } catch (java.io.IOException e) {
                    return false;   // closed meanwhile
                }
            }).count();
        }
    }

    @Test
    void initNegotiatesLargeRequestsReaddirplusAndOptionalWritebackCache() throws Exception {
        Path mnt = Files.createDirectory(tmp.resolve("wb")).toRealPath();
        AtomicReference<FuseConnection> seen = new AtomicReference<>();
        MemoryFileSystem fs = new MemoryFileSystem() {
            @Override
            public void init(FuseConnection connection) {
                seen.set(connection);
            }
        };
        MountOptions opts = MountOptions.builder().writebackCache(true).directIo(true).build();
        try (FuseMount mount = FuseMount.mount(mnt, fs, opts)) {
            FuseConnection c = seen.get();
            assertThat(c.kernelMajor()).isEqualTo(7);
            assertThat(c.negotiatedMinor()).isEqualTo(Math.min(c.kernelMinor(), FuseKernel.KERNEL_MINOR_VERSION));
            assertThat(c.maxWrite()).isEqualTo(1 << 20);
            assertThat(c.maxPages()).isEqualTo(256);
            long want = FuseKernel.ASYNC_READ | FuseKernel.BIG_WRITES | FuseKernel.MAX_PAGES | FuseKernel.DO_READDIRPLUS
                    | FuseKernel.READDIRPLUS_AUTO | FuseKernel.PARALLEL_DIROPS | FuseKernel.ATOMIC_O_TRUNC
                    | FuseKernel.EXPORT_SUPPORT | FuseKernel.WRITEBACK_CACHE;
            assertThat(c.flags() & want).isEqualTo(want);
            assertThat(c.flags() & (FuseKernel.AUTO_INVAL_DATA | FuseKernel.EXPLICIT_INVAL_DATA)).isZero();
            assertThat(mount.notifier()).isSameAs(c.notifier());
            // writeback cache + direct_io: data still round-trips
            byte[] data = new byte[(1 << 20) + 3];
            new Random(1).nextBytes(data);
            Files.write(mnt.resolve("wb.bin"), data);
            assertThat(Files.readAllBytes(mnt.resolve("wb.bin"))).isEqualTo(data);
        }
    }
}
