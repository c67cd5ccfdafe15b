package dev.fsdriver.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * serve and mount with --otlp-endpoint, exporting to a collector of this test's own (OTLP/HTTP,
 * protobuf): the costly calls get a client span in the mount and a server span in serve, in one
 * trace; cheap calls (lookups, getattrs) none.
 */
class TracingEndToEndTest {
    /** A span as exported, with the service that exported it. */
    record Exported(String service, Span span) {
        String name() {
            return span.getName();
        }
    }

    /** The mount's span around an overflow resync (cli Tracing.RESYNC). */
    private static final String RESYNC = "fsdriver.overflow_resync";

    @TempDir
    Path tmp;

    @Test
    void readsAndListingsAreTracedAcrossTheCallAndLookupsAreNot() throws Exception {
        List<Exported> spans = new CopyOnWriteArrayList<>();
        HttpServer collector = collector(spans);
        String endpoint = "http://127.0.0.1:" + collector.getAddress().getPort();
        Path share = Files.createDirectories(tmp.resolve("share"));
        Files.write(share.resolve("big"), new byte[3 << 20]);
        for (int i = 0; i < 20; i++) {
            Files.writeString(share.resolve("f" + i), "x");
        }
        try (Fsdriver.Server server = Fsdriver.serve(tmp, "--share", "w=" + share, "--otlp-endpoint", endpoint);
             Fsdriver.Mount m = Fsdriver.mount(tmp, server, "w", tmp.resolve("mnt"), "--otlp-endpoint", endpoint)) {
            assertThat(Files.list(m.mountPoint()).count()).isEqualTo(21);
            assertThat(Files.readAllBytes(m.mountPoint().resolve("big"))).hasSize(3 << 20);
            Files.exists(m.mountPoint().resolve("nothere"));
            long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < end && !(has(spans, "fsdriver-serve", "fsdriver.v1.Files/Read")
                    && has(spans, "fsdriver-mount", "fsdriver.v1.Files/ReadDir"))) {
                Thread.sleep(100);
            }
        } finally {
            collector.stop(0);
        }
        Exported clientRead = spans.stream().filter(e -> e.service().equals("fsdriver-mount")
                && e.name().equals("fsdriver.v1.Files/Read")).findFirst().orElseThrow(() -> new AssertionError(names(spans)));
        assertThat(clientRead.span().getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_CLIENT);
        // the server's span of that very call: same trace, the client span its parent
        assertThat(spans).anySatisfy(e -> {
            assertThat(e.service()).isEqualTo("fsdriver-serve");
            assertThat(e.span().getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_SERVER);
            assertThat(e.span().getTraceId()).isEqualTo(clientRead.span().getTraceId());
            assertThat(e.span().getParentSpanId()).isEqualTo(clientRead.span().getSpanId());
        });
        assertThat(names(spans)).contains("fsdriver-mount fsdriver.v1.Files/ReadDir", "fsdriver-mount fsdriver.v1.Session/Hello")
                .noneMatch(n -> n.contains("/Lookup") || n.contains("/GetAttr") || n.contains("/Open"));
    }

    /**
     * A storm of server-side changes makes the server send OVERFLOW: the mount's resync is one
     * span, and the listings it makes are its children in the same trace (issue 14).
     */
    @Test
    void anOverflowResyncIsASpanWithItsListingsInside() throws Exception {
        List<Exported> spans = new CopyOnWriteArrayList<>();
        HttpServer collector = collector(spans);
        String endpoint = "http://127.0.0.1:" + collector.getAddress().getPort();
        Path share = Files.createDirectories(tmp.resolve("share"));
        Files.createDirectories(share.resolve("sub"));
        try (Fsdriver.Server server = Fsdriver.serve(tmp, "--share", "w=" + share);
             Fsdriver.Mount m = Fsdriver.mount(tmp, server, "w", tmp.resolve("mnt"), "--otlp-endpoint", endpoint)) {
            assertThat(Files.list(m.mountPoint()).count()).isEqualTo(1); // the kernel holds the root's listing
            for (int i = 0; i < 3000; i++) { // over the server's storm threshold (1000 events a second)
                Files.writeString(share.resolve("st" + i), "s");
            }
            long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < end && !has(spans, "fsdriver-mount", RESYNC)) {
                Thread.sleep(100);
            }
            assertThat(m.proc().output()).as("the storm made the mount resync").contains("change events under '' were lost");
        } finally {
            collector.stop(0);
        }
        Exported resync = spans.stream().filter(e -> e.name().equals(RESYNC)).findFirst()
                .orElseThrow(() -> new AssertionError("no resync span: " + names(spans)));
        assertThat(resync.service()).isEqualTo("fsdriver-mount");
        assertThat(resync.span().getParentSpanId().isEmpty()).as("a root span").isTrue();
        assertThat(resync.span().getAttributesList()).anySatisfy(a -> {
            assertThat(a.getKey()).isEqualTo("fsdriver.path");
            assertThat(a.getValue().getStringValue()).isEmpty(); // the share's root
        });
        assertThat(spans).as("the resync's listing of the root is its child").anySatisfy(e -> {
            assertThat(e.name()).isEqualTo("fsdriver.v1.Files/ReadDir");
            assertThat(e.span().getTraceId()).isEqualTo(resync.span().getTraceId());
            assertThat(e.span().getParentSpanId()).isEqualTo(resync.span().getSpanId());
        });
    }

    private static boolean has(List<Exported> spans, String service, String name) {
        return spans.stream().anyMatch(e -> e.service().equals(service) && e.name().equals(name));
    }

    private static List<String> names(List<Exported> spans) {
        return spans.stream().map(e -> e.service() + " " + e.name()).distinct().toList();
    }

    /** An OTLP/HTTP collector on a free port that adds every exported span to {@code spans}. */
    private static HttpServer collector(List<Exported> spans) throws java.io.IOException {
        HttpServer collector = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        collector.createContext("/v1/traces", exchange -> {
            ExportTraceServiceRequest request = ExportTraceServiceRequest.parseFrom(exchange.getRequestBody().readAllBytes());
            for (ResourceSpans rs : request.getResourceSpansList()) {
                String service = rs.getResource().getAttributesList().stream().filter(a -> a.getKey().equals("service.name"))
                        .map(a -> a.getValue().getStringValue()).findFirst().orElse("?");
                for (ScopeSpans ss : rs.getScopeSpansList()) {
                    ss.getSpansList().forEach(s -> spans.add(new Exported(service, s)));
                }
            }
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        collector.start();
        return collector;
    }
}
