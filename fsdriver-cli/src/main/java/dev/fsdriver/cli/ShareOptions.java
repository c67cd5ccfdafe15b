package dev.fsdriver.cli;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code serve --share-option SHARE:KEY[=VALUE]}: a backend option of one share, as drvfs's
 * {@code -o}. The share name cannot hold ':' and the key cannot hold '=', so the first ':' and
 * the first '=' split it, and the value may hold anything (a Windows path with colons and commas).
 * Which keys and values are good is each backend's business ({@code BackendProvider.checkOptions}).
 */
final class ShareOptions {
    static final String SYNTAX = "SHARE:KEY[=VALUE]";

    private ShareOptions() {}

    /**
     * The options {@code given} sets, per share name (a bare KEY has the value ""), for the
     * {@code shares} served; IllegalArgumentException for bad syntax, an unknown share, or a key
     * set twice for one share.
     */
    static Map<String, Map<String, String>> parse(Collection<String> given, Collection<String> shares) {
        Map<String, Map<String, String>> out = new LinkedHashMap<>();
        for (String s : shares) {
            out.put(s, new LinkedHashMap<>());
        }
        for (String option : given) {
            int colon = option.indexOf(':');
            if (colon <= 0 || colon == option.length() - 1 || option.charAt(colon + 1) == '=') {
                throw new IllegalArgumentException("'" + option + "': expected " + SYNTAX + " (e.g. docs:uid=1000)");
            }
            String share = option.substring(0, colon);
            String rest = option.substring(colon + 1);
            int eq = rest.indexOf('=');
            String key = eq < 0 ? rest : rest.substring(0, eq);
            String value = eq < 0 ? "" : rest.substring(eq + 1);
            Map<String, String> options = out.get(share);
            if (options == null) {
                throw new IllegalArgumentException("'" + option + "': no --share named '" + share + "' (shares: "
                        + String.join(", ", shares) + ")");
            }
            if (options.putIfAbsent(key, value) != null) {
                throw new IllegalArgumentException("'" + option + "': share '" + share + "' already has " + key
                        + " (given twice)");
            }
        }
        return out;
    }
}
