package dev.fsdriver.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
        try (Fsdriver.Server server = Fsdriver.serveMetered(tmp, metricsPort, "--share", "work=" + s)) {
            // without events every lookup goes to the server (while events flow a miss can be
            // answered from the directory's listing, ColdLookups), so the ENOENT is counted there
            try (Fsdriver.Mount m = Fsdriver.mount(tmp, server, "work", mnt, "--no-events")) {
                assertThat(Files.readString(mnt.resolve("a.txt"))).isEqualTo("metrics");
                assertThat(Files.exists(mnt.resolve("missing-ops"))).isFalse();
            }
            String body = MeteredMount.scrape(metricsPort);
            assertThat(body).contains("# TYPE fsdriver_server_calls_total counter");
            assertThat(body).containsPattern("(?m)^fsdriver_server_calls_total\\{method=\"Lookup\",share=\"work\",status=\"OK\"} [1-9]");
            assertThat(body).containsPattern("(?m)^fsdriver_server_calls_total\\{method=\"Lookup\",share=\"work\",status=\"ENOENT\"} [1-9]");
            assertThat(body).containsPattern(
                    "(?m)^fsdriver_server_call_duration_seconds_bucket\\{method=\"Lookup\",share=\"work\",status=\"OK\",le=\"[^\"]+\"} ");
            assertThat(body).containsPattern(
                    "(?m)^fsdriver_server_call_duration_seconds_count\\{method=\"Lookup\",share=\"work\",status=\"OK\"} [1-9]");
        }
    }

    @Test
    void mountAndServeExposeRequestsCallsBytesSessionsAndEvents() throws Exception {
        Path s = Files.createDirectories(tmp.resolve("s"));
        Files.writeString(s.resolve("a.txt"), "metrics");
        Path mnt = Files.createDirectories(tmp.resolve("mnt-metrics-mount"));
        byte[] data = new byte[300_000];
        new Random(14).nextBytes(data);
        try (MeteredMount m = MeteredMount.start(tmp, s, mnt)) {
            assertThat(Files.readString(mnt.resolve("a.txt"))).isEqualTo("metrics");
            assertThat(Files.exists(mnt.resolve("missing-metrics"))).isFalse();
            Files.write(mnt.resolve("b.bin"), data);
            assertThat(Files.readAllBytes(mnt.resolve("b.bin"))).isEqualTo(data);
            Files.writeString(s.resolve("made-on-the-server.txt"), "x"); // an event for the mount

            String mount = m.mountPage();
            assertThat(value(mount, "fsdriver_mount_requests_total", "opcode=\"LOOKUP\",share=\"work\"")).isPositive();
            assertThat(value(mount, "fsdriver_mount_requests_total", "opcode=\"CREATE\",share=\"work\"")).isEqualTo(1);
            assertThat(value(mount, "fsdriver_mount_requests_total", "opcode=\"WRITE\",share=\"work\"")).isPositive();
            // the lookup of a name nobody knew went to the server
            assertThat(value(mount, "fsdriver_mount_requests_answered_total",
                    "by=\"server\",opcode=\"LOOKUP\",share=\"work\"")).isPositive();
            // write-behind: most WRITE requests are answered before their data reaches the server
            assertThat(value(mount, "fsdriver_mount_requests_answered_total",
                    "by=\"local\",opcode=\"WRITE\",share=\"work\"")).isPositive();
            assertThat(value(mount, "fsdriver_mount_client_calls_total", "method=\"Hello\",share=\"work\"")).isPositive();
            assertThat(value(mount, "fsdriver_mount_client_calls_total", "method=\"Lookup\",share=\"work\"")).isPositive();
            assertThat(value(mount, "fsdriver_mount_client_calls_total", "method=\"Write\",share=\"work\"")).isPositive();
            assertThat(value(mount, "fsdriver_mount_reconnects_total", "share=\"work\"")).isZero();
            assertThat(mount).containsPattern("(?m)^fsdriver_mount_events_injected_total\\{share=\"work\"} ");
            String after = m.awaitMountPositive("fsdriver_mount_events_received_total", "share=\"work\"");
            assertThat(value(after, "fsdriver_mount_event_stream_resubscriptions_total", "share=\"work\"")).isZero();
            assertThat(value(after, "fsdriver_mount_events_live", "share=\"work\"")).isEqualTo(1);

            String serve = m.serverPage();
            assertThat(value(serve, "fsdriver_server_written_bytes_total", "share=\"work\"")).isGreaterThanOrEqualTo(data.length);
            assertThat(value(serve, "fsdriver_server_read_bytes_total", "share=\"work\""))
                    .isGreaterThanOrEqualTo("metrics".length());
            assertThat(value(serve, "fsdriver_server_sessions", "state=\"connected\"")).isEqualTo(1);
            assertThat(serve).containsPattern("(?m)^fsdriver_server_open_handles\\{share=\"work\"} ");
            assertThat(value(serve, "fsdriver_server_events_sent_total", "")).isPositive();
            assertThat(value(serve, "fsdriver_server_changes_total", "share=\"work\"")).isPositive();
            assertThat(serve).containsPattern("(?m)^fsdriver_server_events_dropped_total ");
            assertThat(serve).containsPattern("(?m)^fsdriver_server_event_overflows_total ");
        }
    }

    @Test
    void mountCountsHitsAndMissesOfEachOfItsCaches() throws Exception {
        Path s = Files.createDirectories(tmp.resolve("s"));
        Files.writeString(s.resolve("a.txt"), "cached?");
        Path mnt = Files.createDirectories(tmp.resolve("mnt-ops-caches"));
        try (MeteredMount m = MeteredMount.start(tmp, s, mnt)) {
            m.awaitEventsLive(); // the mount's own caches work while live
            // names made in a directory the mount made: each create's LOOKUP is answered without the
            // server (entry), and so is the listing of that directory (directory)
            Files.createDirectory(mnt.resolve("made"));
            for (int i = 0; i < 5; i++) {
                Files.writeString(mnt.resolve("made/f" + i), "x");
            }
            try (var names = Files.list(mnt.resolve("made"))) {
                assertThat(names.count()).isEqualTo(5);
            }
            assertThat(Files.readString(mnt.resolve("a.txt"))).isEqualTo("cached?"); // content: nothing fetched ahead
            assertThat(Files.getFileStore(mnt).getTotalSpace()).isPositive();       // statfs
            assertThat(Files.isDirectory(mnt.resolve("made"))).isTrue();

            String body = m.mountPage();
            assertThat(value(body, "fsdriver_mount_cache_hits_total", "cache=\"entry\",share=\"work\"")).isGreaterThanOrEqualTo(5);
            assertThat(value(body, "fsdriver_mount_cache_hits_total", "cache=\"directory\",share=\"work\"")).isPositive();
            // the first open of a file nobody read ahead went to the server
            assertThat(value(body, "fsdriver_mount_cache_misses_total", "cache=\"content\",share=\"work\"")).isPositive();
            for (String cache : new String[] {"attribute", "entry", "directory", "content", "statfs"}) {
                String labels = "cache=\"" + cache + "\",share=\"work\"";
                assertThat(value(body, "fsdriver_mount_cache_hits_total", labels)
                        + value(body, "fsdriver_mount_cache_misses_total", labels)).as(cache).isPositive();
            }
        }
    }

    @Test
    void mountMeasuresTheLagFromTheServerSeeingAChangeToTheMountApplyingIt() throws Exception {
        Path s = Files.createDirectories(tmp.resolve("s"));
        Path mnt = Files.createDirectories(tmp.resolve("mnt-ops-lag"));
        try (MeteredMount m = MeteredMount.start(tmp, s, mnt)) {
            m.awaitEventsLive();
            assertThat(value(m.mountPage(), "fsdriver_mount_event_lag_seconds_count", "share=\"work\"")).isZero();
            long before = System.nanoTime();
            Files.writeString(s.resolve("made-on-the-server.txt"), "x"); // the server's watcher sees it
            String body = m.awaitMountPositive("fsdriver_mount_event_lag_seconds_count", "share=\"work\"");
            double waited = (System.nanoTime() - before) / 1e9;
            double count = value(body, "fsdriver_mount_event_lag_seconds_count", "share=\"work\"");
            double max = value(body, "fsdriver_mount_event_lag_seconds_max", "share=\"work\"");
            // the change was seen after `before` and applied before the scrape: the lag lies within
            // the test's own wait (same machine, same clock)
            assertThat(value(body, "fsdriver_mount_event_lag_seconds_sum", "share=\"work\"") / count)
                    .isGreaterThanOrEqualTo(0).isLessThanOrEqualTo(waited);
            assertThat(max).isGreaterThanOrEqualTo(0).isLessThanOrEqualTo(waited);
            assertThat(value(body, "fsdriver_mount_event_lag_skewed_total", "share=\"work\"")).isZero();
            assertThat(value(body, "fsdriver_mount_event_lag_seconds_bucket", "share=\"work\",le=\"+Inf\""))
                    .isEqualTo(count);
        }
    }

    /**
     * Each daemon runs in the JVM that bin/fsdriver sizes for its role (bin/jvm/*.args): the serial
     * collector and a heap of at most 448 MiB (both: lean size and issue 16's node budget), as their metrics pages
     * show. Without the role options the JVM takes a quarter of the machine's memory and G1.
     */
    @Test
    void eachDaemonRunsInTheJvmSizedForItsRole() throws Exception {
        Path s = Files.createDirectories(tmp.resolve("s"));
        Path mnt = Files.createDirectories(tmp.resolve("mnt-metrics-jvm"));
        try (MeteredMount m = MeteredMount.start(tmp, s, mnt)) {
            String serve = m.serverPage();
            String mount = m.mountPage();
            for (String body : List.of(serve, mount)) {
                assertThat(body).contains("jvm_memory_max_bytes{area=\"heap\",id=\"Tenured Gen\"}",
                        "jvm_threads_live_threads", "process_uptime_seconds");
            }
            assertThat(heapMax(serve)).isBetween(440.0 * (1 << 20), 448.0 * (1 << 20));
            assertThat(heapMax(mount)).isBetween(440.0 * (1 << 20), 448.0 * (1 << 20));
        }
    }

    /** The sum of the heap pools' maximum sizes (what -Xmx allows, less one survivor space). */
    static double heapMax(String body) {
        Matcher m = Pattern.compile("(?m)^jvm_memory_max_bytes\\{area=\"heap\",id=\"[^\"]+\"} (\\S+)$").matcher(body);
        double sum = 0;
        int pools = 0;
        while (m.find()) {
            sum += Double.parseDouble(m.group(1));
            pools++;
        }
        assertThat(pools).as("heap pools in\n" + body).isPositive();
        return sum;
    }

    private static double value(String page, String name, String labels) {
        return MeteredMount.sample(page, name, labels);
    }
}
