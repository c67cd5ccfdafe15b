package dev.fsdriver.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.fuse.FuseMount;
import dev.fsdriver.fuse.MountOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The kernel in the loop: FuseMount over RemoteFileSystem over in-process gRPC to a PosixBackend. */
class RealMountTest {
    @TempDir
    Path served;
    @TempDir
    Path mnt;

    @Test
    void filesThroughTheKernel() throws Exception {
        byte[] big = new byte[3 * (1 << 20) + 4321];
        new Random(3).nextBytes(big);
        Files.write(served.resolve("big"), big);
        try (TestServer server = new TestServer(served, false);
             Connection c = server.connect(ClientOptions.defaults());
             RemoteFileSystem fs = RemoteFileSystem.connect(c);
             FuseMount mount = FuseMount.mount(mnt, fs, MountOptions.builder().fsName("fsdriver:test").build())) {
            assertThat(Files.readAllBytes(mnt.resolve("big"))).isEqualTo(big);

            Files.createDirectories(mnt.resolve("d/e"));
            Files.write(mnt.resolve("d/e/copy"), big);
            assertThat(served.resolve("d/e/copy")).hasBinaryContent(big);
            Files.writeString(mnt.resolve("d/small"), "hi");
            Files.move(mnt.resolve("d/small"), mnt.resolve("d/renamed"));
            Files.createSymbolicLink(mnt.resolve("d/link"), Path.of("renamed"));
            assertThat(Files.readString(mnt.resolve("d/link"))).isEqualTo("hi");
            assertThat(Files.readSymbolicLink(served.resolve("d/link"))).isEqualTo(Path.of("renamed"));
            try (Stream<Path> list = Files.list(mnt.resolve("d"))) {
                assertThat(list.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("e", "renamed", "link");
            }
            Files.delete(mnt.resolve("d/link"));
            Files.delete(mnt.resolve("d/renamed"));
            assertThat(served.resolve("d/renamed")).doesNotExist();
        }
        assertThat(Files.exists(mnt.resolve("big"))).isFalse();
    }
}
