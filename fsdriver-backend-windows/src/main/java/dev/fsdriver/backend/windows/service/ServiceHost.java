package dev.fsdriver.backend.windows.service;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.platform.win32.Advapi32;
import com.sun.jna.platform.win32.Winsvc;
import java.util.function.Consumer;

/**
 * The Windows service process: connects to the Service Control Manager
 * (StartServiceCtrlDispatcherW), registers the control handler and drives a
 * {@link ServiceLifecycle} around the given server. Only JNA glue: what is reported when is
 * decided in ServiceLifecycle. Started any other way than by the SCM, {@link #run} fails with
 * ERROR_FAILED_SERVICE_CONTROLLER_CONNECT (1063).
 */
public final class ServiceHost {
    private static final int SERVICE_WIN32_OWN_PROCESS = 0x10;
    private static final int TICK_MS = 1_000;

    private final String name;
    private final ServiceLifecycle.Server server;
    private final Consumer<String> log;
    // The callbacks must stay reachable as long as Windows may call them.
    private final Winsvc.SERVICE_MAIN_FUNCTION main = (argc, argv) -> serviceMain();
    private final Winsvc.HandlerEx handler = this::control;
    private volatile ServiceLifecycle lifecycle;
    private volatile Winsvc.SERVICE_STATUS_HANDLE statusHandle;

    private ServiceHost(String name, ServiceLifecycle.Server server, Consumer<String> log) {
        this.name = name;
        this.server = server;
        this.log = log;
    }

    /**
     * Runs the service {@code name} until the SCM stops it; returns the process exit code (0, or
     * 1 when the server failed to start or to close).
     *
     * @throws IllegalStateException when the SCM cannot be reached (not started as a service)
     */
    public static int run(String name, ServiceLifecycle.Server server, Consumer<String> log) {
        ServiceHost host = new ServiceHost(name, server, log);
        Winsvc.SERVICE_TABLE_ENTRY entry = new Winsvc.SERVICE_TABLE_ENTRY();
        entry.lpServiceName = name;
        entry.lpServiceProc = host.main;
        Winsvc.SERVICE_TABLE_ENTRY[] table = (Winsvc.SERVICE_TABLE_ENTRY[]) entry.toArray(2); // null-terminated
        // Returns once the service reported STOPPED.
        if (!Advapi32.INSTANCE.StartServiceCtrlDispatcher(table)) {
            int err = Native.getLastError();
            throw new IllegalStateException(err == 1063
                    ? "cannot reach the Service Control Manager (error 1063): 'service run' is started by Windows, "
                            + "use 'fsdriver service start'"
                    : "StartServiceCtrlDispatcherW failed: " + ScmErrors.text(err));
        }
        ServiceLifecycle l = host.lifecycle;
        return l == null ? 1 : l.exitCode();
    }

    private void serviceMain() {
        statusHandle = Advapi32.INSTANCE.RegisterServiceCtrlHandlerEx(name, handler, null);
        if (statusHandle == null) {
            log.accept("RegisterServiceCtrlHandlerExW failed: " + ScmErrors.text(Native.getLastError()));
            return;
        }
        ServiceLifecycle l = new ServiceLifecycle(server, this::setStatus, log,
                r -> Thread.ofPlatform().name("fsdriver-service-stop").start(r));
        lifecycle = l;
        Thread ticker = Thread.ofPlatform().daemon().name("fsdriver-service-checkpoints").start(() -> {
            try {
                while (true) {
                    Thread.sleep(TICK_MS);
                    l.tick();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        l.start(); // returns RUNNING or STOPPED; the SCM keeps the process while RUNNING
        if (l.current().state() == ServiceLifecycle.SERVICE_STOPPED) {
            ticker.interrupt();
        }
    }

    private int control(int control, int eventType, Pointer eventData, Pointer context) {
        ServiceLifecycle l = lifecycle;
        return l == null ? ServiceLifecycle.ERROR_CALL_NOT_IMPLEMENTED : l.control(control);
    }

    private void setStatus(ServiceLifecycle.Status s) {
        Winsvc.SERVICE_STATUS st = new Winsvc.SERVICE_STATUS();
        st.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
        st.dwCurrentState = s.state();
        st.dwControlsAccepted = s.controlsAccepted();
        st.dwWin32ExitCode = s.win32ExitCode();
        st.dwServiceSpecificExitCode = s.serviceExitCode();
        st.dwCheckPoint = s.checkPoint();
        st.dwWaitHint = s.waitHint();
        if (!Advapi32.INSTANCE.SetServiceStatus(statusHandle, st)) {
            log.accept("SetServiceStatus(" + ServiceLifecycle.stateName(s.state()) + ") failed: "
                    + ScmErrors.text(Native.getLastError()));
        }
    }
}
