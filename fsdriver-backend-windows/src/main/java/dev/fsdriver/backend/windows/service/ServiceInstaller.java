package dev.fsdriver.backend.windows.service;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Builds the exact commands behind {@code fsdriver service install|uninstall|status}; the CLI runs
 * them (pure Java, so it is unit-tested anywhere). Two ways to run the server on Windows:
 *
 * <ul>
 *   <li><b>Logon task</b> (default): a Task Scheduler task started at logon as the current user,
 *       with limited rights, so the server sees exactly the user's files and rights:
 *       {@code schtasks /Create /SC ONLOGON /TN fsdriver /TR "<launcher> serve @<args file>" /RL LIMITED /F}.
 *       Creating ONLOGON tasks can need an elevated prompt on some Windows editions.</li>
 *   <li><b>Windows service</b> under a named account:
 *       {@code sc.exe create fsdriver binPath= "<java> ... ServiceHost fsdriver serve @<args file>" obj= <account> password= <pw> start= auto};
 *       {@link ServiceHost} speaks the service control protocol and runs the same {@code serve}.</li>
 * </ul>
 * Both read the same configuration as {@code fsdriver serve}: the serve arguments are stored, one
 * per line, in an argument file ({@code %APPDATA%\fsdriver\serve.args} by default) that picocli
 * expands from {@code @path}; {@link #argsFileContent} writes it.
 *
 * <p>Quoting: each argument is quoted by the rules CommandLineToArgvW (and the C runtime) undo,
 * and {@link Command#processBuilderArgs()} hands pre-quoted arguments to ProcessBuilder, which
 * passes arguments that are already in quotes through unchanged on Windows.
 */
public final class ServiceInstaller {
    public static final String NAME = "fsdriver";
    /** Task Scheduler's limit on the /TR command. */
    public static final int MAX_TASK_COMMAND = 261;
    public static final String HOST_CLASS = "dev.fsdriver.backend.windows.service.ServiceHost";

    /** One command to run: the argv, and how it reads as a command line. */
    public record Command(List<String> argv, int secretIndex) {
        public Command(List<String> argv) {
            this(argv, -1);
        }

        /** The command line Windows will see (CreateProcess string). */
        public String commandLine() {
            return ServiceInstaller.commandLine(argv);
        }

        /** The command line for logs and --dry-run output, with any password masked. */
        public String display() {
            List<String> shown = new ArrayList<>(argv);
            if (secretIndex >= 0) {
                shown.set(secretIndex, "********");
            }
            return ServiceInstaller.commandLine(shown);
        }

        /** For {@code new ProcessBuilder(...)} on Windows: every argument already quoted, so the JDK adds nothing. */
        public List<String> processBuilderArgs() {
            List<String> out = new ArrayList<>(argv.size());
            for (String a : argv) {
                out.add(quote(a));
            }
            return out;
        }
    }

    private ServiceInstaller() {}

    /**
     * Where things are in a build tree: {@code <repo>\fsdriver-cli\target\lib} holds the jars,
     * {@code <repo>\bin\fsdriver.cmd} is the launcher (what bin\fsdriver.cmd itself assumes).
     */
    public record Layout(Path javaExe, Path libDir, Path launcher) {
        /** The layout around {@code libDir}, running on the JDK at {@code javaHome}. */
        public static Layout of(Path javaHome, Path libDir) {
            Path repo = libDir.toAbsolutePath().getParent().getParent().getParent();
            return new Layout(javaHome.resolve("bin").resolve("java.exe"), libDir, repo.resolve("bin").resolve("fsdriver.cmd"));
        }

        /** The layout of the running JVM: this class's jar directory and java.home. */
        public static Layout current() {
            try {
                Path jar = Path.of(ServiceInstaller.class.getProtectionDomain().getCodeSource().getLocation().toURI());
                return of(Path.of(System.getProperty("java.home")), jar.getParent());
            } catch (java.net.URISyntaxException | RuntimeException e) {
                throw new IllegalStateException("cannot tell where fsdriver is installed: " + e.getMessage(), e);
            }
        }
    }

    /** %APPDATA%\fsdriver\serve.args, from the given environment. */
    public static Path defaultArgsFile(Map<String, String> env) {
        String appData = env.get("APPDATA");
        if (appData == null || appData.isBlank()) {
            throw new IllegalStateException("APPDATA is not set: pass the argument file explicitly");
        }
        return Path.of(appData, NAME, "serve.args");
    }

    /**
     * The argument file for {@code serve}: one argument per line, in double quotes, with backslash
     * and quote escaped by a backslash (picocli's rule for quoted values in @-files).
     */
    public static String argsFileContent(List<String> serveArgs) {
        StringBuilder sb = new StringBuilder("# fsdriver serve arguments (one per line); written by 'fsdriver service install'\r\n");
        for (String a : serveArgs) {
            sb.append('"').append(a.replace("\\", "\\\\").replace("\"", "\\\"")).append("\"\r\n");
        }
        return sb.toString();
    }

    // ---- logon task ----

    /** {@code schtasks /Create /SC ONLOGON /TN fsdriver /TR "<launcher> serve @<args>" /RL LIMITED /F}. */
    public static Command installLogonTask(Path launcher, Path argsFile) {
        String tr = commandLine(List.of(launcher.toString(), "serve", "@" + argsFile));
        if (tr.length() > MAX_TASK_COMMAND) {
            throw new IllegalArgumentException("the task command is " + tr.length() + " characters; Task Scheduler allows "
                    + MAX_TASK_COMMAND + ": install fsdriver or the argument file under a shorter path");
        }
        return new Command(List.of("schtasks", "/Create", "/SC", "ONLOGON", "/TN", NAME, "/TR", tr, "/RL", "LIMITED", "/F"));
    }

    /** {@code schtasks /Delete /TN fsdriver /F}. */
    public static Command uninstallLogonTask() {
        return new Command(List.of("schtasks", "/Delete", "/TN", NAME, "/F"));
    }

    /** {@code schtasks /Query /TN fsdriver /V /FO LIST}. */
    public static Command logonTaskStatus() {
        return new Command(List.of("schtasks", "/Query", "/TN", NAME, "/V", "/FO", "LIST"));
    }

    /** {@code schtasks /Run /TN fsdriver}: start it now, without logging off and on. */
    public static Command runLogonTask() {
        return new Command(List.of("schtasks", "/Run", "/TN", NAME));
    }

    // ---- Windows service ----

    /** The service's command line: java with the same flags as bin\fsdriver.cmd, then ServiceHost. */
    public static String serviceBinPath(Path javaExe, Path libDir, Path argsFile) {
        return commandLine(List.of(javaExe.toString(), "--enable-native-access=ALL-UNNAMED", "-cp", libDir + "\\*",
                HOST_CLASS, NAME, "serve", "@" + argsFile));
    }

    /**
     * {@code sc.exe create fsdriver binPath= ... obj= <account> password= <pw> start= auto DisplayName= "fsdriver file server"}.
     * sc.exe wants each "key=" as its own argument followed by the value. {@code password} may be
     * null for accounts without one (LocalService, virtual accounts "NT SERVICE\fsdriver").
     */
    public static Command installService(Path javaExe, Path libDir, Path argsFile, String account, String password) {
        if (account == null || account.isBlank()) {
            throw new IllegalArgumentException("a service needs an account (DOMAIN\\user, .\\user or user@domain)");
        }
        List<String> argv = new ArrayList<>(List.of("sc.exe", "create", NAME, "binPath=", serviceBinPath(javaExe, libDir, argsFile),
                "obj=", account));
        int secret = -1;
        if (password != null) {
            argv.add("password=");
            secret = argv.size();
            argv.add(password);
        }
        argv.addAll(List.of("start=", "auto", "DisplayName=", "fsdriver file server"));
        return new Command(List.copyOf(argv), secret);
    }

    /** {@code sc.exe stop fsdriver}, then {@link #uninstallService()}. */
    public static Command stopService() {
        return new Command(List.of("sc.exe", "stop", NAME));
    }

    /** {@code sc.exe delete fsdriver}. */
    public static Command uninstallService() {
        return new Command(List.of("sc.exe", "delete", NAME));
    }

    /** {@code sc.exe query fsdriver}. */
    public static Command serviceStatus() {
        return new Command(List.of("sc.exe", "query", NAME));
    }

    /** {@code sc.exe start fsdriver}. */
    public static Command startService() {
        return new Command(List.of("sc.exe", "start", NAME));
    }

    // ---- quoting ----

    /** argv joined as a Windows command line that CommandLineToArgvW splits back into argv. */
    public static String commandLine(List<String> argv) {
        StringBuilder sb = new StringBuilder();
        for (String a : argv) {
            if (!sb.isEmpty()) {
                sb.append(' ');
            }
            sb.append(quote(a));
        }
        return sb.toString();
    }

    /**
     * One argument quoted for CommandLineToArgvW: unchanged unless empty or containing space, tab
     * or quote; otherwise in quotes, a quote as \", backslashes before a quote or the closing
     * quote doubled.
     */
    public static String quote(String arg) {
        if (!arg.isEmpty() && arg.chars().noneMatch(c -> c == ' ' || c == '\t' || c == '"' || c == '\n')) {
            return arg;
        }
        StringBuilder sb = new StringBuilder("\"");
        int backslashes = 0;
        for (int i = 0; i < arg.length(); i++) {
            char c = arg.charAt(i);
            if (c == '\\') {
                backslashes++;
                continue;
            }
            if (c == '"') {
                sb.append("\\".repeat(2 * backslashes + 1)).append('"');
            } else {
                sb.append("\\".repeat(backslashes)).append(c);
            }
            backslashes = 0;
        }
        sb.append("\\".repeat(2 * backslashes)).append('"');
        return sb.toString();
    }
}
