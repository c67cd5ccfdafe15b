package dev.fsdriver.backend.windows.service;

import com.sun.jna.Pointer;
import com.sun.jna.platform.win32.Winsvc;
import dev.fsdriver.backend.windows.win32.Win32;
import dev.fsdriver.backend.windows.win32.WindowsException;
import java.lang.reflect.InvocationTargetException;
import java.util.Arrays;

/**
 * The entry point of the Windows service: {@code ServiceHost <service name> serve @<args file>}.
 * Speaks the service control protocol (StartServiceCtrlDispatcherW, a control handler,
 * SetServiceStatus) and runs {@code dev.fsdriver.cli.Main} with the remaining arguments on its
 * own thread: the server itself is exactly {@code fsdriver serve}. STOP and SHUTDOWN report
 * STOP_PENDING, then STOPPED, and exit the JVM (the server's shutdown hooks close it).
 *
 * <p>Needs Windows and the SCM; started any other way it fails with
 * ERROR_FAILED_SERVICE_CONTROLLER_CONNECT (1063).
 */
public final class ServiceHost {
    private static final int SERVICE_WIN32_OWN_PROCESS = 0x10;
    private static final int SERVICE_STOPPED = 1;
    private static final int SERVICE_START_PENDING = 2;
    private static final int SERVICE_STOP_PENDING = 3;
    private static final int SERVICE_RUNNING = 4;
    private static final int SERVICE_CONTROL_STOP = 1;
    private static final int SERVICE_CONTROL_INTERROGATE = 4;
    private static final int SERVICE_CONTROL_SHUTDOWN = 5;
    private static final int SERVICE_ACCEPT_STOP = 1;
    private static final int SERVICE_ACCEPT_SHUTDOWN = 4;
    private static final int ERROR_EXCEPTION_IN_SERVICE = 1064;
    private static final String CLI_MAIN = "dev.fsdriver.cli.Main";

    private final String name;
    private final String[] serveArgs;
    // Callbacks must stay reachable while Windows may call them.
    private Winsvc.SERVICE_MAIN_FUNCTION main;
    private Winsvc.HandlerEx handler;
    private volatile Winsvc.SERVICE_STATUS_HANDLE statusHandle;

    private ServiceHost(String name, String[] serveArgs) {
        this.name = name;
        this.serveArgs = serveArgs;
    }

    public static void main(String[] args) throws WindowsException {
        if (args.length < 2) {
            System.err.println("usage: ServiceHost <service name> serve [serve arguments | @args-file]");
            System.exit(2);
        }
        new ServiceHost(args[0], Arrays.copyOfRange(args, 1, args.length)).dispatch();
    }

    private void dispatch() throws WindowsException {
        main = (argc, argv) -> serviceMain();
        handler = this::control;
        Winsvc.SERVICE_TABLE_ENTRY entry = new Winsvc.SERVICE_TABLE_ENTRY();
        entry.lpServiceName = name;
        entry.lpServiceProc = main;
        Winsvc.SERVICE_TABLE_ENTRY[] table = (Winsvc.SERVICE_TABLE_ENTRY[]) entry.toArray(2); // null-terminated
        Win32.StartServiceCtrlDispatcherW(table); // returns when the service has stopped
    }

    private void serviceMain() {
        try {
            statusHandle = Win32.RegisterServiceCtrlHandlerExW(name, handler);
            report(SERVICE_START_PENDING, 0, 10_000);
            Thread server = Thread.ofPlatform().name("fsdriver-serve").unstarted(this::runServer);
            server.start();
            report(SERVICE_RUNNING, 0, 0);
        } catch (WindowsException e) {
            System.err.println("fsdriver service: " + e.getMessage());
        }
    }

    private void runServer() {
        try {
            Class.forName(CLI_MAIN).getMethod("main", String[].class).invoke(null, (Object) serveArgs);
        } catch (InvocationTargetException e) {
            e.getCause().printStackTrace();
            stop(ERROR_EXCEPTION_IN_SERVICE);
        } catch (ReflectiveOperationException e) {
            System.err.println("fsdriver service: cannot start " + CLI_MAIN + ": " + e);
            stop(ERROR_EXCEPTION_IN_SERVICE);
        }
    }

    private int control(int control, int eventType, Pointer eventData, Pointer context) {
        switch (control) {
            case SERVICE_CONTROL_STOP, SERVICE_CONTROL_SHUTDOWN -> {
                Thread.ofPlatform().name("fsdriver-service-stop").start(() -> stop(0));
                return 0;
            }
            case SERVICE_CONTROL_INTERROGATE -> {
                return 0;
            }
            default -> {
                return 120; // ERROR_CALL_NOT_IMPLEMENTED
            }
        }
    }

    private void stop(int exitCode) {
        try {
            report(SERVICE_STOP_PENDING, 0, 10_000);
            report(SERVICE_STOPPED, exitCode, 0);
        } catch (WindowsException e) {
            System.err.println("fsdriver service: " + e.getMessage());
        }
        Runtime.getRuntime().exit(exitCode == 0 ? 0 : 1);
    }

    private void report(int state, int exitCode, int waitHint) throws WindowsException {
        Winsvc.SERVICE_STATUS s = new Winsvc.SERVICE_STATUS();
        s.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
        s.dwCurrentState = state;
        s.dwControlsAccepted = state == SERVICE_RUNNING ? SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN : 0;
        s.dwWin32ExitCode = exitCode;
        s.dwWaitHint = waitHint;
        Win32.SetServiceStatus(statusHandle, s);
    }
}
