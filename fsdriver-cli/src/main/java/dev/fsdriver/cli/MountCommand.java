package dev.fsdriver.cli;

import dev.fsdriver.client.ClientOptions;
import dev.fsdriver.client.ClientTls;
import dev.fsdriver.client.Connection;
import dev.fsdriver.client.HelloException;
import dev.fsdriver.client.RemoteFileSystem;
import dev.fsdriver.client.WslHost;
import dev.fsdriver.client.events.ChangeEvents;
import dev.fsdriver.fuse.FuseMount;
import dev.fsdriver.fuse.MountOptions;
import dev.fsdriver.fuse.linux.FuseMounter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code fsdriver mount}: mounts one share in the foreground; prints "mounted NAME at
 * MOUNTPOINT" once the mount is live and returns when it is unmounted (SIGTERM/SIGINT unmount).
 * With --background, that runs in another process ({@link Background}).
 */
@Command(name = "mount", mixinStandardHelpOptions = true,
        description = "Mount share NAME of a server at MOUNTPOINT (default /mnt/fsdriver/NAME, created if "
                + "missing), in the foreground; returns when unmounted. SIGTERM or SIGINT unmount cleanly.")
final class MountCommand implements Callable<Integer> {
    static final Path DEFAULT_ROOT = Path.of("/mnt/fsdriver");

    @Spec
    CommandSpec spec;

    @Option(names = "--server", paramLabel = "URI", defaultValue = ServeCommand.DEFAULT_LISTEN,
            description = "tcp://HOST:PORT, unix:///path.sock, or wsl://[PORT]: the Windows host seen from WSL "
                    + "(default: ${DEFAULT-VALUE}).")
    String server;

    @Option(names = "--token-file", paramLabel = "FILE", description = "Send the token in FILE's first line.")
    Path tokenFile;

    @Option(names = "--tls-ca", paramLabel = "FILE",
            description = "Speak TLS; the server's certificate must be signed by the CA in FILE (PEM) and name the server's host.")
    Path tlsCa;

    @Option(names = "--tls-cert", paramLabel = "FILE", description = "Mutual TLS: this client's certificate (PEM).")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE", description = "Mutual TLS: this client's private key (PEM, PKCS#8).")
    Path tlsKey;

    @Option(names = "--read-only", description = "Mount read-only (the server refuses every change).")
    boolean readOnly;

    @Option(names = "--allow-other", description = "Let other users use the mount. Permissions are checked as on a local file system "
                    + "(the kernel compares mode bits and owners with the caller, always).")
    boolean allowOther;

    @Option(names = "--block-size", paramLabel = "SIZE", defaultValue = "1M", converter = Sizes.class,
            description = "Read/write chunk size, 4k..1M (default: ${DEFAULT-VALUE}).")
    int blockSize;

    @Option(names = "--no-events",
            description = "Do not follow the server's change events. By default the mount keeps long-lived "
                    + "caches that events invalidate, and programs watching it get inotify events for changes "
                    + "made on the server; without events: 1 s cache timeouts, no inotify.")
    boolean noEvents;

    @Option(names = "--cache-timeout", paramLabel = "SECONDS", defaultValue = "1",
            description = "How long the kernel may cache names and attributes when change events are off or "
                    + "interrupted (default: ${DEFAULT-VALUE}; longer is faster but shows changes made on the server "
                    + "side later). While events flow, caches live until an event invalidates them.")
    double cacheTimeout;

    @Option(names = "--metrics-listen", paramLabel = "HOST:PORT",
            description = "Serve Prometheus metrics at http://HOST:PORT/metrics (FUSE requests per opcode, answered "
                    + "locally or by the server; gRPC calls per method; reconnects; change events received and "
                    + "injected; hits and misses per cache; event lag).")
    String metricsListen;

    @Option(names = "--otlp-endpoint", paramLabel = "URL",
            description = "Send OpenTelemetry traces to the OTLP/HTTP collector at URL (e.g. http://127.0.0.1:4318): a span "
                    + "per listing page, read, write and Hello (connect, reconnect), with the server's side in the same trace.")
    String otlpEndpoint;

    @Option(names = "--background", description = "Return once the mount is up and keep it running in the background "
            + "(as mount(8) and fstab lines run it: fsdriver SHARE MOUNTPOINT -o server=URI,...). Its log goes to --log-file.")
    boolean background;

    @Option(names = "--log-file", paramLabel = "FILE", description = "With --background: where the mount's log goes "
            + "(default: $XDG_STATE_HOME/fsdriver/mount-SHARE.log, i.e. ~/.local/state/...).")
    Path logFile;

    @Parameters(index = "0", paramLabel = "SHARE", description = "The share to mount.")
    String share;

    @Parameters(index = "1", arity = "0..1", paramLabel = "MOUNTPOINT", description = "Where to mount it.")
    Path mountPoint;

    @Override
    public Integer call() throws Exception {
        if (background && !Background.isChild()) {
            return Background.run(spec.root().commandLine().getParseResult().originalArgs(),
                    logFile != null ? logFile : Background.defaultLog(share), spec.commandLine().getOut(),
                    spec.commandLine().getErr());
        }
        ClientOptions options;
        try {
            options = ClientOptions.builder().blockSize(blockSize).build();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "Invalid --block-size: " + e.getMessage());
        }
        if (!(cacheTimeout >= 0 && cacheTimeout <= 86_400)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "Invalid --cache-timeout: 0..86400 seconds");
        }
        java.net.InetSocketAddress metricsAt = null;
        if (metricsListen != null) {
            try {
                metricsAt = MetricsEndpoint.parse(metricsListen);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "Invalid --metrics-listen: " + e.getMessage());
            }
        }
        Duration cache = Duration.ofNanos((long) (cacheTimeout * 1e9));
        Tracing tracing;
        try {
            tracing = Tracing.otlp("fsdriver-mount", otlpEndpoint);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "Invalid --otlp-endpoint: " + e.getMessage());
        }
        options = options.toBuilder().entryTimeout(cache).attrTimeout(cache).negativeTimeout(cache)
                .tracing(tracing != null ? tracing.clientInterceptor() : null).build();
        String token = TokenFile.read(tokenFile);
        Path target = (mountPoint != null ? mountPoint : DEFAULT_ROOT.resolve(share)).toAbsolutePath().normalize();
        detachDeadMount(target);
        prepareMountPoint(target);
        ClientTls tls = null;
        if (tlsCa != null || tlsCert != null || tlsKey != null) {
            try {
                tls = new ClientTls(tlsCa, tlsCert, tlsKey);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "Invalid TLS options: " + e.getMessage());
            }
        }
        String address = server;
        if (WslHost.isWslAddress(server)) {
            try {
                WslHost.Resolved host = WslHost.resolve(server);
                address = host.address();
                spec.commandLine().getErr().println("fsdriver: " + server + " is " + address + " (" + host.how() + ")");
                spec.commandLine().getErr().flush();
            } catch (IllegalArgumentException e) {
                throw new CliException(e.getMessage());
            }
        }
        Connection connection;
        try {
            connection = Connection.open(address, share, token, readOnly, options, tls);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "Invalid --server: " + e.getMessage());
        }
        RemoteFileSystem fs = null;
        ChangeEvents changeEvents = null;
        MetricsEndpoint metrics = null;
        MountMetrics mountMetrics = null;
        MountControl control = null;
        try {
            metrics = startMetrics(metricsAt);
            fs = RemoteFileSystem.connect(connection);
            MountOptions mountOptions = MountOptions.builder()
                    .fsName("fsdriver:" + share)
                    .subtype("fsdriver")
                    .readOnly(readOnly || fs.readOnly())
                    .allowOther(allowOther)
                    // the kernel checks mode bits against the caller, as on a local file system
                    // (without it, --allow-other lets anyone do anything the server's user can)
                    .defaultPermissions(true)
                    // the server clears set-id bits on write, truncate and chown (FilesService)
                    .handleKillpriv(true)
                    // attributes with every listing page: ls -l and find -printf after a listing
                    // look nothing up (issue 16; docs/benchmarks.md "Scale")
                    .readdirplusAlways(true)
                    .debug(spec.commandLine().getParseResult() != null && isVerbose())
                    .build();
            FuseMount mount;
            try {
                changeEvents = !noEvents ? ChangeEvents.wrap(fs, target,
                        new ChangeEvents.Options(java.time.Duration.ofHours(1), cache, true)) : null;
                mount = FuseMount.mount(target, changeEvents != null ? changeEvents.fileSystem() : fs, mountOptions,
                        metrics != null ? connection.counters() : dev.fsdriver.fuse.RequestListener.NONE);
            } catch (IOException e) {
                throw new CliException("cannot mount at " + target + ": " + e.getMessage());
            }
            if (changeEvents != null) {
                if (tracing != null) {
                    changeEvents.traceResyncs(tracing::resync);
                }
                changeEvents.start(connection.channel(), share, mount.notifier());
            }
            if (metrics != null) {
                mountMetrics = new MountMetrics(share, mount, connection.counters(), changeEvents);
            }
            control = MountControl.open(new MountStatus(share, target, connection, mount, changeEvents, cache)::properties);
            PrintWriter out = spec.commandLine().getOut();
            out.println("mounted " + share + " at " + target);
            out.flush();
            IdleHeap.start();
            Signals.onTermination(() -> {
                try {
                    mount.close();
                } catch (IOException e) {
                    spec.commandLine().getErr().println("fsdriver: cannot unmount " + target + ": " + e.getMessage());
                }
            });
            mount.awaitUnmount();
            mount.close();
            return 0;
        } catch (HelloException e) {
            throw new CliException(e.getMessage());
        } finally {
            if (control != null) {
                control.close();
            }
            if (mountMetrics != null) {
                mountMetrics.close();
            }
            if (metrics != null) {
                metrics.close();
            }
            if (changeEvents != null) {
                changeEvents.close();
            }
            if (fs != null) {
                fs.close();
            }
            connection.close();
            if (tracing != null) {
                tracing.close();
            }
        }
    }

    /** The Prometheus endpoint of --metrics-listen (started before mounting: a busy port fails the mount), or null. */
    private MetricsEndpoint startMetrics(java.net.InetSocketAddress at) throws CliException {
        if (at == null) {
            return null;
        }
        MetricsEndpoint metrics;
        try {
            metrics = MetricsEndpoint.start(at);
        } catch (IOException e) {
            throw new CliException("cannot serve metrics on " + metricsListen + ": " + e.getMessage());
        }
        org.slf4j.LoggerFactory.getLogger(MountCommand.class).atInfo().addKeyValue("metrics", metrics.url())
                .log("metrics at {}", metrics.url());
        return metrics;
    }

    private boolean isVerbose() {
        for (CommandLine.ParseResult p = spec.commandLine().getParseResult(); p != null; p = p.subcommand()) {
            if (p.hasMatchedOption("--verbose")) {
                return true;
            }
        }
        return false;
    }

    /**
     * A mount whose process died (kill -9, crash) stays as a dead FUSE mount that fails every
     * access. One of ours is detached (lazy unmount, said on stderr) so that this mount can take
     * its place: nothing can use it any more. Anyone else's is named, with the command to clear it.
     */
    private void detachDeadMount(Path target) throws IOException, CliException {
        FuseMounter.MountInfo dead = FuseMounter.findDeadMount(target);
        if (dead == null) {
            return;
        }
        if (!dead.fsType().equals("fuse.fsdriver")) {
            throw new CliException("mount point " + target + " is a dead FUSE mount (" + dead.fsType() + " from "
                    + dead.source() + ", its process is gone); clear it with: fusermount3 -u -z " + target);
        }
        try {
            FuseMounter.detach(target);
        } catch (IOException e) {
            throw new CliException("mount point " + target + " is a dead fsdriver mount (" + dead.source()
                    + ", its process is gone) and cannot be detached: " + e.getMessage()
                    + "; clear it with: fusermount3 -u -z " + target);
        }
        PrintWriter err = spec.commandLine().getErr();
        err.println("fsdriver: " + target + " was a dead fsdriver mount (" + dead.source()
                + ", its process is gone): detached it (lazy unmount)");
        err.flush();
    }

    /** Creates a missing mount point; refuses anything that is not a directory. */
    private static void prepareMountPoint(Path target) throws CliException {
        if (Files.isDirectory(target)) {
            return;
        }
        if (Files.exists(target)) {
            throw new CliException("mount point " + target + " is not a directory");
        }
        try {
            Files.createDirectories(target);
        } catch (FileAlreadyExistsException e) {
            throw new CliException("mount point " + target + " is not a directory");
        } catch (IOException e) {
            String reason = e.getMessage();
            if (e instanceof java.nio.file.AccessDeniedException) {
                reason = "permission denied";
            }
            throw new CliException("cannot create mount point " + target + ": " + reason);
        }
    }
}
