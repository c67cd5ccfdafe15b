package dev.fsdriver.server;

import dev.fsdriver.backend.FileAttributes;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.common.Errno;
import dev.fsdriver.proto.v1.HelloReply;
import dev.fsdriver.proto.v1.HelloRequest;
import dev.fsdriver.proto.v1.SessionGrpc;
import dev.fsdriver.protocol.Protocol;
import io.grpc.stub.StreamObserver;
import java.time.Instant;
import java.util.List;

/** Session.Hello: protocol version, share check, what this server offers, the session ({@link Sessions}). */
final class SessionService extends SessionGrpc.SessionImplBase {
    static final String SERVER_NAME = "fsdriver-server/0.1";
    static final List<String> CAPABILITIES = List.of("readdirplus", "symlink", "hardlink", "rename-noreplace", "write-sync",
            "fsync-dir", "fsync-also-dir", "write-extents", "open-many",
            "write-setattr", // WriteRequest.then: the generic SetAttr, so for every backend
            "release-many", "unlink-many");
    /**
     * Listed for a share whose backend sets an mtime through the open file
     * ({@link dev.fsdriver.backend.Backend#setsMtimeThroughHandle}): a client then answers stat
     * while it holds writes back (WriteRequest.set_mtime_ns).
     */
    static final String WRITE_MTIME = "write-mtime";
    /**
     * Listed for a share whose backend says its file system moves a directory's mtime and ctime
     * with every name change in it ({@link dev.fsdriver.backend.Backend#directoryTimesMove}):
     * only then may a client take a directory's unchanged times as proof that none of its names
     * changed (its overflow resync, docs/posix.md "Change events").
     */
    static final String DIR_TIMES_MOVE = "dir-times-move";

    private final Sessions sessions;

    SessionService(Sessions sessions) {
        this.sessions = sessions;
    }

    private static long unixNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    @Override
    public void hello(HelloRequest req, StreamObserver<HelloReply> out) {
        Rpc.unary("Hello", out, () -> {
            if (req.getProtocolVersion() != Protocol.VERSION) {
                throw new FsException(Errno.EPROTO, "protocol version " + req.getProtocolVersion()
                        + " not supported: this server speaks " + Protocol.VERSION);
            }
            if (req.getShare().isEmpty()) {
                throw new FsException(Errno.ENOENT, "Hello names no share");
            }
            Share share = CallContext.visible(req.getShare()); // hidden answers as missing
            if (share == null) {
                throw new FsException(Errno.ENOENT, "unknown share '" + req.getShare() + "'");
            }
            long now = unixNanos(); // before the stat: the root's times are at least this old relative to it
            FileAttributes root = share.backend.stat(RelPath.ROOT);
            Sessions.Conn conn = CallContext.CONN.get();
            if (conn == null) {
                throw new FsException(Errno.EIO, "call without a connection: transport filter not installed");
            }
            Sessions.Session session = sessions.hello(conn, share.name, req.getResumeKey());
            return HelloReply.newBuilder()
                    .setSession(session.id)
                    .setResumeKey(session.resumeKey())
                    .setProtocolVersion(Protocol.VERSION)
                    .setServerName(SERVER_NAME + " " + share.backend.kind())
                    .setRoot(Messages.node(NodeIds.ROOT_ID, root))
                    .setReadOnly(share.readOnly || req.getReadOnly() || CallContext.sessionReadOnly()
                            || CallContext.clientReadOnly(req.getShare()))
                    .setMaxMessageBytes(Protocol.MAX_MESSAGE_BYTES)
                    .setMaxIoBytes(Protocol.MAX_IO_BYTES)
                    .setCaseInsensitive(share.backend.caseInsensitive())
                    .addAllCapabilities(CAPABILITIES)
                    .addAllCapabilities(share.backend.setsMtimeThroughHandle() ? List.of(WRITE_MTIME) : List.of())
                    .addAllCapabilities(share.backend.directoryTimesMove() ? List.of(DIR_TIMES_MOVE) : List.of())
                    .setBackend(share.backend.kind())
                    .setServerUnixNanos(now)
                    .build();
        });
    }
}
