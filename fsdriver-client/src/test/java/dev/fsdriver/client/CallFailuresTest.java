package dev.fsdriver.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.common.Errno;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.proto.v1.HelloReply;
import dev.fsdriver.protocol.Protocol;
import dev.fsdriver.protocol.StatusCodec;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Which failures mean "server away", and the errno each failed call gives the kernel. */
class CallFailuresTest {
    /** A channel to nowhere: only its connect back-off is reset. */
    private final ManagedChannel channel = InProcessChannelBuilder.forName("call-failures-nowhere").build();
    private final ClientSession session = new ClientSession("nowhere", "s", new ClientCounters(), () -> { });
    private final CallFailures failures = new CallFailures("nowhere", channel, session);

    @AfterEach
    void shutdown() {
        channel.shutdownNow();
    }

    private static StatusRuntimeException closedChannel() {
        return Status.UNKNOWN.withDescription("channel closed").withCause(new ClosedChannelException()).asRuntimeException();
    }

    @Test
    void unreachableIsUnavailableNoAnswerInTimeOrTheTransportClosedUnderTheCall() {
        assertThat(CallFailures.unreachable(Status.UNAVAILABLE.asRuntimeException())).isTrue();
        assertThat(CallFailures.unreachable(Status.DEADLINE_EXCEEDED.asRuntimeException())).isTrue();
        assertThat(CallFailures.unreachable(closedChannel())).isTrue();
        assertThat(CallFailures.unreachable(Status.UNKNOWN.withDescription("boom").asRuntimeException())).isFalse();
        assertThat(CallFailures.unreachable(StatusCodec.toStatus(Errno.ENOENT, null))).isFalse();
        assertThat(CallFailures.away(Errno.ENOTCONN)).isTrue();
        assertThat(CallFailures.away(Errno.ETIMEDOUT)).isTrue();
        assertThat(CallFailures.away(Errno.EIO)).isFalse();
    }

    @Test
    void anAnswerWithAnErrnoGivesThatErrnoThroughFutureWrappersAndKeepsTheSession() {
        FuseException e = failures.failure(new ExecutionException(StatusCodec.toStatus(Errno.ENOTEMPTY, "full")));
        assertThat(e.errno()).isEqualTo(Errno.ENOTEMPTY);
        assertThat(e.getMessage()).contains("full");
        FuseException mine = new FuseException(Errno.EACCES);
        assertThat(failures.failure(new CompletionException(mine))).isSameAs(mine);
        // a code with no errno detail: the code's errno
        assertThat(failures.failure(Status.NOT_FOUND.asRuntimeException()).errno()).isEqualTo(Errno.ENOENT);
        assertThat(failures.failure(Status.INTERNAL.asRuntimeException()).errno()).isEqualTo(Errno.EIO);
        assertThat(session.isLost()).isFalse();
    }

    @Test
    void theServerAwayLosesTheSessionSoTheNextCallSaysHelloFirst() {
        assertThat(failures.failure(Status.UNAVAILABLE.asRuntimeException()).errno()).isEqualTo(Errno.ENOTCONN);
        assertThat(session.isLost()).isTrue();
        session.established(HelloReply.getDefaultInstance());
        assertThat(failures.failure(Status.DEADLINE_EXCEEDED.asRuntimeException()).errno()).isEqualTo(Errno.ETIMEDOUT);
        assertThat(session.isLost()).isTrue();
        session.established(HelloReply.getDefaultInstance());
        assertThat(failures.failure(closedChannel()).errno()).isEqualTo(Errno.ENOTCONN);
        assertThat(session.isLost()).isTrue();
    }

    @Test
    void theSessionHeldOnAnEarlierConnectionIsSaidHelloToAgain() {
        Metadata trailers = new Metadata();
        trailers.put(Protocol.SESSION_ELSEWHERE, "1");
        StatusRuntimeException elsewhere = Status.UNAVAILABLE.asRuntimeException(trailers);
        assertThat(CallFailures.sessionElsewhere(elsewhere)).isTrue();
        assertThat(CallFailures.sessionElsewhere(Status.UNAVAILABLE.asRuntimeException())).isFalse();
        assertThat(failures.failure(elsewhere).errno()).isEqualTo(Errno.ENOTCONN);
        assertThat(session.isLost()).isTrue();
    }

    @Test
    void localFailuresBecomeEintrEnotconnOrEio() {
        assertThat(failures.failure(new InterruptedException()).errno()).isEqualTo(Errno.EINTR);
        assertThat(failures.failure(new CancellationException()).errno()).isEqualTo(Errno.EINTR);
        assertThat(failures.failure(new ClosedChannelException()).errno()).isEqualTo(Errno.ENOTCONN);
        // a bug on this side is no reason to drop the session
        assertThat(failures.failure(new IllegalStateException("bug")).errno()).isEqualTo(Errno.EIO);
        assertThat(session.isLost()).isFalse();
    }
}
