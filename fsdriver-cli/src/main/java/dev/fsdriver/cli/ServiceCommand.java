package dev.fsdriver.cli;

import dev.fsdriver.backend.windows.service.FirewallRule;
import dev.fsdriver.backend.windows.service.LogonTask;
import dev.fsdriver.backend.windows.service.ScmErrors;
import dev.fsdriver.backend.windows.service.ServiceException;
import dev.fsdriver.backend.windows.service.ServiceImage;
import dev.fsdriver.backend.windows.service.ServiceManager;
import dev.fsdriver.backend.windows.service.ServiceNative;
import dev.fsdriver.protocol.Protocol;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code fsdriver service install|uninstall|start|stop|status}: the server as a Windows service,
 * through the Service Control Manager (ServiceManager). The service runs
 * {@code fsdriver service run} ({@link ServiceRunCommand}) with the serve options given at install.
 */
@Command(name = "service", mixinStandardHelpOptions = true,
        description = "Run the server as a Windows service (Windows only): install [serve options], uninstall, start, stop, status.",
        subcommands = {ServiceCommand.Install.class, ServiceCommand.Uninstall.class, ServiceCommand.Start.class,
                ServiceCommand.Stop.class, ServiceCommand.Status.class, ServiceRunCommand.class})
final class ServiceCommand implements Callable<Integer> {
    static final String DEFAULT_NAME = "fsdriver";

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return Main.EXIT_USAGE;
    }

    static void requireWindows() throws CliException {
        if (!Backends.isWindows()) {
            throw new CliException("service management is Windows only");
        }
    }

    /** %ProgramData%\fsdriver\NAME.log: where the service writes its log unless --log says otherwise. */
    static Path defaultLog(String name) {
        String pd = System.getenv("ProgramData");
        return Path.of(pd == null || pd.isBlank() ? "C:\\ProgramData" : pd, "fsdriver", name + ".log");
    }

    /** One option shared by all subcommands. */
    static class NameOption {
        @Option(names = "--name", paramLabel = "NAME", description = "The service's name (default: " + DEFAULT_NAME + ").")
        String name = DEFAULT_NAME;
    }

    /** A service subcommand: Windows only, the service's name, and the SCM's failures as one-line errors. */
    abstract static class ScmCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @CommandLine.Mixin
        NameOption name;

        @Override
        public final Integer call() throws Exception {
            requireWindows();
            try {
                return run();
            } catch (ServiceException e) {
                throw new CliException(e.getMessage());
            }
        }

        abstract Integer run() throws Exception;
    }

    @Command(name = "install", mixinStandardHelpOptions = true,
            description = "Install the service: it runs 'fsdriver serve' with the serve options given here (e.g. --listen, "
                    + "--share, --tls-*), starts automatically (delayed) at boot, and runs as LocalSystem or --account. "
                    + "Needs an elevated prompt.")
    static final class Install extends ScmCommand {
        @Option(names = "--display-name", paramLabel = "TEXT", description = "Shown in services.msc (default: fsdriver file server (NAME)).")
        String displayName;

        @Option(names = "--account", paramLabel = "ACCOUNT",
                description = "Run as this account (.\\user, DOMAIN\\user); it is granted 'Log on as a service'. Default: LocalSystem.")
        String account;

        @Option(names = "--password-file", paramLabel = "FILE", description = "The account's password: FILE's first line.")
        Path passwordFile;

        @Option(names = "--firewall",
                description = "Also add a Windows Firewall inbound rule for the --listen TCP port(s), from the WSL subnet only.")
        boolean firewall;

        @Option(names = "--firewall-adapter", paramLabel = "NAME",
                description = "The adapter whose subnet the rule allows (name prefix; default: '" + FirewallRule.WSL_ADAPTER + "').")
        String firewallAdapter = FirewallRule.WSL_ADAPTER;

        @Option(names = "--jvm-option", paramLabel = "OPT", description = "An option for the service's JVM (e.g. --jvm-option=-Xmx512m). Repeatable.")
        List<String> jvmOptions = new ArrayList<>();

        @Option(names = "--log", paramLabel = "FILE", description = "The service's log file (default: %%ProgramData%%\\fsdriver\\NAME.log).")
        Path log;

        @Option(names = "--logon-task", description = "Instead of a service: a Task Scheduler task NAME that starts the server at "
                + "this user's logon, as this user, without a console window (no elevation, no stored password).")
        boolean logonTask;

        @CommandLine.Unmatched
        List<String> serveArgs = new ArrayList<>();

        @Override
        Integer run() throws Exception {
            check(() -> ServiceImage.checkName(name.name));
            ServeCommand serve = parseServeOptions();
            serve.checkForService();
            if (logonTask) {
                return installLogonTask(serve);
            }
            String password = password();
            if (passwordFile != null && account == null) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--password-file needs --account");
            }
            if (account != null && account.isBlank()) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--account: give DOMAIN\\user or .\\user");
            }
            if (ServiceManager.status(name.name) != null) { // before the logon right or a firewall rule is touched
                throw new CliException(ScmErrors.message("install", name.name, ScmErrors.ERROR_SERVICE_EXISTS));
            }
            ServiceImage image = new ServiceImage(javaExe(), jvmOptions(), libDir(), name.name,
                    log != null ? log.toAbsolutePath() : defaultLog(name.name), serveArgs);
            List<String> firewallCmd = firewall ? firewallCommand(serve) : null; // before anything changes
            var out = spec.commandLine().getOut();
            if (account != null) {
                ServiceNative.addAccountRight(account, "SeServiceLogonRight");
                out.println("granted 'Log on as a service' (SeServiceLogonRight) to " + account);
            }
            String display = displayName != null ? displayName
                    : name.name.equals(DEFAULT_NAME) ? "fsdriver file server" : "fsdriver file server (" + name.name + ")";
            ServiceManager.Installed installed = ServiceManager.install(new ServiceManager.Install(name.name, display,
                    "Serves directories to Linux and WSL2 clients (fsdriver serve " + String.join(" ", serveArgs) + ")",
                    image.imagePath(), account, password));
            out.println("installed service " + name.name + " (" + display + "): starts automatically"
                    + (installed.delayed() ? " (delayed)" : "") + " at boot as " + (account == null ? "LocalSystem" : account));
            out.println("  command line: " + image.imagePath());
            out.println("  log: " + image.logFile());
            for (String w : installed.warnings()) {
                out.println("  warning: " + w);
            }
            if (firewallCmd != null) {
                Netsh.run(firewallCmd, out);
            }
            out.println("start it now with: fsdriver service start" + (name.name.equals(DEFAULT_NAME) ? "" : " --name " + name.name));
            return 0;
        }

        private Integer installLogonTask(ServeCommand serve) throws Exception {
            if (account != null || passwordFile != null) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--logon-task runs as the user who logs on: "
                        + "no --account or --password-file");
            }
            String user = System.getenv("USERDOMAIN") + "\\" + System.getenv("USERNAME");
            ServiceImage image = new ServiceImage(javaExe(), jvmOptions(), libDir(), name.name,
                    log != null ? log.toAbsolutePath() : defaultLog(name.name), serveArgs);
            List<String> firewallCmd = firewall ? firewallCommand(serve) : null;
            LogonTask.create(name.name, LogonTask.definition(image.taskArgv(), user,
                    "fsdriver file server: fsdriver serve " + String.join(" ", serveArgs)));
            var out = spec.commandLine().getOut();
            out.println("installed logon task " + name.name + ": starts the server at each logon of " + user);
            out.println("  command line: " + dev.fsdriver.backend.windows.service.WindowsCommandLine.of(image.taskArgv()));
            out.println("  log: " + image.logFile());
            if (firewallCmd != null) {
                Netsh.run(firewallCmd, out);
            }
            out.println("start it now with: schtasks /run /tn " + name.name);
            return 0;
        }

        /** The serve options must parse as `fsdriver serve` would (the service runs exactly that). */
        private ServeCommand parseServeOptions() {
            ServeCommand serve = new ServeCommand();
            try {
                new CommandLine(serve).parseArgs(serveArgs.toArray(String[]::new));
            } catch (CommandLine.ParameterException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "serve options: " + e.getMessage());
            }
            return serve;
        }

        private List<String> firewallCommand(ServeCommand serve) throws CliException {
            try {
                List<Integer> ports = FirewallRule.tcpPorts(serve.listenUris(), Protocol.DEFAULT_PORT);
                String subnet = FirewallRule.subnet(ServiceNative.ipv4Addresses(), firewallAdapter);
                return FirewallRule.addCommand(FirewallRule.ruleName(name.name), ports, subnet);
            } catch (IllegalArgumentException | ServiceException e) {
                throw new CliException("--firewall: " + e.getMessage());
            }
        }

        private String password() throws CliException {
            if (passwordFile == null) {
                return null;
            }
            try {
                List<String> lines = Files.readAllLines(passwordFile, StandardCharsets.UTF_8);
                if (lines.isEmpty() || lines.getFirst().isEmpty()) {
                    throw new CliException("password file " + passwordFile + " is empty (the password is its first line)");
                }
                return lines.getFirst();
            } catch (IOException e) {
                throw new CliException("cannot read password file " + passwordFile + ": " + e);
            }
        }

        private List<String> jvmOptions() throws CliException {
            List<String> o = new ArrayList<>(List.of("-Xrs", "--enable-native-access=ALL-UNNAMED"));
            // -Xrs: a service's JVM must not exit on the console's logoff event
            if (Runtime.version().feature() >= 23) {
                o.add("--sun-misc-unsafe-memory-access=allow");
            }
            o.addAll(serveRoleOptions());
            o.addAll(jvmOptions);
            return o;
        }

        private void check(Runnable validation) {
            try {
                validation.run();
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
        }
    }

    /** java.exe of the running JVM: the service runs on the Java that installed it. */
    static Path javaExe() {
        return Path.of(System.getProperty("java.home"), "bin", "java.exe");
    }

    /**
     * The server's JVM sizing, as {@code bin\fsdriver.cmd serve} gives it: the launcher's java
     * argument files, referenced (not copied) so that the service runs with the installed ones.
     */
    static List<String> serveRoleOptions() throws CliException {
        String home = System.getenv("FSDRIVER_HOME");
        if (home == null) {
            throw new CliException("run 'service install' through bin\\fsdriver.cmd (FSDRIVER_HOME is not set)");
        }
        Path dir = Path.of(home, "bin", "jvm").toAbsolutePath().normalize();
        List<String> files = new ArrayList<>();
        for (String role : List.of("daemon.args", "serve.args")) {
            Path f = dir.resolve(role);
            if (!Files.isRegularFile(f)) {
                throw new CliException("the launcher's JVM options " + f + " are missing: reinstall fsdriver");
            }
            files.add("@" + f);
        }
        return files;
    }

    /** The directory of this build's jars (fsdriver-cli\target\lib, what bin\fsdriver.cmd puts on the class path). */
    static Path libDir() throws CliException {
        try {
            return Path.of(ServiceCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getParent();
        } catch (java.net.URISyntaxException | RuntimeException e) {
            throw new CliException("cannot tell where fsdriver's jars are: " + e.getMessage());
        }
    }

    @Command(name = "uninstall", mixinStandardHelpOptions = true,
            description = "Stop the service if it runs, delete it, and remove its firewall rule. Needs an elevated prompt.")
    static final class Uninstall extends ScmCommand {
        @Option(names = "--logon-task", description = "Remove the logon task NAME (service install --logon-task) instead of a service.")
        boolean logonTask;

        @Override
        Integer run() throws Exception {
            var out = spec.commandLine().getOut();
            if (logonTask) {
                LogonTask.delete(name.name);
                out.println("removed logon task " + name.name + " (a server it started runs on until logoff or schtasks /end)");
            } else {
                ServiceManager.uninstall(name.name, s -> {});
                out.println("removed service " + name.name);
            }
            Netsh.run(FirewallRule.deleteCommand(FirewallRule.ruleName(name.name)), out);
            return 0;
        }
    }

    @Command(name = "start", mixinStandardHelpOptions = true, description = "Start the service and wait until it runs.")
    static final class Start extends ScmCommand {

        @Override
        Integer run() throws Exception {
            ServiceManager.State s = ServiceManager.start(name.name, st -> {});
            if (s.state() != dev.fsdriver.backend.windows.service.ServiceLifecycle.SERVICE_RUNNING) {
                throw new CliException("service " + name.name + " did not start: " + s.describe() + "; log: " + defaultLog(name.name)
                        + " (unless installed with --log)");
            }
            spec.commandLine().getOut().println("service " + name.name + ": " + s.describe());
            return 0;
        }
    }

    @Command(name = "stop", mixinStandardHelpOptions = true, description = "Stop the service and wait until it has stopped.")
    static final class Stop extends ScmCommand {

        @Override
        Integer run() throws Exception {
            ServiceManager.State s = ServiceManager.stop(name.name, st -> {});
            spec.commandLine().getOut().println("service " + name.name + ": " + s.describe());
            return 0;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Print the service's state (RUNNING, STOPPED, ...); exit 1 when it is not installed.")
    static final class Status extends ScmCommand {

        @Override
        Integer run() throws Exception {
            ServiceManager.State s = ServiceManager.status(name.name);
            if (s == null) {
                throw new CliException("service " + name.name + " is not installed");
            }
            spec.commandLine().getOut().println("service " + name.name + ": " + s.describe());
            return 0;
        }
    }

    /** Runs netsh and prints what was done (netsh's own output included). */
    static final class Netsh {
        private Netsh() {}

        static void run(List<String> argv, java.io.PrintWriter out) throws CliException {
            String shown = String.join(" ", argv);
            try {
                Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
                String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
                int rc = p.waitFor();
                out.println("firewall: " + shown + " -> exit " + rc + (output.isEmpty() ? "" : ": " + output.replace("\r\n", " ").replace('\n', ' ')));
                if (rc != 0 && argv.contains("add")) {
                    throw new CliException("netsh could not add the firewall rule (exit " + rc + "): the service is installed, "
                            + "add the rule by hand (docs/wsl2.md, step 6)");
                }
            } catch (IOException e) {
                throw new CliException("cannot run netsh: " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CliException("interrupted while running netsh");
            }
        }
    }
}
