package dev.fsdriver.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Test;

/**
 * A call that finds on the network thread that it must wait for something long (GetAttr of a
 * directory whose path went stale: a search by file id) is answered from the io threads instead,
 * once; one that does not is answered where it runs.
 */
class RpcElsewhereTest {
    private final List<String> events = new ArrayList<>();
    private final List<Runnable> io = new ArrayList<>();
    private final Executor ioThreads = io::add;

    private final StreamObserver<String> out = new StreamObserver<>() {
        @Override
        public void onNext(String v) {
            events.add("reply " + v);
        }

        @Override
        public void onError(Throwable t) {
            events.add("error " + t.getMessage());
        }

        @Override
        public void onCompleted() {
            events.add("completed");
        }
    };

    @Test
    void aBodyThatSaysElsewhereIsAnsweredByTheSlowPathOnTheIoThreads() {
        Rpc.unaryOrOffload(ioThreads, "GetAttr", out, () -> {
            throw new Rpc.Elsewhere();
        }, () -> "found");
        assertThat(events).as("nothing answered on the network thread").isEmpty();
        assertThat(io).hasSize(1);
        io.get(0).run();
        assertThat(events).containsExactly("reply found", "completed");
    }

    @Test
    void aBodyThatAnswersIsNotOffloaded() {
        Rpc.unaryOrOffload(ioThreads, "GetAttr", out, () -> "here", () -> "slow");
        assertThat(io).isEmpty();
        assertThat(events).containsExactly("reply here", "completed");
    }
}
