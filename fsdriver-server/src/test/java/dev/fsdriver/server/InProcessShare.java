package dev.fsdriver.server;

import dev.fsdriver.backend.Backend;
import dev.fsdriver.backend.posix.PosixBackend;
import dev.fsdriver.proto.v1.HelloReply;
import dev.fsdriver.proto.v1.HelloRequest;
import dev.fsdriver.proto.v1.SessionGrpc;
import dev.fsdriver.protocol.Protocol;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * A test fixture: a server with one writable posix share "s" of a directory, in process, and
 * connections to it, each its own channel (a client of its own). Closing it closes them all.
 */
public final class InProcessShare implements AutoCloseable {
    public static final String SHARE = "s";

    private final FsServer server;
    private final String name = InProcessServerBuilder.generateName();
    private final List<ManagedChannel> channels = new ArrayList<>();

    private InProcessShare(Backend backend, UnaryOperator<FsServer.Builder> options) throws Exception {
        server = options.apply(FsServer.builder().serverBuilder(InProcessServerBuilder.forName(name)))
                .share(SHARE, backend, false).build();
        server.start();
    }

    /** Descriptors this process (the in-process server) holds open on files under {@code dir}. */
    public static long openUnder(Path dir) throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).startsWith(dir);
                } catch (IOException gone) {
                    return false;
                }
            }).count();
        }
    }

    public static InProcessShare serve(Path dir) throws Exception {
        return new InProcessShare(PosixBackend.open(dir, false), b -> b);
    }

    /** With {@code options} applied to the server's builder (e.g. {@code allowSetId}). */
    public static InProcessShare serve(Path dir, UnaryOperator<FsServer.Builder> options) throws Exception {
        return new InProcessShare(PosixBackend.open(dir, false), options);
    }

    /** The share served by {@code backend} (one wrapped to observe or fail its calls). */
    public static InProcessShare serve(Backend backend) throws Exception {
        return new InProcessShare(backend, b -> b);
    }

    /** A connection that said Hello (resuming {@code resumeKey} if not empty), its calls carrying the session. */
    public record Client(HelloReply hello, Channel channel) {}

    /** A new connection whose calls carry {@code session} (null: none), without a Hello of its own. */
    public Channel connection(String session) {
        Metadata md = new Metadata();
        md.put(Protocol.SHARE, SHARE);
        if (session != null) {
            md.put(Protocol.SESSION, session);
        }
        return ClientInterceptors.intercept(channel(), MetadataUtils.newAttachHeadersInterceptor(md));
    }

    public Client hello(String resumeKey) {
        ManagedChannel raw = channel();
        Metadata md = new Metadata();
        md.put(Protocol.SHARE, SHARE);
        HelloReply reply = SessionGrpc.newBlockingStub(ClientInterceptors.intercept(raw, MetadataUtils.newAttachHeadersInterceptor(md)))
                .hello(HelloRequest.newBuilder().setProtocolVersion(Protocol.VERSION).setShare(SHARE)
                        .setResumeKey(resumeKey).build());
        md.put(Protocol.SESSION, reply.getSession());
        return new Client(reply, ClientInterceptors.intercept(raw, MetadataUtils.newAttachHeadersInterceptor(md)));
    }

    private ManagedChannel channel() {
        ManagedChannel c = InProcessChannelBuilder.forName(name).build();
        synchronized (channels) {
            channels.add(c);
        }
        return c;
    }

    @Override
    public void close() throws Exception {
        synchronized (channels) {
            for (ManagedChannel c : channels) {
                c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
        server.close();
    }
}
