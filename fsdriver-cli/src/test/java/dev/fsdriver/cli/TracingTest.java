package dev.fsdriver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What {@link Tracing} records, with an in-memory exporter: the costly client calls and the
 * overflow resync as roots, the calls made inside a resync as its children, cheap calls not at
 * all. (TracingEndToEndTest checks the same across real processes and a real collector.)
 */
class TracingTest {
    private static final AttributeKey<String> METHOD = AttributeKey.stringKey("rpc.method");

    private final InMemorySpanExporter exported = InMemorySpanExporter.create();
    /** What the tracer exports; the in-memory exporter's own shutdown would clear it. */
    private final Tracing tracing = new Tracing("fsdriver-test", new SpanExporter() {
        @Override
        public CompletableResultCode export(Collection<SpanData> spans) {
            return exported.export(spans);
        }

        @Override
        public CompletableResultCode flush() {
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode shutdown() {
            return CompletableResultCode.ofSuccess();
        }
    }, Duration.ofMillis(10));

    @Test
    void aResyncIsARootSpanAndTheListingsInsideAreItsChildren() {
        try (var resync = tracing.resync("a/b")) {
            call("ReadDir").end();
            call("Lookup").end(); // a child of a sampled span is kept, whatever the call
        }
        List<SpanData> spans = finished();
        SpanData root = spans.stream().filter(s -> s.getName().equals(Tracing.RESYNC)).findFirst().orElseThrow();
        assertThat(root.getParentSpanContext().isValid()).isFalse();
        assertThat(root.getAttributes().get(AttributeKey.stringKey("fsdriver.path"))).isEqualTo("a/b");
        assertThat(spans).filteredOn(s -> s.getKind() == SpanKind.CLIENT).hasSize(2)
                .allSatisfy(s -> assertThat(s.getParentSpanId()).isEqualTo(root.getSpanId()));
    }

    @Test
    void costlyCallsStartATraceAndCheapOnesDoNot() {
        call("Read").end();
        call("Hello").end();
        call("Lookup").end();
        call("GetAttr").end();
        assertThat(finished()).extracting(s -> s.getAttributes().get(METHOD)).containsExactlyInAnyOrder("Read", "Hello");
    }

    private Span call(String method) {
        return tracing.tracer().spanBuilder("fsdriver.v1.Files/" + method).setSpanKind(SpanKind.CLIENT)
                .setAttribute(METHOD, method).startSpan();
    }

    private List<SpanData> finished() {
        tracing.close(); // exports what the batch holds
        return exported.getFinishedSpanItems();
    }
}
