package dev.fsdriver.server;

import dev.fsdriver.backend.FsException;
import dev.fsdriver.common.Errno;
import dev.fsdriver.protocol.StatusCodec;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * The one place where a handler's outcome becomes a reply: a result, an {@link FsException}
 * (errno -> status through {@link StatusCodec}), or anything unexpected (EIO, logged once with
 * its stack trace). FsExceptions are expected outcomes (ENOENT on lookup...) and logged at
 * debug only, except EIO which means something unknown happened.
 */
final class Rpc {
    private static final Logger LOG = LoggerFactory.getLogger(Rpc.class);

    /** A handler body: decode, one call, encode. */
    @FunctionalInterface
    interface Body<T> {
        T run() throws FsException;
    }

    /** Calls served, per operation, since the server started (logged at shutdown). */
    private static final ConcurrentHashMap<String, LongAdder> CALLS = new ConcurrentHashMap<>();

    private Rpc() {}

    /** "Lookup=12, Open=3, ..." (most first), or "none". */
    static String callCounts() {
        if (CALLS.isEmpty()) {
            return "none";
        }
        return CALLS.entrySet().stream()
                .sorted((a, b) -> Long.compare(b.getValue().sum(), a.getValue().sum()))
                .map(e -> e.getKey() + "=" + e.getValue().sum())
                .collect(Collectors.joining(", "));
    }

    /**
     * {@link #unary}, with the body run on {@code io} instead of the calling (network) thread,
     * in the call's gRPC context (the share the auth interceptor resolved).
     */
    static <T> void offload(Executor io, String op, StreamObserver<T> out, Body<T> body) {
        try {
            io.execute(Context.current().wrap(() -> unary(op, out, body)));
        } catch (RejectedExecutionException e) {
            out.onError(Status.UNAVAILABLE.withDescription("server shutting down").asRuntimeException());
        }
    }

    /**
     * Thrown by a body run on the network thread that found it must wait for something long (a
     * search by file id, found needed only on trying): the call runs again on the io threads
     * ({@link #unaryOrOffload}). No stack trace: it is a signal, not an error.
     */
    static final class Elsewhere extends RuntimeException {
        Elsewhere() {
            super("to be run on an io thread", null, false, false);
        }
    }

    /**
     * {@link #unary} with {@code fast} on the calling (network) thread; if it throws
     * {@link Elsewhere}, {@code slow} answers instead, on {@code io} ({@link #offload}).
     */
    static <T> void unaryOrOffload(Executor io, String op, StreamObserver<T> out, Body<T> fast, Body<T> slow) {
        unary(op, out, fast, io, slow);
    }

    static <T> void unary(String op, StreamObserver<T> out, Body<T> body) {
        unary(op, out, body, null, null);
    }

    /** {@code slow} on {@code io} answers when {@code body} throws {@link Elsewhere} (null: it may not). */
    private static <T> void unary(String op, StreamObserver<T> out, Body<T> body, Executor io, Body<T> slow) {
        long start = System.nanoTime();
        T reply;
        try {
            reply = body.run();
        } catch (Elsewhere e) {
            if (slow == null) {
                throw new IllegalStateException(op + ": no slow path to run", e);
            }
            offload(io, op, out, slow); // counted there
            return;
        } catch (FsException e) {
            CALLS.computeIfAbsent(op, k -> new LongAdder()).increment();
            // EIO means something unknown happened: a warning; other errnos are answers (debug)
            LoggingEventBuilder log = e.errno() == Errno.EIO ? LOG.atWarn().setCause(e.getCause()) : LOG.atDebug();
            failure(log, op, e.errno(), start).log("{}: {}", op, e.getMessage());
            out.onError(StatusCodec.toStatus(e.errno(), e.getMessage()));
            CallMetrics.record(op, CallContext.SHARE.get(), Errno.name(e.errno()), start);
            return;
        } catch (RuntimeException | Error e) {
            CALLS.computeIfAbsent(op, k -> new LongAdder()).increment();
            failure(LOG.atWarn().setCause(e), op, Errno.EIO, start).log("{} failed unexpectedly", op);
            out.onError(StatusCodec.toStatus(Errno.EIO, op + ": internal error " + e.getClass().getSimpleName()));
            CallMetrics.record(op, CallContext.SHARE.get(), Errno.name(Errno.EIO), start);
            return;
        }
        CALLS.computeIfAbsent(op, k -> new LongAdder()).increment();
        out.onNext(reply);
        out.onCompleted();
        CallMetrics.record(op, CallContext.SHARE.get(), "OK", start);
    }

    /** The fields of a failed call's log line: share, operation, errno, duration_us. */
    private static LoggingEventBuilder failure(LoggingEventBuilder log, String op, int errno, long start) {
        Share share = CallContext.SHARE.get();
        if (share != null) {
            log = log.addKeyValue("share", share.name);
        }
        return log.addKeyValue("operation", op)
                .addKeyValue("errno", Errno.name(errno))
                .addKeyValue("duration_us", (System.nanoTime() - start) / 1000);
    }
}
