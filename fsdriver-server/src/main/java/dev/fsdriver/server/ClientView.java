package dev.fsdriver.server;

import java.util.Map;

/**
 * The shares as one client sees them ({@link ShareAccess}): a share it may not see is null,
 * exactly as a missing one.
 *
 * @param client the client's name (named token or certificate CN), null when it has none
 */
record ClientView(String client, Map<String, Share> shares, ShareAccess access) {
    /** The share named {@code name} if this client may see it, else null. */
    Share share(String name) {
        Share s = name == null ? null : shares.get(name);
        return s == null || access.grant(name, client) == ShareAccess.Grant.NONE ? null : s;
    }

    /** Whether this client may only read {@code name}. */
    boolean readOnly(String name) {
        return access.grant(name, client) == ShareAccess.Grant.READ_ONLY;
    }
}
