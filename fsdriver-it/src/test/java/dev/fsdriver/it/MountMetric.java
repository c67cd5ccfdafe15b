package dev.fsdriver.it;

import static org.assertj.core.api.Assertions.assertThat;

/** A sample of a mount's metrics ({@code fsdriver mount --metrics-listen}), scraped over HTTP. */
final class MountMetric {
    private MountMetric() {}

    /** The sample of {@code name} for share {@code share}. */
    static double value(int port, String name, String share) throws Exception {
        return MeteredMount.sample(MeteredMount.scrape(port), name, "share=\"" + share + "\"");
    }

    /** Waits until the sample is down to {@code atMost}; fails with its value after a bound. */
    static void awaitAtMost(int port, String name, String share, double atMost) throws Exception {
        long end = System.nanoTime() + 60_000_000_000L;
        while (value(port, name, share) > atMost && System.nanoTime() < end) {
            Thread.sleep(50);
        }
        assertThat(value(port, name, share)).as(name).isLessThanOrEqualTo(atMost);
    }

    /** Waits until the sample reaches {@code atLeast}; fails with its value after a bound. */
    static void awaitAtLeast(int port, String name, String share, double atLeast) throws Exception {
        long end = System.nanoTime() + 60_000_000_000L;
        while (value(port, name, share) < atLeast && System.nanoTime() < end) {
            Thread.sleep(50);
        }
        assertThat(value(port, name, share)).as(name).isGreaterThanOrEqualTo(atLeast);
    }
}
