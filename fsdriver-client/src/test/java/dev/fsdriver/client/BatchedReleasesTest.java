package dev.fsdriver.client;

import static dev.fsdriver.client.TestServer.REQ;
import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.common.FileMode;
import dev.fsdriver.common.OpenFlags;
import dev.fsdriver.fuse.FuseCreated;
import dev.fsdriver.fuse.FuseFileSystem;
import dev.fsdriver.fuse.FuseFileSystem.Reply;
import dev.fsdriver.proto.v1.CreateRequest;
import dev.fsdriver.proto.v1.HelloReply;
import dev.fsdriver.proto.v1.MkdirRequest;
import dev.fsdriver.proto.v1.NameRequest;
import dev.fsdriver.proto.v1.RenameRequest;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Closes gathered into ReleaseMany calls (issue 13, {@link Releases}): no Release of its own per
 * close, every handle given back before a call that removes or moves a name (Windows refuses to
 * rename a directory with a file under it open), with that call when one comes within the batch's
 * delay, and one Release per close from a server without "release-many".
 */
class BatchedReleasesTest {
    private static final long ROOT = FuseFileSystem.ROOT_ID;

    @TempDir
    Path dir;
    private final List<String> served = new CopyOnWriteArrayList<>();
    /** Files the server held open when each name change (Create, Mkdir, Unlink, Rmdir, Rename) reached it, less those it gives back first. */
    private final List<String> openAtNameChanges = new CopyOnWriteArrayList<>();
    private volatile boolean olderServer;
    /** How the next ReleaseMany calls are refused, in order (none: served). */
    private final Queue<Status> refuseBatches = new ConcurrentLinkedQueue<>();
    private TestServer server;
    private RemoteFileSystem fs;

    /** Records the server's calls in the order it serves them; as an older server, hides "release-many". */
    private final ServerInterceptor recorder = new ServerInterceptor() {
        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                           ServerCallHandler<Q, R> next) {
            String method = call.getMethodDescriptor().getBareMethodName();
            served.add(method);
            Status refusal = method.equals("ReleaseMany") ? refuseBatches.poll() : null;
            if (refusal != null) {
                call.close(refusal, new Metadata());
                return new ServerCall.Listener<>() { };
            }
            ServerCall.Listener<Q> listener = next.startCall(new SimpleForwardingServerCall<>(call) {
                @Override
                @SuppressWarnings("unchecked")
                public void sendMessage(R message) {
                    if (olderServer && message instanceof HelloReply hello) {
                        List<String> caps = hello.getCapabilitiesList().stream().filter(c -> !c.equals("release-many")).toList();
                        message = (R) hello.toBuilder().clearCapabilities().addAllCapabilities(caps).build();
                    }
                    super.sendMessage(message);
                }
            }, headers);
            return new SimpleForwardingServerCallListener<>(listener) {
                @Override
                public void onMessage(Q request) { // before the handler runs (at half-close)
                    int carried = switch (request) {
                        case NameRequest n -> n.getReleaseFirstCount();
                        case RenameRequest r -> r.getReleaseFirstCount();
                        case CreateRequest c -> c.getReleaseFirstCount();
                        case MkdirRequest m -> m.getReleaseFirstCount();
                        default -> -1;
                    };
                    if (carried >= 0) {
                        openAtNameChanges.add(method + ":" + (openHere() - carried));
                    }
                    super.onMessage(request);
                }
            };
        }
    };

    private void connect() throws Exception {
        server = TestServer.inOrder(dir, recorder);
        fs = RemoteFileSystem.connect(server.connect(ClientOptions.builder().build()));
    }

    @AfterEach
    void stop() {
        if (fs != null) {
            fs.close();
        }
        server.close();
    }

    /** Makes {@code name} in {@code parent}, writes to it and closes it. */
    private void writeAndClose(long parent, String name) throws Exception {
        FuseCreated c = fs.create(REQ, parent, name, FileMode.S_IFREG | 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT, 0);
        fs.write(REQ, c.entry().nodeId(), c.open().fh(), 0, ByteBuffer.wrap(new byte[] {'x'}), 0);
        fs.flush(REQ, c.entry().nodeId(), c.open().fh(), 0);
        fs.release(REQ, c.entry().nodeId(), c.open().fh(), 0);
    }

    /** Descriptors this process (the in-process server) holds open on regular files of the share. */
    private long openHere() {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    Path open = Files.readSymbolicLink(fd);
                    return open.startsWith(dir) && Files.isRegularFile(open); // not the share's own directory
                } catch (IOException gone) {
                    return false;
                }
            }).count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void closesGoInOneCallBeforeAnUnlink() throws Exception {
        connect();
        long d = fs.mkdir(REQ, ROOT, "d", 0755, 0).nodeId();
        for (int i = 0; i < 5; i++) {
            writeAndClose(d, "f" + i);
        }
        Reply.<Void>await(r -> fs.unlink(REQ, d, "f0", r));
        assertThat(served).as("no Release of its own per close: " + served).doesNotContain("Release");
        assertThat(openAtNameChanges).as("every close went before the next name change: " + served)
                .contains("Unlink:0").allMatch(seen -> seen.endsWith(":0"));
        assertThat(openHere()).as("every file closed on the server").isZero();
    }

    @Test
    void closesGoBeforeARenameAndAnRmdir() throws Exception {
        connect();
        long d = fs.mkdir(REQ, ROOT, "d", 0755, 0).nodeId();
        writeAndClose(d, "f");
        fs.rename(REQ, ROOT, "d", ROOT, "e", 0);
        assertThat(openAtNameChanges).as("the close went before the rename: " + served)
                .contains("Rename:0").allMatch(seen -> seen.endsWith(":0"));
        assertThat(Files.exists(dir.resolve("e/f"))).isTrue();

        long e2 = fs.mkdir(REQ, ROOT, "e2", 0755, 0).nodeId();
        writeAndClose(e2, "g");
        Reply.<Void>await(r -> fs.unlink(REQ, e2, "g", r)); // sends g's close first
        served.clear();
        writeAndClose(ROOT, "h");
        Reply.<Void>await(r -> fs.rmdir(REQ, ROOT, "e2", r));
        assertThat(openAtNameChanges).as("before the rmdir: " + served)
                .contains("Rename:0", "Unlink:0", "Rmdir:0").allMatch(seen -> seen.endsWith(":0"));
        assertThat(openHere()).isZero();
    }

    @Test
    void closesGoOnTheirOwnSoonWithNoNameChange() throws Exception {
        connect();
        writeAndClose(ROOT, "f");
        for (int i = 0; i < 500 && openHere() > 0; i++) { // the batch's delay is 10 ms
            Thread.sleep(10);
        }
        assertThat(openHere()).as("closed without any later call").isZero();
        assertThat(served).contains("ReleaseMany").doesNotContain("Release");
    }

    @Test
    void anOlderServerGetsOneReleasePerClose() throws Exception {
        olderServer = true;
        connect();
        writeAndClose(ROOT, "f");
        writeAndClose(ROOT, "g");
        assertThat(served.stream().filter("Release"::equals).count()).isEqualTo(2);
        assertThat(served).doesNotContain("ReleaseMany");
    }

    private void awaitAllClosed() throws InterruptedException {
        for (int i = 0; i < 500 && openHere() > 0; i++) { // the batch's delay is 10 ms
            Thread.sleep(10);
        }
    }

    @Test
    void aBatchLostWithTheConnectionGoesAgain() throws Exception {
        connect();
        refuseBatches.add(Status.UNAVAILABLE.withDescription("connection lost (test)"));
        writeAndClose(ROOT, "f");
        awaitAllClosed();
        assertThat(openHere()).as("closed by the batch sent again: " + served).isZero();
        assertThat(served.stream().filter("ReleaseMany"::equals).count()).isEqualTo(2);
    }

    @Test
    void aServerThatRefusesBatchesGetsOneReleasePerCloseFromThen() throws Exception {
        connect();
        refuseBatches.add(Status.UNIMPLEMENTED.withDescription("an older server (test)"));
        writeAndClose(ROOT, "f");
        awaitAllClosed();
        assertThat(openHere()).as("the refused batch's handle given back by Release: " + served).isZero();
        served.clear();
        writeAndClose(ROOT, "g");
        Reply.<Void>await(r -> fs.unlink(REQ, ROOT, "g", r));
        assertThat(served).as("one Release per close, none with the unlink").contains("Release").doesNotContain("ReleaseMany");
        awaitAllClosed();
        assertThat(openHere()).isZero();
    }
}
