package dev.fsdriver.client;

import dev.fsdriver.proto.v1.EventsGrpc;
import dev.fsdriver.proto.v1.HelloReply;
import dev.fsdriver.protocol.Protocol;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The session a {@link Connection} holds with the server: the id the server issued in the last
 * Hello (sent with every call, {@link #header()}), the key that lets a Hello on a new connection
 * keep it, the server process that answered last ({@link #instanceWatch()}), and whether the
 * session is lost (the server was unreachable, restarted, or holds the session on the channel's
 * earlier connection), so that the next call says Hello first ({@link #ensure()}).
 *
 * <p>Locking: the fields are volatile; {@link #ensure()} runs one Hello at a time, chosen under
 * {@code this}, and the Hello itself runs outside the lock.
 */
final class ClientSession {
    private static final Logger log = LoggerFactory.getLogger(ClientSession.class);

    /** Says Hello again on the connection (its outcome lands in {@link #established} or stays lost). */
    @FunctionalInterface
    interface Hello {
        void hello() throws HelloException;
    }

    private final String address;
    private final String share;
    private final ClientCounters counters;
    private final Hello hello;
    /** Set when a call found the server unreachable; the next call says Hello first. */
    private volatile boolean lost;
    /** The server process that answered last ({@link Protocol#INSTANCE}), 0 before the first answer. */
    private volatile long instance;
    /** The last {@link Protocol#INSTANCE} value read, so that an unchanged one is not parsed again. */
    private volatile String instanceText;
    /**
     * The session the server issued in the last Hello (null before it), sent as "fsdriver-session":
     * the server sends the Watch stream no events of the changes made through this mount, and
     * keeps the handles opened under it for it alone. {@link #resumeKey} lets a Hello on a new
     * connection (after a network drop) keep the same session, and so the open handles.
     */
    private volatile String id;
    private volatile String resumeKey = "";
    /** Told when another server process answers than the one before (see {@link #onNewInstance}). */
    private volatile Runnable newInstance = () -> { };
    /** Told of each Hello's reading of the server's clock (HelloReply.server_unix_nanos) and capability. */
    private volatile EventsLink.HelloClock helloClock = (nanos, timesMove) -> { };
    /** The Hello under way after the server was unreachable (null: none), see {@link #ensure}. */
    private CompletableFuture<Void> helloUnderWay;

    ClientSession(String address, String share, ClientCounters counters, Hello hello) {
        this.address = address;
        this.share = share;
        this.counters = counters;
        this.hello = hello;
    }

    /** The key a Hello sends to keep this session on a new connection ("" before the first Hello). */
    String resumeKey() {
        return resumeKey;
    }

    /** A Hello succeeded with {@code reply}: its session goes with every later call. */
    void established(HelloReply reply) {
        id = reply.getSession().isEmpty() ? null : reply.getSession();
        resumeKey = reply.getResumeKey();
        lost = false;
        helloClock.told(reply.getServerUnixNanos(), RemoteFileSystem.directoryTimesMove(reply));
    }

    /**
     * {@code changed} is told, on a transport thread (it must not block), when an answer comes
     * from another server process than the one before (restarted, or another server at the
     * address), before that answer is handed on; {@code clock} of each later Hello's reading of
     * the server's clock (after {@code changed} for a Hello of the new one: its headers come first).
     */
    void onNewInstance(Runnable changed, EventsLink.HelloClock clock) {
        this.newInstance = changed;
        this.helloClock = clock;
    }

    /** The next call says Hello first. */
    void lost() {
        lost = true;
    }

    boolean isLost() {
        return lost;
    }

    /**
     * The server process that answered last: another value than a handle was opened under means
     * the server restarted and the handle is gone (see {@link Reopener}). 0 before any answer.
     */
    long instance() {
        return instance;
    }

    /**
     * After the server was unreachable, say Hello again before the next call (errors surface in
     * that call). One Hello at a time; the other callers wait for that one, not for a turn of
     * their own: in turns, each a deadline long while the server stayed away (stopped, or a
     * black hole), 40 writers and every other request queued up for minutes, a wedged mount
     * (issue 9, PausedServerEndToEndTest).
     */
    void ensure() {
        if (!lost) {
            return;
        }
        CompletableFuture<Void> mine = null;
        CompletableFuture<Void> other;
        synchronized (this) {
            if (!lost) {
                return;
            }
            other = helloUnderWay;
            if (other == null) {
                helloUnderWay = mine = new CompletableFuture<>();
            }
        }
        if (mine == null) {
            try {
                other.get(); // ends within its Hello's deadline
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException e) {
                // not thrown: the Hello's outcome is in lost
            }
            return;
        }
        try {
            hello.hello();
            counters.reconnected();
            log.info("reconnected to {} (share {})", address, share);
        } catch (HelloException e) {
            log.debug("hello after reconnect failed: {}", e.getMessage());
        } catch (RuntimeException e) {
            log.warn("hello after reconnect failed", e);
        } finally {
            synchronized (this) {
                helloUnderWay = null;
            }
            mine.complete(null);
        }
    }

    /** The server refused a call because the session is on the connection the channel had before: say Hello here. */
    void resumeHere() {
        lost = true;
        ensure();
    }

    /** Adds the current session's "fsdriver-session" header to every call (none before the first Hello). */
    ClientInterceptor header() {
        return new ClientInterceptor() {
            @Override
            public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options,
                                                         Channel next) {
                return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
                    @Override
                    public void start(Listener<R> listener, Metadata headers) {
                        // a Watch (re)started after a reconnect goes under the resumed session
                        // (lost first: one volatile read per call while the session holds)
                        if (lost && EventsGrpc.SERVICE_NAME.equals(method.getServiceName())) {
                            ensure();
                        }
                        String s = id;
                        if (s != null) {
                            headers.put(Protocol.SESSION, s);
                        }
                        super.start(listener, headers);
                    }
                };
            }
        };
    }

    /**
     * Reads {@link Protocol#INSTANCE} from every answer: from the headers, or from the trailers of
     * a call that failed at once (no headers: the server then sends it there, and only then).
     */
    ClientInterceptor instanceWatch() {
        return new ClientInterceptor() {
            @Override
            public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options,
                                                         Channel next) {
                return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
                    @Override
                    public void start(Listener<R> listener, Metadata headers) {
                        super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
                            private boolean sawHeaders;

                            @Override
                            public void onHeaders(Metadata h) {
                                sawHeaders = true;
                                saw(h);
                                super.onHeaders(h);
                            }

                            @Override
                            public void onClose(Status status, Metadata trailers) {
                                if (!sawHeaders) {
                                    saw(trailers);
                                }
                                if (status.getCode() == Status.Code.UNAVAILABLE && trailers != null
                                        && trailers.containsKey(Protocol.SESSION_ELSEWHERE)) {
                                    lost = true; // refused, not executed: the next call says Hello first
                                }
                                super.onClose(status, trailers);
                            }
                        }, headers);
                    }
                };
            }
        };
    }

    private void saw(Metadata md) {
        String v = md == null ? null : md.get(Protocol.INSTANCE);
        if (v == null || v.equals(instanceText)) {
            return;
        }
        long seen;
        try {
            seen = Long.parseUnsignedLong(v, 16);
        } catch (NumberFormatException e) {
            return;
        }
        instanceText = v;
        long before = instance;
        if (seen != before) {
            instance = seen;
            if (before != 0) {
                lost = true; // a new session (Hello) before the next call: the old one died with the server
                log.info("server {} restarted: open files are reopened on their next use", address);
                newInstance.run();
            }
        }
    }
}
