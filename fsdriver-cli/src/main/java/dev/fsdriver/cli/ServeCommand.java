package dev.fsdriver.cli;

import dev.fsdriver.backend.Backend;
import dev.fsdriver.common.Errno;
import dev.fsdriver.protocol.Protocol;
import dev.fsdriver.server.FsServer;
import dev.fsdriver.server.ShareSpec;
import dev.fsdriver.server.TlsFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/** {@code fsdriver serve}: serves shares in the foreground until SIGTERM/SIGINT. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serve directories (shares) over gRPC, in the foreground. Logs one line per listener "
                + "and share; SIGTERM or SIGINT stop it cleanly.")
final class ServeCommand implements Callable<Integer> {
    static final String DEFAULT_LISTEN = "tcp://127.0.0.1:" + Protocol.DEFAULT_PORT;

    @Spec
    CommandSpec spec;

    @Option(names = "--listen", paramLabel = "URI",
            description = "tcp://HOST:PORT or unix:///path.sock; repeatable (default: " + DEFAULT_LISTEN + ").")
    List<String> listen = new ArrayList<>();

    @Option(names = "--share", paramLabel = "NAME=DIR[:ro]", required = true,
            description = "A directory to serve under NAME; ':ro' makes it read-only. Repeatable.")
    List<String> shares = new ArrayList<>();

    @Option(names = "--share-option", paramLabel = ShareOptions.SYNTAX,
            description = "An option of share SHARE's backend, as drvfs's -o; one KEY a time, repeatable. Windows backend: "
                    + "metadata[=true|false] (owner, group and mode kept in WSL's $LXUID/$LXGID/$LXMOD), uid=N, gid=N, "
                    + "umask=OCTAL (owner, group and modes of files without metadata; default 1000, 1000, 022), "
                    + "symlinks=wsl|native, inode-store=FILE (an absolute path: inode numbers kept across restarts). "
                    + "The posix backend takes none. Apart from --share because a DIR may hold ':' (C:\\...) and ','; "
                    + "a share name holds neither ':' nor '=', so the first ':' and '=' split SHARE, KEY and VALUE.")
    List<String> shareOptions = new ArrayList<>();

    @Option(names = "--allow-setid",
            description = "Let clients make set-user-ID and set-group-ID files (off: EPERM). Only for clients you trust:"
                    + " a client could otherwise make programs that run as this server's user.")
    boolean allowSetId;

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "Clients must send the token in FILE's first line.")
    Path tokenFile;

    @Option(names = "--client-token", paramLabel = "CLIENT=FILE",
            description = "A token (FILE's first line) that also lets clients in and names them CLIENT for --allow. Repeatable.")
    List<String> clientTokens = new ArrayList<>();

    @Option(names = "--allow", paramLabel = "SHARE=CLIENT[:ro]",
            description = "Only the clients named by --allow see SHARE (others get 'no such share'); ':ro' makes it "
                    + "read-only for that client. A client is named by its --client-token, else by its TLS "
                    + "certificate's subject CN. Repeatable.")
    List<String> allow = new ArrayList<>();

    @Option(names = "--tls-cert", paramLabel = "FILE", description = "TLS: the server's certificate chain (PEM).")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE", description = "TLS: the server's private key (PEM, PKCS#8).")
    Path tlsKey;

    @Option(names = "--tls-client-ca", paramLabel = "FILE",
            description = "Mutual TLS: clients must show a certificate signed by the CA in FILE (PEM).")
    Path tlsClientCa;

    @Option(names = "--insecure",
            description = "Allow listening on a non-loopback TCP address without TLS (tokens and data then travel in clear).")
    boolean insecure;

    @Option(names = "--metrics-listen", paramLabel = "HOST:PORT",
            description = "Serve Prometheus metrics at http://HOST:PORT/metrics (calls per method, share and status; "
                    + "call latency histograms).")
    String metricsListen;

    @Option(names = "--otlp-endpoint", paramLabel = "URL",
            description = "Send OpenTelemetry traces to the OTLP/HTTP collector at URL (e.g. http://127.0.0.1:4318): "
                    + "the server's side of the listings, reads, writes and Hellos that mounts trace.")
    String otlpEndpoint;

    /** Set by {@link #prepare()} with --otlp-endpoint; flushed when the server stops. */
    private Tracing tracing;

    @Override
    public Integer call() throws Exception {
        FsServer server = prepare();
        try {
            server.start();
        } catch (IOException e) {
            throw new CliException("cannot listen: " + e.getMessage());
        }
        MetricsEndpoint metrics = startMetrics(server);
        IdleHeap.start();
        Signals.onTermination(server::close);
        server.awaitTermination();
        server.close();
        if (metrics != null) {
            metrics.close();
        }
        if (tracing != null) {
            tracing.close();
        }
        return 0;
    }

    /** The Prometheus endpoint of --metrics-listen, or null without it; closes {@code server} when it cannot start. */
    private MetricsEndpoint startMetrics(FsServer server) throws CliException {
        if (metricsListen == null) {
            return null;
        }
        java.net.InetSocketAddress at;
        try {
            at = MetricsEndpoint.parse(metricsListen);
        } catch (IllegalArgumentException e) {
            server.close();
            throw new CommandLine.ParameterException(spec.commandLine(), "Invalid --metrics-listen: " + e.getMessage());
        }
        MetricsEndpoint metrics;
        try {
            metrics = MetricsEndpoint.start(at);
        } catch (IOException e) {
            server.close();
            throw new CliException("cannot serve metrics on " + metricsListen + ": " + e.getMessage());
        }
        org.slf4j.LoggerFactory.getLogger(ServeCommand.class).atInfo().addKeyValue("metrics", metrics.url())
                .log("metrics at {}", metrics.url());
        return metrics;
    }

    /** The server these options describe, shares opened, not started (also what a Windows service runs). */
    FsServer prepare() throws CliException {
        List<ShareSpec> specs = new ArrayList<>();
        for (String s : shares) {
            try {
                specs.add(ShareSpec.parse(s));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "Invalid --share: " + e.getMessage());
            }
        }
        Map<String, Map<String, String>> backendOptions = backendOptions(specs);
        String token = TokenFile.read(tokenFile);
        FsServer.Builder builder = FsServer.builder().token(token).allowSetId(allowSetId);
        try {
            tracing = Tracing.otlp("fsdriver-serve", otlpEndpoint);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "Invalid --otlp-endpoint: " + e.getMessage());
        }
        if (tracing != null) {
            builder.tracing(tracing.serverInterceptor());
        }
        TlsFiles tls = tls();
        if (tls != null) {
            builder.tls(tls);
        }
        for (String uri : listen.isEmpty() ? List.of(DEFAULT_LISTEN) : listen) {
            try {
                builder.listen(uri);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "Invalid --listen: " + e.getMessage());
            }
            checkReachable(uri, tls != null);
        }
        clients(builder);
        for (ShareSpec s : specs) {
            if (!Files.isDirectory(s.dir())) {
                throw new CliException("share '" + s.name() + "': " + s.dir() + " is not a directory");
            }
            Backend backend;
            try {
                backend = Backends.open(s.dir(), s.readOnly(), backendOptions.get(s.name()));
            } catch (IllegalArgumentException e) { // checked above; here only if the backend checks more at open
                throw new CliException("share '" + s.name() + "': " + e.getMessage());
            } catch (IOException e) {
                // the directory is there (checked above) but its volume did not answer: not ready yet?
                boolean notReady = e.getCause() instanceof dev.fsdriver.backend.FsException fe
                        && Set.of(Errno.ENOSYS, Errno.EIO, Errno.ENODEV, Errno.EBUSY, Errno.EAGAIN).contains(fe.errno());
                throw new CliException("share '" + s.name() + "': cannot open " + s.dir() + ": " + e.getMessage(), notReady);
            }
            try {
                builder.share(s.name(), backend, s.readOnly());
            } catch (IllegalArgumentException e) {
                throw new CliException(e.getMessage());
            }
        }
        try {
            return builder.build();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** --share-option per share, each share's checked by its backend before any share opens. */
    private Map<String, Map<String, String>> backendOptions(List<ShareSpec> specs) throws CliException {
        Map<String, Map<String, String>> options;
        try {
            options = ShareOptions.parse(shareOptions, specs.stream().map(ShareSpec::name).toList());
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "Invalid --share-option " + e.getMessage());
        }
        for (Map.Entry<String, Map<String, String>> e : options.entrySet()) {
            try {
                Backends.checkOptions(e.getValue());
            } catch (IllegalArgumentException bad) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "Invalid --share-option for share '" + e.getKey() + "': " + bad.getMessage());
            } catch (IOException noBackend) {
                throw new CliException(noBackend.getMessage());
            }
        }
        return options;
    }

    private void checkReachable(String uri, boolean tls) throws CliException {
        if (!tls && !insecure && !FsServer.isLocalOnly(uri)) {
            throw new CliException("--listen " + uri + " is reachable from other machines and this server has no TLS: "
                    + "give --tls-cert and --tls-key (see fsdriver certs init), or --insecure to send tokens and "
                    + "data in clear");
        }
    }

    /**
     * What a service could only find out when it starts, checked at install: the listen/TLS rule,
     * and absolute paths (a service starts in C:\Windows\System32, not in the installer's directory).
     */
    void checkForService() throws CliException {
        for (String uri : listen.isEmpty() ? List.of(DEFAULT_LISTEN) : listen) {
            checkReachable(uri, tlsCert != null);
        }
        List<String> relative = new ArrayList<>();
        List<ShareSpec> specs = new ArrayList<>();
        for (String s : shares) {
            try {
                ShareSpec share = ShareSpec.parse(s);
                specs.add(share);
                if (!share.dir().isAbsolute()) {
                    relative.add("--share " + s);
                }
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "Invalid --share: " + e.getMessage());
            }
        }
        backendOptions(specs); // a bad one would only show when the service starts
        for (Path f : new Path[] {tokenFile, tlsCert, tlsKey, tlsClientCa}) {
            if (f != null && !f.isAbsolute()) {
                relative.add(f.toString());
            }
        }
        for (String ct : clientTokens) {
            int eq = ct.indexOf('=');
            if (eq > 0 && !Path.of(ct.substring(eq + 1)).isAbsolute()) {
                relative.add("--client-token " + ct);
            }
        }
        if (!relative.isEmpty()) {
            throw new CliException("a service does not start in this directory: give absolute paths (" + String.join(", ", relative) + ")");
        }
    }

    /** The --listen URIs given (empty: the default). */
    List<String> listenUris() {
        return List.copyOf(listen);
    }

    private TlsFiles tls() {
        if (tlsCert == null && tlsKey == null && tlsClientCa == null) {
            return null;
        }
        if (tlsCert == null || tlsKey == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "TLS needs both --tls-cert and --tls-key");
        }
        try {
            return new TlsFiles(tlsCert, tlsKey, tlsClientCa);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** --client-token CLIENT=FILE and --allow SHARE=CLIENT[:ro]. */
    private void clients(FsServer.Builder builder) throws CliException {
        for (String ct : clientTokens) {
            int eq = ct.indexOf('=');
            if (eq <= 0) {
                throw new CommandLine.ParameterException(spec.commandLine(), "Invalid --client-token '" + ct + "': expected CLIENT=FILE");
            }
            String t = TokenFile.read(Path.of(ct.substring(eq + 1)));
            try {
                builder.clientToken(ct.substring(0, eq), t);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "Invalid --client-token: " + e.getMessage());
            }
        }
        for (String a : allow) {
            int eq = a.indexOf('=');
            if (eq <= 0) {
                throw new CommandLine.ParameterException(spec.commandLine(), "Invalid --allow '" + a + "': expected SHARE=CLIENT[:ro]");
            }
            String client = a.substring(eq + 1);
            boolean ro = client.endsWith(":ro");
            if (ro || client.endsWith(":rw")) {
                client = client.substring(0, client.length() - 3);
            }
            try {
                builder.allow(a.substring(0, eq), client, ro);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "Invalid --allow: " + e.getMessage());
            }
        }
    }
}
