package dev.fsdriver.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.util.concurrent.ListenableFuture;
import dev.fsdriver.proto.v1.Attr;
import dev.fsdriver.proto.v1.FilesGrpc;
import dev.fsdriver.proto.v1.LookupRequest;
import dev.fsdriver.proto.v1.Node;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The deadline of calls started without waiting, kept by the client's sweeper: a call the server
 * never answers fails as grpc's own deadline fails it (DEADLINE_EXCEEDED, so a write is sent
 * again, CallFailures#unreachable) and the server hears it was cancelled; answered calls do not
 * stay in the sweeper's queue.
 */
class SweptDeadlinesTest {
    private final String name = InProcessServerBuilder.generateName();
    private final CountDownLatch cancelled = new CountDownLatch(1);
    private Server server;
    private ManagedChannel channel;
    private SweptDeadlines deadlines;

    @BeforeEach
    void start() throws Exception {
        FilesGrpc.FilesImplBase files = new FilesGrpc.FilesImplBase() {
            @Override
            public void lookup(LookupRequest req, StreamObserver<Node> out) {
                if (req.getName().equals("never")) {
                    ((ServerCallStreamObserver<Node>) out).setOnCancelHandler(cancelled::countDown);
                    return; // no answer
                }
                out.onNext(Node.newBuilder().setId(2).setAttr(Attr.getDefaultInstance()).build());
                out.onCompleted();
            }
        };
        server = InProcessServerBuilder.forName(name).addService(files).build().start();
        channel = InProcessChannelBuilder.forName(name).build();
        deadlines = new SweptDeadlines(Duration.ofMillis(300).toNanos());
    }

    @AfterEach
    void stop() {
        deadlines.close();
        channel.shutdownNow();
        server.shutdownNow();
    }

    private ListenableFuture<Node> lookup(String n) {
        return FilesGrpc.newFutureStub(channel).withInterceptors(deadlines)
                .lookup(LookupRequest.newBuilder().setParent(1).setName(n).build());
    }

    @Test
    void aCallNeverAnsweredFailsAsADeadlineDoesAndTheServerHearsIt() throws Exception {
        long t0 = System.nanoTime();
        ListenableFuture<Node> call = lookup("never");
        assertThatThrownBy(() -> call.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .satisfies(e -> {
                    assertThat(Status.fromThrowable(e.getCause()).getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
                    assertThat(CallFailures.unreachable(e.getCause())).isTrue();
                });
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertThat(tookMs).as("not before its deadline").isGreaterThanOrEqualTo(300);
        assertThat(cancelled.await(5, TimeUnit.SECONDS)).as("the server's cancel handler ran").isTrue();
    }

    @Test
    void answeredCallsLeaveTheQueue() throws Exception {
        List<ListenableFuture<Node>> calls = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            calls.add(lookup("f" + i));
        }
        for (ListenableFuture<Node> c : calls) {
            assertThat(c.get(5, TimeUnit.SECONDS).getId()).isEqualTo(2);
        }
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (deadlines.tracked() > 0 && System.nanoTime() < until) {
            Thread.sleep(20);
        }
        assertThat(deadlines.tracked()).isZero();
        // and none of them failed later for being old
        Thread.sleep(500);
        for (ListenableFuture<Node> c : calls) {
            assertThat(c.get().getId()).isEqualTo(2);
        }
    }
}
