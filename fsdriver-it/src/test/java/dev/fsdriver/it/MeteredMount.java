package dev.fsdriver.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A share served and mounted with both metrics pages up ({@code --metrics-listen} on each): what
 * the server was asked, per method ({@code fsdriver_server_calls_total}), and the mount's samples
 * (FUSE requests, client calls, caches, events), read around a workload. The one set-up for the
 * tests that count calls or requests; {@link #start} returns once both pages answer.
 */
final class MeteredMount implements AutoCloseable {
    /** The share's name on the server (its samples' {@code share} label). */
    static final String SHARE = "work";
    /** The mount's samples of the share carry this label. */
    static final String SHARE_LABEL = "share=\"" + SHARE + "\"";
    private static final Pattern CALLS = Pattern.compile(
            "(?m)^fsdriver_server_calls_total\\{method=\"([^\"]+)\"[^}]*} (\\S+)$");

    final Fsdriver.Server server;
    final Fsdriver.Mount mount;
    /** The server's metrics port. */
    final int serverPort;
    /** The mount's metrics port. */
    final int mountPort;

    private MeteredMount(Fsdriver.Server server, Fsdriver.Mount mount, int serverPort, int mountPort) {
        this.server = server;
        this.mount = mount;
        this.serverPort = serverPort;
        this.mountPort = mountPort;
    }

    /** Serves {@code share} as {@link #SHARE} and mounts it at {@code mountPoint} with {@code mountArgs}. */
    static MeteredMount start(Path workDir, Path share, Path mountPoint, String... mountArgs) throws Exception {
        int serverPort = Fsdriver.freePort();
        int mountPort = Fsdriver.freePort();
        Fsdriver.Server server = Fsdriver.serveMetered(workDir, serverPort, "--share", SHARE + "=" + share);
        try {
            List<String> args = new ArrayList<>(List.of(mountArgs));
            args.addAll(List.of("--metrics-listen", "127.0.0.1:" + mountPort));
            Fsdriver.Mount mount = Fsdriver.mount(workDir, server, SHARE, mountPoint, args.toArray(String[]::new));
            try {
                mount.proc().awaitOutput("metrics at http://127.0.0.1:" + mountPort + "/metrics", Fsdriver.START_TIMEOUT);
            } catch (Exception | Error e) {
                closeAfter(e, mount);
                throw e;
            }
            return new MeteredMount(server, mount, serverPort, mountPort);
        } catch (Exception | Error e) {
            closeAfter(e, server);
            throw e;
        }
    }

    /** Closes {@code c} after {@code failure}; a failure of the close is added to it, never put in its place. */
    private static void closeAfter(Throwable failure, AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            failure.addSuppressed(e);
        }
    }

    @Override
    public void close() throws Exception {
        try {
            mount.close();
        } catch (Exception | Error e) {
            closeAfter(e, server);
            throw e;
        }
        server.close();
    }

    /** Waits until change events flow to the mount (its caches and read-ahead work only then). */
    void awaitEventsLive() throws Exception {
        awaitMountPositive("fsdriver_mount_events_live", SHARE_LABEL);
    }

    /** Calls the server served so far, per method, all statuses. */
    Map<String, Long> serverCalls() throws Exception {
        return calls(serverPort);
    }

    /** Calls the server whose metrics page is at {@code port} served so far, per method, all statuses. */
    static Map<String, Long> calls(int port) throws Exception {
        return callsIn(scrape(port));
    }

    /** Calls per method in a server's metrics {@code page}. */
    static Map<String, Long> callsIn(String page) {
        Map<String, Long> calls = new TreeMap<>();
        Matcher m = CALLS.matcher(page);
        while (m.find()) {
            calls.merge(m.group(1), (long) Double.parseDouble(m.group(2)), Long::sum);
        }
        return calls;
    }

    /** The calls per method made between two {@link #serverCalls} (methods with none left out). */
    static Map<String, Long> since(Map<String, Long> before, Map<String, Long> after) {
        Map<String, Long> d = new TreeMap<>();
        after.forEach((k, v) -> {
            long n = v - before.getOrDefault(k, 0L);
            if (n > 0) {
                d.put(k, n);
            }
        });
        return d;
    }

    static long total(Map<String, Long> calls) {
        return calls.values().stream().mapToLong(Long::longValue).sum();
    }

    String serverPage() throws Exception {
        return scrape(serverPort);
    }

    String mountPage() throws Exception {
        return scrape(mountPort);
    }

    /** Scrapes the mount until the sample is above 0 (an event travels from the server's watcher); returns that page. */
    String awaitMountPositive(String name, String labels) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        String page = mountPage();
        while (sample(page, name, labels) <= 0 && System.nanoTime() < end) {
            Thread.sleep(50);
            page = mountPage();
        }
        assertThat(sample(page, name, labels)).as(name).isPositive();
        return page;
    }

    /** The metrics page at {@code port}. */
    static String scrape(int port) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    /** The sample of {@code name} with exactly the labels {@code labels} ("" for none); fails when absent. */
    static double sample(String page, String name, String labels) {
        String series = labels.isEmpty() ? Pattern.quote(name) : Pattern.quote(name + "{" + labels + "}");
        Matcher m = Pattern.compile("(?m)^" + series + " (\\S+)$").matcher(page);
        assertThat(m.find()).as(name + "{" + labels + "} in\n" + page).isTrue();
        return Double.parseDouble(m.group(1));
    }
}
