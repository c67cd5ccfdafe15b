package dev.fsdriver.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.fuse.FuseMount;
import dev.fsdriver.fuse.MountOptions;
import dev.fsdriver.fuse.kernel.FuseOpcode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Calls per method, and requests answered by the server or locally, through the kernel. */
class ClientCountersTest {
    @TempDir
    Path served;
    @TempDir
    Path mnt;

    @Test
    void countsCallsPerMethodAndWhoAnsweredEachRequest() throws Exception {
        Files.writeString(served.resolve("a.txt"), "counted");
        byte[] data = new byte[100_000];
        try (TestServer server = new TestServer(served, false);
             Connection c = server.connect(ClientOptions.defaults());
             RemoteFileSystem fs = RemoteFileSystem.connect(c);
             FuseMount mount = FuseMount.mount(mnt, fs, MountOptions.builder().fsName("fsdriver:counters").build(),
                     c.counters())) {
            ClientCounters counters = c.counters();
            assertThat(Files.exists(mnt.resolve("missing-counters"))).isFalse();
            assertThat(Files.readString(mnt.resolve("a.txt"))).isEqualTo("counted");
            Files.write(mnt.resolve("b.bin"), data); // 8 KiB writes gathered into one Write call
            assertThat(served.resolve("b.bin")).hasSize(data.length);

            assertThat(counters.answered(FuseOpcode.LOOKUP, true)).isPositive();
            assertThat(counters.answered(FuseOpcode.WRITE, false)).isPositive();
            assertThat(counters.answered(FuseOpcode.WRITE, true) + counters.answered(FuseOpcode.WRITE, false))
                    .isEqualTo(mount.requestCount(FuseOpcode.WRITE));
            assertThat(counters.answered(FuseOpcode.LOOKUP, true) + counters.answered(FuseOpcode.LOOKUP, false))
                    .isEqualTo(mount.requestCount(FuseOpcode.LOOKUP));
            assertThat(counters.calls(ClientCounters.methods().indexOf("Hello"))).isEqualTo(1);
            assertThat(counters.calls(ClientCounters.methods().indexOf("Lookup"))).isPositive();
            assertThat(counters.calls(ClientCounters.methods().indexOf("Write"))).isPositive()
                    .isLessThan(mount.requestCount(FuseOpcode.WRITE));
            assertThat(counters.reconnects()).isZero();
        }
    }
}
