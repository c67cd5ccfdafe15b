package dev.fsdriver.backend.windows.service;

import com.sun.jna.Native;
import com.sun.jna.Structure;
import com.sun.jna.platform.win32.Advapi32;
import com.sun.jna.platform.win32.Winsvc;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * {@code fsdriver service install|uninstall|start|stop|status} through the Service Control
 * Manager API (jna-platform's Advapi32: OpenSCManagerW, CreateServiceW, ChangeServiceConfig2W,
 * StartServiceW, ControlService, QueryServiceStatusEx, DeleteService). Every failure is a
 * {@link ServiceException} whose message comes from {@link ScmErrors}.
 */
public final class ServiceManager {
    private static final Advapi32 ADV = Advapi32.INSTANCE;
    private static final int SC_MANAGER_CONNECT = 0x1;
    private static final int SC_MANAGER_CREATE_SERVICE = 0x2;
    private static final int SERVICE_QUERY_STATUS = 0x4;
    private static final int SERVICE_START = 0x10;
    private static final int SERVICE_STOP = 0x20;
    private static final int DELETE = 0x10000;
    private static final int SERVICE_ALL_ACCESS = 0xF01FF;
    private static final int SERVICE_WIN32_OWN_PROCESS = 0x10;
    private static final int SERVICE_AUTO_START = 2;
    private static final int SERVICE_ERROR_NORMAL = 1;
    private static final int SERVICE_CONFIG_DESCRIPTION = 1;
    private static final int SERVICE_CONFIG_FAILURE_ACTIONS = 2;
    private static final int SERVICE_CONFIG_DELAYED_AUTO_START_INFO = 3;
    private static final int SC_ACTION_RESTART = 1;
    /** Restart 5 s after a crash, as the systemd unit does (a server out of heap exits: serve.args). */
    private static final int RESTART_DELAY_MS = 5_000;
    private static final int FAILURE_RESET_SECONDS = 24 * 3600;
    private static final int SC_STATUS_PROCESS_INFO = 0;
    /** How long a pending state may show no new checkpoint before we give up waiting (at least). */
    private static final long NO_PROGRESS_MS = 60_000;

    /** What CreateServiceW gets. {@code account} null = LocalSystem; {@code password} null for none. */
    public record Install(String name, String displayName, String description, String imagePath, String account,
            String password) {}

    /** SERVICE_STATUS_PROCESS, the parts shown. */
    public record State(int state, int win32ExitCode, int serviceExitCode, int pid, int checkPoint, int waitHint) {
        public String describe() {
            StringBuilder sb = new StringBuilder(ServiceLifecycle.stateName(state));
            if (pid != 0) {
                sb.append(" (pid ").append(pid).append(')');
            }
            if (win32ExitCode == ServiceLifecycle.ERROR_SERVICE_SPECIFIC_ERROR) {
                sb.append(", exit code ").append(serviceExitCode).append(" (the server failed: see its log)");
            } else if (win32ExitCode != 0 && state == ServiceLifecycle.SERVICE_STOPPED) {
                sb.append(", ").append(ScmErrors.text(win32ExitCode));
            }
            return sb.toString();
        }
    }

    /** SERVICE_DELAYED_AUTO_START_INFO (not in jna-platform): a BOOL. */
    @Structure.FieldOrder({"fDelayedAutostart"})
    public static final class DelayedAutoStartInfo extends Winsvc.ChangeServiceConfig2Info {
        public boolean fDelayedAutostart;
    }

    private ServiceManager() {}

    /** What install did: whether the delayed start was accepted, and settings the system refused (one line each). */
    public record Installed(boolean delayed, List<String> warnings) {}

    /** Creates the service: own process, automatic start, then description, delayed start and restart on failure. */
    public static Installed install(Install spec) throws ServiceException {
        boolean delayedOk = true;
        List<String> warnings = new ArrayList<>();
        Winsvc.SC_HANDLE scm = openScm(SC_MANAGER_CONNECT | SC_MANAGER_CREATE_SERVICE, "install", spec.name());
        try {
            Winsvc.SC_HANDLE s = ADV.CreateService(scm, spec.name(), spec.displayName(), SERVICE_ALL_ACCESS,
                    SERVICE_WIN32_OWN_PROCESS, SERVICE_AUTO_START, SERVICE_ERROR_NORMAL, spec.imagePath(), null, null, null,
                    spec.account(), spec.password());
            if (s == null) {
                throw fail("install", spec.name());
            }
            try {
                Winsvc.SERVICE_DESCRIPTION d = new Winsvc.SERVICE_DESCRIPTION();
                d.lpDescription = spec.description();
                if (!ADV.ChangeServiceConfig2(s, SERVICE_CONFIG_DESCRIPTION, d)) {
                    warnings.add("could not set the description: " + ScmErrors.text(Native.getLastError()));
                }
                DelayedAutoStartInfo delayed = new DelayedAutoStartInfo();
                delayed.fDelayedAutostart = true;
                if (!ADV.ChangeServiceConfig2(s, SERVICE_CONFIG_DELAYED_AUTO_START_INFO, delayed)) {
                    delayedOk = false;
                    warnings.add("could not make the start delayed (it starts with the other automatic services): "
                            + ScmErrors.text(Native.getLastError()));
                }
                if (!ADV.ChangeServiceConfig2(s, SERVICE_CONFIG_FAILURE_ACTIONS, restartOnFailure())) {
                    warnings.add("could not make the service restart when it fails: "
                            + ScmErrors.text(Native.getLastError()));
                }
            } finally {
                ADV.CloseServiceHandle(s);
            }
        } finally {
            ADV.CloseServiceHandle(scm);
        }
        return new Installed(delayedOk, warnings);
    }

    /**
     * A restart 5 s after each crash, as systemd's Restart=on-failure: past the last of the
     * actions the service controller repeats it (the failure count resets after a day).
     */
    private static Winsvc.SERVICE_FAILURE_ACTIONS restartOnFailure() {
        Winsvc.SC_ACTION.ByReference first = new Winsvc.SC_ACTION.ByReference();
        Winsvc.SC_ACTION[] actions = (Winsvc.SC_ACTION[]) first.toArray(3);
        for (Winsvc.SC_ACTION a : actions) {
            a.type = SC_ACTION_RESTART;
            a.delay = RESTART_DELAY_MS;
            a.write();
        }
        Winsvc.SERVICE_FAILURE_ACTIONS f = new Winsvc.SERVICE_FAILURE_ACTIONS();
        f.dwResetPeriod = FAILURE_RESET_SECONDS;
        f.cActions = actions.length;
        f.lpsaActions = first;
        return f;
    }

    /** The service's state, or null when it is not installed. */
    public static State status(String name) throws ServiceException {
        Winsvc.SC_HANDLE scm = openScm(SC_MANAGER_CONNECT, "query", name);
        try {
            Winsvc.SC_HANDLE s = ADV.OpenService(scm, name, SERVICE_QUERY_STATUS);
            if (s == null) {
                int err = Native.getLastError();
                if (err == ScmErrors.ERROR_SERVICE_DOES_NOT_EXIST) {
                    return null;
                }
                throw new ServiceException(ScmErrors.message("query", name, err), err);
            }
            try {
                return query(s, name);
            } finally {
                ADV.CloseServiceHandle(s);
            }
        } finally {
            ADV.CloseServiceHandle(scm);
        }
    }

    /** Starts the service and waits while it is START_PENDING; returns the state it reached. */
    public static State start(String name, Consumer<State> progress) throws ServiceException {
        return withService(name, SERVICE_START | SERVICE_QUERY_STATUS, "start", s -> {
            if (!ADV.StartService(s, 0, null)) {
                throw fail("start", name);
            }
            return await(s, name, ServiceLifecycle.SERVICE_START_PENDING, progress);
        });
    }

    /** Stops the service and waits while it is STOP_PENDING; returns the state it reached. */
    public static State stop(String name, Consumer<State> progress) throws ServiceException {
        return withService(name, SERVICE_STOP | SERVICE_QUERY_STATUS, "stop", s -> stop(s, name, progress));
    }

    /** Stops the service if it runs, then deletes it and waits until it is gone. */
    public static void uninstall(String name, Consumer<State> progress) throws ServiceException {
        withService(name, SERVICE_STOP | SERVICE_QUERY_STATUS | DELETE, "uninstall", s -> {
            State st = query(s, name);
            if (st.state() == ServiceLifecycle.SERVICE_START_PENDING || st.state() == ServiceLifecycle.SERVICE_STOP_PENDING) {
                st = await(s, name, st.state(), progress);
            }
            if (st.state() != ServiceLifecycle.SERVICE_STOPPED) {
                stop(s, name, progress);
            }
            if (!ADV.DeleteService(s)) {
                throw fail("uninstall", name);
            }
            return null;
        });
        // The SCM removes it once the last handle is closed (ours just was).
        long deadline = System.nanoTime() + NO_PROGRESS_MS * 1_000_000;
        while (status(name) != null) {
            if (System.nanoTime() > deadline) {
                throw new ServiceException(ScmErrors.message("uninstall", name, ScmErrors.ERROR_SERVICE_MARKED_FOR_DELETE),
                        ScmErrors.ERROR_SERVICE_MARKED_FOR_DELETE);
            }
            sleep(250);
        }
    }

    private static State stop(Winsvc.SC_HANDLE s, String name, Consumer<State> progress) throws ServiceException {
        if (query(s, name).state() == ServiceLifecycle.SERVICE_START_PENDING) {
            await(s, name, ServiceLifecycle.SERVICE_START_PENDING, progress); // STOP is accepted once RUNNING
        }
        Winsvc.SERVICE_STATUS st = new Winsvc.SERVICE_STATUS();
        if (!ADV.ControlService(s, ServiceLifecycle.SERVICE_CONTROL_STOP, st)) {
            throw fail("stop", name);
        }
        return await(s, name, ServiceLifecycle.SERVICE_STOP_PENDING, progress);
    }

    /** Polls while the state is {@code pending}, as long as the checkpoint moves (the SCM's documented way). */
    private static State await(Winsvc.SC_HANDLE s, String name, int pending, Consumer<State> progress) throws ServiceException {
        State st = query(s, name);
        int lastCheckPoint = st.checkPoint();
        long lastProgress = System.nanoTime();
        while (st.state() == pending) {
            progress.accept(st);
            sleep(Math.clamp(st.waitHint() / 10, 250, 2_000));
            st = query(s, name);
            if (st.checkPoint() != lastCheckPoint) {
                lastCheckPoint = st.checkPoint();
                lastProgress = System.nanoTime();
            } else if ((System.nanoTime() - lastProgress) / 1_000_000 > Math.max(NO_PROGRESS_MS, st.waitHint())) {
                throw new ServiceException("service " + name + " is still " + ServiceLifecycle.stateName(st.state())
                        + " and shows no progress (checkpoint " + st.checkPoint() + "): see its log", 0);
            }
        }
        return st;
    }

    private static State query(Winsvc.SC_HANDLE s, String name) throws ServiceException {
        Winsvc.SERVICE_STATUS_PROCESS p = new Winsvc.SERVICE_STATUS_PROCESS();
        com.sun.jna.ptr.IntByReference needed = new com.sun.jna.ptr.IntByReference();
        if (!ADV.QueryServiceStatusEx(s, SC_STATUS_PROCESS_INFO, p, p.size(), needed)) {
            throw fail("query", name);
        }
        return new State(p.dwCurrentState, p.dwWin32ExitCode, p.dwServiceSpecificExitCode, p.dwProcessId, p.dwCheckPoint,
                p.dwWaitHint);
    }

    private interface ServiceCall<T> {
        T call(Winsvc.SC_HANDLE service) throws ServiceException;
    }

    private static <T> T withService(String name, int access, String action, ServiceCall<T> call) throws ServiceException {
        Winsvc.SC_HANDLE scm = openScm(SC_MANAGER_CONNECT, action, name);
        try {
            Winsvc.SC_HANDLE s = ADV.OpenService(scm, name, access);
            if (s == null) {
                throw fail(action, name);
            }
            try {
                return call.call(s);
            } finally {
                ADV.CloseServiceHandle(s);
            }
        } finally {
            ADV.CloseServiceHandle(scm);
        }
    }

    private static Winsvc.SC_HANDLE openScm(int access, String action, String name) throws ServiceException {
        Winsvc.SC_HANDLE scm = ADV.OpenSCManager(null, null, access);
        if (scm == null) {
            throw fail(action, name);
        }
        return scm;
    }

    private static ServiceException fail(String action, String name) {
        int err = Native.getLastError();
        return new ServiceException(ScmErrors.message(action, name, err), err);
    }

    private static void sleep(long ms) throws ServiceException {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ServiceException("interrupted", 0);
        }
    }
}
