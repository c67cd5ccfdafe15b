package dev.fsdriver.cli;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * --metrics-listen HOST:PORT: Prometheus text at {@code /metrics} from a Prometheus registry
 * added to Micrometer's global one (where the server and client record), over the JDK's own HTTP
 * server (no web framework for one read-only page). The JVM's own meters (memory by pool, GC,
 * threads, classes, CPU, uptime: Micrometer's binders) are on the same page, so a daemon's
 * footprint is watched where its calls are.
 */
final class MetricsEndpoint implements AutoCloseable {
    private final HttpServer http;
    private final PrometheusMeterRegistry registry;
    private final JvmGcMetrics gc;

    private MetricsEndpoint(HttpServer http, PrometheusMeterRegistry registry, JvmGcMetrics gc) {
        this.http = http;
        this.registry = registry;
        this.gc = gc;
    }

    /** Parses HOST:PORT ([v6]:PORT too); IllegalArgumentException with the reason. */
    static InetSocketAddress parse(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0 || colon == hostPort.length() - 1) {
            throw new IllegalArgumentException("expected HOST:PORT, got '" + hostPort + "'");
        }
        String host = hostPort.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(hostPort.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad port in '" + hostPort + "'");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("bad port in '" + hostPort + "'");
        }
        return new InetSocketAddress(host, port);
    }

    static MetricsEndpoint start(InetSocketAddress address) throws IOException {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        JvmGcMetrics gc = new JvmGcMetrics();
        gc.bindTo(registry);
        HttpServer http = HttpServer.create(address, 0);
        http.createContext("/metrics", exchange -> {
            try (exchange) {
                if (!exchange.getRequestMethod().equals("GET") && !exchange.getRequestMethod().equals("HEAD")) {
                    exchange.sendResponseHeaders(405, -1);
                    return;
                }
                byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        });
        http.start();
        Metrics.addRegistry(registry);
        return new MetricsEndpoint(http, registry, gc);
    }

    /** "http://HOST:PORT/metrics" as bound (the port when 0 was asked). */
    String url() {
        InetSocketAddress a = http.getAddress();
        String host = a.getAddress().getHostAddress();
        return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort() + "/metrics";
    }

    @Override
    public void close() {
        http.stop(0);
        Metrics.removeRegistry(registry);
        gc.close();
        registry.close();
    }
}
