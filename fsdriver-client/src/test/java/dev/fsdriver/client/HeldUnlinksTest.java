package dev.fsdriver.client;

import static dev.fsdriver.client.TestServer.REQ;
import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.fuse.FuseAttrReply;
import dev.fsdriver.fuse.FuseEntry;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.fuse.FuseFileSystem;
import dev.fsdriver.fuse.FuseFileSystem.Reply;
import dev.fsdriver.proto.v1.ForgetRequest;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link HeldUnlinks} while the server cannot take their landing (its UnlinkMany answered
 * UNAVAILABLE, as a server away is): the unlinks stay held and go again, the kernel's FORGET of a
 * held file waits for them, and a lookup of a held name in another case lands them first.
 * (End to end through the kernel: fsdriver-it's HeldUnlinksEndToEndTest.)
 */
class HeldUnlinksTest {
    private static final long ROOT = FuseFileSystem.ROOT_ID;

    @TempDir
    Path dir;
    private volatile boolean away;
    private final AtomicInteger landings = new AtomicInteger();
    /** UnlinkMany calls (refused or served) and Forgets (with their nodes), in the order they reached the server. */
    private final List<String> served = new CopyOnWriteArrayList<>();
    private TestServer server;
    private Connection connection;
    private RemoteFileSystem fs;
    /** The kernel's names ("parent/name"), as the events layer would tell them. */
    private final Map<String, Long> kernel = new ConcurrentHashMap<>();
    /** Each file's node, kept after its unlink. */
    private final Map<String, Long> nodes = new ConcurrentHashMap<>();

    /** Counts UnlinkMany calls, and refuses them as a server away would while {@link #away}. */
    private final ServerInterceptor gate = new ServerInterceptor() {
        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                           ServerCallHandler<Q, R> next) {
            String method = call.getMethodDescriptor().getBareMethodName();
            if (method.equals("Rmdir")) {
                served.add("Rmdir");
            }
            if (method.equals("UnlinkMany")) {
                landings.incrementAndGet();
                if (away) {
                    served.add("UnlinkMany refused");
                    call.close(Status.UNAVAILABLE.withDescription("test: away"), new Metadata());
                    return new ServerCall.Listener<>() { };
                }
                served.add("UnlinkMany");
            }
            return new SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
                @Override
                public void onMessage(Q request) {
                    if (request instanceof ForgetRequest f) {
                        f.getNodesList().forEach(n -> served.add("Forget " + n));
                    }
                    super.onMessage(request);
                }
            };
        }
    };

    @BeforeEach
    void start() throws Exception {
        server = TestServer.inOrder(dir, gate);
        connection = server.connect(ClientOptions.builder().build());
        fs = RemoteFileSystem.connect(connection);
        fs.events().prefetchWhile(() -> true);
        fs.events().childrenFrom((parent, name) -> kernel.getOrDefault(parent + "/" + name, 0L));
        Files.createDirectories(dir.resolve("d"));
        Files.writeString(dir.resolve("d/x"), "x");
        Files.writeString(dir.resolve("d/y"), "y");
        for (String name : new String[] {"a", "b", "c"}) {
            Files.writeString(dir.resolve(name), name);
            nodes.put(name, lookup(ROOT, name));
        }
        Reply.<FuseAttrReply>await(r -> fs.getattr(REQ, ROOT, -1, r)); // the directory's attributes known
    }

    /** The kernel looks {@code name} up in {@code parent} and holds it. */
    private long lookup(long parent, String name) throws FuseException {
        long node = Reply.<FuseEntry>await(r -> fs.lookup(REQ, parent, name, r)).nodeId();
        kernel.put(parent + "/" + name, node);
        return node;
    }

    @AfterEach
    void stop() {
        away = false;
        fs.close();
        connection.close();
        server.close();
    }

    private void unlink(String name) throws FuseException {
        unlink(ROOT, name);
    }

    private void unlink(long parent, String name) throws FuseException {
        Reply.<Void>await(r -> fs.unlink(REQ, parent, name, r));
        kernel.remove(parent + "/" + name);
    }

    /** rm a b: "a" goes at once, "b" in a burst is answered here and held. */
    private void unlinkAThenHoldB() throws Exception {
        unlink("a");
        assertThat(dir.resolve("a")).doesNotExist();
        unlink("b");
        assertThat(landings.get()).as("b held, not sent").isZero();
    }

    private static void waitFor(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        for (int i = 0; i < 200 && !condition.getAsBoolean(); i++) {
            Thread.sleep(25);
        }
        assertThat(condition.getAsBoolean()).as(what).isTrue();
    }

    /** rm -rf: a directory's rmdir goes last in the UnlinkMany of its files still held (one call, not two). */
    @Test
    void anRmdirAfterHeldUnlinksGoesLastInTheirCall() throws Exception {
        long d = lookup(ROOT, "d");
        lookup(d, "x");
        lookup(d, "y");
        Reply.<FuseAttrReply>await(r -> fs.getattr(REQ, d, -1, r));
        unlink(d, "x");
        unlink(d, "y");
        assertThat(dir.resolve("d/y")).as("held").exists();
        Reply.<Void>await(r -> fs.rmdir(REQ, ROOT, "d", r));
        assertThat(dir.resolve("d")).doesNotExist();
        assertThat(served).as("y's unlink and d's rmdir in one call").containsExactly("UnlinkMany");
    }

    @Test
    void heldUnlinksWaitForAServerThatIsAwayAndLandOnceItIsBack() throws Exception {
        away = true;
        unlinkAThenHoldB();
        waitFor(() -> landings.get() >= 1, "a first landing tried");
        assertThat(dir.resolve("b")).as("not landed: the server was away").exists();
        away = false;
        waitFor(() -> Files.notExists(dir.resolve("b")), "landed once the server was back (retried every second)");
        assertThat(dir.resolve("c")).exists();
    }

    @Test
    void theForgetOfAHeldFileWaitsForItsLanding() throws Exception {
        away = true;
        unlinkAThenHoldB();
        long b = nodes.get("b");
        fs.forget(b, 1); // the kernel drops the unlinked file at once
        Thread.sleep(1200); // past the Forget batch's delay: a Forget sent now would reach the server before the landing
        assertThat(dir.resolve("b")).exists();
        away = false;
        waitFor(() -> Files.notExists(dir.resolve("b")), "landed once the server was back");
        waitFor(() -> served.contains("Forget " + b), "b forgotten");
        int forgotten = served.indexOf("Forget " + b);
        assertThat(served.indexOf("UnlinkMany")).as("the server knew the held file when its unlink landed: " + served)
                .isBetween(0, forgotten - 1);
    }

    @Test
    void aLookupOfAHeldNameInAnotherCaseLandsItFirst() throws Exception {
        away = true;
        unlinkAThenHoldB();
        waitFor(() -> landings.get() == 1, "the timer's first landing tried");
        int before = landings.get();
        try {
            Reply.<FuseEntry>await(r -> fs.lookup(REQ, ROOT, "B", r));
        } catch (FuseException e) {
            // ENOENT on this case-sensitive share; what matters is the landing before it
        }
        assertThat(landings.get()).as("the lookup of B tried to land the held b (a share may fold case)")
                .isEqualTo(before + 1);
        away = false;
        waitFor(() -> Files.notExists(dir.resolve("b")), "landed");
    }

}
