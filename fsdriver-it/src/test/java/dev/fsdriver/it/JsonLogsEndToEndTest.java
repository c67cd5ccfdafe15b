package dev.fsdriver.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `fsdriver serve --log-format json` as a real process: every line it prints is one JSON object
 * with time, level, logger and message, and the start-up lines and a failed call carry their
 * fields (listen; share, operation, errno, duration_us) as fields of that object.
 */
class JsonLogsEndToEndTest {
    @TempDir
    Path tmp;

    @Test
    void serveLogsJsonLinesWithStructuredFields() throws Exception {
        Path s = Files.createDirectories(tmp.resolve("s"));
        Path mnt = Files.createDirectories(tmp.resolve("mnt-ops-json"));
        Fsdriver.Server server = Fsdriver.serve(tmp, "--share", "work=" + s, "--log-format", "json", "--log-level", "debug");
        try (server; Fsdriver.Mount m = Fsdriver.mount(tmp, server, "work", mnt)) {
            assertThat(Files.exists(mnt.resolve("no-such-file-ops"))).isFalse(); // Lookup: ENOENT, logged at debug
        }
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> lines = new ArrayList<>();
        for (String line : server.proc().output().lines().toList()) {
            JsonNode node = json.readTree(line); // throws on anything that is not JSON
            assertThat(node.isObject()).as(line).isTrue();
            assertThat(node.has("time") && node.has("level") && node.has("logger") && node.has("message")).as(line).isTrue();
            lines.add(node);
        }
        assertThat(lines).anySatisfy(n -> {
            assertThat(n.path("listen").asText()).isEqualTo(server.address());
            assertThat(n.path("message").asText()).startsWith("listening on " + server.address());
        });
        assertThat(lines).anySatisfy(n -> {
            assertThat(n.path("share").asText()).isEqualTo("work");
            assertThat(n.path("read_only").asBoolean(true)).isFalse();
        });
        assertThat(lines).anySatisfy(n -> {
            assertThat(n.path("level").asText()).isEqualTo("DEBUG");
            assertThat(n.path("logger").asText()).isEqualTo("dev.fsdriver.server.Rpc");
            assertThat(n.path("operation").asText()).isEqualTo("Lookup");
            assertThat(n.path("errno").asText()).isEqualTo("ENOENT");
            assertThat(n.path("share").asText()).isEqualTo("work");
            assertThat(n.path("duration_us").isIntegralNumber()).isTrue();
        });
    }
}
