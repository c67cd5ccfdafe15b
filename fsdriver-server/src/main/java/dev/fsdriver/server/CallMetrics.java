package dev.fsdriver.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;

/**
 * Calls served, into Micrometer's global registry: {@code fsdriver.server.calls} (a counter;
 * Prometheus: {@code fsdriver_server_calls_total}) and {@code fsdriver.server.call.duration} (a
 * timer with a histogram), both tagged with method (the RPC), share and status ("OK" or the
 * errno's name). Without a registry added to the global one (serve without --metrics-listen)
 * Micrometer hands out no-op meters.
 */
final class CallMetrics {
    static final String CALLS = "fsdriver.server.calls";
    static final String DURATION = "fsdriver.server.call.duration";

    /** Fixed histogram buckets, 50 µs to 10 s: Micrometer's own percentile histogram has ~70 per series. */
    private static final Duration[] BUCKETS = LongStream.of(
                    50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000,
                    1_000_000, 2_500_000, 10_000_000)
            .mapToObj(Duration::ofNanos).map(d -> d.multipliedBy(1000)).toArray(Duration[]::new);

    private CallMetrics() {}

    static void record(String method, Share share, String status, long startNanos) {
        MeterRegistry registry = Metrics.globalRegistry;
        String shareName = share != null ? share.name : "";
        Counter.builder(CALLS).description("Calls served")
                .tags("method", method, "share", shareName, "status", status)
                .register(registry).increment();
        Timer.builder(DURATION).description("Time from a call's start to its reply")
                .tags("method", method, "share", shareName, "status", status)
                .serviceLevelObjectives(BUCKETS)
                .register(registry).record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
    }
}
