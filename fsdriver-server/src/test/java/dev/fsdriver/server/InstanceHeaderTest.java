package dev.fsdriver.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fsdriver.proto.v1.Attr;
import dev.fsdriver.proto.v1.FilesGrpc;
import dev.fsdriver.proto.v1.GetAttrRequest;
import dev.fsdriver.proto.v1.LookupRequest;
import dev.fsdriver.proto.v1.Node;
import dev.fsdriver.protocol.Protocol;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Every answer names the server process once: in the headers of a call that sends any, in the
 * trailers of one that fails before it did (then it has only trailers), so a client sees a
 * restart from a call that fails at once too.
 */
class InstanceHeaderTest {
    private final String name = InProcessServerBuilder.generateName();
    private Server server;
    private ManagedChannel channel;

    private FilesGrpc.FilesBlockingStub stub(AtomicReference<Metadata> headers, AtomicReference<Metadata> trailers)
            throws Exception {
        FilesGrpc.FilesImplBase files = new FilesGrpc.FilesImplBase() {
            @Override
            public void lookup(LookupRequest req, StreamObserver<Node> out) {
                out.onNext(Node.newBuilder().setId(2).setAttr(Attr.getDefaultInstance()).build());
                out.onCompleted();
            }

            @Override
            public void getAttr(GetAttrRequest req, StreamObserver<Attr> out) {
                out.onError(Status.NOT_FOUND.asRuntimeException());
            }
        };
        server = InProcessServerBuilder.forName(name).directExecutor()
                .addService(ServerInterceptors.intercept(files, new InstanceHeader())).build().start();
        channel = InProcessChannelBuilder.forName(name).directExecutor().build();
        return FilesGrpc.newBlockingStub(channel)
                .withInterceptors(MetadataUtils.newCaptureMetadataInterceptor(headers, trailers));
    }

    @AfterEach
    void stop() {
        if (channel != null) {
            channel.shutdownNow();
        }
        if (server != null) {
            server.shutdownNow();
        }
    }

    @Test
    void anAnswerNamesTheProcessInItsHeadersOnly() throws Exception {
        AtomicReference<Metadata> headers = new AtomicReference<>();
        AtomicReference<Metadata> trailers = new AtomicReference<>();
        stub(headers, trailers).lookup(LookupRequest.newBuilder().setParent(1).setName("a").build());
        assertThat(headers.get().get(Protocol.INSTANCE)).isNotEmpty();
        assertThat(trailers.get().containsKey(Protocol.INSTANCE)).as("not twice").isFalse();
    }

    @Test
    void aCallFailingAtOnceNamesItInItsTrailers() throws Exception {
        AtomicReference<Metadata> headers = new AtomicReference<>();
        AtomicReference<Metadata> trailers = new AtomicReference<>();
        FilesGrpc.FilesBlockingStub files = stub(headers, trailers);
        files.lookup(LookupRequest.newBuilder().setParent(1).setName("a").build());
        String answered = headers.get().get(Protocol.INSTANCE);
        assertThatThrownBy(() -> files.getAttr(GetAttrRequest.newBuilder().setNode(2).build()))
                .hasMessageContaining("NOT_FOUND");
        assertThat(trailers.get().get(Protocol.INSTANCE)).isEqualTo(answered);
    }
}
