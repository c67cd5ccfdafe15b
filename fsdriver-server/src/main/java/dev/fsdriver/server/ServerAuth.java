package dev.fsdriver.server;

import dev.fsdriver.common.Errno;
import dev.fsdriver.protocol.Protocol;
import dev.fsdriver.protocol.StatusCodec;
import dev.fsdriver.server.events.Origins;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;

/**
 * Every call passes here first: the token (if the server has one) must match, compared in
 * constant time, else UNAUTHENTICATED and nothing is served; then the "fsdriver-share" header
 * is resolved into {@link CallContext#SHARE} (unknown share: NOT_FOUND / ENOENT), and
 * "fsdriver-read-only" into {@link CallContext#READ_ONLY}. "fsdriver-session" counts only when
 * it names a session bound to this call's connection ({@link Sessions}): then the session is
 * the call's handle owner and its {@link Origins#SESSION}; otherwise the call has no session
 * and its connection owns its handles.
 */
final class ServerAuth implements ServerInterceptor {
    private final byte[] expected; // "Bearer <token>", or null: no auth
    private final Map<String, Share> shares;
    private final Sessions sessions;

    ServerAuth(String token, Map<String, Share> shares, Sessions sessions) {
        this.expected = token == null ? null : ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
        this.shares = shares;
        this.sessions = sessions;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        if (expected != null) {
            String given = headers.get(Protocol.AUTHORIZATION);
            byte[] g = given == null ? new byte[0] : given.getBytes(StandardCharsets.UTF_8);
            if (!MessageDigest.isEqual(expected, g)) {
                call.close(Status.UNAUTHENTICATED.withDescription("invalid or missing token"), new Metadata());
                return new ServerCall.Listener<>() {};
            }
        }
        Context ctx = Context.current();
        String name = headers.get(Protocol.SHARE);
        if (name != null) {
            Share share = shares.get(name);
            if (share == null) {
                StatusRuntimeException e = StatusCodec.toStatus(Errno.ENOENT, "unknown share '" + name + "'");
                call.close(e.getStatus(), e.getTrailers() == null ? new Metadata() : e.getTrailers());
                return new ServerCall.Listener<>() {};
            }
            ctx = ctx.withValue(CallContext.SHARE, share);
        }
        String ro = headers.get(Protocol.READ_ONLY);
        if (ro != null && (ro.equals("1") || ro.equalsIgnoreCase("true"))) {
            ctx = ctx.withValue(CallContext.READ_ONLY, Boolean.TRUE);
        }
        Sessions.Conn conn = call.getAttributes().get(Sessions.CONN);
        ctx = ctx.withValue(CallContext.CONN, conn);
        Sessions.Session session = sessions.find(headers.get(Protocol.SESSION), conn);
        if (session != null) {
            ctx = ctx.withValue(Origins.SESSION, session.origin).withValue(CallContext.OWNER, session);
        } else if (conn != null) {
            // No session here (none sent, or one of another connection, or of an earlier server):
            // served all the same; the call's handles are its connection's, its changes everybody's.
            ctx = ctx.withValue(CallContext.OWNER, conn);
        }
        return Contexts.interceptCall(ctx, call, headers, next);
    }
}
