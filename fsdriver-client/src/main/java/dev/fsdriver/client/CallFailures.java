package dev.fsdriver.client;

import dev.fsdriver.common.Errno;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.protocol.Protocol;
import dev.fsdriver.protocol.StatusCodec;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What kind of failure a failed call is, and the one translation of it into the errno the kernel
 * gets ({@link #failure}). The kinds: the server unreachable ({@link #unreachable}), the session
 * held on the channel's earlier connection ({@link #sessionElsewhere}), or an answer with an
 * errno ({@link StatusCodec}). A failure that says the session is gone marks it lost, so the next
 * call says Hello first; the server unreachable also resets the channel's reconnect back-off, so
 * the next call tries to connect at once. (A failed Hello has its words in {@link HelloFailures}.)
 *
 * <p>Thread-safe: no state of its own; the session's is {@link ClientSession}'s.
 */
final class CallFailures {
    private static final Logger log = LoggerFactory.getLogger(CallFailures.class);

    private final String address;
    private final ManagedChannel channel;
    private final ClientSession session;

    CallFailures(String address, ManagedChannel channel, ClientSession session) {
        this.address = address;
        this.channel = channel;
        this.session = session;
    }

    /**
     * True when {@code t} says the call may not have reached the server because the server or the
     * connection was away: no answer in time, unavailable, or the transport closed under the call
     * (grpc-netty reports a write on a closed channel as UNKNOWN "channel closed"). An idempotent
     * call (a Write of the same bytes at the same offset) may then be sent again.
     */
    static boolean unreachable(Throwable t) {
        Status.Code code = Status.fromThrowable(t).getCode();
        if (code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED) {
            return true;
        }
        if (code != Status.Code.UNKNOWN) {
            return false;
        }
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof ClosedChannelException) {
                return true;
            }
        }
        return false;
    }

    /**
     * True for the errno {@link #failure} gives a call the server was away for (unreachable,
     * ENOTCONN, or no answer in time, ETIMEDOUT): it may not have reached the server, and may be
     * tried again once the server is back.
     */
    static boolean away(int errno) {
        return errno == Errno.ENOTCONN || errno == Errno.ETIMEDOUT;
    }

    /** True for the server's refusal of a call that named its session on another connection. */
    static boolean sessionElsewhere(Throwable t) {
        if (Status.fromThrowable(t).getCode() != Status.Code.UNAVAILABLE) {
            return false;
        }
        Metadata trailers = Status.trailersFromThrowable(t);
        return trailers != null && trailers.containsKey(Protocol.SESSION_ELSEWHERE);
    }

    /**
     * The one translation of a failed call into the errno the kernel gets. Unwraps future
     * wrappers; a server gone makes the channel retry connecting right away on the next call.
     */
    FuseException failure(Throwable t) {
        while ((t instanceof ExecutionException || t instanceof CompletionException) && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof FuseException fe) {
            return fe;
        }
        if (t instanceof InterruptedException || t instanceof CancellationException) {
            return new FuseException(Errno.EINTR);
        }
        if (t instanceof ClosedChannelException) {
            return new FuseException(Errno.ENOTCONN, "connection closed");
        }
        Status status = Status.fromThrowable(t);
        if (unreachable(t) && status.getCode() == Status.Code.UNKNOWN) {
            session.lost(); // grpc's "channel closed": the transport went away under the call
            channel.resetConnectBackoff();
            return new FuseException(Errno.ENOTCONN, status.getDescription());
        }
        if (status.getCode() == Status.Code.UNKNOWN && !(t instanceof StatusRuntimeException)
                && !(t instanceof StatusException)) {
            log.warn("unexpected client failure", t);
            return new FuseException(Errno.EIO, String.valueOf(t));
        }
        int errno = StatusCodec.toErrno(t);
        if (sessionElsewhere(t)) {
            log.info("server {} holds the session on this channel's earlier connection: saying Hello again", address);
            session.lost();
        } else if (status.getCode() == Status.Code.UNAVAILABLE || status.getCode() == Status.Code.DEADLINE_EXCEEDED) {
            if (!session.isLost()) {
                log.warn("server {} unreachable: {}", address, status.getCode());
            }
            session.lost();
            channel.resetConnectBackoff();
        } else if (errno == Errno.EIO) {
            log.warn("call failed: {} {}", status.getCode(), status.getDescription());
        }
        return new FuseException(errno <= 0 ? Errno.EIO : errno, status.getDescription());
    }
}
