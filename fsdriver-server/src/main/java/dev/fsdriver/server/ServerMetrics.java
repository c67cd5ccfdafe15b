package dev.fsdriver.server;

import dev.fsdriver.server.events.EventCounts;
import dev.fsdriver.server.events.EventHub;
import dev.fsdriver.server.events.EventHubs;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * The server's state as meters in Micrometer's global registry, read at scrape time from what
 * the server keeps anyway (calls: {@link CallMetrics}). Prometheus names:
 * <pre>
 *   fsdriver_server_read_bytes_total{share}       file bytes sent (Read, whole-file Open)
 *   fsdriver_server_written_bytes_total{share}    file bytes written (Write)
 *   fsdriver_server_dir_syncs_total{share}        directories made durable (Fsync of one, or with a file's)
 *   fsdriver_server_open_handles{share}           open file and directory handles
 *   fsdriver_server_nodes{share}                  node ids held for the share's mounts (memory: issue 16)
 *   fsdriver_server_sessions{state}               client sessions, "connected" or "waiting" to be resumed
 *   fsdriver_server_changes_total{share}          changes seen by the share's watcher
 *   fsdriver_server_event_storm_overflows_total{share}  bursts replaced by one overflow event
 *   fsdriver_server_events_sent_total             events sent on Watch streams
 *   fsdriver_server_events_dropped_total          events dropped from too slow clients' queues
 *   fsdriver_server_event_overflows_total         overflows sent to too slow clients instead
 * </pre>
 */
final class ServerMetrics implements AutoCloseable {
    private final MeterRegistry registry = Metrics.globalRegistry;
    private final List<Meter> meters = new ArrayList<>();

    ServerMetrics(Collection<Share> shares, Sessions sessions, EventHubs hubs, EventCounts events) {
        for (Share s : shares) {
            counter("fsdriver.server.read", "File bytes sent (Read, whole-file Open)", s, x -> x.bytesRead.sum(),
                    "bytes", "share", s.name);
            counter("fsdriver.server.written", "File bytes written (Write)", s, x -> x.bytesWritten.sum(),
                    "bytes", "share", s.name);
            counter("fsdriver.server.dir.syncs", "Directories made durable (a directory's Fsync, or with a file's)", s,
                    x -> x.dirSyncs.sum(), null, "share", s.name);
            meters.add(Gauge.builder("fsdriver.server.open.handles", s, x -> x.handles.size())
                    .description("Open file and directory handles").tags("share", s.name).register(registry));
            meters.add(Gauge.builder("fsdriver.server.nodes", s, x -> x.nodes.size())
                    .description("Node ids the share's mounts hold (each costs memory: issue 16's budget)")
                    .tags("share", s.name).register(registry));
            EventHub hub = hubs.apply(s.name);
            if (hub != null) {
                counter("fsdriver.server.changes", "Changes seen by the share's watcher", hub,
                        h -> h.stats().received(), null, "share", s.name);
                counter("fsdriver.server.event.storm.overflows", "Bursts of changes replaced by one overflow event",
                        hub, h -> h.stats().overflows(), null, "share", s.name);
            }
        }
        meters.add(Gauge.builder("fsdriver.server.sessions", sessions, Sessions::connected)
                .description("Client sessions").tags("state", "connected").register(registry));
        meters.add(Gauge.builder("fsdriver.server.sessions", sessions, x -> x.size() - x.connected())
                .description("Client sessions").tags("state", "waiting").register(registry));
        counter("fsdriver.server.events.sent", "Events sent on Watch streams", events, EventCounts::sent, null);
        counter("fsdriver.server.events.dropped", "Events dropped from too slow clients' queues", events,
                EventCounts::dropped, null);
        counter("fsdriver.server.event.overflows", "Overflow events sent to too slow clients instead of their queue",
                events, EventCounts::overflows, null);
    }

    private <T> void counter(String name, String description, T source, ToDoubleFunction<T> read, String unit,
                             String... tags) {
        meters.add(FunctionCounter.builder(name, source, read).description(description).baseUnit(unit).tags(tags)
                .register(registry));
    }

    @Override
    public void close() {
        meters.forEach(registry::remove);
    }
}
