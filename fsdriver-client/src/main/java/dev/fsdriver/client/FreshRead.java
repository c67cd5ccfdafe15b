package dev.fsdriver.client;

/**
 * A request whose answer must be the server's own, read by this very call: never from what this
 * client keeps while events flow ({@link KnownAttrs}, listings kept for lookups), which a
 * program's stat may have refilled after the change the caller looks for. The events layer's
 * checks of what changed on the server ask this way (an overflow resync's directory times, the
 * size a changed file is announced with).
 */
public interface FreshRead {
    /** Whether this request is to be answered by the server only. */
    boolean fresh();
}
