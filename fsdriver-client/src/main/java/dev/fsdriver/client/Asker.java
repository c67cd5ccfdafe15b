package dev.fsdriver.client;

import dev.fsdriver.client.cache.KnownAttrs;

/**
 * Who a lookup or getattr answers: the kernel, or the events layer reading the server for itself
 * ({@link OwnReads}). Only the kernel may be lent a reference it holds already (see
 * {@link EventsLink#lendsFrom}); a fresh read is answered by the server only, never from what this
 * client keeps while events flow ({@link KnownAttrs}, listings kept for lookups), which a
 * program's stat may have refilled after the change the events layer looks for.
 */
enum Asker {
    KERNEL,
    OWN,
    OWN_FRESH;

    boolean fresh() {
        return this == OWN_FRESH;
    }
}
