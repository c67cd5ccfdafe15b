package dev.fsdriver.client;

import static dev.fsdriver.client.TestServer.REQ;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fsdriver.common.FileMode;
import dev.fsdriver.common.OpenFlags;
import dev.fsdriver.fuse.FuseAttr;
import dev.fsdriver.fuse.FuseAttrReply;
import dev.fsdriver.fuse.FuseConnection;
import dev.fsdriver.fuse.FuseCreated;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.fuse.FuseFileSystem;
import dev.fsdriver.fuse.FuseFileSystem.Reply;
import dev.fsdriver.fuse.FuseNotifier;
import dev.fsdriver.fuse.FuseSetAttr;
import dev.fsdriver.proto.v1.FilesGrpc;
import dev.fsdriver.proto.v1.HelloReply;
import dev.fsdriver.proto.v1.WriteRequest;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A change of attributes held with data still held back (untar: write, futimens, fchmod, close;
 * {@link BlockWriter#hold}): it starts from the attributes a stat would be answered
 * ({@link AttrsAhead}) instead of pushing the data first, against a real server in-process.
 */
class HeldChangesAheadTest {
    private static final long ROOT = FuseFileSystem.ROOT_ID;
    private static final long OLD_MTIME = 1_600_000_000_123_456_700L;

    @TempDir
    Path dir;
    private TestServer server;
    private Connection connection;
    private RemoteFileSystem fs;

    @BeforeEach
    void start() throws Exception {
        start(null);
    }

    private void start(ServerInterceptor interceptor) throws Exception {
        server = new TestServer(dir, false, interceptor);
        connection = server.connect(ClientOptions.builder().blockSize(64 << 10).build());
        fs = RemoteFileSystem.connect(connection);
        fs.init(new FuseConnection(7, 31, 31, 0, 1 << 20, 1 << 20, 256, new FuseNotifier() {
            @Override public int invalEntry(long parent, String name) { return 0; }
            @Override public int invalInode(long nodeId, long offset, long length) { return 0; }
            @Override public int delete(long parent, long child, String name) { return 0; }
            @Override public int store(long nodeId, long offset, ByteBuffer data) { return 0; }
            @Override public CompletableFuture<byte[]> retrieve(long nodeId, long offset, int size) {
                return CompletableFuture.failedFuture(new UnsupportedOperationException());
            }
        }));
        fs.events().prefetchWhile(() -> true); // events flow: the server's attributes are known
    }

    @AfterEach
    void stop() {
        fs.close();
        connection.close();
        server.close();
    }

    private long calls(String method) {
        return connection.counters().calls(ClientCounters.methods().indexOf(method));
    }

    private static long nowNs() {
        Instant t = Instant.now();
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }

    private static FuseSetAttr mtime(long ns) {
        return new FuseSetAttr(-1, OptionalLong.empty(), OptionalInt.empty(), OptionalInt.empty(), OptionalInt.empty(),
                OptionalLong.empty(), false, OptionalLong.of(ns), false, false);
    }

    private static FuseSetAttr mode(int mode) {
        return new FuseSetAttr(-1, OptionalLong.empty(), OptionalInt.of(mode), OptionalInt.empty(), OptionalInt.empty(),
                OptionalLong.empty(), false, OptionalLong.empty(), false, false);
    }

    /** A server before "write-setattr": Hello does not list it, and a Write carrying a change is refused. */
    private static final class OlderServer implements ServerInterceptor {
        @Override
        public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
                                                          ServerCallHandler<Q, A> next) {
            String method = call.getMethodDescriptor().getFullMethodName();
            ServerCall<Q, A> answering = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
                @Override
                @SuppressWarnings("unchecked")
                public void sendMessage(A m) {
                    if (m instanceof HelloReply h) {
                        List<String> caps = new ArrayList<>(h.getCapabilitiesList());
                        caps.remove("write-setattr");
                        m = (A) h.toBuilder().clearCapabilities().addAllCapabilities(caps).build();
                    }
                    super.sendMessage(m);
                }
            };
            ServerCall.Listener<Q> listener = next.startCall(answering, headers);
            return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
                @Override
                public void onMessage(Q m) {
                    if (method.equals(FilesGrpc.getWriteMethod().getFullMethodName()) && ((WriteRequest) m).hasThen()) {
                        throw new IllegalStateException("a change sent to a server that did not offer it");
                    }
                    super.onMessage(m);
                }
            };
        }
    }

    /** create, write, futimens, fchmod, close: what tar does per file. */
    private long untarOne(String name) throws Exception {
        FuseCreated c = fs.create(REQ, ROOT, name, FileMode.S_IFREG | 0644,
                OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_EXCL, 0);
        long node = c.entry().nodeId();
        fs.write(REQ, node, c.open().fh(), 0, ByteBuffer.wrap(new byte[100]), 0);
        Reply.<FuseAttrReply>await(r -> fs.setattr(REQ, node, mtime(OLD_MTIME), r));
        Reply.<FuseAttrReply>await(r -> fs.setattr(REQ, node, mode(0600), r));
        fs.flush(REQ, node, c.open().fh(), 0);
        fs.release(REQ, node, c.open().fh(), 0);
        return node;
    }

    private void assertUntarred(String name, long node) throws Exception {
        assertThat(Files.size(dir.resolve(name))).isEqualTo(100);
        assertThat(serverMtime(name)).isEqualTo(OLD_MTIME);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(name)))).isEqualTo("rw-------");
        FuseAttr after = Reply.<FuseAttrReply>await(r -> fs.getattr(REQ, node, -1, r)).attr();
        assertThat(after.size()).isEqualTo(100);
        assertThat(after.mtimeNs()).isEqualTo(OLD_MTIME);
        assertThat(after.mode()).isEqualTo(FileMode.S_IFREG | 0600);
    }

    /** The change held goes in the Write that takes the data (WriteRequest.then): before, a SetAttr call of its own. */
    @Test
    void theChangeHeldGoesInTheWriteThatTakesTheData() throws Exception {
        long writes = calls("Write");
        long setAttrs = calls("SetAttr");
        long node = untarOne("f");
        assertThat(calls("Write")).isEqualTo(writes + 1);
        assertThat(calls("SetAttr")).as("no call of its own").isEqualTo(setAttrs);
        assertUntarred("f", node);
    }

    /** A server without "write-setattr": the change goes in a SetAttr call after the data, as before. */
    @Test
    void toAnOlderServerTheChangeGoesInASetAttrOfItsOwn() throws Exception {
        stop();
        start(new OlderServer());
        long writes = calls("Write");
        long setAttrs = calls("SetAttr");
        long node = untarOne("old");
        assertThat(calls("Write")).isEqualTo(writes + 1);
        assertThat(calls("SetAttr")).isEqualTo(setAttrs + 1);
        assertUntarred("old", node);
    }

    /**
     * The change fails on the server after the data landed (WriteRequest.then answered with
     * then_errno): the close reports it, as for a held change's SetAttr, and the data that landed
     * is not sent again. (The failure is the server's answer, injected: the server now makes the
     * change through the handle, which a file gone from its name no longer fails.)
     */
    @Test
    void aFailedChangeIsTheClosesErrorAndTheDataIsNotSentAgain() throws Exception {
        stop();
        WriteFaults faults = new WriteFaults();
        start(faults);
        faults.next(WriteFaults.Mode.CHANGE_FAILS, WriteRequest::hasThen);
        FuseCreated c = fs.create(REQ, ROOT, "gone", FileMode.S_IFREG | 0644,
                OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_EXCL, 0);
        long node = c.entry().nodeId();
        long fh = c.open().fh();
        fs.write(REQ, node, fh, 0, ByteBuffer.wrap(new byte[100]), 0);
        Reply.<FuseAttrReply>await(r -> fs.setattr(REQ, node, mode(0600), r));
        long writes = calls("Write");
        long setAttrs = calls("SetAttr");
        assertThatThrownBy(() -> fs.flush(REQ, node, fh, 0)).isInstanceOf(FuseException.class);
        assertThat(calls("Write")).as("the data once").isEqualTo(writes + 1);
        assertThat(calls("SetAttr")).isEqualTo(setAttrs);
        fs.flush(REQ, node, fh, 0); // reported once
        assertThat(calls("Write")).isEqualTo(writes + 1);
        fs.release(REQ, node, fh, 0);
    }

    /** The Write carrying the change fails (EFBIG): the close reports it, and the change still reaches the server, after it. */
    @Test
    void aFailedWriteDoesNotLoseTheChangeThatWentWithIt() throws Exception {
        stop();
        WriteFaults faults = new WriteFaults();
        start(faults);
        faults.next(WriteFaults.Mode.FAIL, WriteRequest::hasThen);
        FuseCreated c = fs.create(REQ, ROOT, "failed", FileMode.S_IFREG | 0644,
                OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_EXCL, 0);
        long node = c.entry().nodeId();
        long fh = c.open().fh();
        fs.write(REQ, node, fh, 0, ByteBuffer.wrap(new byte[100]), 0);
        Reply.<FuseAttrReply>await(r -> fs.setattr(REQ, node, mtime(OLD_MTIME), r));
        Reply.<FuseAttrReply>await(r -> fs.setattr(REQ, node, mode(0600), r));
        long setAttrs = calls("SetAttr");
        assertThatThrownBy(() -> fs.flush(REQ, node, fh, 0)).isInstanceOf(FuseException.class);
        assertThat(faults.arrived.getCount()).as("the Write with the change was the one failed").isZero();
        assertThat(calls("SetAttr")).as("the change on its own").isEqualTo(setAttrs + 1);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("failed")))).isEqualTo("rw-------");
        assertThat(serverMtime("failed")).isEqualTo(OLD_MTIME);
        fs.release(REQ, node, fh, 0);
    }

    private long serverMtime(String name) throws Exception {
        return Files.getLastModifiedTime(dir.resolve(name)).to(TimeUnit.NANOSECONDS);
    }

    /** Before: the futimens pushed the data (a Write of its own, waited for) before holding the change. */
    @Test
    void untarsFutimensAndFchmodAfterTheWriteAreHeldWithTheDataAndAnsweredWithItsSize() throws Exception {
        FuseCreated c = fs.create(REQ, ROOT, "f", FileMode.S_IFREG | 0644,
                OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_EXCL, 0);
        long node = c.entry().nodeId();
        long fh = c.open().fh();
        fs.write(REQ, node, fh, 0, ByteBuffer.wrap(new byte[100]), 0);
        long writes = calls("Write");
        long setAttrs = calls("SetAttr");

        FuseAttr times = Reply.<FuseAttrReply>await(r -> fs.setattr(REQ, node, mtime(OLD_MTIME), r)).attr();
        FuseAttr mode = Reply.<FuseAttrReply>await(r -> fs.setattr(REQ, node, mode(0600), r)).attr();
        assertThat(calls("Write")).as("the data still held").isEqualTo(writes);
        assertThat(calls("SetAttr")).isEqualTo(setAttrs);
        assertThat(Files.size(dir.resolve("f"))).isZero();
        assertThat(times.size()).as("the size with the data held").isEqualTo(100);
        assertThat(times.mtimeNs()).isEqualTo(OLD_MTIME);
        assertThat(mode.size()).isEqualTo(100);
        assertThat(mode.mtimeNs()).isEqualTo(OLD_MTIME);
        assertThat(mode.mode()).isEqualTo(FileMode.S_IFREG | 0600);

        fs.flush(REQ, node, fh, 0); // close(2): the data, then the change
        assertThat(Files.size(dir.resolve("f"))).isEqualTo(100);
        assertThat(serverMtime("f")).isEqualTo(OLD_MTIME);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("f")))).isEqualTo("rw-------");
        FuseAttr after = Reply.<FuseAttrReply>await(r -> fs.getattr(REQ, node, -1, r)).attr();
        assertThat(after.size()).isEqualTo(100);
        assertThat(after.mtimeNs()).isEqualTo(OLD_MTIME);
        assertThat(after.mode()).isEqualTo(FileMode.S_IFREG | 0600);
        fs.release(REQ, node, fh, 0);
    }

    /** A chmod alone after writes held: the mtime answered is the write's, and the server then has it. */
    @Test
    void aChmodAfterHeldWritesAnswersTheWritesMtimeAndTheServerTakesIt() throws Exception {
        FuseCreated c = fs.create(REQ, ROOT, "g", FileMode.S_IFREG | 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0);
        long node = c.entry().nodeId();
        long fh = c.open().fh();
        fs.write(REQ, node, fh, 0, ByteBuffer.wrap(new byte[10]), 0);
        fs.fsync(REQ, node, fh, false);
        long writtenFrom = nowNs();
        fs.write(REQ, node, fh, 4000, ByteBuffer.wrap(new byte[10]), 0);
        long writtenTo = nowNs();
        long writes = calls("Write");
        FuseAttr a = Reply.<FuseAttrReply>await(r -> fs.setattr(REQ, node, mode(0640), r)).attr();
        assertThat(calls("Write")).isEqualTo(writes);
        assertThat(a.size()).isEqualTo(4010);
        assertThat(a.mtimeNs()).isBetween(writtenFrom - 100, writtenTo);
        fs.flush(REQ, node, fh, 0);
        assertThat(serverMtime("g")).as("the server took the mtime answered").isEqualTo(a.mtimeNs());
        assertThat(Files.size(dir.resolve("g"))).isEqualTo(4010);
        FuseAttr after = Reply.<FuseAttrReply>await(r -> fs.getattr(REQ, node, -1, r)).attr();
        assertThat(after.mtimeNs()).isEqualTo(a.mtimeNs());
        assertThat(after.mode()).isEqualTo(FileMode.S_IFREG | 0640);
        fs.release(REQ, node, fh, 0);
    }

    /** Where a stat would not be answered ahead (the server's mtime ahead of the client's clock), the data goes first. */
    @Test
    void whereTheRuleSaysNoTheDataIsPushedFirst() throws Exception {
        FuseCreated c = fs.create(REQ, ROOT, "skew", FileMode.S_IFREG | 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0);
        long node = c.entry().nodeId();
        long fh = c.open().fh();
        long future = nowNs() + TimeUnit.HOURS.toNanos(1);
        Reply.<FuseAttrReply>await(r -> fs.setattr(REQ, node, new FuseSetAttr(fh, OptionalLong.empty(), OptionalInt.empty(), OptionalInt.empty(),
                OptionalInt.empty(), OptionalLong.empty(), false, OptionalLong.of(future), false, false), r));
        fs.flush(REQ, node, fh, 0);
        fs.write(REQ, node, fh, 0, ByteBuffer.wrap(new byte[10]), 0);
        long writes = calls("Write");
        FuseAttr a = Reply.<FuseAttrReply>await(r -> fs.setattr(REQ, node, mode(0600), r)).attr();
        assertThat(calls("Write")).as("pushed").isEqualTo(writes + 1);
        assertThat(a.size()).isEqualTo(10);
        assertThat(Files.size(dir.resolve("skew"))).isEqualTo(10);
        fs.release(REQ, node, fh, 0);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("skew")))).isEqualTo("rw-------");
    }
}
