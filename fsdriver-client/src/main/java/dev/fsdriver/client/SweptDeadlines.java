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
 * <p>Every {@link #SWEEP_NANOS} the sweeper drops the calls answered meanwhile and cancels those
 * past their deadline (at most that much late): the queue holds the calls in flight and those
 * answered since the last sweep, whatever one slow call does.
 *
 * <p>Thread safety: the queue is lock-free; a call's flags are volatile. The sweeper is the only
 * thread that removes from the queue.
 */
final class SweptDeadlines implements ClientInterceptor, AutoCloseable {
    /** How often answered calls leave the queue and expired ones are cancelled. */
    static final long SWEEP_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final long timeoutNanos;
    private final ConcurrentLinkedQueue<Expiring<?, ?>> started = new ConcurrentLinkedQueue<>();
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
            Iterator<Expiring<?, ?>> it = started.iterator();
            while (it.hasNext()) {
                Expiring<?, ?> c = it.next();
                if (c.answered) {
                    it.remove();
                } else if (now - c.deadline >= 0) {
                    it.remove();
                    c.expire();
                }
            }
            LockSupport.parkNanos(SWEEP_NANOS);
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
        private volatile boolean answered;
        private volatile boolean expired;

        Expiring(ClientCall<ReqT, RespT> call) {
            super(call);
        }

        @Override
        public void start(Listener<RespT> listener, Metadata headers) {
            deadline = System.nanoTime() + timeoutNanos;
            super.start(new SimpleForwardingClientCallListener<>(listener) {
                @Override
                public void onClose(Status status, Metadata trailers) {
                    answered = true;
                    super.onClose(expired && status.getCode() == Status.Code.CANCELLED
                            ? Status.DEADLINE_EXCEEDED.withDescription("no answer within "
                                    + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms")
                            : status, trailers);
                }
            }, headers);
            started.add(this);
        }

        void expire() {
            expired = true;
            cancel("no answer in time", null); // the server hears of it (RST_STREAM)
        }
    }
}
