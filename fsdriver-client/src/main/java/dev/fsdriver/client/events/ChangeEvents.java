package dev.fsdriver.client.events;

import dev.fsdriver.client.RemoteFileSystem;
import dev.fsdriver.fuse.FuseFileSystem;
import dev.fsdriver.fuse.FuseNotifier;
import dev.fsdriver.proto.v1.ChangeEvent;
import io.grpc.Channel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Function;

/**
 * Change notification for one mount, wired in three steps:
 * <pre>{@code
 * ChangeEvents events = ChangeEvents.wrap(remoteFs, mountPoint, options);
 * FuseMount mount = FuseMount.mount(mountPoint, events.fileSystem(), mountOptions);
 * events.start(channel, share, mount.notifier());   // after the mount is live
 * ...
 * events.close();                                    // before unmounting
 * }</pre>
 */
public final class ChangeEvents implements AutoCloseable {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ChangeEvents.class);
    /**
     * @param liveTimeout     kernel entry/attribute timeout while events flow (long: events invalidate)
     * @param fallbackTimeout timeout while the stream is down (short)
     * @param inject          deliver inotify events to programs watching the mount
     */
    public record Options(Duration liveTimeout, Duration fallbackTimeout, boolean inject) {
        public static Options defaults() {
            return new Options(Duration.ofHours(1), Duration.ofSeconds(1), true);
        }
    }

    private final KernelView view = new KernelView();
    private final EchoFilter echo = new EchoFilter();
    private final CachePolicy policy;
    private final Injector injector;
    private final EventAwareFileSystem fs;
    /** What is mounted: {@code fs}, behind the injector's local answers when events are injected. */
    private final FuseFileSystem mounted;
    /** The remote file system itself, for its caches and paths only (requests go through {@code fs}). */
    private final RemoteFileSystem remote;
    private final EventLag lag = new EventLag(EventLag::unixNanos);
    private volatile WatchClient watch;
    private volatile EventApplier applier;
    private volatile ListingDrops drops;
    /** Opens a trace span around one overflow resync (its listings nest in it); closed when done. */
    private volatile Function<String, Span> resyncSpan = path -> () -> { };
    /** Baseline listings of the directories the kernel holds, for overflow resyncs (null: not injecting). */
    private final Baselines baselines;
    /** The latest reading of the server's clock (Hello's, then its events'), see {@link ServerClock}. */
    private final ServerClock serverNow;

    /** A trace span that is current until closed. */
    public interface Span extends AutoCloseable {
        @Override
        void close();
    }

    private ChangeEvents(RemoteFileSystem remote, Path mountPoint, Options options) {
        this.policy = new CachePolicy(options.liveTimeout().toNanos(), options.fallbackTimeout().toNanos());
        this.injector = options.inject() ? new Injector(mountPoint, remote.events().writes()) : null;
        this.remote = remote;
        this.fs = new EventAwareFileSystem(remote, remote.events().reads(), view, echo, policy, injector, remote.caches());
        this.mounted = injector != null ? new InjectionAnswers(fs, injector) : fs;
        // Hello's reading of the server's clock and the root's times read after it: the root's
        // stamp, from before any watcher could watch it (the mount was not live yet). Without
        // "dir-times-move" the clock reads 0 and nothing is stamped (ServerClock).
        this.serverNow = new ServerClock(remote.helloUnixNanos(), remote.directoryTimesMove());
        view.serverClock(serverNow);
        if (remote.helloRoot() != null) {
            view.stampRoot(remote.helloRoot());
        }
        // Another server process: its clock is not the old one's (it may be behind), nor are the
        // times the stamps were taken from; a Hello of the new one gives its clock again
        remote.events().onNewServer(() -> {
            serverNow.newServer();
            view.newServer();
        }, serverNow::hello);
        remote.events().prefetchWhile(policy::cacheable);
        remote.events().pathsFrom(view::pathOf, view::generation); // nodes found again by path after a server restart
        remote.events().childrenFrom(view::child); // whose attributes an unlink or rename changes
        // references to nodes the kernel holds, answered from kept listings: for the kernel's
        // requests only (the applier's own lookups give theirs back to the server)
        remote.events().lendsFrom((node, generation) -> fs.entries().lend(node, generation));
        remote.events().kernelHoldsFrom(view::held); // a listing kept whose entries the kernel forgot since is not used
        this.baselines = injector == null ? null : new Baselines(fs.watchedNames(), view, fs.reads(), policy::live,
                System::nanoTime);
        if (baselines != null) {
            view.onDirectoryHeld(baselines::held);
            remote.events().wholeListingsTo(baselines::listedWhole); // listings made for lookups count too
        }
        remote.events().alsoForget(fs::changedElsewhere); // one call forgets both layers' caches
        remote.events().attrsStaleTo(fs::attrsStale); // a held change landed: the directory's attributes kept here go
        fs.entries().unkeptFrom(remote.events()::dirTimesHeld); // nor kept while held
        policy.onChange(() -> remote.events().changed()); // what it knew while live may be stale
    }

    public static ChangeEvents wrap(RemoteFileSystem remote, Path mountPoint, Options options) {
        return new ChangeEvents(remote, mountPoint, options);
    }

    /** The file system to mount (the remote one, wrapped). */
    public FuseFileSystem fileSystem() {
        return mounted;
    }

    /**
     * Traces each overflow resync: {@code span} opens a span for the resynced path and makes it
     * current (the resync's ReadDir calls become its children); closing ends it. Call before start.
     */
    public void traceResyncs(Function<String, Span> span) {
        this.resyncSpan = span;
    }

    /** Subscribes to the share's events; call once the mount is live. */
    public void start(Channel channel, String share, FuseNotifier notifier) {
        if (baselines != null) {
            baselines.takeRootNow();
        }
        applier = new EventApplier(fs, view, echo, injector, notifier);
        drops = new ListingDrops(fs.keptListings(), notifier);
        EventApplier a = applier;
        ListingDrops d = drops;
        watch = new WatchClient(channel, share, (e, arrived) -> {
            // before the event is applied: nothing fetched ahead, and no directory known
            // complete, survives a change made elsewhere
            remote.events().changed();
            // The server's clock, for the directory stamps' racy check (KernelView#stamp): read
            // after the caches went, so any attributes the kernel gets from now on were read by
            // the server after this time.
            serverNow.event(e.getSeenUnixNanos());
            if (e.getKind() == ChangeEvent.Kind.OVERFLOW) {
                if (e.getStorm() == ChangeEvent.Storm.STORM_BEGINS) {
                    policy.stormBegins(e.getPath()); // before the resync: nothing it fetches is kept
                    log.info("event storm under '{}' on the server: its events are held back there, nothing is"
                            + " cached until it is over", e.getPath());
                }
                try (Span span = resyncSpan.apply(e.getPath())) {
                    a.apply(e, arrived);
                }
                if (e.getStorm() == ChangeEvent.Storm.STORM_ENDS) {
                    policy.stormEnds(e.getPath());
                    log.info("event storm under '{}' over: caching again", e.getPath());
                }
            } else {
                a.apply(e, arrived);
            }
            lag.applied(e.getSeenUnixNanos());
            d.applied();
        }, policy, d::received);
        watch.start();
        if (baselines != null) {
            baselines.start();
        }
    }

    /** The kernel's view (tests). */
    KernelView view() {
        return view;
    }

    /** True while the event stream is live (long cache timeouts in force). */
    public boolean live() {
        return policy.live();
    }

    /** inotify events delivered to programs watching the mount (injected operations). */
    public long injectedCount() {
        return applier == null ? 0 : applier.injectedCount();
    }

    /** Change events received from the server. */
    public long receivedCount() {
        WatchClient w = watch;
        return w == null ? 0 : w.received();
    }

    /** From the server seeing a change to this mount having applied its event. */
    public EventLag lag() {
        return lag;
    }

    /** Directories whose names were listed as a baseline for overflow resyncs (see {@link Baselines}). */
    public long baselines() {
        return baselines == null ? 0 : baselines.taken();
    }

    /** Directories waiting for their baseline listing (see {@link Baselines}): 0 when none is. */
    public int baselinesWaiting() {
        return baselines == null ? 0 : baselines.waiting();
    }

    /** Times the event stream was subscribed again after it broke (server restart, network). */
    public long resubscriptions() {
        WatchClient w = watch;
        return w == null ? 0 : w.resubscriptions();
    }

    @Override
    public void close() {
        if (watch != null) {
            watch.close();
        }
        if (drops != null) {
            drops.close();
        }
        if (baselines != null) {
            baselines.close();
        }
        if (injector != null) {
            injector.close();
        }
    }
}
