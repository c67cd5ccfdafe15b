package dev.fsdriver.client;

import static dev.fsdriver.client.TestServer.REQ;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fsdriver.common.Errno;
import dev.fsdriver.common.OpenFlags;
import dev.fsdriver.fuse.FuseEntry;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.fuse.FuseFileSystem;
import dev.fsdriver.fuse.FuseFileSystem.Reply;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.ForwardingClientCallListener.SimpleForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * O_APPEND chunks the server did not acknowledge, sent again (issue 9, {@link AppendResend}):
 * one whose Write the server applied but whose reply was lost is not appended a second time; one
 * whose file changed meanwhile fails the open file with EIO.
 */
class AppendResendTest {
    private static final int BLOCK = 4096;

    @TempDir
    Path dir;
    private TestServer server;
    private Connection connection;
    private RemoteFileSystem fs;
    private final Replies replies = new Replies();
    private long node;
    private long fh;

    @BeforeEach
    void setUp() throws Exception {
        Files.writeString(dir.resolve("f"), "base");
        server = new TestServer(dir, false);
        connection = Connection.over(InProcessChannelBuilder.forName(server.name).intercept(replies).build(),
                "in-process:" + server.name, "s", null, false,
                ClientOptions.builder().blockSize(BLOCK).callDeadline(Duration.ofSeconds(1)).build());
        fs = RemoteFileSystem.connect(connection);
        node = Reply.<FuseEntry>await(r -> fs.lookup(REQ, FuseFileSystem.ROOT_ID, "f", r)).nodeId();
        fh = fs.open(REQ, node, OpenFlags.O_WRONLY | OpenFlags.O_APPEND).fh();
    }

    @AfterEach
    void tearDown() {
        fs.close();
        connection.close();
        server.close();
    }

    private void append(String s) throws FuseException {
        fs.write(REQ, node, fh, 0, ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8)), 0);
    }

    private String file() throws Exception {
        return Files.readString(dir.resolve("f"));
    }

    @Test
    void anAppendThatLandedButWhoseReplyWasLostIsNotAppendedAgain() throws Exception {
        append("aaaa");
        fs.flush(REQ, node, fh, 0); // acknowledged: the end is known from the reply
        replies.lose.set(1);
        append("bbbb");
        fs.flush(REQ, node, fh, 0);
        append("cccc"); // the end moved past the chunk that landed: later appends go on
        fs.flush(REQ, node, fh, 0);
        fs.release(REQ, node, fh, 0);
        assertThat(file()).isEqualTo("baseaaaabbbbcccc");
    }

    @Test
    void theFirstAppendOfAnOpenFileIsHeldAgainstTheSizeAtOpen() throws Exception {
        replies.lose.set(1);
        append("bbbb");
        fs.flush(REQ, node, fh, 0);
        fs.release(REQ, node, fh, 0);
        assertThat(file()).isEqualTo("basebbbb");
    }

    @Test
    void anAppendThatNeverReachedTheServerIsSentOnce() throws Exception {
        replies.refuse.set(1);
        append("bbbb");
        fs.flush(REQ, node, fh, 0);
        fs.release(REQ, node, fh, 0);
        assertThat(file()).isEqualTo("basebbbb");
    }

    /** Two chunks kept: the first landed (its reply lost), the second never went; each is judged in turn. */
    @Test
    void severalKeptAppendsAreJudgedInOrder() throws Exception {
        String first = "1".repeat(BLOCK);
        String second = "2".repeat(BLOCK);
        replies.lose.set(1);
        replies.meanwhile = () -> replies.refuse.set(Integer.MAX_VALUE); // the server away after the first
        append(first); // a full block: sent at once
        try {
            append(second);
        } catch (FuseException e) {
            // the first chunk's failure came in before: this write waited for the server, in vain
            assertThat(e.errno()).isEqualTo(Errno.ENOTCONN);
        }
        replies.refuse.set(0);
        fs.flush(REQ, node, fh, 0);
        fs.release(REQ, node, fh, 0);
        assertThat(Files.size(dir.resolve("f"))).as("each block once").isEqualTo(4 + 2 * BLOCK);
        assertThat(file()).isEqualTo("base" + first + second);
    }

    @Test
    void anAppendWhoseFileChangedMeanwhileFailsTheOpenFileWithEio() throws Exception {
        replies.lose.set(1);
        replies.meanwhile = () -> {
            try {
                Files.writeString(dir.resolve("f"), "XX", StandardOpenOption.APPEND); // someone else appends
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        };
        append("bbbb");
        assertThatThrownBy(() -> fs.flush(REQ, node, fh, 0))
                .isInstanceOfSatisfying(FuseException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EIO));
        assertThatThrownBy(() -> append("cccc"))
                .isInstanceOfSatisfying(FuseException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EIO));
        assertThatThrownBy(() -> fs.fsync(REQ, node, fh, false))
                .isInstanceOfSatisfying(FuseException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EIO));
        fs.release(REQ, node, fh, 0);
        assertThat(file()).as("not sent again, nothing after it").isEqualTo("basebbbbXX");
        // the server's handle was alive: given back, not left open until the session ends
        assertThat(replies.releases.get()).isEqualTo(1);
    }

    /**
     * Write calls that fail as if the server were away: {@code lose} of them reach the server but
     * their reply is lost ({@code meanwhile} runs before the failure comes back); {@code refuse}
     * of them never go.
     */
    private static final class Replies implements ClientInterceptor {
        final AtomicInteger lose = new AtomicInteger();
        final AtomicInteger refuse = new AtomicInteger();
        /** Release calls started. */
        final AtomicInteger releases = new AtomicInteger();
        volatile Runnable meanwhile = () -> { };

        @Override
        public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
            ClientCall<Q, R> call = next.newCall(method, options);
            if ("Release".equals(method.getBareMethodName())) {
                releases.incrementAndGet();
            }
            if (!"Write".equals(method.getBareMethodName())) {
                return call;
            }
            if (take(refuse)) {
                return new SimpleForwardingClientCall<>(call) {
                    @Override
                    public void start(Listener<R> listener, Metadata headers) {
                        listener.onClose(Status.UNAVAILABLE.withDescription("server away (test)"), new Metadata());
                    }

                    @Override
                    public void sendMessage(Q message) {
                    }

                    @Override
                    public void halfClose() {
                    }

                    @Override
                    public void request(int n) {
                    }
                };
            }
            if (!take(lose)) {
                return call;
            }
            return new SimpleForwardingClientCall<>(call) {
                @Override
                public void start(Listener<R> listener, Metadata headers) {
                    super.start(new SimpleForwardingClientCallListener<>(listener) {
                        @Override
                        public void onMessage(R message) {
                            // the server wrote it; the reply is lost on the way
                        }

                        @Override
                        public void onClose(Status status, Metadata trailers) {
                            meanwhile.run();
                            super.onClose(Status.UNAVAILABLE.withDescription("reply lost (test)"), new Metadata());
                        }
                    }, headers);
                }
            };
        }

        private static boolean take(AtomicInteger n) {
            return n.getAndUpdate(v -> v > 0 ? v - 1 : 0) > 0;
        }
    }
}
