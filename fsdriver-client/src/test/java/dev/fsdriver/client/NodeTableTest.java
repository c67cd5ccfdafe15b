package dev.fsdriver.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.backend.posix.PosixBackend;
import dev.fsdriver.fuse.FuseFileSystem;
import dev.fsdriver.proto.v1.ForgetRequest;
import dev.fsdriver.server.FsServer;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The kernel's FORGETs as the server receives them: each id repeated per reference, batched. */
class NodeTableTest {
    @TempDir
    Path served;
    /** The node ids of each Forget the server received, in order. */
    private final List<List<Long>> forgets = new CopyOnWriteArrayList<>();
    private FsServer server;
    private Connection connection;
    private NodeTable nodes;

    /** Records every ForgetRequest on its way into the server. */
    private final ServerInterceptor recorder = new ServerInterceptor() {
        @Override
        public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
                                                           ServerCallHandler<Q, A> next) {
            return new SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
                @Override
                public void onMessage(Q message) {
                    if (message instanceof ForgetRequest f) {
                        forgets.add(f.getNodesList());
                    }
                    super.onMessage(message);
                }
            };
        }
    };

    @BeforeEach
    void start() throws Exception {
        String name = InProcessServerBuilder.generateName();
        server = FsServer.builder().serverBuilder(InProcessServerBuilder.forName(name).intercept(recorder))
                .share("s", PosixBackend.open(served, false), false).build();
        server.start();
        connection = Connection.over(InProcessChannelBuilder.forName(name).build(), "in-process:" + name, "s", null,
                false, ClientOptions.defaults());
        connection.hello();
        nodes = new NodeTable(connection);
    }

    @AfterEach
    void stop() {
        nodes.close();
        connection.close();
        server.close();
    }

    /** Waits (at most 30 s: the table sends every 200 ms) until {@code ids} ids have arrived; returns them all. */
    private List<Long> received(int ids) throws InterruptedException {
        long until = System.nanoTime() + 30_000_000_000L;
        while (forgets.stream().mapToInt(List::size).sum() < ids && System.nanoTime() < until) {
            Thread.sleep(20);
        }
        return forgets.stream().flatMap(List::stream).toList();
    }

    @Test
    void eachReferenceGoesBackAsOneIdAndTheRootAndNoNodeNever() throws Exception {
        nodes.forget(5, 3);
        nodes.forget(FuseFileSystem.ROOT_ID, 2);
        nodes.forget(0, 1);
        nodes.forget(6, 0);
        nodes.forget(7, 1);
        assertThat(received(4)).containsExactlyInAnyOrder(5L, 5L, 5L, 7L);   // maybe two calls, in any order
    }

    @Test
    void manyReferencesAreSentInBatchesOf1024Ids() throws Exception {
        nodes.forget(9, 2500);
        assertThat(received(2500)).hasSize(2500).containsOnly(9L);
        // the calls are asynchronous: the server may take them in any order
        assertThat(forgets).extracting(List::size).containsExactlyInAnyOrder(1024, 1024, 452);
    }
}
