package dev.fsdriver.cli;

import io.grpc.ClientInterceptor;
import io.grpc.ServerInterceptor;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.instrumentation.grpc.v1_6.GrpcTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.opentelemetry.sdk.trace.samplers.SamplingResult;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * OpenTelemetry tracing of {@code --otlp-endpoint}: spans for the calls that cost (listings, reads
 * and writes, Hello: a connect or reconnect), the mount's resyncs after lost change events (the
 * listings they make nested in them), and the server's side of each call, in one trace (W3C
 * trace context in the call's headers). The spans and the propagation are opentelemetry-java-
 * instrumentation's gRPC interceptors; what is traced is decided by {@link ExpensiveCalls}: every
 * other call (a lookup, a getattr) starts no span, and the server traces only calls whose client
 * traced them. Exported over OTLP/HTTP (protobuf) with the JDK's HTTP client, in batches.
 */
final class Tracing implements AutoCloseable {
    /** The gRPC methods whose client side starts a trace. */
    static final Set<String> TRACED = Set.of("ReadDir", "Read", "Write", "Hello");
    /** The mount's span around an overflow resync (change events were lost: directories listed again). */
    static final String RESYNC = "fsdriver.overflow_resync";
    private static final AttributeKey<String> PATH = AttributeKey.stringKey("fsdriver.path");
    private static final AttributeKey<String> RPC_METHOD = AttributeKey.stringKey("rpc.method");

    private final OpenTelemetrySdk sdk;
    private final GrpcTelemetry grpc;

    Tracing(String service, SpanExporter exporter, Duration exportDelay) {
        SdkTracerProvider tracer = SdkTracerProvider.builder()
                .setResource(Resource.getDefault().merge(Resource.create(Attributes.of(
                        AttributeKey.stringKey("service.name"), service))))
                .setSampler(Sampler.parentBased(new ExpensiveCalls()))
                .addSpanProcessor(BatchSpanProcessor.builder(exporter).setScheduleDelay(exportDelay).build())
                .build();
        this.sdk = OpenTelemetrySdk.builder().setTracerProvider(tracer)
                .setPropagators(io.opentelemetry.context.propagation.ContextPropagators.create(
                        io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator.getInstance()))
                .build();
        this.grpc = GrpcTelemetry.create(sdk);
    }

    /** Tracing to the OTLP/HTTP collector at {@code endpoint} (e.g. http://127.0.0.1:4318), or null for none. */
    static Tracing otlp(String service, String endpoint) {
        if (endpoint == null || endpoint.isEmpty()) {
            return null;
        }
        URI uri = URI.create(endpoint.endsWith("/") ? endpoint : endpoint + "/");
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
            throw new IllegalArgumentException("expected http://HOST:PORT or https://... : " + endpoint);
        }
        return new Tracing(service, OtlpHttpSpanExporter.builder().setEndpoint(uri.resolve("v1/traces").toString())
                .build(), Duration.ofSeconds(1));
    }

    /**
     * Opens the span of one overflow resync of {@code path} and makes it current, so the resync's
     * ReadDir calls are its children; closing the returned span ends it.
     */
    dev.fsdriver.client.events.ChangeEvents.Span resync(String path) {
        io.opentelemetry.api.trace.Span span = tracer().spanBuilder(RESYNC)
                .setSpanKind(SpanKind.INTERNAL).setAttribute(PATH, path).startSpan();
        io.opentelemetry.context.Scope scope = span.makeCurrent();
        return () -> {
            scope.close();
            span.end();
        };
    }

    io.opentelemetry.api.trace.Tracer tracer() {
        return sdk.getTracer("fsdriver");
    }

    ClientInterceptor clientInterceptor() {
        return grpc.createClientInterceptor();
    }

    ServerInterceptor serverInterceptor() {
        return grpc.createServerInterceptor();
    }

    /** Exports what is left. */
    @Override
    public void close() {
        sdk.getSdkTracerProvider().shutdown().join(10, TimeUnit.SECONDS);
    }

    /**
     * Root spans: client calls of {@link #TRACED} methods and overflow resyncs only (the parent-based sampler around it
     * keeps the children of a sampled parent, so the server records the calls its clients traced).
     */
    static final class ExpensiveCalls implements Sampler {
        @Override
        public SamplingResult shouldSample(Context parent, String traceId, String name, SpanKind kind,
                                           Attributes attributes, List<LinkData> links) {
            String method = attributes.get(RPC_METHOD);
            boolean traced = kind == SpanKind.CLIENT && method != null && TRACED.contains(method)
                    || kind == SpanKind.INTERNAL && RESYNC.equals(name);
            return traced ? SamplingResult.recordAndSample() : SamplingResult.drop();
        }

        @Override
        public String getDescription() {
            return "fsdriver: client calls of " + TRACED + " and " + RESYNC;
        }
    }
}
