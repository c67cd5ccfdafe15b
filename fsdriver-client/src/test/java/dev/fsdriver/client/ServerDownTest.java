package dev.fsdriver.client;

import static dev.fsdriver.client.TestServer.REQ;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.fsdriver.backend.posix.PosixBackend;
import dev.fsdriver.common.Errno;
import dev.fsdriver.fuse.FuseEntry;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.fuse.FuseFileSystem;
import dev.fsdriver.fuse.FuseFileSystem.Reply;
import dev.fsdriver.server.FsServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Over real TCP: a server that goes away makes calls fail quickly, and the mount works again once it is back. */
class ServerDownTest {
    @TempDir
    Path dir;

    private FsServer serve(String listen) throws Exception {
        FsServer s = FsServer.builder().listen(listen).share("s", PosixBackend.open(dir, false), false).build();
        s.start();
        return s;
    }

    @Test
    void failsFastWhileDownAndRecoversAfterRestart() throws Exception {
        Files.writeString(dir.resolve("a"), "1");
        FsServer server = serve("tcp://127.0.0.1:0");
        String address = server.boundAddresses().getFirst();
        ClientOptions options = ClientOptions.builder().callDeadline(Duration.ofSeconds(3)).build();
        try (Connection c = Connection.open(address, "s", null, false, options)) {
            RemoteFileSystem fs = RemoteFileSystem.connect(c);
            assertThat(Reply.<FuseEntry>await(r -> fs.lookup(REQ, FuseFileSystem.ROOT_ID, "a", r)).nodeId()).isPositive();

            server.close();
            // Bounded: every call has a deadline; a refused connection fails at once.
            assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
                for (int i = 0; i < 3; i++) {
                    assertThatThrownBy(() -> Reply.<FuseEntry>await(r -> fs.lookup(REQ, FuseFileSystem.ROOT_ID, "a", r)))
                            .isInstanceOfSatisfying(FuseException.class, e -> assertThat(e.errno())
                                    .isIn(Errno.ENOTCONN, Errno.EIO, Errno.ETIMEDOUT));
                }
            });

            server = serveAgain(address);
            FsServer restarted = server;
            assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
                // The first call after the restart may still race the reconnect; within a few it works.
                FuseException last = null;
                for (int i = 0; i < 50; i++) {
                    try {
                        assertThat(Reply.<FuseEntry>await(r -> fs.lookup(REQ, FuseFileSystem.ROOT_ID, "a", r)).attr().size()).isEqualTo(1);
                        return;
                    } catch (FuseException e) {
                        last = e;
                        Thread.sleep(100);
                    }
                }
                throw new AssertionError("mount did not recover after the restart of " + restarted.boundAddresses(), last);
            });
            fs.close();
        } finally {
            server.close();
        }
    }

    /** The same port again (it may linger a moment after close). */
    private FsServer serveAgain(String address) throws Exception {
        Exception last = null;
        for (int i = 0; i < 50; i++) {
            try {
                return serve(address);
            } catch (Exception e) {
                last = e;
                Thread.sleep(100);
            }
        }
        throw last;
    }
}
