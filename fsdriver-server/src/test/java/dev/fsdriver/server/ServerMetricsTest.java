package dev.fsdriver.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.fsdriver.backend.posix.PosixBackend;
import dev.fsdriver.common.OpenFlags;
import dev.fsdriver.proto.v1.CreateReply;
import dev.fsdriver.proto.v1.CreateRequest;
import dev.fsdriver.proto.v1.FilesGrpc;
import dev.fsdriver.proto.v1.HandleRequest;
import dev.fsdriver.proto.v1.ReadRequest;
import dev.fsdriver.proto.v1.WriteRequest;
import dev.fsdriver.protocol.Protocol;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bytes, handles and event counters of a running server, read from Micrometer's global registry. */
class ServerMetricsTest {
    @TempDir
    Path dir;
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    ServerMetricsTest() {
        Metrics.addRegistry(registry);
    }

    @AfterEach
    void removeRegistry() {
        Metrics.removeRegistry(registry);
    }

    @Test
    void bytesReadAndWrittenAndOpenHandlesPerShare() throws Exception {
        String name = InProcessServerBuilder.generateName();
        FsServer server = FsServer.builder().serverBuilder(InProcessServerBuilder.forName(name))
                .share("metered", PosixBackend.open(dir, false), false).build();
        server.start();
        ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
        try {
            Metadata md = new Metadata();
            md.put(Protocol.SHARE, "metered");
            FilesGrpc.FilesBlockingStub files = FilesGrpc.newBlockingStub(channel)
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md));
            CreateReply c = files.create(CreateRequest.newBuilder().setParent(1).setName("f").setMode(0644)
                    .setFlags(OpenFlags.O_RDWR | OpenFlags.O_CREAT).build());
            files.write(WriteRequest.newBuilder().setHandle(c.getHandle()).setOffset(0)
                    .setData(ByteString.copyFromUtf8("twelve bytes")).build());
            assertThat(files.read(ReadRequest.newBuilder().setHandle(c.getHandle()).setOffset(6).setSize(100).build())
                    .getData().toStringUtf8()).isEqualTo(" bytes");
            assertThat(value("fsdriver.server.written")).isEqualTo(12);
            assertThat(value("fsdriver.server.read")).isEqualTo(6);
            assertThat(registry.get("fsdriver.server.open.handles").tag("share", "metered").gauge().value()).isEqualTo(1);
            // the root and the file created
            assertThat(registry.get("fsdriver.server.nodes").tag("share", "metered").gauge().value()).isEqualTo(2);
            files.release(HandleRequest.newBuilder().setHandle(c.getHandle()).build());
            assertThat(registry.get("fsdriver.server.open.handles").tag("share", "metered").gauge().value()).isZero();
            assertThat(registry.get("fsdriver.server.events.sent").functionCounter().count()).isNotNegative();
            assertThat(registry.get("fsdriver.server.sessions").tag("state", "connected").gauge().value()).isNotNegative();
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            server.close();
        }
        assertThat(registry.find("fsdriver.server.written").tag("share", "metered").functionCounter())
                .as("removed when the server closes").isNull();
    }

    private double value(String name) {
        return registry.get(name).tag("share", "metered").functionCounter().count();
    }
}
