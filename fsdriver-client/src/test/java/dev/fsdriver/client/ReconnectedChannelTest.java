package dev.fsdriver.client;

import static dev.fsdriver.client.TestServer.REQ;
import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.backend.posix.PosixBackend;
import dev.fsdriver.common.FileMode;
import dev.fsdriver.common.OpenFlags;
import dev.fsdriver.fuse.FuseAttrReply;
import dev.fsdriver.fuse.FuseCreated;
import dev.fsdriver.fuse.FuseFileSystem;
import dev.fsdriver.fuse.FuseFileSystem.Reply;
import dev.fsdriver.server.FsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client's channel reconnects by itself (its connection dropped: a network blip, a keep-alive
 * that gave up on a paused server) while the server has not yet seen the old connection close.
 * The session's id then arrives on a connection it is not bound to. Before, the server served such
 * calls without the session, so the open file's handle was EBADF there and write-behind dropped the
 * held-back data (its error then went to whichever close came first: PausedServerEndToEndTest saw a
 * writer whose dd and fsync said 0 with 11 of its 12 MiB missing). Now the server refuses the call
 * unexecuted, the client says Hello with its resume key, and the call goes again.
 */
class ReconnectedChannelTest {
    @TempDir
    Path dir;

    @Test
    void writesHeldBackWhenTheChannelReconnectedReachTheServer() throws Exception {
        FsServer server = FsServer.builder().listen("tcp://127.0.0.1:0").share("s", PosixBackend.open(dir, false), false)
                .build();
        server.start();
        int port = Integer.parseInt(server.boundAddresses().getFirst().replaceAll(".*:", ""));
        try (Relay relay = new Relay(port);
             Connection c = Connection.open("tcp://127.0.0.1:" + relay.port(), "s", null, false, ClientOptions.defaults())) {
            RemoteFileSystem fs = RemoteFileSystem.connect(c);
            FuseCreated f = fs.create(REQ, FuseFileSystem.ROOT_ID, "f", FileMode.S_IFREG | 0644,
                    OpenFlags.O_WRONLY | OpenFlags.O_CREAT, 0);
            long node = f.entry().nodeId();
            long fh = f.open().fh();
            fs.write(REQ, node, fh, 0, ByteBuffer.wrap("first ".getBytes(StandardCharsets.UTF_8)), 0);
            fs.flush(REQ, node, fh, 0);
            assertThat(Files.readString(dir.resolve("f"))).isEqualTo("first ");

            relay.dropClientSides(); // the server still holds the old connection open
            fs.write(REQ, node, fh, 6, ByteBuffer.wrap("second".getBytes(StandardCharsets.UTF_8)), 0);
            fs.flush(REQ, node, fh, 0);
            assertThat(Files.readString(dir.resolve("f"))).isEqualTo("first second");
            // and a call that waits for its answer goes through too
            assertThat(Reply.<FuseAttrReply>await(r -> fs.getattr(REQ, node, fh, r)).attr().size()).isEqualTo(12);
            fs.release(REQ, node, fh, 0);
            fs.close();
        } finally {
            server.close();
        }
    }

    /** A loopback relay whose client-facing sockets can be closed while their server-facing ones stay open. */
    private static final class Relay implements AutoCloseable {
        private final ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final int target;
        private final List<Socket> clientSides = new ArrayList<>();
        private final List<Socket> serverSides = new ArrayList<>();

        Relay(int target) throws IOException {
            this.target = target;
            Thread.ofPlatform().daemon().name("relay-accept").start(this::accept);
        }

        int port() {
            return listener.getLocalPort();
        }

        synchronized void dropClientSides() throws IOException {
            for (Socket s : clientSides) {
                s.close();
            }
        }

        private void accept() {
            while (!listener.isClosed()) {
                try {
                    Socket in = listener.accept();
                    Socket out = new Socket(InetAddress.getLoopbackAddress(), target);
                    synchronized (this) {
                        clientSides.add(in);
                        serverSides.add(out);
                    }
                    Thread.ofPlatform().daemon().start(() -> pump(in, out, true));
                    Thread.ofPlatform().daemon().start(() -> pump(out, in, false));
                } catch (IOException e) {
                    return;
                }
            }
        }

        /** Copies one way; when the client side ends, the server side is left open (as a server that has not noticed). */
        private static void pump(Socket from, Socket to, boolean fromClient) {
            byte[] buf = new byte[65536];
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                for (int n; (n = in.read(buf)) > 0; ) {
                    out.write(buf, 0, n);
                }
            } catch (IOException e) {
                // one side closed
            }
            if (!fromClient) {
                try {
                    to.close();
                } catch (IOException ignored) {
                    // closing
                }
            }
        }

        @Override
        public synchronized void close() throws IOException {
            listener.close();
            for (Socket s : clientSides) {
                s.close();
            }
            for (Socket s : serverSides) {
                s.close();
            }
        }
    }
}
