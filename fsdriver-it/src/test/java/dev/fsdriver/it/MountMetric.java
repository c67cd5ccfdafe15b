package dev.fsdriver.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A sample of a mount's metrics ({@code fsdriver mount --metrics-listen}), scraped over HTTP. */
final class MountMetric {
    private MountMetric() {}

    /** The sample of {@code name} for share {@code share}. */
    static double value(int port, String name, String share) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name + "{share=\"" + share + "\"}") + " (\\S+)$").matcher(r.body());
        assertThat(m.find()).as(name + " in\n" + r.body()).isTrue();
        return Double.parseDouble(m.group(1));
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
