package dev.fsdriver.server.events;

import dev.fsdriver.backend.Backend;
import dev.fsdriver.backend.Change;
import dev.fsdriver.backend.ChangeListener;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.common.Errno;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's change events: one {@link EventHub} per share, fed by that share's backend
 * watcher. A share whose backend cannot watch has no hub, so Watch on it fails (NOT_FOUND) and
 * the client keeps short cache timeouts: no hub is better than a hub that stays silent.
 * Immutable after {@link #start}; the lookup is thread-safe.
 */
public final class EventHubs implements Function<String, EventHub>, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EventHubs.class);

    private final Map<String, EventHub> hubs;
    private final Map<String, AutoCloseable> watchers;

    private EventHubs(Map<String, EventHub> hubs, Map<String, AutoCloseable> watchers) {
        this.hubs = hubs;
        this.watchers = watchers;
    }

    /** Starts a watcher per share (share name -> backend), each feeding its own hub. */
    public static EventHubs start(Map<String, Backend> backends) {
        return start(backends, (share, change) -> { });
    }

    /**
     * Like {@link #start(Map)}, and every change is first shown to {@code tap} (share, change),
     * on the watcher's thread, before the hub sees it: the server keeps its node table right
     * with it. The tap must be quick and must not block.
     */
    public static EventHubs start(Map<String, Backend> backends,
                                  BiConsumer<String, Change> tap) {
        return start(backends, tap, share -> null);
    }

    /**
     * Like {@link #start(Map, BiConsumer)}; {@code origins} (share name ->
     * its {@link Origins}, or null) keeps a client session's own bursts from counting as storms
     * (see {@link EventHub#countStormsExcept}).
     */
    public static EventHubs start(Map<String, Backend> backends,
                                  BiConsumer<String, Change> tap,
                                  Function<String, Origins> origins) {
        return start(backends, (share, change, hub) -> {
            tap.accept(share, change);
            hub.onChange(change);
        }, origins);
    }

    /**
     * Where a watcher's change goes, on the watcher's thread: to {@code hub}, at once or later
     * from a thread of the router's, in the order the watcher reported them (the server follows
     * each in its node table first, and may publish another change in its place). Must not block.
     */
    @FunctionalInterface
    public interface Router {
        void route(String share, Change change, ChangeListener hub);
    }

    /** Like {@link #start(Map, BiConsumer, Function)}, every change handed to {@code router} instead of the hub. */
    public static EventHubs start(Map<String, Backend> backends,
                                  Router router,
                                  Function<String, Origins> origins) {
        Map<String, EventHub> hubs = new LinkedHashMap<>();
        Map<String, AutoCloseable> watchers = new LinkedHashMap<>();
        backends.forEach((name, backend) -> {
            EventHub hub = EventHub.create(name);
            Origins o = origins.apply(name);
            if (o != null) {
                hub.countStormsExcept(o::changedBySession);
            }
            try {
                watchers.put(name, backend.watch(change -> router.route(name, change, hub)));
                hubs.put(name, hub);
            } catch (FsException e) {
                hub.close();
                if (e.errno() == Errno.ENOSYS) {
                    log.info("share '{}': no change events ({})", name, e.getMessage());
                } else {
                    log.warn("share '{}': cannot watch for changes: {}; clients will poll", name, e.getMessage());
                }
            }
        });
        return new EventHubs(Map.copyOf(hubs), watchers);
    }

    /** The share's hub, or null if the share is unknown or not watched. */
    @Override
    public EventHub apply(String share) {
        return hubs.get(share);
    }

    public Set<String> watchedShares() {
        return hubs.keySet();
    }

    /** Stops every watcher, then every hub. */
    @Override
    public void close() {
        watchers.forEach((name, w) -> {
            try {
                w.close();
            } catch (Exception e) {
                log.warn("share '{}': closing watcher: {}", name, e.toString());
            }
        });
        hubs.values().forEach(EventHub::close);
    }
}
