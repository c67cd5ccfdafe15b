package dev.fsdriver.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.fsdriver.backend.Backend;
import dev.fsdriver.backend.FileAttributes;
import dev.fsdriver.backend.posix.PosixBackend;
import dev.fsdriver.common.FileMode;
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
import java.util.List;
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

    /** A share under /tmp on an allow-listed file system (ext4 here: statfs f_type 0xEF53). */
    @Test
    void offeredForAPosixShareOnAnAllowListedFileSystem() throws Exception {
        dir = Files.createTempDirectory(Path.of("/tmp"), "dirtimes");
        String type = Files.getFileStore(dir).type();
        assumeTrue(type.startsWith("ext") || List.of("tmpfs", "xfs", "btrfs", "overlay", "f2fs", "zfs").contains(type),
                "/tmp is on " + type + ", not an allow-listed file system");
        PosixBackend backend = PosixBackend.open(dir, false);
        assertThat(backend.directoryTimesMove()).isTrue();
        HelloReply reply = hello(backend);
        assertThat(reply.getCapabilitiesList()).contains(SessionService.DIR_TIMES_MOVE);
        assertThat(reply.getRoot().getAttr().getTimesMove()).as("the root's own Attr.times_move").isTrue();
    }

    /** Attr.times_move is the directory's own answer, and never set for a file (the backend's flag aside). */
    @Test
    void timesMoveIsSentForDirectoriesThatHaveIt() {
        FileAttributes dirAttrs = new FileAttributes(5, FileMode.S_IFDIR | 0755, 2, 0, 0, 4096, 8, 1, 2, 3, 4096, 0, 9);
        assertThat(Messages.attr(dirAttrs).getTimesMove()).isFalse();
        assertThat(Messages.attr(dirAttrs.withTimesMove(true)).getTimesMove()).isTrue();
        FileAttributes file = new FileAttributes(6, FileMode.S_IFREG | 0644, 1, 0, 0, 1, 8, 1, 2, 3, 4096, 0, 9, true);
        assertThat(Messages.attr(file).getTimesMove()).as("a file").isFalse();
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
