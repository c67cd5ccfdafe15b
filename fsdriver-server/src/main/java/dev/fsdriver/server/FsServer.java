package dev.fsdriver.server;

import dev.fsdriver.backend.Backend;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.protocol.Protocol;
import dev.fsdriver.server.events.EventCounts;
import dev.fsdriver.server.events.EventHubs;
import dev.fsdriver.server.events.EventsService;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fsdriver gRPC server: serves shares (each a {@link Backend}) on one or more listeners
 * (TCP, Unix domain socket, or a caller-supplied {@link ServerBuilder} such as the in-process
 * transport). One {@link io.grpc.Server} per listener, all sharing the same services and tables.
 *
 * {@snippet :
 * FsServer server = FsServer.builder()
 *         .listen("tcp://127.0.0.1:7420")
 *         .listen("unix:///run/fsdriver.sock")
 *         .share("home", PosixBackend.open(dir, false), false)
 *         .token(token)               // null: no authentication
 *         .build();
 * server.start();
 * server.awaitTermination();
 * }
 */
public final class FsServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FsServer.class);
    /** Per-stream HTTP/2 window: a 1 MiB read reply fits several times over, for throughput. */
    private static final int FLOW_CONTROL_WINDOW = 8 << 20;

    private final List<String> listens;
    /** Names this process in every Session and Files answer (the client's restart detection). */
    private final InstanceHeader instance = new InstanceHeader();
    private final List<ServerBuilder<?>> extraBuilders;
    private final Map<String, Share> shares;
    private final String token;
    private final boolean allowSetId;
    /** Sessions of every share; an owner gone (connection closed, session expired) loses its handles. */
    private final Sessions sessions;
    private final TlsFiles tls;
    /** Outermost interceptor of every call (OpenTelemetry server spans, serve --otlp-endpoint), or null. */
    private final io.grpc.ServerInterceptor tracing;
    private final Map<String, String> clientTokens;
    private final ShareAccess access;
    private final List<Server> servers = new ArrayList<>();
    private final List<String> bound = new ArrayList<>();
    private final List<Path> socketFiles = new ArrayList<>();
    private final List<EventLoopGroup> groups = new ArrayList<>();
    /** Runs the bodies of data calls (reads, writes, fsync, listings) off the network threads. */
    private final ExecutorService io = Executors.newCachedThreadPool(
            Thread.ofPlatform().name("fsdriver-io-", 0).daemon().factory());
    private boolean started;
    private boolean closed;
    /** Change events (wip/events): one watcher + hub per share, shared by every listener. */
    private EventHubs events;
    /** Sends and overflows of the Watch streams of every listener. */
    private final EventCounts eventCounts = new EventCounts();
    private ServerMetrics metrics;

    private FsServer(Builder b) {
        this.listens = List.copyOf(b.listens);
        this.extraBuilders = List.copyOf(b.builders);
        this.shares = Collections.unmodifiableMap(new LinkedHashMap<>(b.shares));
        this.token = b.token;
        this.allowSetId = b.allowSetId;
        this.sessions = new Sessions(owner -> shares.values().forEach(s -> s.handles.closeOwnedBy(owner)));
        this.tls = b.tls;
        this.tracing = b.tracing;
        this.clientTokens = Map.copyOf(b.clientTokens);
        this.access = new ShareAccess(b.rules);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Configures an {@link FsServer}; every method may be called several times except token. */
    public static final class Builder {
        private final List<String> listens = new ArrayList<>();
        private final List<ServerBuilder<?>> builders = new ArrayList<>();
        private final Map<String, Share> shares = new LinkedHashMap<>();
        private String token;
        private boolean allowSetId;
        private TlsFiles tls;
        private io.grpc.ServerInterceptor tracing;
        private final Map<String, String> clientTokens = new LinkedHashMap<>();
        private final List<ShareAccess.Rule> rules = new ArrayList<>();

        private Builder() {}

        /**
         * Lets clients make set-user-ID and set-group-ID files (see {@link SetIdRule}): for servers
         * whose clients are trusted machines whose kernels enforce POSIX's rules (every fsdriver
         * mount uses default_permissions). Off by default.
         */
        public Builder allowSetId(boolean allow) {
            this.allowSetId = allow;
            return this;
        }

        /** An interceptor run first on every call of every listener (tracing), or null. */
        public Builder tracing(io.grpc.ServerInterceptor interceptor) {
            this.tracing = interceptor;
            return this;
        }

        /** TCP listeners speak TLS with these PEM files (mutual TLS when a client CA is given). */
        public Builder tls(TlsFiles files) {
            this.tls = files;
            return this;
        }

        /** A token that identifies client {@code name} (for {@link #allow}); compared in constant time. */
        public Builder clientToken(String name, String token) {
            ShareAccess.checkClientName(name);
            if (token == null || token.isEmpty()) {
                throw new IllegalArgumentException("client '" + name + "': empty token");
            }
            if (clientTokens.putIfAbsent(name, token) != null) {
                throw new IllegalArgumentException("client '" + name + "' given twice");
            }
            return this;
        }

        /**
         * Limits {@code share} to the clients named by allow rules: once a share has one, only
         * those clients see it; {@code readOnly} makes it read-only for that client.
         */
        public Builder allow(String share, String client, boolean readOnly) {
            rules.add(new ShareAccess.Rule(share, client, readOnly));
            return this;
        }

        /** Adds a listener: "tcp://HOST:PORT" (port 0 = ephemeral) or "unix:///abs/path.sock". */
        public Builder listen(String uri) {
            parseListen(uri); // fail early on a malformed URI
            listens.add(uri);
            return this;
        }

        /** Adds a listener built by the caller (e.g. InProcessServerBuilder); services are added to it. */
        public Builder serverBuilder(ServerBuilder<?> builder) {
            builders.add(builder);
            return this;
        }

        /** Serves {@code backend} as share {@code name}; the server owns (and closes) the backend. */
        public Builder share(String name, Backend backend, boolean readOnly) {
            ShareSpec.checkName(name);
            if (shares.containsKey(name)) {
                throw new IllegalArgumentException("share '" + name + "' given twice");
            }
            try {
                shares.put(name, new Share(name, backend, readOnly));
            } catch (FsException e) {
                throw new IllegalArgumentException("share '" + name + "': cannot stat its root: " + e.getMessage(), e);
            }
            return this;
        }

        /** The token clients must send ("authorization: Bearer TOKEN"); null or empty: none. */
        public Builder token(String tokenOrNull) {
            this.token = tokenOrNull == null || tokenOrNull.isEmpty() ? null : tokenOrNull;
            return this;
        }

        public FsServer build() {
            if (shares.isEmpty()) {
                throw new IllegalArgumentException("no share configured");
            }
            if (listens.isEmpty() && builders.isEmpty()) {
                throw new IllegalArgumentException("no listener configured");
            }
            for (ShareAccess.Rule r : rules) {
                if (!shares.containsKey(r.share())) {
                    throw new IllegalArgumentException("allow rule for share '" + r.share() + "': no such share");
                }
            }
            return new FsServer(this);
        }
    }

    /** Starts every listener; on failure, the ones already started are stopped again. */
    public synchronized void start() throws IOException {
        if (started) {
            throw new IllegalStateException("already started");
        }
        started = true;
        try {
            Map<String, Backend> backends = new LinkedHashMap<>();
            shares.forEach((name, s) -> backends.put(name, s.backend));
            events = EventHubs.start(backends,
                    (EventHubs.Router) (name, change, hub) -> shares.get(name).onWatcherChange(change, hub),
                    name -> shares.get(name).origins);
            for (String name : events.watchedShares()) {
                shares.get(name).eventSequence = events.apply(name)::lastSequence;
                shares.get(name).events = events.apply(name);
            }
            for (String uri : listens) {
                startListener(uri);
            }
            for (ServerBuilder<?> b : extraBuilders) {
                Server s = addServices(b).build().start();
                servers.add(s);
            }
            metrics = new ServerMetrics(shares.values(), sessions, events, eventCounts);
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
        for (Share s : shares.values()) {
            LOG.atInfo().addKeyValue("share", s.name).addKeyValue("read_only", s.readOnly)
                    .log("share '{}': {}{}", s.name, s.backend, s.readOnly ? " (read-only)" : "");
        }
    }

    /** Actual addresses, e.g. "tcp://127.0.0.1:45123", "unix:///run/fsdriver.sock". */
    public synchronized List<String> boundAddresses() {
        return List.copyOf(bound);
    }

    /** Whether every listener has terminated (no call, no connection left). */
    synchronized boolean terminated() {
        return servers.stream().allMatch(Server::isTerminated);
    }

    public void awaitTermination() throws InterruptedException {
        List<Server> copy;
        synchronized (this) {
            copy = List.copyOf(servers);
        }
        for (Server s : copy) {
            s.awaitTermination();
        }
    }

    /** Stops listening, lets running calls finish (a few seconds at most), closes handles and backends. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (metrics != null) {
            metrics.close();
        }
        if (events != null) {
            events.close(); // first: ends Watch streams (UNAVAILABLE), which would hold up shutdown
        }
        for (Server s : servers) {
            s.shutdown();
        }
        for (Server s : servers) {
            try {
                if (!s.awaitTermination(5, TimeUnit.SECONDS)) {
                    s.shutdownNow();
                }
            } catch (InterruptedException e) {
                s.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
        io.shutdownNow();
        LOG.info("calls served: {}", Rpc.callCounts());
        for (EventLoopGroup g : groups) {
            g.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
        for (Path p : socketFiles) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                LOG.warn("cannot remove socket {}: {}", p, e.toString());
            }
        }
        for (Share s : shares.values()) {
            s.close();
        }
    }

    // ------------------------------------------------------------------------------- listeners

    private ServerBuilder<?> addServices(ServerBuilder<?> b) {
        ServerAuth auth = new ServerAuth(token, clientTokens, shares, access, sessions);
        if (tracing != null) {
            b.intercept(tracing);   // global interceptors run before the services' own
        }
        return b.maxInboundMessageSize(Protocol.MAX_MESSAGE_BYTES)
                .addTransportFilter(sessions.filter())
                .addService(ServerInterceptors.intercept(new SessionService(sessions), auth, instance))
                .addService(ServerInterceptors.intercept(new FilesService(io, allowSetId), auth, instance))
                // Events.Watch: share from Subscribe, looked up in the hubs; token checked by auth first
                .addService(ServerInterceptors.intercept(
                        new EventsService(share -> CallContext.visible(share) != null ? events.apply(share) : null,
                                share -> shares.containsKey(share) ? shares.get(share).origins : null,
                                Messages::attr, EventsService.Limits.DEFAULTS, Executors.newVirtualThreadPerTaskExecutor(),
                                eventCounts), auth));
    }

    /**
     * Transport settings of every Netty listener: a large HTTP/2 window for 1 MiB reads; client
     * keepalive pings accepted every 10 s even without calls (the client pings every 30 s to
     * notice a dead server; the default policy, 5 min, would answer GOAWAY "too_many_pings" and
     * drop long Watch streams); our own pings find dead clients so their streams end.
     */
    /**
     * Every call starts on the network thread that decoded it (grpc's direct executor): a
     * metadata call is a few system calls, microseconds, and a hop to a pool and back costs
     * more than the work (with a call executor supplier grpc still runs each call's method
     * lookup on its default pool first: one thread wake-up per call, measured as 4-6 futex
     * calls per Open). Calls that move data or may wait on the disk hand their body to the
     * server's I/O pool ({@link Rpc#offload}), so one slow read or fsync never holds up the
     * connection. (Every call on grpc's pool was measured and rejected: docs/server.md.)
     */
    private static NettyServerBuilder tune(NettyServerBuilder nb) {
        return nb.directExecutor()
                .flowControlWindow(FLOW_CONTROL_WINDOW)
                .permitKeepAliveTime(10, TimeUnit.SECONDS)
                .permitKeepAliveWithoutCalls(true)
                .keepAliveTime(60, TimeUnit.SECONDS)
                .keepAliveTimeout(20, TimeUnit.SECONDS);
    }

    private void startListener(String uri) throws IOException {
        SocketAddress address = parseListen(uri);
        if (address instanceof InetSocketAddress inet) {
            NettyServerBuilder nb = tune(tls == null ? NettyServerBuilder.forAddress(inet)
                    : NettyServerBuilder.forAddress(inet, tls.serverCredentials()));
            Server s = addServices(nb).build().start();
            servers.add(s);
            for (SocketAddress a : s.getListenSockets()) {
                if (a instanceof InetSocketAddress i) {
                    String host = i.getAddress() instanceof Inet6Address ? "[" + i.getAddress().getHostAddress() + "]" : i.getAddress().getHostAddress();
                    String addr = "tcp://" + host + ":" + i.getPort();
                    bound.add(addr);
                    LOG.atInfo().addKeyValue("listen", addr)
                            .addKeyValue("tls", tls == null ? "none" : tls.clientCa() == null ? "server" : "mutual")
                            .log("listening on {}{}", addr, tls == null ? " (plaintext)" : tls.clientCa() == null ? " (TLS)"
                                    : " (mutual TLS: client certificates signed by " + tls.clientCa() + ")");
                }
            }
        } else {
            startUnix(Path.of(((DomainSocketAddress) address).path()));
        }
    }

    /**
     * Binds a Unix socket at {@code target} with mode 0600 and no window in which it is more
     * open: bound inside a fresh 0700 directory next to it, chmod'ed, then renamed into place.
     * A stale socket file (nobody accepting) is removed; a live one or any other file is an error.
     */
    private void startUnix(Path target) throws IOException {
        if (!Epoll.isAvailable()) {
            throw new IOException("unix sockets need Netty's epoll transport: " + Epoll.unavailabilityCause());
        }
        target = target.toAbsolutePath();
        if (!Files.isDirectory(target.getParent())) {
            throw new IOException("unix socket " + target + ": directory " + target.getParent() + " does not exist");
        }
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            if (!"socket".equals(fileType(target))) {
                throw new IOException(target + " exists and is not a socket");
            }
            if (isLive(target)) {
                throw new IOException(target + ": a server is already listening there");
            }
            Files.delete(target);
            LOG.info("removed stale socket {}", target);
        }
        Path dir = Files.createTempDirectory(target.getParent(), ".fsdriver-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path tmp = dir.resolve("s");
        EventLoopGroup boss = new EpollEventLoopGroup(1);
        EventLoopGroup workers = new EpollEventLoopGroup();
        groups.add(boss);
        groups.add(workers);
        try {
            NettyServerBuilder nb = NettyServerBuilder.forAddress(new DomainSocketAddress(tmp.toString()))
                    .channelType(EpollServerDomainSocketChannel.class)
                    .bossEventLoopGroup(boss)
                    .workerEventLoopGroup(workers)
                    .withChildOption(ChannelOption.SO_KEEPALIVE, null); // TCP-only: Netty would warn per connection
            tune(nb);
            Server s = addServices(nb).build().start();
            servers.add(s);
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            socketFiles.add(target);
        } finally {
            Files.deleteIfExists(tmp);
            Files.deleteIfExists(dir);
        }
        String addr = "unix://" + target;
        bound.add(addr);
        LOG.atInfo().addKeyValue("listen", addr).log("listening on {}", addr);
    }

    private static String fileType(Path p) throws IOException {
        int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        return (mode & 0170000) == 0140000 ? "socket" : "other";
    }

    private static boolean isLive(Path socket) {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            return ch.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Whether {@code uri} can only be reached from this machine: a Unix socket, or TCP on a
     * loopback address (a host name counts when every address it resolves to is loopback).
     */
    public static boolean isLocalOnly(String uri) {
        SocketAddress a = parseListen(uri);
        if (!(a instanceof InetSocketAddress inet)) {
            return true;
        }
        try {
            InetAddress[] all = InetAddress.getAllByName(inet.getHostString());
            for (InetAddress x : all) {
                if (!x.isLoopbackAddress()) {
                    return false;
                }
            }
            return all.length > 0;
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** "tcp://HOST:PORT" or "unix:///abs/path"; IllegalArgumentException with the expected form otherwise. */
    static SocketAddress parseListen(String uri) {
        String usage = "listen address '" + uri + "': expected tcp://HOST:PORT or unix:///ABSOLUTE/PATH";
        if (uri == null) {
            throw new IllegalArgumentException(usage);
        }
        if (uri.startsWith("unix://")) {
            String path = uri.substring("unix://".length());
            if (!path.startsWith("/") || path.length() < 2) {
                throw new IllegalArgumentException(usage);
            }
            return new DomainSocketAddress(path);
        }
        if (uri.startsWith("tcp://")) {
            try {
                URI u = new URI(uri);
                if (u.getHost() == null || u.getPort() < 0 || (u.getPath() != null && !u.getPath().isEmpty())) {
                    throw new IllegalArgumentException(usage);
                }
                String host = u.getHost();
                if (host.startsWith("[") && host.endsWith("]")) {
                    host = host.substring(1, host.length() - 1);
                }
                return new InetSocketAddress(host, u.getPort());
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException(usage, e);
            }
        }
        throw new IllegalArgumentException(usage);
    }
}
