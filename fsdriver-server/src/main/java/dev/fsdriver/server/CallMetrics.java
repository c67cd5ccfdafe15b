package dev.fsdriver.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;

/**
 * Calls served, into Micrometer's global registry: {@code fsdriver.server.calls} (a counter;
 * Prometheus: {@code fsdriver_server_calls_total}) and {@code fsdriver.server.call.duration} (a
 * timer with a histogram), both tagged with method (the RPC), share and status ("OK" or the
 * errno's name). Without a registry added to the global one (serve without --metrics-listen)
 * Micrometer hands out no-op meters.
 *
 * <p>The meters of each (method, share, status) are built once and kept: building and registering
 * them on every call (a Meter.Id, sorted tags, the registry's lookups) was 6% of the server's CPU
 * in an untar + rm -rf (docs/benchmarks.md). A registry added to the global one later still gets
 * them: the global registry is a composite, which adds its new children to meters it has.
 */
final class CallMetrics {
    static final String CALLS = "fsdriver.server.calls";
    static final String DURATION = "fsdriver.server.call.duration";

    /** Fixed histogram buckets, 50 µs to 10 s: Micrometer's own percentile histogram has ~70 per series. */
    private static final Duration[] BUCKETS = LongStream.of(
                    50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000,
                    1_000_000, 2_500_000, 10_000_000)
            .mapToObj(Duration::ofNanos).map(d -> d.multipliedBy(1000)).toArray(Duration[]::new);

    private record Key(String method, String share, String status) {}

    private record Meters(Counter calls, Timer duration) {}

    /** Bounded by methods x shares x statuses (errno names): a few hundred at most. */
    private static final Map<Key, Meters> METERS = new ConcurrentHashMap<>();

    private CallMetrics() {}

    static void record(String method, Share share, String status, long startNanos) {
        Meters m = METERS.computeIfAbsent(new Key(method, share != null ? share.name : "", status), CallMetrics::meters);
        m.calls().increment();
        m.duration().record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
    }

    private static Meters meters(Key k) {
        MeterRegistry registry = Metrics.globalRegistry;
        return new Meters(
                Counter.builder(CALLS).description("Calls served")
                        .tags("method", k.method(), "share", k.share(), "status", k.status())
                        .register(registry),
                Timer.builder(DURATION).description("Time from a call's start to its reply")
                        .tags("method", k.method(), "share", k.share(), "status", k.status())
                        .serviceLevelObjectives(BUCKETS)
                        .register(registry));
    }
}
