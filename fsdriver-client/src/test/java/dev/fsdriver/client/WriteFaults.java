package dev.fsdriver.client;

import dev.fsdriver.common.Errno;
import dev.fsdriver.proto.v1.FilesGrpc;
import dev.fsdriver.proto.v1.WriteReply;
import dev.fsdriver.proto.v1.WriteRequest;
import dev.fsdriver.protocol.StatusCodec;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;

/**
 * The server's side of one Write call, for tests: the first Write matching {@link #next} is held
 * back (until another Write was answered or {@link #release}, a second at most: the server's pool
 * may run a later call first), fails EFBIG, is answered as a short write, or is answered as one
 * whose change after the data failed (then_errno EPERM; the server made it). Other calls pass.
 */
final class WriteFaults implements ServerInterceptor {
    enum Mode { DELAY, FAIL, SHORT, CHANGE_FAILS }

    /** Counted down when the chosen call reached the server. */
    final CountDownLatch arrived = new CountDownLatch(1);
    /** A held call goes on when this is counted down (also by the end of any other Write). */
    final CountDownLatch release = new CountDownLatch(1);
    private final AtomicBoolean taken = new AtomicBoolean(true);
    private volatile Predicate<WriteRequest> which = r -> false;
    private volatile Mode mode = Mode.DELAY;

    void next(Mode m, Predicate<WriteRequest> w) {
        mode = m;
        which = w;
        taken.set(false);
    }

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
        if (!call.getMethodDescriptor().getFullMethodName().equals(FilesGrpc.getWriteMethod().getFullMethodName())) {
            return next.startCall(call, headers);
        }
        AtomicBoolean mine = new AtomicBoolean();
        ServerCall<Q, A> answering = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            @SuppressWarnings("unchecked")
            public void sendMessage(A m) {
                if (mine.get() && mode == Mode.SHORT) {
                    WriteReply r = (WriteReply) m;
                    m = (A) r.toBuilder().setWritten(r.getWritten() - 1).build();
                } else if (mine.get() && mode == Mode.CHANGE_FAILS) {
                    m = (A) ((WriteReply) m).toBuilder().setThenErrno(Errno.EPERM).build();
                }
                super.sendMessage(m);
            }

            @Override
            public void close(Status status, Metadata trailers) {
                super.close(status, trailers);
                if (!mine.get()) {
                    release.countDown();
                }
            }
        };
        ServerCall.Listener<Q> listener = next.startCall(answering, headers);
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
            @Override
            public void onMessage(Q m) {
                mine.set(which.test((WriteRequest) m) && taken.compareAndSet(false, true));
                super.onMessage(m);
            }

            @Override
            public void onHalfClose() {
                if (!mine.get() || mode == Mode.SHORT || mode == Mode.CHANGE_FAILS) {
                    super.onHalfClose();
                    return;
                }
                arrived.countDown();
                if (mode == Mode.FAIL) {
                    StatusRuntimeException e = StatusCodec.toStatus(Errno.EFBIG, "injected");
                    call.close(e.getStatus(), e.getTrailers() == null ? new Metadata() : e.getTrailers());
                    return;
                }
                Thread.ofPlatform().start(() -> {
                    try {
                        release.await(1, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    super.onHalfClose();
                });
            }
        };
    }
}
