package dev.fsdriver.client;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.ForwardingClientCallListener.SimpleForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.util.Iterator;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The deadline of the calls the mount starts without waiting for them (answer-later lookups,
 * getattrs, unlinks, read-ahead, write-behind, forgets: {@link Connection#filesAsync}), kept on
 * the client by one sweeper thread instead of grpc's per-call deadline, which costs a timer on the
 * transport's event loop (scheduled and cancelled from another thread: two wake-ups) and a
 * grpc-timeout header that makes the server set a timer of its own, for every call (rm -rf and
 * untar are bound by a call's cost: docs/benchmarks.md). A call with no answer in time is
 * cancelled and closed with DEADLINE_EXCEEDED, as grpc's deadline closes it, so that what decides
 * on a call's failure (CallFailures#unreachable, a write sent again) sees the same status.
 *
 * <p>Every {@link #SWEEP_NANOS} (every {@link #IDLE_NANOS} while nothing is in flight) the
 * sweeper drops the calls answered meanwhile and cancels those past their deadline: the queue
 * holds a small {@link Tracked} per call in flight or answered since the last sweep, never the
 * call itself once answered (a read's reply is up to 1 MiB).
 *
 * <p>Thread safety: the queue is lock-free; a tracked call's fields are volatile. The sweeper is
 * the only thread that removes from the queue. A call is tracked only once its stub is done with
 * it (after {@code halfClose}): grpc lets {@code cancel} run beside {@code request} only, so the
 * sweeper never cancels a call whose message is still being sent.
 */
final class SweptDeadlines implements ClientInterceptor, AutoCloseable {
    /** How often answered calls leave the queue and expired ones are cancelled. */
    static final long SWEEP_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /** How long the sweeper sleeps while no call is tracked (a new call's deadline is further away). */
    static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final Logger log = LoggerFactory.getLogger(SweptDeadlines.class);

    private final long timeoutNanos;
    private final ConcurrentLinkedQueue<Tracked> started = new ConcurrentLinkedQueue<>();
    private final Thread sweeper;
    private volatile boolean closed;

    SweptDeadlines(long timeoutNanos) {
        this.timeoutNanos = timeoutNanos;
        this.sweeper = Thread.ofPlatform().daemon().name("fsdriver-deadlines").unstarted(this::sweep);
        sweeper.start();
    }

    @Override
    public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(MethodDescriptor<ReqT, RespT> method,
                                                               CallOptions callOptions, Channel next) {
        return new Expiring<>(next.newCall(method, callOptions));
    }

    /** Calls waiting for an answer or for the sweeper to see it (for tests). */
    int tracked() {
        return started.size();
    }

    private void sweep() {
        while (!closed) {
            long now = System.nanoTime();
            Iterator<Tracked> it = started.iterator();
            while (it.hasNext()) {
                Tracked t = it.next();
                Expiring<?, ?> c = t.call;
                if (c == null) {
                    it.remove(); // answered
                } else if (now - t.deadline >= 0) {
                    it.remove();
                    try {
                        c.expire();
                    } catch (RuntimeException e) {
                        log.warn("could not cancel a call past its deadline", e); // the sweeper goes on
                    }
                }
            }
            LockSupport.parkNanos(started.isEmpty() ? IDLE_NANOS : SWEEP_NANOS);
        }
    }

    /** A call's place in the queue: its deadline, and the call until it is answered. */
    private static final class Tracked {
        final long deadline;
        volatile Expiring<?, ?> call;

        Tracked(long deadline, Expiring<?, ?> call) {
            this.deadline = deadline;
            this.call = call;
        }
    }

    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(sweeper);
    }

    /** A call with its deadline; closed with DEADLINE_EXCEEDED when the sweeper cancels it. */
    private final class Expiring<ReqT, RespT> extends SimpleForwardingClientCall<ReqT, RespT> {
        private volatile long deadline;
        private volatile boolean expired;
        /** Its place in the queue once tracked; let go of the call when it closes. */
        private volatile Tracked tracked;
        private volatile boolean closed;

        Expiring(ClientCall<ReqT, RespT> call) {
            super(call);
        }

        @Override
        public void start(Listener<RespT> listener, Metadata headers) {
            deadline = System.nanoTime() + timeoutNanos;
            super.start(new SimpleForwardingClientCallListener<>(listener) {
                @Override
                public void onClose(Status status, Metadata trailers) {
                    closed = true;
                    Tracked t = tracked;
                    if (t != null) {
                        t.call = null;
                    }
                    super.onClose(expired && status.getCode() == Status.Code.CANCELLED
                            ? Status.DEADLINE_EXCEEDED.withDescription("no answer within "
                                    + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms")
                            : status, trailers);
                }
            }, headers);
        }

        @Override
        public void halfClose() {
            super.halfClose();
            Tracked t = new Tracked(deadline, this);
            tracked = t;
            if (closed) {
                t.call = null; // answered already (or failed at once): nothing to hold
            }
            started.add(t);
        }

        void expire() {
            expired = true;
            cancel("no answer in time", null); // the server hears of it (RST_STREAM)
        }
    }
}
