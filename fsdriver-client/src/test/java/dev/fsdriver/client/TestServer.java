package dev.fsdriver.client;

import dev.fsdriver.backend.posix.PosixBackend;
import dev.fsdriver.fuse.FuseRequest;
import dev.fsdriver.server.FsServer;
import io.grpc.ServerInterceptor;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.file.Path;

/** An FsServer + PosixBackend on a directory, reached in-process; and a fake kernel request. */
final class TestServer implements AutoCloseable {
    final String name = InProcessServerBuilder.generateName();
    final Path root;
    final boolean readOnly;
    /** Runs first on every call (a test's fault or delay), or null. */
    private final ServerInterceptor interceptor;
    /** Calls run on the thread that delivers them, in the order they were started, as on the real server. */
    private final boolean direct;
    private FsServer server;

    TestServer(Path root, boolean readOnly) throws Exception {
        this(root, readOnly, null);
    }

    TestServer(Path root, boolean readOnly, ServerInterceptor interceptor) throws Exception {
        this(root, readOnly, interceptor, false);
    }

    private TestServer(Path root, boolean readOnly, ServerInterceptor interceptor, boolean direct) throws Exception {
        this.root = root;
        this.readOnly = readOnly;
        this.interceptor = interceptor;
        this.direct = direct;
        start();
    }

    /**
     * A server whose calls run in the order the client started them (grpc's direct executor, as
     * FsServer's Netty listeners have): for tests of the order of calls.
     */
    static TestServer inOrder(Path root, ServerInterceptor interceptor) throws Exception {
        return new TestServer(root, false, interceptor, true);
    }

    void start() throws Exception {
        InProcessServerBuilder b = InProcessServerBuilder.forName(name);
        if (direct) {
            b.directExecutor();
        }
        server = FsServer.builder()
                .serverBuilder(interceptor == null ? b : b.intercept(interceptor))
                .share("s", PosixBackend.open(root, readOnly), readOnly)
                .build();
        server.start();
    }

    void stop() {
        server.close();
    }

    Connection connect(ClientOptions options) {
        return Connection.over(InProcessChannelBuilder.forName(name).build(), "in-process:" + name, "s", null, false,
                options);
    }

    @Override
    public void close() {
        server.close();
    }

    static final FuseRequest REQ = request(1);

    /** A kernel request from process {@code pid} (root). */
    static FuseRequest request(int pid) {
        return new FuseRequest() {
            @Override public long unique() { return 1; }
            @Override public int opcode() { return 0; }
            @Override public long nodeId() { return 0; }
            @Override public int uid() { return 0; }
            @Override public int gid() { return 0; }
            @Override public int pid() { return pid; }
            @Override public boolean isInterrupted() { return false; }
        };
    }
}
