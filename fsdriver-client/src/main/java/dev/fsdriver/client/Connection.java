package dev.fsdriver.client;

import dev.fsdriver.common.Errno;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.proto.v1.EventsGrpc;
import dev.fsdriver.proto.v1.FilesGrpc;
import dev.fsdriver.proto.v1.HelloReply;
import dev.fsdriver.proto.v1.HelloRequest;
import dev.fsdriver.proto.v1.SessionGrpc;
import dev.fsdriver.protocol.Protocol;
import dev.fsdriver.protocol.StatusCodec;
import dev.fsdriver.protocol.TlsFailure;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.stub.MetadataUtils;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One gRPC channel to a server, bound to one share: every call carries the "fsdriver-share"
 * and (with a token) "authorization: Bearer" headers and a deadline, and fails fast (no
 * waitForReady) so a server that is down makes calls fail quickly instead of hanging.
 *
 * <p>{@link #failure(Throwable)} is the client's one translation point from a failed call to
 * an errno. When it sees the server unreachable it resets the channel's reconnect back-off, so
 * the next call tries to connect at once and the mount works again as soon as the server is
 * back; the session is re-established (Hello) lazily before the next call.
 *
 * <p>Thread-safe: stubs are made per call (cheap), the channel is shared.
 */
public final class Connection implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Connection.class);

    private final String address;
    private final String share;
    private final ManagedChannel channel;
    private final Channel calls;
    private final FilesCalls filesCalls;
    private final EventLoopGroup eventLoops;
    private final ClientOptions options;
    /** Set when a call found the server unreachable; the next call says Hello first. */
    private final boolean readOnly;
    private volatile boolean lost;
    /** The server process that answered last ({@link Protocol#INSTANCE}), 0 before the first answer. */
    private volatile long instance;
    /**
     * The session the server issued in the last Hello (null before it), sent as "fsdriver-session":
     * the server sends the Watch stream no events of the changes made through this mount, and
     * keeps the handles opened under it for it alone. {@link #resumeKey} lets a Hello on a new
     * connection (after a network drop) keep the same session, and so the open handles.
     */
    private volatile String session;
    private volatile String resumeKey = "";
    /** Whether the channel speaks TLS, and shows a client certificate (for the words of a failed Hello). */
    private final boolean tls;
    private final boolean tlsClientCert;
    private final ClientCounters counters = new ClientCounters();

    private Connection(String address, String share, String token, boolean readOnly, ManagedChannel channel,
                       EventLoopGroup eventLoops, ClientOptions options, ClientTls tls) {
        this.address = address;
        this.tls = tls != null;
        this.tlsClientCert = tls != null && tls.cert() != null;
        this.share = share;
        this.readOnly = readOnly;
        this.channel = channel;
        this.eventLoops = eventLoops;
        this.options = options;
        Metadata headers = new Metadata();
        headers.put(Protocol.SHARE, share);
        if (token != null) {
            headers.put(Protocol.AUTHORIZATION, "Bearer " + token);
        }
        if (readOnly) {
            headers.put(Protocol.READ_ONLY, "1");
        }
        // The session the server issued in Hello goes with every later call (see sessionHeader).
        Channel intercepted = ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers),
                new SessionHeader(), new InstanceWatch(), counters.interceptor());
        // outermost (called first): a span covers the whole call, and its context goes in the headers
        this.calls = options.tracing() == null ? intercepted : ClientInterceptors.intercept(intercepted, options.tracing());
        this.filesCalls = new FilesCalls(FilesGrpc.newFutureStub(calls), options.callDeadline().toNanos(), this::resumeHere);
    }

    /**
     * A channel to {@code address} ("tcp://HOST:PORT", "HOST:PORT" or "unix:///path.sock").
     * Does not connect yet; {@link #hello} does. {@code readOnly} asks for a read-only session:
     * the server then refuses every mutation (EROFS), whatever the share allows.
     *
     * @throws IllegalArgumentException when the address cannot be parsed
     */
    public static Connection open(String address, String share, String token, boolean readOnly,
                                  ClientOptions options) {
        return open(address, share, token, readOnly, options, null);
    }

    /** As {@link #open(String, String, String, boolean, ClientOptions)}, over TLS when {@code tls} is not null. */
    public static Connection open(String address, String share, String token, boolean readOnly,
                                  ClientOptions options, ClientTls tls) {
        EventLoopGroup loops = null;
        NettyChannelBuilder builder;
        if (address.startsWith("unix://")) {
            String path = address.substring("unix://".length());
            if (path.isEmpty() || !path.startsWith("/")) {
                throw new IllegalArgumentException("unix address needs an absolute path (unix:///path.sock): " + address);
            }
            loops = new EpollEventLoopGroup(2);
            builder = NettyChannelBuilder.forAddress(new DomainSocketAddress(path))
                    .eventLoopGroup(loops)
                    .channelType(EpollDomainSocketChannel.class);
        } else {
            String hostPort = address.startsWith("tcp://") ? address : "tcp://" + address;
            URI uri;
            try {
                uri = new URI(hostPort);
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("bad server address '" + address + "': " + e.getMessage(), e);
            }
            if (uri.getHost() == null || uri.getPort() < 0 || !"tcp".equals(uri.getScheme())
                    || (uri.getPath() != null && !uri.getPath().isEmpty())) {
                throw new IllegalArgumentException(
                        "bad server address '" + address + "' (expected tcp://HOST:PORT or unix:///path)");
            }
            builder = tls == null ? NettyChannelBuilder.forAddress(uri.getHost(), uri.getPort()).usePlaintext()
                    : NettyChannelBuilder.forAddress(uri.getHost(), uri.getPort(), tls.credentials());
        }
        if (loops != null) {
            if (tls != null) {
                throw new IllegalArgumentException("TLS is for tcp:// servers (a unix socket is protected by its file mode)");
            }
            builder.usePlaintext();
        }
        ManagedChannel channel = builder
                // Async completions (read-ahead, write-behind, forget) only record a result and wake a
                // waiter: run them on the transport thread instead of handing each to a pool thread.
                .directExecutor()
                .maxInboundMessageSize(Protocol.MAX_MESSAGE_BYTES)
                // Pings only while calls are active: notices a vanished server host; the server's
                // default keep-alive policy (5 min) tolerates pings this rare.
                .keepAliveTime(30, TimeUnit.SECONDS)
                .keepAliveTimeout(10, TimeUnit.SECONDS)
                .build();
        return new Connection(address, share, token, readOnly, channel, loops, options, tls);
    }

    /** A connection over a channel built elsewhere (tests: in-process). Closing it shuts the channel down. */
    public static Connection over(ManagedChannel channel, String address, String share, String token,
                                  boolean readOnly, ClientOptions options) {
        return new Connection(address, share, token, readOnly, channel, null, options, null);
    }

    /** The channel with this connection's headers (share, token) attached, for streams of other services. */
    public Channel channel() {
        return calls;
    }

    /** Calls, reconnects and the requests answered locally or by the server (for metrics). */
    /**
     * For {@code fsdriver status}: "reconnecting" after a call found the server gone (the next call
     * says Hello again), else the channel's state: "connected", "idle", "connecting", "unreachable".
     */
    public String state() {
        if (lost) {
            return "reconnecting";
        }
        return switch (channel.getState(false)) {
            case READY -> "connected";
            case IDLE -> "idle";
            case CONNECTING -> "connecting";
            case TRANSIENT_FAILURE -> "unreachable";
            case SHUTDOWN -> "closed";
        };
    }

    public ClientCounters counters() {
        return counters;
    }

    public String address() {
        return address;
    }

    public String share() {
        return share;
    }

    public ClientOptions options() {
        return options;
    }

    /** Says Hello: checks protocol version, share and token; the reply describes the share. */
    public HelloReply hello() throws HelloException {
        HelloRequest request = HelloRequest.newBuilder()
                .setProtocolVersion(Protocol.VERSION)
                .setShare(share)
                .setClientName(options.clientName())
                .setReadOnly(readOnly)
                .setResumeKey(resumeKey)
                .build();
        HelloReply reply;
        try {
            reply = SessionGrpc.newBlockingStub(calls)
                    .withDeadlineAfter(options.callDeadline().toMillis(), TimeUnit.MILLISECONDS)
                    .hello(request);
        } catch (StatusRuntimeException e) {
            throw helloFailure(e);
        }
        if (reply.getProtocolVersion() != Protocol.VERSION) {
            throw new HelloException(HelloException.Reason.INCOMPATIBLE, "server " + address
                    + " speaks protocol version " + reply.getProtocolVersion() + ", this client " + Protocol.VERSION,
                    null);
        }
        session = reply.getSession().isEmpty() ? null : reply.getSession();
        resumeKey = reply.getResumeKey();
        lost = false;
        return reply;
    }

    private HelloException helloFailure(StatusRuntimeException e) {
        Status status = e.getStatus();
        String tlsWords = tlsFailure(e);
        if (tlsWords != null) {
            return new HelloException(HelloException.Reason.TLS, tlsWords, e);
        }
        return switch (status.getCode()) {
            case UNAVAILABLE -> new HelloException(HelloException.Reason.UNREACHABLE,
                    "cannot reach server " + address + ": " + transportReason(e), e);
            case DEADLINE_EXCEEDED -> new HelloException(HelloException.Reason.UNREACHABLE,
                    "cannot reach server " + address + ": no answer within " + options.callDeadline().toSeconds() + " s", e);
            case NOT_FOUND -> new HelloException(HelloException.Reason.NO_SUCH_SHARE,
                    "server has no share named '" + share + "'", e);
            case UNAUTHENTICATED -> new HelloException(HelloException.Reason.UNAUTHENTICATED,
                    "server refused the token (wrong or missing --token-file)", e);
            case UNIMPLEMENTED -> new HelloException(HelloException.Reason.INCOMPATIBLE,
                    "server " + address + " does not speak the fsdriver protocol", e);
            default -> new HelloException(HelloException.Reason.FAILED, "server " + address + " refused the mount: "
                    + status.getCode() + (status.getDescription() == null ? "" : " (" + status.getDescription() + ")"), e);
        };
    }

    /**
     * One line for a failed TLS handshake: which side refused which certificate and why, or
     * null when {@code e} is no TLS failure.
     */
    private String tlsFailure(StatusRuntimeException e) {
        TlsFailure.Cause cause = TlsFailure.of(e);
        if (cause == null && !tls && e.getStatus().getCode() == Status.Code.UNAVAILABLE) {
            cause = TlsFailure.plaintextRefused(e); // a TLS server's answer to our plaintext
            if (cause == null && "Network closed for unknown reason".equals(e.getStatus().getDescription())) {
                // a TLS server (BoringSSL) drops a plaintext client without a word; a plaintext
                // server would have answered HTTP/2 (its log says "it speaks plaintext")
                return "TLS: server " + address + " closed the connection of this plaintext client at once: "
                        + "it most likely requires TLS (give --tls-ca)";
            }
        }
        if (cause == null && tlsClientCert && String.valueOf(tlsText(e)).contains("alert_internal_error")) {
            // BoringSSL answers a client certificate its trust manager refuses (other than
            // expired) with internal_error; the server's log says exactly why
            return "TLS: server " + address + " refused this client's certificate: not signed by a CA the server trusts "
                    + "(unknown CA; TLS alert internal_error, the server's log says why)";
        }
        if (cause == null) {
            return null;
        }
        return switch (cause) {
            case PEER_UNKNOWN_CA, PEER_EXPIRED, PEER_NOT_YET_VALID, PEER_WRONG_HOST ->
                    "TLS: this client refused the certificate of server " + address + ": " + cause.words();
            case TLS_MISMATCH -> tls
                    ? "TLS: server " + address + " does not speak TLS (plaintext server; drop --tls-ca, or give the server --tls-cert)"
                    : "TLS: server " + address + " requires TLS and refused this plaintext client (give --tls-ca)";
            case WE_SENT_NO_CERTIFICATE, PEER_NO_CERTIFICATE ->
                    "TLS: server " + address + " refused this client: it requires a client certificate and got none "
                            + "(no client certificate; give --tls-cert and --tls-key)";
            case OUR_UNKNOWN_CA -> "TLS: server " + address + " refused this client's certificate: "
                    + "not signed by a CA the server trusts (unknown CA)";
            case OUR_EXPIRED -> "TLS: server " + address + " refused this client's certificate: it has expired";
            case OUR_BAD_CERTIFICATE -> "TLS: server " + address + " refused this client's certificate "
                    + "(bad certificate: expired, or not signed by the CA the server trusts)";
        };
    }

    private static String tlsText(Throwable t) {
        StringBuilder b = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            b.append(c.getMessage()).append('\n');
        }
        return b.toString().toLowerCase(java.util.Locale.ROOT);
    }

    /** "connection refused", "no such file or directory", ...: the innermost cause's words. */
    private static String transportReason(Throwable t) {
        String last = null;
        for (Throwable c = t.getCause(); c != null; c = c.getCause()) {
            if (c instanceof ConnectException && c.getMessage() != null && c.getMessage().contains("refused")) {
                return "connection refused";
            }
            if (c instanceof java.io.FileNotFoundException) {
                return "no such socket";
            }
            if (c.getMessage() != null) {
                last = c.getMessage();
            }
        }
        if (last == null) {
            Status s = Status.fromThrowable(t);
            last = s.getDescription() == null ? "unavailable" : s.getDescription();
        }
        String lower = last.toLowerCase();
        if (lower.contains("refused")) {
            return "connection refused";
        }
        if (lower.contains("no such file")) {
            return "no such socket";
        }
        return last;
    }

    /**
     * The server process that answered last: another value than a handle was opened under means
     * the server restarted and the handle is gone (see {@link Reopener}). 0 before any answer.
     */
    long instance() {
        return instance;
    }

    /** Reads {@link Protocol#INSTANCE} from every answer (headers, or trailers of a call that failed at once). */
    private final class InstanceWatch implements ClientInterceptor {
        @Override
        public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
            return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
                @Override
                public void start(Listener<R> listener, Metadata headers) {
                    super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
                        @Override
                        public void onHeaders(Metadata h) {
                            saw(h);
                            super.onHeaders(h);
                        }

                        @Override
                        public void onClose(Status status, Metadata trailers) {
                            saw(trailers);
                            if (trailers != null && trailers.containsKey(Protocol.SESSION_ELSEWHERE)) {
                                lost = true; // refused, not executed: the next call says Hello first
                            }
                            super.onClose(status, trailers);
                        }
                    }, headers);
                }
            };
        }

        private void saw(Metadata md) {
            String v = md == null ? null : md.get(Protocol.INSTANCE);
            if (v == null) {
                return;
            }
            long id;
            try {
                id = Long.parseUnsignedLong(v, 16);
            } catch (NumberFormatException e) {
                return;
            }
            long before = instance;
            if (id != before) {
                instance = id;
                if (before != 0) {
                    lost = true; // a new session (Hello) before the next call: the old one died with the server
                    log.info("server {} restarted: open files are reopened on their next use", address);
                }
            }
        }
    }

    /** The server refused a call because the session is on the connection the channel had before: say Hello here. */
    private void resumeHere() {
        lost = true;
        ensureSession();
    }

    /** Files calls to wait for, with this connection's deadline. */
    FilesCalls files() {
        ensureSession();
        return filesCalls;
    }

    /** A future Files stub with this connection's deadline (read-ahead, write-behind, forget). */
    FilesGrpc.FilesFutureStub filesAsync() {
        ensureSession();
        return FilesGrpc.newFutureStub(calls)
                .withDeadlineAfter(options.callDeadline().toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Adds the current session's "fsdriver-session" header to every call (none before the first Hello). */
    private final class SessionHeader implements io.grpc.ClientInterceptor {
        @Override
        public <Q, R> io.grpc.ClientCall<Q, R> interceptCall(io.grpc.MethodDescriptor<Q, R> method,
                                                             io.grpc.CallOptions options, Channel next) {
            return new io.grpc.ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
                @Override
                public void start(Listener<R> listener, Metadata headers) {
                    if (method.getServiceName().equals(EventsGrpc.SERVICE_NAME)) {
                        ensureSession(); // a Watch (re)started after a reconnect goes under the resumed session
                    }
                    String s = session;
                    if (s != null) {
                        headers.put(Protocol.SESSION, s);
                    }
                    super.start(listener, headers);
                }
            };
        }
    }

    /** The Hello under way after the server was unreachable (null: none), see {@link #ensureSession}. */
    private CompletableFuture<Void> helloUnderWay;

    /**
     * After the server was unreachable, say Hello again before the next call (errors surface in
     * that call). One Hello at a time; the other callers wait for that one, not for a turn of
     * their own: in turns, each a deadline long while the server stayed away (stopped, or a
     * black hole), 40 writers and every other request queued up for minutes, a wedged mount
     * (issue 9, PausedServerEndToEndTest).
     */
    private void ensureSession() {
        if (!lost) {
            return;
        }
        CompletableFuture<Void> mine = null;
        CompletableFuture<Void> other;
        synchronized (this) {
            if (!lost) {
                return;
            }
            other = helloUnderWay;
            if (other == null) {
                helloUnderWay = mine = new CompletableFuture<>();
            }
        }
        if (mine == null) {
            try {
                other.get(); // ends within its Hello's deadline
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException e) {
                // not thrown: the Hello's outcome is in lost
            }
            return;
        }
        try {
            hello();
            counters.reconnected();
            log.info("reconnected to {} (share {})", address, share);
        } catch (HelloException e) {
            log.debug("hello after reconnect failed: {}", e.getMessage());
        } catch (RuntimeException e) {
            log.warn("hello after reconnect failed", e);
        } finally {
            synchronized (this) {
                helloUnderWay = null;
            }
            mine.complete(null);
        }
    }

    /**
     * True when {@code t} says the call may not have reached the server because the server or the
     * connection was away: no answer in time, unavailable, or the transport closed under the call
     * (grpc-netty reports a write on a closed channel as UNKNOWN "channel closed"). An idempotent
     * call (a Write of the same bytes at the same offset) may then be sent again.
     */
    static boolean unreachable(Throwable t) {
        Status.Code code = Status.fromThrowable(t).getCode();
        if (code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED) {
            return true;
        }
        if (code != Status.Code.UNKNOWN) {
            return false;
        }
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof ClosedChannelException) {
                return true;
            }
        }
        return false;
    }

    /**
     * The one translation of a failed call into the errno the kernel gets. Unwraps future
     * wrappers; a server gone makes the channel retry connecting right away on the next call.
     */
    FuseException failure(Throwable t) {
        while ((t instanceof ExecutionException || t instanceof CompletionException) && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof FuseException fe) {
            return fe;
        }
        if (t instanceof InterruptedException || t instanceof CancellationException) {
            return new FuseException(Errno.EINTR);
        }
        if (t instanceof ClosedChannelException) {
            return new FuseException(Errno.ENOTCONN, "connection closed");
        }
        Status status = Status.fromThrowable(t);
        if (unreachable(t) && status.getCode() == Status.Code.UNKNOWN) {
            lost = true; // grpc's "channel closed": the transport went away under the call
            channel.resetConnectBackoff();
            return new FuseException(Errno.ENOTCONN, status.getDescription());
        }
        if (status.getCode() == Status.Code.UNKNOWN && !(t instanceof StatusRuntimeException)
                && !(t instanceof io.grpc.StatusException)) {
            log.warn("unexpected client failure", t);
            return new FuseException(Errno.EIO, String.valueOf(t));
        }
        int errno = StatusCodec.toErrno(t);
        if (FilesCalls.sessionElsewhere(t)) {
            log.info("server {} holds the session on this channel's earlier connection: saying Hello again", address);
            lost = true;
        } else if (status.getCode() == Status.Code.UNAVAILABLE || status.getCode() == Status.Code.DEADLINE_EXCEEDED) {
            if (!lost) {
                log.warn("server {} unreachable: {}", address, status.getCode());
            }
            lost = true;
            channel.resetConnectBackoff();
        } else if (errno == Errno.EIO) {
            log.warn("call failed: {} {}", status.getCode(), status.getDescription());
        }
        return new FuseException(errno <= 0 ? Errno.EIO : errno, status.getDescription());
    }

    @Override
    public void close() {
        channel.shutdownNow();
        try {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (eventLoops != null) {
            eventLoops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }
}
