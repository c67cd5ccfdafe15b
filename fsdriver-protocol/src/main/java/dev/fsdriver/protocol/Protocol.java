package dev.fsdriver.protocol;

import io.grpc.Metadata;

/** Constants both sides of the wire agree on. */
public final class Protocol {
    /** Version spoken in HelloRequest/HelloReply. */
    public static final int VERSION = 1;

    /** The share a call is about (every Files call; Hello names it in the message too). */
    public static final Metadata.Key<String> SHARE =
            Metadata.Key.of("fsdriver-share", Metadata.ASCII_STRING_MARSHALLER);

    /** "Bearer &lt;token&gt;" when the server was started with a token file. */
    public static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    /**
     * "1" when the client asked for a read-only session (mount --read-only): the server then
     * answers EROFS to every mutation of this call, whatever the share allows.
     */
    public static final Metadata.Key<String> READ_ONLY =
            Metadata.Key.of("fsdriver-read-only", Metadata.ASCII_STRING_MARSHALLER);

    /**
     * The session id the server issued in HelloReply.session, sent with every later call on the
     * same connection, the Watch stream included: handles opened under it belong to it, and the
     * server never sends it the events of its own changes. The server honours it only on the
     * connection the session is bound to (see docs/server.md, "Sessions").
     */
    public static final Metadata.Key<String> SESSION =
            Metadata.Key.of("fsdriver-session", Metadata.ASCII_STRING_MARSHALLER);

    /**
     * A trailer of the server's UNAVAILABLE answer to a call that named its session on another
     * connection than the one the session is bound to, while that one still looks open to the
     * server (the client's channel reconnected by itself before the server saw the old connection
     * close). The call was not executed: the client says Hello with its resume key (which moves the
     * session to this connection) and sends the call again.
     */
    public static final Metadata.Key<String> SESSION_ELSEWHERE =
            Metadata.Key.of("fsdriver-session-elsewhere", Metadata.ASCII_STRING_MARSHALLER);

    /**
     * Sent by the server with every answer (headers and trailers): a random id of the server
     * process. Another value than before means the server restarted: its file handles are gone
     * (node ids stay, see NodeIds), so the client reopens its open files.
     */
    public static final Metadata.Key<String> INSTANCE =
            Metadata.Key.of("fsdriver-instance", Metadata.ASCII_STRING_MARSHALLER);

    /** Largest gRPC message either side sends: one block of I/O plus headroom. */
    public static final int MAX_MESSAGE_BYTES = 4 << 20;

    /** Largest Read size / Write payload a server accepts. */
    public static final int MAX_IO_BYTES = 1 << 20;

    /** Default TCP port of `fsdriver serve`. */
    public static final int DEFAULT_PORT = 7420;

    private Protocol() {}
}
