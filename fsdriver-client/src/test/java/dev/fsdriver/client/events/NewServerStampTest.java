package dev.fsdriver.client.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.backend.posix.PosixBackend;
import dev.fsdriver.client.ClientOptions;
import dev.fsdriver.client.Connection;
import dev.fsdriver.client.RemoteFileSystem;
import dev.fsdriver.fuse.FuseAttrReply;
import dev.fsdriver.fuse.FuseEntry;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.fuse.FuseFileSystem;
import dev.fsdriver.fuse.FuseFileSystem.Reply;
import dev.fsdriver.server.FsServer;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The directory stamps (KernelView#stamp) and the reading of the server's clock they were checked
 * against belong to one server process: when another answers (a restart, or another server at
 * the address), every stamp goes.
 */
class NewServerStampTest {
    private final String name = InProcessServerBuilder.generateName();

    @TempDir
    Path served;
    FsServer server;
    Connection connection;
    RemoteFileSystem remote;
    ChangeEvents events;

    private void startServer() throws Exception {
        server = FsServer.builder().serverBuilder(InProcessServerBuilder.forName(name))
                .share("s", PosixBackend.open(served, false), false).build();
        server.start();
    }

    @BeforeEach
    void connect() throws Exception {
        Files.createDirectory(served.resolve("d"));
        // The stamps trust only times older than the server's clock by RACY_NANOS: the Hello's
        // reading of it is taken at connect time, so the tree must be older than that by then.
        Thread.sleep(DirStamps.RACY_NANOS / 1_000_000 + 100);
        startServer();
        connection = Connection.over(InProcessChannelBuilder.forName(name).build(), "in-process:" + name, "s", null,
                false, ClientOptions.builder().callDeadline(Duration.ofSeconds(5)).build());
        remote = RemoteFileSystem.connect(connection);
        events = ChangeEvents.wrap(remote, served, new ChangeEvents.Options(Duration.ofHours(1), Duration.ofSeconds(1), false));
    }

    @AfterEach
    void close() {
        events.close();
        remote.close();
        connection.close();
        server.close();
    }

    /**
     * Failed before (seen: the stamps of the root and of d kept after the restart): the reading
     * of the old process's clock and the times it gave outlived it.
     */
    @Test
    void aRestartedServerTakesEveryStampAway() throws Exception {
        long d = Reply.<FuseEntry>await(r -> events.fileSystem().lookup(EventAwareFileSystemTest.OTHER, FuseFileSystem.ROOT_ID, "d", r)).nodeId();
        KernelView view = events.view();
        assertThat(view.stamp(FuseFileSystem.ROOT_ID)).as("the root's, from Hello").isNotNull();
        assertThat(view.stamp(d)).as("d's, from its lookup").isNotNull();

        server.close();
        startServer();
        for (int i = 0; i < 3; i++) { // the first call after the restart meets the new process
            try {
                Reply.<FuseAttrReply>await(r -> events.fileSystem().getattr(EventAwareFileSystemTest.OTHER, d, -1, r));
                break;
            } catch (FuseException e) {
                // the old session's handles and nodes are gone: asked again
            }
        }

        assertThat(connection.counters().reconnects()).as("a new session with the restarted server").isEqualTo(1);
        assertThat(view.stamp(FuseFileSystem.ROOT_ID)).as("the root's stamp").isNull();
        assertThat(view.stamp(d)).as("d's stamp").isNull();
    }
}
