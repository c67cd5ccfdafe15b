package dev.fsdriver.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `fsdriver serve --metrics-listen` as a real process, scraped over HTTP after a mount used it. */
class MetricsEndToEndTest {
    @TempDir
    Path tmp;

    @Test
    void serveExposesCallCountersAndLatencyHistogramsAtMetrics() throws Exception {
        Path s = Files.createDirectories(tmp.resolve("s"));
        Files.writeString(s.resolve("a.txt"), "metrics");
        Path mnt = Files.createDirectories(tmp.resolve("mnt-ops-metrics"));
        int metricsPort = Fsdriver.freePort();
        try (Fsdriver.Server server = Fsdriver.serve(tmp, "--share", "work=" + s,
                "--metrics-listen", "127.0.0.1:" + metricsPort)) {
            server.proc().awaitOutput("metrics at http://127.0.0.1:" + metricsPort + "/metrics", Fsdriver.START_TIMEOUT);
            try (Fsdriver.Mount m = Fsdriver.mount(tmp, server, "work", mnt)) {
                assertThat(Files.readString(mnt.resolve("a.txt"))).isEqualTo("metrics");
                assertThat(Files.exists(mnt.resolve("missing-ops"))).isFalse();
            }
            HttpResponse<String> r = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsPort + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            String body = r.body();
            assertThat(body).contains("# TYPE fsdriver_server_calls_total counter");
            assertThat(body).containsPattern("(?m)^fsdriver_server_calls_total\\{method=\"Lookup\",share=\"work\",status=\"OK\"} [1-9]");
            assertThat(body).containsPattern("(?m)^fsdriver_server_calls_total\\{method=\"Lookup\",share=\"work\",status=\"ENOENT\"} [1-9]");
            assertThat(body).containsPattern(
                    "(?m)^fsdriver_server_call_duration_seconds_bucket\\{method=\"Lookup\",share=\"work\",status=\"OK\",le=\"[^\"]+\"} ");
            assertThat(body).containsPattern(
                    "(?m)^fsdriver_server_call_duration_seconds_count\\{method=\"Lookup\",share=\"work\",status=\"OK\"} [1-9]");
        }
    }
}
