package dev.fsdriver.backend.windows.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class WindowsCommandLineTest {
    /** CommandLineToArgvW's documented rules (2N backslashes + quote: N and toggle; 2N+1: N and a literal quote). */
    static List<String> parse(String cmdline) {
        List<String> out = new ArrayList<>();
        int i = 0;
        int n = cmdline.length();
        while (i < n) {
            while (i < n && (cmdline.charAt(i) == ' ' || cmdline.charAt(i) == '\t')) {
                i++;
            }
            if (i >= n) {
                break;
            }
            StringBuilder sb = new StringBuilder();
            boolean inQuotes = false;
            while (i < n && (inQuotes || (cmdline.charAt(i) != ' ' && cmdline.charAt(i) != '\t'))) {
                char c = cmdline.charAt(i);
                if (c == '\\') {
                    int start = i;
                    while (i < n && cmdline.charAt(i) == '\\') {
                        i++;
                    }
                    int count = i - start;
                    if (i < n && cmdline.charAt(i) == '"') {
                        sb.append("\\".repeat(count / 2));
                        if (count % 2 == 1) {
                            sb.append('"');
                            i++;
                        }
                    } else {
                        sb.append("\\".repeat(count));
                    }
                } else if (c == '"') {
                    inQuotes = !inQuotes;
                    i++;
                } else {
                    sb.append(c);
                    i++;
                }
            }
            out.add(sb.toString());
        }
        return out;
    }

    @Test
    void quotingRoundTripsThroughCommandLineToArgvRules() {
        List<String> tricky = List.of("plain", "", "with space", "C:\\dir\\", "C:\\dir with space\\", "a\"b", "a\\\"b",
                "\\\\server\\share", "tab\there", "end\\\\", "\"", "lib\\*", "what?");
        assertThat(parse(WindowsCommandLine.of(tricky))).isEqualTo(tricky);
        assertThat(WindowsCommandLine.quote("plain")).isEqualTo("plain");
        assertThat(WindowsCommandLine.quote("C:\\dir with space\\")).isEqualTo("\"C:\\dir with space\\\\\"");
        assertThat(WindowsCommandLine.quote("a\"b")).isEqualTo("\"a\\\"b\"");
        // java.exe expands unquoted wildcards in its arguments: they are quoted
        assertThat(WindowsCommandLine.quote("C:\\lib\\*")).isEqualTo("\"C:\\lib\\*\"");
    }
}
