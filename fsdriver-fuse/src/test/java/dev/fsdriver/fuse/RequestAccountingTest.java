package dev.fsdriver.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.fuse.examples.MemoryFileSystem;
import dev.fsdriver.fuse.kernel.FuseOpcode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Per-opcode request counts of a real mount, and the listener told of each request on its thread. */
class RequestAccountingTest {
    @TempDir
    Path tmp;

    @Test
    void countsRequestsPerOpcodeAndTellsTheListenerAroundEachCall() throws Exception {
        Path mnt = Files.createDirectory(tmp.resolve("mnt-metrics")).toRealPath();
        AtomicLongArray serving = new AtomicLongArray(64);
        AtomicLongArray served = new AtomicLongArray(64);
        ThreadLocal<Integer> open = new ThreadLocal<>();
        AtomicLongArray unbalanced = new AtomicLongArray(1);
        RequestListener listener = new RequestListener() {
            @Override
            public void serving(int opcode) {
                if (open.get() != null) {
                    unbalanced.incrementAndGet(0);
                }
                open.set(opcode);
                serving.incrementAndGet(opcode);
            }

            @Override
            public void served(int opcode) {
                Integer was = open.get();
                if (was == null || was != opcode) {
                    unbalanced.incrementAndGet(0);
                }
                open.remove();
                served.incrementAndGet(opcode);
            }
        };
        try (FuseMount mount = FuseMount.mount(mnt, new MemoryFileSystem(), MountOptions.builder().build(), listener)) {
            Files.writeString(mnt.resolve("a.txt"), "abc");
            assertThat(Files.readString(mnt.resolve("a.txt"))).isEqualTo("abc");
            assertThat(Files.exists(mnt.resolve("missing"))).isFalse();
            assertThat(mount.requestCount(FuseOpcode.LOOKUP)).isPositive();
            assertThat(mount.requestCount(FuseOpcode.CREATE)).isEqualTo(1);
            assertThat(mount.requestCount(FuseOpcode.WRITE)).isPositive();
            assertThat(mount.requestCount(999)).isZero();
            for (int op : new int[] {FuseOpcode.LOOKUP, FuseOpcode.CREATE, FuseOpcode.WRITE}) {
                assertThat(served.get(op)).as(FuseOpcode.name(op)).isEqualTo(serving.get(op)).isPositive();
            }
            assertThat(serving.get(FuseOpcode.CREATE)).isEqualTo(1);
        }
        assertThat(unbalanced.get(0)).as("serving/served pairs on one thread").isZero();
    }
}
