package dev.fsdriver.backend.windows.service;

import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * The service's half of the Service Control Manager protocol, without JNA: which status to
 * report when. START_PENDING (checkpoints counting up while {@link Server#start} runs), RUNNING
 * once the server listens, STOP_PENDING (checkpoints) while {@link Server#close} runs, STOPPED
 * only after it returned. A start that fails reports STOPPED with
 * ERROR_SERVICE_SPECIFIC_ERROR and service exit code 1, after logging why. {@link ServiceHost}
 * feeds it the SCM's callbacks; the tests feed it directly.
 */
public final class ServiceLifecycle {
    /** What the service runs: the CLI passes its {@code serve}. */
    public interface Server {
        /** Starts serving; returns once listening, or throws with the reason. */
        void start() throws Exception;

        /** Stops serving; returns once every listener and share is closed. */
        void close() throws Exception;
    }

    /** One SERVICE_STATUS as reported to the SCM. */
    public record Status(int state, int controlsAccepted, int win32ExitCode, int serviceExitCode, int checkPoint, int waitHint) {}

    public static final int SERVICE_STOPPED = 1;
    public static final int SERVICE_START_PENDING = 2;
    public static final int SERVICE_STOP_PENDING = 3;
    public static final int SERVICE_RUNNING = 4;
    public static final int SERVICE_CONTROL_STOP = 1;
    public static final int SERVICE_CONTROL_INTERROGATE = 4;
    public static final int SERVICE_CONTROL_SHUTDOWN = 5;
    public static final int SERVICE_ACCEPT_STOP = 1;
    public static final int SERVICE_ACCEPT_SHUTDOWN = 4;
    public static final int NO_ERROR = 0;
    public static final int ERROR_CALL_NOT_IMPLEMENTED = 120;
    public static final int ERROR_SERVICE_SPECIFIC_ERROR = 1066;
    /** The service exit code of a failed start or stop (with ERROR_SERVICE_SPECIFIC_ERROR). */
    public static final int EXIT_FAILED = 1;
    /** Wait hint while pending; the host ticks the checkpoint more often than that. */
    public static final int WAIT_HINT_MS = 10_000;

    private final Server server;
    private final Consumer<Status> reporter;
    private final Consumer<String> log;
    private final Executor stopper;
    private Status current;
    private boolean stopRequested;

    /**
     * @param reporter SetServiceStatus (called under this object's lock, in order)
     * @param stopper  runs the close off the SCM's control thread (a handler must return at once)
     */
    public ServiceLifecycle(Server server, Consumer<Status> reporter, Consumer<String> log, Executor stopper) {
        this.server = server;
        this.reporter = reporter;
        this.log = log;
        this.stopper = stopper;
    }

    /** Runs in ServiceMain: START_PENDING, the server's start, then RUNNING or STOPPED with the reason logged. */
    public void start() {
        synchronized (this) {
            report(new Status(SERVICE_START_PENDING, 0, NO_ERROR, 0, 1, WAIT_HINT_MS));
        }
        try {
            server.start();
        } catch (Throwable e) {
            log.accept("cannot start: " + describe(e));
            synchronized (this) {
                report(new Status(SERVICE_STOPPED, 0, ERROR_SERVICE_SPECIFIC_ERROR, EXIT_FAILED, 0, 0));
            }
            return;
        }
        synchronized (this) {
            log.accept("running");
            report(new Status(SERVICE_RUNNING, SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN, NO_ERROR, 0, 0, 0));
        }
    }

    /** The control handler (HandlerEx): returns the Win32 error code the SCM expects. */
    public int control(int control) {
        switch (control) {
            case SERVICE_CONTROL_STOP, SERVICE_CONTROL_SHUTDOWN -> {
                synchronized (this) {
                    if (current.state() != SERVICE_RUNNING || stopRequested) {
                        report(current); // already stopping or not started: nothing new to do
                        return NO_ERROR;
                    }
                    stopRequested = true;
                    report(new Status(SERVICE_STOP_PENDING, 0, NO_ERROR, 0, 1, WAIT_HINT_MS));
                }
                log.accept(control == SERVICE_CONTROL_STOP ? "stop requested" : "system shutdown: stopping");
                stopper.execute(this::stop);
                return NO_ERROR;
            }
            case SERVICE_CONTROL_INTERROGATE -> {
                synchronized (this) {
                    report(current);
                }
                return NO_ERROR;
            }
            default -> {
                return ERROR_CALL_NOT_IMPLEMENTED;
            }
        }
    }

    /** While START_PENDING or STOP_PENDING: the next checkpoint, so the SCM sees progress. */
    public synchronized void tick() {
        if (current != null && (current.state() == SERVICE_START_PENDING || current.state() == SERVICE_STOP_PENDING)) {
            report(new Status(current.state(), 0, NO_ERROR, 0, current.checkPoint() + 1, WAIT_HINT_MS));
        }
    }

    /** The last status reported (null before start). */
    public synchronized Status current() {
        return current;
    }

    /** The process exit code once STOPPED: 0 after a clean run, 1 when start or close failed. */
    public synchronized int exitCode() {
        return current != null && current.win32ExitCode() == NO_ERROR ? 0 : 1;
    }

    private void stop() {
        Throwable failure = null;
        try {
            server.close();
        } catch (Throwable e) {
            failure = e;
            log.accept("closing the server failed: " + describe(e));
        }
        log.accept("server closed: stopped"); // before STOPPED: the process may end right after it
        synchronized (this) {
            report(failure == null
                    ? new Status(SERVICE_STOPPED, 0, NO_ERROR, 0, 0, 0)
                    : new Status(SERVICE_STOPPED, 0, ERROR_SERVICE_SPECIFIC_ERROR, EXIT_FAILED, 0, 0));
        }
    }

    private void report(Status s) {
        current = s;
        reporter.accept(s);
    }

    private static String describe(Throwable e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.toString() : m;
    }

    /** The state's name as sc.exe prints it. */
    public static String stateName(int state) {
        return switch (state) {
            case SERVICE_STOPPED -> "STOPPED";
            case SERVICE_START_PENDING -> "START_PENDING";
            case SERVICE_STOP_PENDING -> "STOP_PENDING";
            case SERVICE_RUNNING -> "RUNNING";
            case 5 -> "CONTINUE_PENDING";
            case 6 -> "PAUSE_PENDING";
            case 7 -> "PAUSED";
            default -> "state " + state;
        };
    }
}
