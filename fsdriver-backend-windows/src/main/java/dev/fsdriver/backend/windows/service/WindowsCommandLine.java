package dev.fsdriver.backend.windows.service;

import java.util.List;

/**
 * argv to a Windows command line that CommandLineToArgvW (and the C runtime, and java.exe's
 * launcher) split back into the same argv. Pure, unit-tested against the documented rules.
 */
public final class WindowsCommandLine {
    private WindowsCommandLine() {}

    /** argv joined with spaces, each argument quoted as needed. */
    public static String of(List<String> argv) {
        StringBuilder sb = new StringBuilder();
        for (String a : argv) {
            if (!sb.isEmpty()) {
                sb.append(' ');
            }
            sb.append(quote(a));
        }
        return sb.toString();
    }

    /**
     * One argument: unchanged unless empty or containing space, tab, newline, quote or a wildcard
     * (java.exe expands unquoted * and ? in its arguments); otherwise in quotes, a quote as \",
     * backslashes before a quote or the closing quote doubled.
     */
    public static String quote(String arg) {
        if (!arg.isEmpty() && arg.chars().noneMatch(c -> c == ' ' || c == '\t' || c == '"' || c == '\n' || c == '*' || c == '?')) {
            return arg;
        }
        StringBuilder sb = new StringBuilder("\"");
        int backslashes = 0;
        for (int i = 0; i < arg.length(); i++) {
            char c = arg.charAt(i);
            if (c == '\\') {
                backslashes++;
                continue;
            }
            if (c == '"') {
                sb.append("\\".repeat(2 * backslashes + 1)).append('"');
            } else {
                sb.append("\\".repeat(backslashes)).append(c);
            }
            backslashes = 0;
        }
        sb.append("\\".repeat(2 * backslashes)).append('"');
        return sb.toString();
    }
}
