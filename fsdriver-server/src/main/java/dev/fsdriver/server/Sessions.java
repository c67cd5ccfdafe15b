package dev.fsdriver.server;

import io.grpc.Attributes;
import io.grpc.Grpc;
import io.grpc.ServerTransportFilter;
import java.net.SocketAddress;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's sessions: issued by Hello, each bound to the connection (gRPC transport) the
 * Hello came on. A call is served under a session only when it presents that session's id on
 * that connection; anywhere else the id means nothing and the call is served without one (its
 * handles then belong to its connection, its changes are everybody's events). So a client
 * cannot act as another client's session (use its handles, or have its own changes withheld
 * from that client) by sending its id.
 *
 * <p>Ids and resume keys are 128 random bits from {@link SecureRandom}. The resume key goes to
 * the client once, in the HelloReply, and comes back only in a Hello on a new connection (after
 * a network drop the server may not have noticed yet): that Hello takes the session over, the
 * old connection loses it. Once the server has seen a session's connection close, the next
 * connection presenting the id takes the session (a channel that reconnected by itself). A session
 * is for the life of this server instance; a restarted server knows none (the client's Hello
 * then starts a new one). Sessions whose connection closed and that were not resumed within
 * {@link #RESUME_WINDOW_NANOS} are dropped, and their handles closed.
 *
 * <p>Thread-safe: concurrent maps; a session's connection is a volatile field. Resume and
 * expiry each hold the session's own monitor, so a session is never resumed and dropped at once.
 */
final class Sessions {
    private static final Logger LOG = LoggerFactory.getLogger(Sessions.class);
    /** How long a session outlives its connection, waiting to be resumed. */
    static final long RESUME_WINDOW_NANOS = 10L * 60 * 1_000_000_000;

    /** The transport attribute naming a call's connection (set by {@link #filter()}). */
    static final Attributes.Key<Conn> CONN = Attributes.Key.create("fsdriver-connection");

    /** One accepted connection. Identity is the object; {@code remote} is for logs. */
    static final class Conn {
        final SocketAddress remote;
        volatile long closedAtNanos; // 0: open

        Conn(SocketAddress remote) {
            this.remote = remote;
        }

        boolean open() {
            return closedAtNanos == 0;
        }

        @Override
        public String toString() {
            return "connection from " + remote;
        }
    }

    /** A session; owns the handles opened under it. {@code origin} is its id for {@link dev.fsdriver.server.events.Origins}. */
    static final class Session {
        final String id;
        final String share;
        final long origin;
        private final byte[] resumeKey;
        volatile Conn conn;

        private Session(String id, String share, long origin, byte[] resumeKey, Conn conn) {
            this.id = id;
            this.share = share;
            this.origin = origin;
            this.resumeKey = resumeKey;
            this.conn = conn;
        }

        String resumeKey() {
            return HexFormat.of().formatHex(resumeKey);
        }

        @Override
        public String toString() {
            return "session " + origin + " of share '" + share + "'";
        }
    }

    private final SecureRandom random = new SecureRandom();
    private final AtomicLong nextOrigin = new AtomicLong(1);
    private final ConcurrentHashMap<String, Session> byId = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Session> byResumeKey = new ConcurrentHashMap<>();
    /** Told when an owner (a closed connection, an expired session) can use no handle any more. */
    private final Consumer<Object> ownerGone;

    Sessions(Consumer<Object> ownerGone) {
        this.ownerGone = ownerGone;
    }

    /** Gives every accepted transport its {@link Conn}; a closed one lets its sessions expire. */
    ServerTransportFilter filter() {
        return new ServerTransportFilter() {
            @Override
            public Attributes transportReady(Attributes attrs) {
                return attrs.toBuilder().set(CONN, new Conn(attrs.get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR))).build();
            }

            @Override
            public void transportTerminated(Attributes attrs) {
                // null: the transport ended before it was ready (a port probe, a failed handshake)
                Conn c = attrs == null ? null : attrs.get(CONN);
                if (c != null) {
                    c.closedAtNanos = Math.max(1, System.nanoTime());
                    ownerGone.accept(c); // handles opened without a session on it
                }
            }
        };
    }

    /**
     * Hello on {@code conn}: resumes the session of {@code resumeKey} when it is one of this
     * server's for the same share (moving it to {@code conn}), else starts a new one.
     */
    Session hello(Conn conn, String share, String resumeKey) {
        expire();
        Session s = resumeKey.isEmpty() ? null : byResumeKey.get(resumeKey);
        if (s != null && s.share.equals(share)) {
            synchronized (s) {
                if (byId.get(s.id) == s) { // not expired meanwhile
                    Conn old = s.conn;
                    s.conn = conn;
                    LOG.info("{} resumed on {} (was on {})", s, conn, old);
                    return s;
                }
            }
        }
        byte[] id = new byte[16];
        byte[] key = new byte[16];
        random.nextBytes(id);
        random.nextBytes(key);
        s = new Session(HexFormat.of().formatHex(id), share, nextOrigin.getAndIncrement(), key, conn);
        byId.put(s.id, s);
        byResumeKey.put(s.resumeKey(), s);
        return s;
    }

    /**
     * The session {@code id} if it is bound to {@code conn}, or was bound to a connection that
     * has closed (it then moves to {@code conn}: the client's channel reconnected by itself, as
     * gRPC does after an idle timeout or a GOAWAY, without a failed call that would make it say
     * Hello); null otherwise: unknown, or bound to another open connection.
     */
    Session find(String id, Conn conn) {
        if (id == null || conn == null) {
            return null;
        }
        Session s = byId.get(id);
        if (s == null || s.conn == conn) {
            return s;
        }
        synchronized (s) {
            Conn old = s.conn;
            if (old.open() || byId.get(id) != s) {
                return null;
            }
            s.conn = conn;
            LOG.info("{} moved to {} ({} closed)", s, conn, old);
            return s;
        }
    }

    /**
     * True when {@code id} is a session bound to another connection than {@code conn} that is
     * still open: most likely the same client, whose channel reconnected before this server saw
     * the old connection close. Serving its calls without the session would make its handles
     * EBADF (and its held-back writes lost), so they are refused and the client says Hello with
     * its resume key, which only the session's own client has.
     */
    boolean boundElsewhere(String id, Conn conn) {
        Session s = id == null || conn == null ? null : byId.get(id);
        return s != null && s.conn != conn && s.conn.open();
    }

    int size() {
        return byId.size();
    }

    /** Sessions whose connection is open (the others wait to be resumed). */
    int connected() {
        int n = 0;
        for (Session s : byId.values()) {
            if (s.conn.open()) {
                n++;
            }
        }
        return n;
    }

    /** Drops sessions whose connection closed more than the resume window ago. */
    private void expire() {
        long now = System.nanoTime();
        for (Session s : byId.values()) {
            synchronized (s) {
                long closed = s.conn.closedAtNanos;
                if (closed == 0 || now - closed <= RESUME_WINDOW_NANOS || !byId.remove(s.id, s)) {
                    continue;
                }
                byResumeKey.remove(s.resumeKey(), s);
            }
            LOG.info("{}: not resumed within {} min of its connection closing; its handles are closed",
                    s, RESUME_WINDOW_NANOS / 60_000_000_000L);
            ownerGone.accept(s);
        }
    }
}
