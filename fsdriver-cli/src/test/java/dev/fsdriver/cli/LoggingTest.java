package dev.fsdriver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

/** The log formats and levels, on a private Logback context writing to a buffer. */
class LoggingTest {
    private final LoggerContext ctx = new LoggerContext();
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    LoggingTest() {
        ctx.setMDCAdapter(new LogbackMDCAdapter()); // the process's context gets one from SLF4J
    }

    private List<String> lines() {
        return out.toString(StandardCharsets.UTF_8).lines().toList();
    }

    private void failedCall(Logger log) {
        log.atWarn().addKeyValue("share", "docs").addKeyValue("operation", "Lookup").addKeyValue("errno", "EIO")
                .addKeyValue("duration_us", 1234L).log("{}: {}", "Lookup", "disk on fire");
    }

    @Test
    void textIsLevelAndMessage() {
        Logging.configure(ctx, Logging.Format.text, null, false, out);
        Logger log = ctx.getLogger("dev.fsdriver.server.Rpc");
        failedCall(log);
        log.info("listening on {}", "tcp://127.0.0.1:7420");
        log.debug("not shown");
        assertThat(lines()).containsExactly("WARN Lookup: disk on fire", "INFO listening on tcp://127.0.0.1:7420");
    }

    @Test
    void verboseTextAddsLoggerAndFieldsAndDebug() {
        Logging.configure(ctx, Logging.Format.text, null, true, out);
        Logger log = ctx.getLogger("dev.fsdriver.server.Rpc");
        failedCall(log);
        log.debug("plain");
        assertThat(lines()).containsExactly(
                "WARN Rpc Lookup: disk on fire share=\"docs\" operation=\"Lookup\" errno=\"EIO\" duration_us=\"1234\"",
                "DEBUG Rpc plain");
    }

    @Test
    void logLevelWinsOverVerboseAndGrpcStaysAtInfo() {
        Logging.configure(ctx, Logging.Format.text, Logging.LogLevel.warn, true, out);
        ctx.getLogger("x").info("hidden");
        ctx.getLogger("x").warn("shown");
        assertThat(lines()).containsExactly("WARN x shown");
        Logging.configure(ctx, Logging.Format.text, Logging.LogLevel.trace, false, out);
        assertThat(ctx.getLogger("io.grpc.netty").isDebugEnabled()).isFalse();
        assertThat(ctx.getLogger("java.lang.Runtime").isDebugEnabled()).isFalse();
        assertThat(ctx.getLogger("dev.fsdriver.client").isTraceEnabled()).isTrue();
    }

    @Test
    void jsonIsOneObjectPerLineWithTheFieldsAtTopLevel() throws Exception {
        Logging.configure(ctx, Logging.Format.json, null, false, out);
        failedCall(ctx.getLogger("dev.fsdriver.server.Rpc"));
        ctx.getLogger("dev.fsdriver.server.FsServer").info("a \"quoted\"\nmessage");
        List<String> lines = lines();
        assertThat(lines).hasSize(2);
        ObjectMapper json = new ObjectMapper();
        JsonNode call = json.readTree(lines.get(0));
        assertThat(OffsetDateTime.parse(call.get("time").asText())).isNotNull();
        assertThat(call.get("level").asText()).isEqualTo("WARN");
        assertThat(call.get("logger").asText()).isEqualTo("dev.fsdriver.server.Rpc");
        assertThat(call.get("message").asText()).isEqualTo("Lookup: disk on fire");
        assertThat(call.get("share").asText()).isEqualTo("docs");
        assertThat(call.get("operation").asText()).isEqualTo("Lookup");
        assertThat(call.get("errno").asText()).isEqualTo("EIO");
        assertThat(call.get("duration_us").isNumber()).isTrue();
        assertThat(call.get("duration_us").asLong()).isEqualTo(1234L);
        assertThat(json.readTree(lines.get(1)).get("message").asText()).isEqualTo("a \"quoted\"\nmessage");
    }
}
