package dev.fsdriver.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.backend.Backend;
import dev.fsdriver.backend.posix.PosixBackend;
import dev.fsdriver.proto.v1.HelloReply;
import dev.fsdriver.proto.v1.HelloRequest;
import dev.fsdriver.proto.v1.SessionGrpc;
import dev.fsdriver.protocol.Protocol;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * "dir-times-move" is listed for a share only when its backend says the file system moves a
 * directory's times with every name change (a client trusts unchanged times only then; on FAT,
 * exFAT and most network file systems a loss with only creates would be hidden).
 */
class DirTimesMoveCapabilityTest {
    private FsServer server;
    private ManagedChannel channel;
    private Path dir;

    @AfterEach
    void stop() throws Exception {
        if (channel != null) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        if (server != null) {
            server.close();
        }
        if (dir != null) {
            Files.deleteIfExists(dir);
        }
    }

    private HelloReply hello(Backend backend) throws Exception {
        String name = InProcessServerBuilder.generateName();
        server = FsServer.builder().serverBuilder(InProcessServerBuilder.forName(name)).share("s", backend, false).build();
        server.start();
        channel = InProcessChannelBuilder.forName(name).build();
        Metadata md = new Metadata();
        md.put(Protocol.SHARE, "s");
        return SessionGrpc.newBlockingStub(ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(md)))
                .hello(HelloRequest.newBuilder().setProtocolVersion(Protocol.VERSION).setShare("s").build());
    }

    /** A share under /tmp (ext4 on the machines this runs on: statfs f_type 0xEF53, in the allow-list). */
    @Test
    void offeredForAPosixShareOnExt4() throws Exception {
        dir = Files.createTempDirectory(Path.of("/tmp"), "dirtimes");
        assertThat(Files.getFileStore(dir).type()).as("this test needs /tmp on ext4").isEqualTo("ext4");
        PosixBackend backend = PosixBackend.open(dir, false);
        assertThat(backend.directoryTimesMove()).isTrue();
        assertThat(hello(backend).getCapabilitiesList()).contains(SessionService.DIR_TIMES_MOVE);
    }

    /** A backend that says its directory times do not move (FAT-like): not offered. */
    @Test
    void notOfferedForABackendWhoseDirectoryTimesDoNotMove() throws Exception {
        dir = Files.createTempDirectory(Path.of("/tmp"), "dirtimes");
        assertThat(hello(still(PosixBackend.open(dir, false))).getCapabilitiesList())
                .contains("open-many").doesNotContain(SessionService.DIR_TIMES_MOVE);
    }

    /** {@code backend} whose directoryTimesMove says no, all else its own. */
    private static Backend still(Backend backend) {
        InvocationHandler h = (p, m, args) -> {
            if (m.getName().equals("directoryTimesMove")) {
                return false;
            }
            try {
                return m.invoke(backend, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        };
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class}, h);
    }
}
