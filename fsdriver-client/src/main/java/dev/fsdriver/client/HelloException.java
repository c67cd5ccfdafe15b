package dev.fsdriver.client;

import java.io.IOException;

/**
 * Hello failed: the message is one line for a user ("cannot reach server ...", "server has no
 * share named ...", ...), {@link #reason()} says which case it was.
 */
public final class HelloException extends IOException {
    /** Why a session could not be started. */
    public enum Reason { UNREACHABLE, NO_SUCH_SHARE, UNAUTHENTICATED, INCOMPATIBLE, TLS, FAILED }

    private final Reason reason;

    public HelloException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
