package dev.fsdriver.server;

import dev.fsdriver.common.Errno;
import dev.fsdriver.proto.v1.SessionGrpc;
import dev.fsdriver.protocol.Protocol;
import dev.fsdriver.protocol.StatusCodec;
import dev.fsdriver.server.events.Origins;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every call passes here first: the token (if the server has any) must match one of them,
 * each compared in constant time, else UNAUTHENTICATED and nothing is served. The client's
 * name (its named token's, else its TLS certificate's subject CN) decides which shares it sees
 * ({@link ClientView} in {@link CallContext#VIEW}); the "fsdriver-share" header is resolved
 * into {@link CallContext#SHARE} (unknown or hidden share: the same NOT_FOUND / ENOENT),
 * "fsdriver-read-only" (or a read-only allow rule) into {@link CallContext#READ_ONLY}.
 * "fsdriver-session" counts only when it names a session bound to this call's connection
 * ({@link Sessions}): then the session is the call's handle owner and its
 * {@link Origins#SESSION}; otherwise the call has no session and its connection owns its handles.
 */
final class ServerAuth implements ServerInterceptor {
    private static final Logger LOG = LoggerFactory.getLogger(ServerAuth.class);
    private static final Pattern CN = Pattern.compile("(?i)(?:^|,)\\s*CN=([^,]+)");

    /** "Bearer <token>" -> client name ("" for the unnamed --token-file token); empty: no auth. */
    private final Map<byte[], String> expected = new LinkedHashMap<>();
    private final Map<String, Share> shares;
    private final ShareAccess access;
    private final Sessions sessions;

    ServerAuth(String token, Map<String, String> clientTokens, Map<String, Share> shares, ShareAccess access,
               Sessions sessions) {
        if (token != null) {
            expected.put(bearer(token), "");
        }
        clientTokens.forEach((name, t) -> expected.put(bearer(t), name));
        this.shares = shares;
        this.access = access;
        this.sessions = sessions;
    }

    private static byte[] bearer(String token) {
        return ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String client = null;
        if (!expected.isEmpty()) {
            String given = headers.get(Protocol.AUTHORIZATION);
            byte[] g = given == null ? new byte[0] : given.getBytes(StandardCharsets.UTF_8);
            String matched = null;
            for (Map.Entry<byte[], String> e : expected.entrySet()) { // every one compared: no early exit
                if (MessageDigest.isEqual(e.getKey(), g)) {
                    matched = e.getValue();
                }
            }
            if (matched == null) {
                call.close(Status.UNAUTHENTICATED.withDescription("invalid or missing token"), new Metadata());
                return new ServerCall.Listener<>() {};
            }
            client = matched.isEmpty() ? null : matched;
        }
        if (client == null) {
            client = certificateName(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
        }
        ClientView view = new ClientView(client, shares, access);
        Context ctx = Context.current().withValue(CallContext.VIEW, view);
        String name = headers.get(Protocol.SHARE);
        boolean readOnly = false;
        if (name != null) {
            Share share = view.share(name);
            if (share == null) { // missing or hidden from this client: the same answer
                StatusRuntimeException e = StatusCodec.toStatus(Errno.ENOENT, "unknown share '" + name + "'");
                call.close(e.getStatus(), e.getTrailers() == null ? new Metadata() : e.getTrailers());
                return new ServerCall.Listener<>() {};
            }
            ctx = ctx.withValue(CallContext.SHARE, share);
            readOnly = view.readOnly(name);
        }
        String ro = headers.get(Protocol.READ_ONLY);
        if (readOnly || (ro != null && (ro.equals("1") || ro.equalsIgnoreCase("true")))) {
            ctx = ctx.withValue(CallContext.READ_ONLY, Boolean.TRUE);
        }
        Sessions.Conn conn = call.getAttributes().get(Sessions.CONN);
        ctx = ctx.withValue(CallContext.CONN, conn);
        String sessionId = headers.get(Protocol.SESSION);
        Sessions.Session session = sessions.find(sessionId, conn);
        if (session == null && sessions.boundElsewhere(sessionId, conn)
                && !SessionGrpc.SERVICE_NAME.equals(call.getMethodDescriptor().getServiceName())) {
            Metadata trailers = new Metadata();
            trailers.put(Protocol.SESSION_ELSEWHERE, "1");
            call.close(Status.UNAVAILABLE.withDescription("the session is bound to another connection: say Hello"
                    + " with its resume key"), trailers);
            return new ServerCall.Listener<>() {};
        }
        if (session != null) {
            ctx = ctx.withValue(Origins.SESSION, session.origin).withValue(CallContext.OWNER, session);
        } else if (conn != null) {
            // No session here (none sent, or one of an earlier server):
            // served all the same; the call's handles are its connection's, its changes everybody's.
            ctx = ctx.withValue(CallContext.OWNER, conn);
        }
        return Contexts.interceptCall(ctx, call, headers, next);
    }

    /** The subject CN of the client's certificate (mutual TLS), or null. */
    static String certificateName(SSLSession tls) {
        if (tls == null) {
            return null;
        }
        try {
            Certificate[] chain = tls.getPeerCertificates();
            if (chain.length == 0 || !(chain[0] instanceof X509Certificate x)) {
                return null;
            }
            Matcher m = CN.matcher(x.getSubjectX500Principal().getName());
            return m.find() ? m.group(1).trim() : null;
        } catch (SSLPeerUnverifiedException e) {
            return null; // TLS without a client certificate
        } catch (RuntimeException e) {
            LOG.debug("client certificate unreadable: {}", e.toString());
            return null;
        }
    }
}
