package dev.fsdriver.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.backend.FsException;
import dev.fsdriver.common.Errno;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Every call through {@link Rpc} counted and timed per method and status. */
class CallMetricsTest {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    CallMetricsTest() {
        Metrics.addRegistry(registry);
    }

    @AfterEach
    void removeRegistry() {
        Metrics.removeRegistry(registry);
    }

    private static final StreamObserver<String> IGNORE = new StreamObserver<>() {
        @Override
        public void onNext(String value) {}

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {}
    };

    @Test
    void callsAreCountedAndTimedPerMethodAndStatus() {
        Rpc.unary("MetricsTestOp", IGNORE, () -> "ok");
        Rpc.unary("MetricsTestOp", IGNORE, () -> "ok");
        Rpc.unary("MetricsTestOp", IGNORE, () -> {
            throw new FsException(Errno.ENOENT, "gone");
        });
        Rpc.unary("MetricsTestOp", IGNORE, () -> {
            throw new IllegalStateException("bug");
        });
        assertThat(registry.get(CallMetrics.CALLS).tags("method", "MetricsTestOp", "status", "OK").counter().count())
                .isEqualTo(2.0);
        assertThat(registry.get(CallMetrics.CALLS).tags("method", "MetricsTestOp", "status", "ENOENT").counter().count())
                .isEqualTo(1.0);
        assertThat(registry.get(CallMetrics.CALLS).tags("method", "MetricsTestOp", "status", "EIO").counter().count())
                .isEqualTo(1.0);
        assertThat(registry.get(CallMetrics.DURATION).tags("method", "MetricsTestOp", "status", "OK").timer().count())
                .isEqualTo(2);
    }

    /** The meters are kept per method and status: a registry added after the first calls still counts the later ones. */
    @Test
    void aRegistryAddedAfterTheFirstCallsCountsTheLaterOnes() {
        Metrics.removeRegistry(registry);
        Rpc.unary("MetricsLateOp", IGNORE, () -> "ok");
        SimpleMeterRegistry late = new SimpleMeterRegistry();
        Metrics.addRegistry(late);
        try {
            Rpc.unary("MetricsLateOp", IGNORE, () -> "ok");
            Rpc.unary("MetricsLateOp", IGNORE, () -> "ok");
            assertThat(late.get(CallMetrics.CALLS).tags("method", "MetricsLateOp", "status", "OK").counter().count())
                    .isEqualTo(2.0);
            assertThat(late.get(CallMetrics.DURATION).tags("method", "MetricsLateOp", "status", "OK").timer().count())
                    .isEqualTo(2);
        } finally {
            Metrics.removeRegistry(late);
        }
    }
}
