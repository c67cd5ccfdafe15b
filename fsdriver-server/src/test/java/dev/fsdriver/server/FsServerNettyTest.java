package dev.fsdriver.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fsdriver.backend.posix.PosixBackend;
import dev.fsdriver.common.FileMode;
import dev.fsdriver.proto.v1.FilesGrpc;
import dev.fsdriver.proto.v1.HelloReply;
import dev.fsdriver.proto.v1.HelloRequest;
import dev.fsdriver.proto.v1.LookupRequest;
import dev.fsdriver.proto.v1.Node;
import dev.fsdriver.proto.v1.SessionGrpc;
import dev.fsdriver.protocol.Protocol;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real Netty listeners: TCP on an ephemeral port and a Unix domain socket. */
class FsServerNettyTest {
    @TempDir
    Path tmp;

    private FsServer server(String listen, String token) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("share"));
        Files.writeString(dir.resolve("hello.txt"), "hi");
        FsServer s = FsServer.builder().listen(listen).share("s", PosixBackend.open(dir, false), false).token(token).build();
        s.start();
        return s;
    }

    private static Metadata headers(String token) {
        Metadata md = new Metadata();
        md.put(Protocol.SHARE, "s");
        if (token != null) {
            md.put(Protocol.AUTHORIZATION, "Bearer " + token);
        }
        return md;
    }

    private static void exercise(ManagedChannel ch, String token) {
        HelloReply hello = SessionGrpc.newBlockingStub(ch)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers(token)))
                .hello(HelloRequest.newBuilder().setProtocolVersion(Protocol.VERSION).setShare("s").build());
        assertThat(hello.getBackend()).isEqualTo("posix");
        Node n = FilesGrpc.newBlockingStub(ch).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers(token)))
                .lookup(LookupRequest.newBuilder().setParent(1).setName("hello.txt").build());
        assertThat(FileMode.isRegular(n.getAttr().getMode())).isTrue();
        assertThat(n.getAttr().getSize()).isEqualTo(2);
    }

    /**
     * A connection that closes before its HTTP/2 handshake (a port probe, as scripts and the
     * end-to-end tests make) must not keep the server from terminating: the session filter got
     * no attributes for it and threw, and grpc then never dropped the transport.
     */
    @Test
    void aPortProbeDoesNotHoldUpShutdown() throws Exception {
        FsServer s = server("tcp://127.0.0.1:0", null);
        String addr = s.boundAddresses().get(0);
        try (java.net.Socket probe = new java.net.Socket("127.0.0.1", Integer.parseInt(addr.substring(addr.lastIndexOf(':') + 1)))) {
            assertThat(probe.isConnected()).isTrue();
        }
        ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1",
                Integer.parseInt(addr.substring(addr.lastIndexOf(':') + 1))).usePlaintext().build();
        exercise(ch, null); // the server still serves, and has seen the probe end by now
        ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        s.close();
        assertThat(s.terminated()).as("every listener terminated once close() returned").isTrue();
    }

    @Test
    void tcpListenerOnEphemeralPort() throws Exception {
        try (FsServer s = server("tcp://127.0.0.1:0", "t0k")) {
            List<String> bound = s.boundAddresses();
            assertThat(bound).hasSize(1);
            assertThat(bound.get(0)).startsWith("tcp://127.0.0.1:").doesNotEndWith(":0");
            int port = Integer.parseInt(bound.get(0).substring(bound.get(0).lastIndexOf(':') + 1));
            ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
            try {
                exercise(ch, "t0k");
                assertThatThrownBy(() -> exercise(ch, "bad"))
                        .isInstanceOfSatisfying(StatusRuntimeException.class,
                                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
            } finally {
                ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void unixSocketListenerIsPrivateAndReplacesAStaleFile() throws Exception {
        Path sock = tmp.resolve("fsd.sock");
        // a stale socket file left by a dead server is removed
        try (FsServer dead = server("unix://" + sock, null)) {
            assertThat(Files.exists(sock)).isTrue();
        }
        assertThat(Files.exists(sock)).as("removed on close").isFalse();
        try (var ch = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            ch.bind(java.net.UnixDomainSocketAddress.of(sock));
        }
        assertThat(Files.exists(sock)).isTrue();
        try (FsServer s = server("unix://" + sock, null)) {
            assertThat(s.boundAddresses()).containsExactly("unix://" + sock);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(sock))).isEqualTo("rw-------");
            assertThat(Files.list(tmp).map(p -> p.getFileName().toString()).sorted().toList())
                    .as("no temporary directory left").containsExactly("fsd.sock", "share");
            EventLoopGroup group = new EpollEventLoopGroup(1);
            ManagedChannel ch = NettyChannelBuilder.forAddress(new DomainSocketAddress(sock.toString()))
                    .channelType(EpollDomainSocketChannel.class).eventLoopGroup(group)
                    .withOption(ChannelOption.SO_KEEPALIVE, null).usePlaintext().build();
            try {
                exercise(ch, null);
            } finally {
                ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            }
            // a live socket is not stolen
            FsServer second = FsServer.builder().listen("unix://" + sock)
                    .share("s", PosixBackend.open(tmp.resolve("share"), true), true).build();
            assertThatThrownBy(second::start).isInstanceOf(IOException.class).hasMessageContaining("already listening");
            second.close();
        }
        Files.writeString(sock, "not a socket");
        FsServer third = FsServer.builder().listen("unix://" + sock)
                .share("s", PosixBackend.open(tmp.resolve("share"), true), true).build();
        assertThatThrownBy(third::start).isInstanceOf(IOException.class).hasMessageContaining("not a socket");
        third.close();
        assertThat(Files.readString(sock)).isEqualTo("not a socket");
        FsServer fourth = FsServer.builder().listen("unix://" + tmp.resolve("missing/dir/s.sock"))
                .share("s", PosixBackend.open(tmp.resolve("share"), true), true).build();
        assertThatThrownBy(fourth::start).isInstanceOf(IOException.class).hasMessageContaining("does not exist");
        fourth.close();
        // a TCP port already taken
        try (var taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            FsServer fifth = FsServer.builder().listen("tcp://127.0.0.1:" + taken.getLocalPort())
                    .share("s", PosixBackend.open(tmp.resolve("share"), true), true).build();
            assertThatThrownBy(fifth::start).isInstanceOf(IOException.class);
            fifth.close();
        }
    }

    @Test
    void badListenAddressesAndShares() {
        for (String bad : new String[] {"127.0.0.1:7420", "tcp://host", "unix://relative.sock", "http://x:1", "tcp://h:1/path"}) {
            assertThatThrownBy(() -> FsServer.builder().listen(bad)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("tcp://HOST:PORT");
        }
        assertThatThrownBy(() -> FsServer.builder().listen("tcp://127.0.0.1:0").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no share");
    }
}
