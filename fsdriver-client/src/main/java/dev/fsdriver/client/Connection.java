package dev.fsdriver.client;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.proto.v1.FilesGrpc;
import dev.fsdriver.proto.v1.HelloReply;
import dev.fsdriver.proto.v1.HelloRequest;
import dev.fsdriver.proto.v1.SessionGrpc;
import dev.fsdriver.protocol.Protocol;
import io.grpc.Channel;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.Codec;
import io.grpc.DecompressorRegistry;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.stub.MetadataUtils;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.IntConsumer;
import java.util.function.Supplier;

/**
 * One gRPC channel to a server, bound to one share: every call carries the "fsdriver-share"
 * and (with a token) "authorization: Bearer" headers and a deadline, and fails fast (no
 * waitForReady) so a server that is down makes calls fail quickly instead of hanging.
 *
 * <p>It owns the channel and its interceptors; the session on it is {@link ClientSession}'s
 * (re-established by a Hello before the next call once lost), and what a failed call means is
 * {@link CallFailures}'s, the client's one translation point from a failed call to an errno
 * (through {@link #call} for a call waited for, {@link #start} and {@link #whenAnswered} for a
 * call answered later, {@link #await} for one started earlier); a failed Hello's words are
 * {@link HelloFailures}'.
 *
 * <p>Thread-safe: stubs are made per call (cheap), the channel is shared; no lock of its own.
 */
public final class Connection implements AutoCloseable {
    private final String address;
    private final String share;
    private final ManagedChannel channel;
    private final Channel calls;
    private final FilesCalls filesCalls;
    /** The calls started without waiting, their deadline kept by {@link #deadlines}. */
    private final FilesGrpc.FilesFutureStub filesAsync;
    private final SweptDeadlines deadlines;
    private final EventLoopGroup eventLoops;
    private final ClientOptions options;
    private final boolean readOnly;
    private final ClientSession session;
    private final CallFailures failures;
    private final HelloFailures helloFailures;
    private final ClientCounters counters = new ClientCounters();

    private Connection(String address, String share, String token, boolean readOnly, ManagedChannel channel,
                       EventLoopGroup eventLoops, ClientOptions options, ClientTls tls) {
        this.address = address;
        this.share = share;
        this.readOnly = readOnly;
        this.channel = channel;
        this.eventLoops = eventLoops;
        this.options = options;
        this.session = new ClientSession(address, share, counters, this::hello);
        this.failures = new CallFailures(address, channel, session);
        this.helloFailures = new HelloFailures(address, share, options.callDeadline(), tls != null,
                tls != null && tls.cert() != null);
        Metadata headers = new Metadata();
        headers.put(Protocol.SHARE, share);
        if (token != null) {
            headers.put(Protocol.AUTHORIZATION, "Bearer " + token);
        }
        if (readOnly) {
            headers.put(Protocol.READ_ONLY, "1");
        }
        this.deadlines = new SweptDeadlines(options.callDeadline().toNanos());
        this.calls = intercepted(channel, headers, null);
        this.filesCalls = new FilesCalls(FilesGrpc.newFutureStub(calls), options.callDeadline().toNanos(), session::resumeHere);
        // the sweeper innermost: what is above it (counters, the instance watch, a span) sees the
        // DEADLINE_EXCEEDED it closes an expired call with
        this.filesAsync = FilesGrpc.newFutureStub(intercepted(channel, headers, deadlines));
    }

    /** {@code channel} with this connection's interceptors, {@code innermost} (if any) below them. */
    private Channel intercepted(ManagedChannel channel, Metadata headers, ClientInterceptor innermost) {
        Channel below = innermost == null ? channel : ClientInterceptors.intercept(channel, innermost);
        // The session the server issued in Hello goes with every later call (see ClientSession#header).
        Channel intercepted = ClientInterceptors.intercept(below, MetadataUtils.newAttachHeadersInterceptor(headers),
                session.header(), session.instanceWatch(), counters.interceptor());
        // outermost (called first): a span covers the whole call, and its context goes in the headers
        return options.tracing() == null ? intercepted : ClientInterceptors.intercept(intercepted, options.tracing());
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
                // Nothing is compressed (file data goes as it is): identity only, not advertised, so
                // no grpc-accept-encoding header on every call.
                .decompressorRegistry(DecompressorRegistry.emptyInstance().with(Codec.Identity.NONE, false))
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

    /**
     * For {@code fsdriver status}: "reconnecting" after a call found the server gone (the next call
     * says Hello again), else the channel's state: "connected", "idle", "connecting", "unreachable".
     */
    public String state() {
        if (session.isLost()) {
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

    /** Calls, reconnects and the requests answered locally or by the server (for metrics). */
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
                .setResumeKey(session.resumeKey())
                .build();
        HelloReply reply;
        try {
            reply = SessionGrpc.newBlockingStub(calls)
                    .withDeadlineAfter(options.callDeadline().toMillis(), TimeUnit.MILLISECONDS)
                    .hello(request);
        } catch (StatusRuntimeException e) {
            throw helloFailures.of(e);
        }
        if (reply.getProtocolVersion() != Protocol.VERSION) {
            throw new HelloException(HelloException.Reason.INCOMPATIBLE, "server " + address
                    + " speaks protocol version " + reply.getProtocolVersion() + ", this client " + Protocol.VERSION,
                    null);
        }
        session.established(reply);
        return reply;
    }

    /** See {@link ClientSession#onNewInstance}. */
    void onNewInstance(Runnable changed, EventsLink.HelloClock clock) {
        session.onNewInstance(changed, clock);
    }

    /**
     * The server process that answered last: another value than a handle was opened under means
     * the server restarted and the handle is gone (see {@link Reopener}). 0 before any answer.
     */
    long instance() {
        return session.instance();
    }

    /** Files calls to wait for, with this connection's deadline. */
    FilesCalls files() {
        session.ensure();
        return filesCalls;
    }

    /**
     * The future Files stub, each call bounded by this connection's deadline (answer-later
     * lookups, read-ahead, write-behind, forget; see {@link SweptDeadlines}).
     */
    FilesGrpc.FilesFutureStub filesAsync() {
        session.ensure();
        return filesAsync;
    }

    /**
     * A Files call to wait for, its failure translated ({@link #failure}): the shape of every
     * call, {@code connection.call(f -> f.readlink(request))}.
     */
    <T> T call(Function<FilesCalls, T> call) throws FuseException {
        try {
            return call.apply(files());
        } catch (RuntimeException e) {
            throw failure(e);
        }
    }

    /** {@link #call(Function)}, running {@code undo} first when the call fails. */
    <T> T call(Function<FilesCalls, T> call, Runnable undo) throws FuseException {
        try {
            return call.apply(files());
        } catch (RuntimeException e) {
            undo.run();
            throw failure(e);
        }
    }

    /**
     * Waits for a call started earlier (read-ahead, write-behind) or for work it completes: its
     * failure translated ({@link #failure}), an interrupt EINTR ({@link #interrupted}).
     */
    <T> T await(Future<T> call) throws FuseException {
        try {
            return call.get();
        } catch (InterruptedException e) {
            throw interrupted(e);
        } catch (ExecutionException e) {
            throw failure(e);
        }
    }

    /** A wait interrupted: EINTR for the kernel, the thread's interrupt status kept for its caller. */
    FuseException interrupted(InterruptedException e) {
        Thread.currentThread().interrupt();
        return failure(e);
    }

    /**
     * The one translation of a failed call into the errno the kernel gets (see {@link CallFailures}).
     * A call is made through {@link #call}, {@link #start}, {@link #whenAnswered} or {@link #await},
     * which translate here; only code that needs the call's own Throwable besides its errno (whether
     * it may not have reached the server: {@link ChunkOutcomes}, {@link OpenFiles}' release
     * batches) calls this directly.
     */
    FuseException failure(Throwable t) {
        return failures.failure(t);
    }

    /** Starts a call; a failure to start it is the errno the kernel gets at once. */
    <T> ListenableFuture<T> start(Supplier<ListenableFuture<T>> start) throws FuseException {
        try {
            return start.get();
        } catch (RuntimeException e) {
            throw failure(e);
        }
    }

    /**
     * Runs {@code answered} with the call's reply, or {@code failed} with its errno, on the thread
     * that ends the call (the transport's: what runs there must not wait for another call).
     */
    <T> void whenAnswered(ListenableFuture<T> call, Consumer<T> answered, IntConsumer failed) {
        Futures.addCallback(call, new FutureCallback<T>() {
            @Override
            public void onSuccess(T reply) {
                answered.accept(reply);
            }

            @Override
            public void onFailure(Throwable t) {
                failed.accept(failure(t).errno());
            }
        }, MoreExecutors.directExecutor());
    }

    @Override
    public void close() {
        deadlines.close();
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
