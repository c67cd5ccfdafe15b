package dev.fsdriver.backend.windows.service;

import static dev.fsdriver.backend.windows.service.ServiceLifecycle.ERROR_SERVICE_SPECIFIC_ERROR;
import static dev.fsdriver.backend.windows.service.ServiceLifecycle.SERVICE_ACCEPT_SHUTDOWN;
import static dev.fsdriver.backend.windows.service.ServiceLifecycle.SERVICE_ACCEPT_STOP;
import static dev.fsdriver.backend.windows.service.ServiceLifecycle.SERVICE_RUNNING;
import static dev.fsdriver.backend.windows.service.ServiceLifecycle.SERVICE_START_PENDING;
import static dev.fsdriver.backend.windows.service.ServiceLifecycle.SERVICE_STOPPED;
import static dev.fsdriver.backend.windows.service.ServiceLifecycle.SERVICE_STOP_PENDING;
import static dev.fsdriver.backend.windows.service.ServiceLifecycle.WAIT_HINT_MS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.backend.windows.service.ServiceLifecycle.Status;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The SCM protocol as ServiceLifecycle speaks it: statuses, server calls and log lines in one ordered trace. */
class ServiceLifecycleTest {
    private final List<Object> trace = new ArrayList<>();
    private final List<Runnable> stops = new ArrayList<>();
    private ServiceLifecycle lifecycle;

    private ServiceLifecycle lifecycle(ServiceLifecycle.Server server) {
        lifecycle = new ServiceLifecycle(server, trace::add, line -> trace.add("log: " + line), stops::add);
        return lifecycle;
    }

    private static Status pending(int state, int checkPoint) {
        return new Status(state, 0, 0, 0, checkPoint, WAIT_HINT_MS);
    }

    private static final Status RUNNING = new Status(SERVICE_RUNNING, SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN, 0, 0, 0, 0);
    private static final Status STOPPED = new Status(SERVICE_STOPPED, 0, 0, 0, 0, 0);
    private static final Status FAILED = new Status(SERVICE_STOPPED, 0, ERROR_SERVICE_SPECIFIC_ERROR, 1, 0, 0);

    /** A server whose start and close take two checkpoint ticks each (the host's ticker runs meanwhile). */
    private final ServiceLifecycle.Server slowServer = new ServiceLifecycle.Server() {
        @Override
        public void start() {
            lifecycle.tick();
            lifecycle.tick();
            trace.add("listening");
        }

        @Override
        public void close() {
            lifecycle.tick();
            lifecycle.tick();
            trace.add("closed");
        }
    };

    @Test
    void startPendingWithCheckpointsThenRunningThenStopPendingAndStoppedOnlyAfterClose() {
        ServiceLifecycle l = lifecycle(slowServer);
        l.start();
        assertThat(trace).containsExactly(pending(SERVICE_START_PENDING, 1), pending(SERVICE_START_PENDING, 2),
                pending(SERVICE_START_PENDING, 3), "listening", "log: running", RUNNING);
        l.tick(); // RUNNING: nothing to report
        assertThat(trace).hasSize(6);
        trace.clear();

        assertThat(l.control(ServiceLifecycle.SERVICE_CONTROL_STOP)).isZero();
        assertThat(trace).containsExactly(pending(SERVICE_STOP_PENDING, 1), "log: stop requested");
        assertThat(stops).hasSize(1); // the close runs off the SCM's handler thread
        stops.getFirst().run();
        assertThat(trace).containsExactly(pending(SERVICE_STOP_PENDING, 1), "log: stop requested",
                pending(SERVICE_STOP_PENDING, 2), pending(SERVICE_STOP_PENDING, 3), "closed", "log: server closed: stopped", STOPPED);
        assertThat(l.exitCode()).isZero();
    }

    @Test
    void aFailedStartIsLoggedThenStoppedWithAServiceSpecificExitCode() {
        ServiceLifecycle l = lifecycle(new ServiceLifecycle.Server() {
            @Override
            public void start() throws Exception {
                throw new Exception("share 'w': Z:\\nope is not a directory");
            }

            @Override
            public void close() {
                trace.add("closed");
            }
        });
        l.start();
        assertThat(trace).containsExactly(pending(SERVICE_START_PENDING, 1),
                "log: cannot start: share 'w': Z:\\nope is not a directory", FAILED);
        assertThat(l.exitCode()).isEqualTo(1);
        // a STOP arriving now changes nothing and closes nothing
        assertThat(l.control(ServiceLifecycle.SERVICE_CONTROL_STOP)).isZero();
        assertThat(stops).isEmpty();
        assertThat(trace.getLast()).isEqualTo(FAILED);
    }

    @Test
    void shutdownStopsLikeStopAndASecondStopDoesNotCloseTwice() {
        ServiceLifecycle l = lifecycle(slowServer);
        l.start();
        trace.clear();
        assertThat(l.control(ServiceLifecycle.SERVICE_CONTROL_SHUTDOWN)).isZero();
        assertThat(l.control(ServiceLifecycle.SERVICE_CONTROL_STOP)).isZero();
        assertThat(stops).hasSize(1);
        assertThat(trace).containsExactly(pending(SERVICE_STOP_PENDING, 1), "log: system shutdown: stopping",
                pending(SERVICE_STOP_PENDING, 1));
    }

    @Test
    void interrogateRepeatsTheStatusAndOtherControlsAreNotImplemented() {
        ServiceLifecycle l = lifecycle(slowServer);
        l.start();
        trace.clear();
        assertThat(l.control(ServiceLifecycle.SERVICE_CONTROL_INTERROGATE)).isZero();
        assertThat(trace).containsExactly(RUNNING);
        assertThat(l.control(2 /* PAUSE */)).isEqualTo(ServiceLifecycle.ERROR_CALL_NOT_IMPLEMENTED);
        assertThat(trace).hasSize(1);
    }

    @Test
    void aFailedCloseStillEndsStoppedButWithTheExitCode() {
        ServiceLifecycle l = lifecycle(new ServiceLifecycle.Server() {
            @Override
            public void start() {}

            @Override
            public void close() throws Exception {
                throw new java.io.IOException("watcher did not stop");
            }
        });
        l.start();
        l.control(ServiceLifecycle.SERVICE_CONTROL_STOP);
        stops.getFirst().run();
        assertThat(trace).endsWith("log: closing the server failed: watcher did not stop", "log: server closed: stopped", FAILED);
        assertThat(l.exitCode()).isEqualTo(1);
    }
}
