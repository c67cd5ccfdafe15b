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
 * "fsdriver-read-only" into {@link CallContext#READ_ONLY}, "fsdriver-session" (hex) into
 * {@link Origins#SESSION}.
 */
final class ServerAuth implements ServerInterceptor {
    private final byte[] expected; // "Bearer <token>", or null: no auth
    private final Map<String, Share> shares;

    ServerAuth(String token, Map<String, Share> shares) {
        this.expected = token == null ? null : ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
        this.shares = shares;
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
        String session = headers.get(Protocol.SESSION);
        if (session != null) {
            try {
                ctx = ctx.withValue(Origins.SESSION, Long.parseUnsignedLong(session, 16));
            } catch (NumberFormatException e) {
                // not ours to refuse: without a session the client merely gets its own echoes
            }
        }
        return Contexts.interceptCall(ctx, call, headers, next);
    }
}
