package dev.fsdriver.server;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Which client may see which share. A share without rules is open to every client the server
 * lets in (token and TLS checks come first); a share with rules is seen only by the clients
 * they name, read-only for those whose rule says so. A client is named by its named token
 * ({@code --client-token NAME=FILE}) or else by its certificate's subject CN (mutual TLS).
 * A share a client may not see answers exactly like a missing share (no share-name oracle).
 */
final class ShareAccess {
    private static final Pattern CLIENT = Pattern.compile("[A-Za-z0-9._@-]+");

    /** One {@code --allow SHARE=CLIENT[:ro]}. */
    record Rule(String share, String client, boolean readOnly) {
        Rule {
            ShareSpec.checkName(share);
            checkClientName(client);
        }
    }

    /** What one client may do with one share. */
    enum Grant { NONE, READ_ONLY, READ_WRITE }

    /** share -> (client -> read-only); shares absent here are open. */
    private final Map<String, Map<String, Boolean>> rules = new HashMap<>();

    ShareAccess(List<Rule> list) {
        for (Rule r : list) {
            Map<String, Boolean> clients = rules.computeIfAbsent(r.share(), k -> new HashMap<>());
            if (clients.putIfAbsent(r.client(), r.readOnly()) != null) {
                throw new IllegalArgumentException("share '" + r.share() + "': client '" + r.client() + "' allowed twice");
            }
        }
    }

    /** @param client the client's name, null when it has none (no named token, no certificate) */
    Grant grant(String share, String client) {
        Map<String, Boolean> clients = rules.get(share);
        if (clients == null) {
            return Grant.READ_WRITE;
        }
        Boolean ro = client == null ? null : clients.get(client);
        return ro == null ? Grant.NONE : ro ? Grant.READ_ONLY : Grant.READ_WRITE;
    }

    static void checkClientName(String name) {
        if (name == null || !CLIENT.matcher(name).matches()) {
            throw new IllegalArgumentException("client name '" + name + "': use only letters, digits, '.', '_', '@' and '-'");
        }
    }
}
