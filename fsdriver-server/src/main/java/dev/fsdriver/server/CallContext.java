package dev.fsdriver.server;

import dev.fsdriver.backend.FsException;
import dev.fsdriver.common.Errno;
import io.grpc.Context;

/** What {@link ServerAuth} resolved from a call's headers, for the handlers. */
final class CallContext {
    static final Context.Key<Share> SHARE = Context.key("fsdriver-share");
    static final Context.Key<Boolean> READ_ONLY = Context.key("fsdriver-read-only");
    /** The connection the call came on (null only outside a served call). */
    static final Context.Key<Sessions.Conn> CONN = Context.key("fsdriver-connection");
    /** Who the call's handles belong to: its session, or its connection without one. */
    static final Context.Key<Object> OWNER = Context.key("fsdriver-owner");
    /** Owner of calls that reach a handler without passing {@link ServerAuth} (none in the server). */
    private static final Object NOBODY = new Object();
    static final Context.Key<ClientView> VIEW = Context.key("fsdriver-client-view");

    private CallContext() {}

    /** The share named by the "fsdriver-share" header; ENOENT when the call named none. */
    static Share share() throws FsException {
        Share s = SHARE.get();
        if (s == null) {
            throw new FsException(Errno.ENOENT, "no share named in the 'fsdriver-share' header");
        }
        return s;
    }

    /** The owner of handles opened or used by this call (see {@link HandleTable}). */
    static Object owner() {
        Object o = OWNER.get();
        return o == null ? NOBODY : o;
    }

    /** The share {@code name} if the calling client may see it, else null (as for a missing share). */
    static Share visible(String name) {
        ClientView view = VIEW.get();
        return view == null ? null : view.share(name);
    }

    /** Whether the calling client may only read share {@code name} (an allow rule with ':ro'). */
    static boolean clientReadOnly(String name) {
        ClientView view = VIEW.get();
        return view != null && view.readOnly(name);
    }

    /** Whether the client asked for a read-only session ("fsdriver-read-only: 1"). */
    static boolean sessionReadOnly() {
        return Boolean.TRUE.equals(READ_ONLY.get());
    }
}
