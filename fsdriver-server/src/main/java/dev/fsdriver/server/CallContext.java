package dev.fsdriver.server;

import dev.fsdriver.backend.FsException;
import dev.fsdriver.common.Errno;
import io.grpc.Context;

/** What {@link ServerAuth} resolved from a call's headers, for the handlers. */
final class CallContext {
    static final Context.Key<Share> SHARE = Context.key("fsdriver-share");
    static final Context.Key<Boolean> READ_ONLY = Context.key("fsdriver-read-only");

    private CallContext() {}

    /** The share named by the "fsdriver-share" header; ENOENT when the call named none. */
    static Share share() throws FsException {
        Share s = SHARE.get();
        if (s == null) {
            throw new FsException(Errno.ENOENT, "no share named in the 'fsdriver-share' header");
        }
        return s;
    }

    /** Whether the client asked for a read-only session ("fsdriver-read-only: 1"). */
    static boolean sessionReadOnly() {
        return Boolean.TRUE.equals(READ_ONLY.get());
    }
}
