package dev.fsdriver.cli;

import dev.fsdriver.client.ClientCounters;
import dev.fsdriver.client.cache.CacheStats;
import dev.fsdriver.client.events.ChangeEvents;
import dev.fsdriver.client.events.EventLag;
import dev.fsdriver.fuse.FuseMount;
import dev.fsdriver.fuse.kernel.FuseOpcode;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * A mount's meters, read at scrape time from the counters the FUSE layer and the client keep
 * anyway (nothing is added to the request path here). Prometheus names:
 * <pre>
 *   fsdriver_mount_requests_total{opcode}            FUSE requests received
 *   fsdriver_mount_requests_answered_total{opcode,by} by="server": a call was made for it; "local": not
 *   fsdriver_mount_client_calls_total{method}        gRPC calls the client started
 *   fsdriver_mount_cache_hits_total{cache}           requests answered by the mount's own cache (CacheStats)
 *   fsdriver_mount_cache_misses_total{cache}         requests of that kind that went to the server
 *   fsdriver_mount_reconnects_total                  new sessions after the server was lost or restarted
 *   fsdriver_mount_events_received_total             change events from the server
 *   fsdriver_mount_events_injected_total             inotify events delivered to watchers of the mount
 *   fsdriver_mount_events_baselines_total            directories listed as the baseline of overflow resyncs
 *   fsdriver_mount_events_baselines_waiting          directories waiting for their baseline listing
 *   fsdriver_mount_event_stream_resubscriptions_total  the event stream broke and was subscribed again
 *   fsdriver_mount_events_live                       1 while events flow (long cache timeouts), else 0
 *   fsdriver_mount_event_lag_seconds                 histogram: server saw the change .. mount applied its event
 * </pre>
 */
final class MountMetrics implements AutoCloseable {
    private final MeterRegistry registry = Metrics.globalRegistry;
    private final List<Meter> meters = new ArrayList<>();
    private final ChangeEvents events;

    MountMetrics(String share, FuseMount mount, ClientCounters client, ChangeEvents events) {
        this.events = events;
        for (int op = 1; op <= FuseOpcode.max(); op++) {
            if (!FuseOpcode.isKnown(op) || op == FuseOpcode.INIT) {
                continue;
            }
            int opcode = op;
            String name = FuseOpcode.name(op);
            counter("fsdriver.mount.requests", "FUSE requests received", mount, m -> m.requestCount(opcode),
                    "share", share, "opcode", name);
            counter("fsdriver.mount.requests.answered", "FUSE requests answered, by the server or locally", client,
                    c -> c.answered(opcode, true), "share", share, "opcode", name, "by", "server");
            counter("fsdriver.mount.requests.answered", "FUSE requests answered, by the server or locally", client,
                    c -> c.answered(opcode, false), "share", share, "opcode", name, "by", "local");
        }
        List<String> methods = ClientCounters.methods();
        for (int i = 0; i < methods.size(); i++) {
            int index = i;
            counter("fsdriver.mount.client.calls", "gRPC calls started by the client", client, c -> c.calls(index),
                    "share", share, "method", methods.get(i));
        }
        CacheStats caches = client.caches();
        for (CacheStats.Cache c : CacheStats.Cache.values()) {
            counter("fsdriver.mount.cache.hits", "Requests the mount answered from its own cache, per cache", caches,
                    s -> s.hits(c), "share", share, "cache", c.label());
            counter("fsdriver.mount.cache.misses", "Requests of a cache's kind that went to the server", caches,
                    s -> s.misses(c), "share", share, "cache", c.label());
        }
        counter("fsdriver.mount.reconnects", "New sessions after the server was unreachable or restarted", client,
                ClientCounters::reconnects, "share", share);
        if (events != null) {
            counter("fsdriver.mount.events.received", "Change events received from the server", events,
                    ChangeEvents::receivedCount, "share", share);
            counter("fsdriver.mount.events.injected", "inotify events delivered to programs watching the mount",
                    events, ChangeEvents::injectedCount, "share", share);
            counter("fsdriver.mount.events.baselines", "Directories listed as the baseline of overflow resyncs",
                    events, ChangeEvents::baselines, "share", share);
            counter("fsdriver.mount.event.stream.resubscriptions", "Event stream subscribed again after it broke",
                    events, ChangeEvents::resubscriptions, "share", share);
            meters.add(Gauge.builder("fsdriver.mount.events.baselines.waiting", events, ChangeEvents::baselinesWaiting)
                    .description("Directories the kernel holds waiting for their baseline listing")
                    .tags("share", share).register(registry));
            meters.add(Gauge.builder("fsdriver.mount.events.live", events, e -> e.live() ? 1 : 0)
                    .description("1 while change events flow (long cache timeouts), 0 while the stream is down")
                    .tags("share", share).register(registry));
            Timer lag = Timer.builder("fsdriver.mount.event.lag")
                    .description("From the server seeing a change to the mount having applied its event (wall clocks)")
                    .tags("share", share).serviceLevelObjectives(LAG_BUCKETS).register(registry);
            meters.add(lag);
            events.lag().listen(nanos -> lag.record(nanos, TimeUnit.NANOSECONDS));
            counter("fsdriver.mount.event.lag.skewed", "Events applied before the server saw them by the clocks "
                    + "(this machine's clock is behind the server's): their lag counts as 0", events.lag(),
                    EventLag::skewed, "share", share);
        }
    }

    /** Fixed buckets, 1 ms to 60 s: the debounce alone is up to 100 ms; past seconds, something is wrong. */
    private static final Duration[] LAG_BUCKETS = Stream.of(1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000,
            30_000, 60_000).map(Duration::ofMillis).toArray(Duration[]::new);

    private <T> void counter(String name, String description, T source, ToDoubleFunction<T> read, String... tags) {
        meters.add(FunctionCounter.builder(name, source, read).description(description).tags(tags).register(registry));
    }

    @Override
    public void close() {
        if (events != null) {
            events.lag().listen(nanos -> { });
        }
        meters.forEach(registry::remove);
    }
}
