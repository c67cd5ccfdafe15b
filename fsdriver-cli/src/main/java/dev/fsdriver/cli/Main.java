package dev.fsdriver.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/**
 * The {@code fsdriver} command. Exit codes: 0 success, 1 a failure explained in one line on
 * stderr ("fsdriver: ..."), 2 wrong arguments (usage on stderr).
 */
@Command(name = "fsdriver", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Serve directories over gRPC and mount them through FUSE.",
        subcommands = {ServeCommand.class, ServiceCommand.class, CertsCommand.class, InstallCommand.class, AotCacheCommand.class,
                CompletionCommand.class, ManCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Callable<Integer> {
    static final int EXIT_FAILURE = 1;
    static final int EXIT_USAGE = 2;

    @Spec
    CommandSpec spec;

    @Option(names = {"-v", "--verbose"}, scope = CommandLine.ScopeType.INHERIT,
            description = "Log debug messages, with each message's logger and fields.")
    boolean verbose;

    @Option(names = "--log-format", paramLabel = "text|json", scope = CommandLine.ScopeType.INHERIT,
            description = "Logs on stderr as text (default: \"LEVEL message\") or JSON lines (time, level, logger, "
                    + "message and the event's fields, e.g. share, operation, errno, duration_us).")
    Logging.Format logFormat;

    @Option(names = "--log-level", paramLabel = "LEVEL", scope = CommandLine.ScopeType.INHERIT,
            description = "error, warn, info, debug or trace (default: info; debug with -v).")
    Logging.LogLevel logLevel;

    @Option(names = "--config", paramLabel = "FILE", scope = CommandLine.ScopeType.INHERIT,
            description = "A TOML file of options (keys: the long option names; [serve] and [mount] tables for one "
                    + "command). Default: $FSDRIVER_CONFIG, else ${sys:fsdriver.defaultConfig:-the default file} if it exists. "
                    + "Options also come from FSDRIVER_<OPTION> variables; the command line wins, then the "
                    + "environment, then the file.")
    Path config;

    public static void main(String[] args) {
        int code = execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true));
        System.exit(code);
    }

    /** Runs the command line {@code args}; returns the exit code. */
    static int execute(String[] args, PrintWriter out, PrintWriter err) {
        return execute(args, out, err, System.getenv());
    }

    /** As {@link #execute(String[], PrintWriter, PrintWriter)} with {@code env} as the environment. */
    static int execute(String[] args, PrintWriter out, PrintWriter err, Map<String, String> env) {
        CommandLine cmd = commandLine();
        try {
            args = MountHelperArguments.translate(args, cmd.getSubcommands().keySet());
        } catch (IllegalArgumentException e) {
            err.println("fsdriver: " + e.getMessage());
            err.flush();
            return EXIT_USAGE;
        }
        Path defaultConfig = ConfigArguments.defaultFile(env, Backends.isWindows(), System.getProperty("user.home"));
        if (defaultConfig != null) {
            System.setProperty("fsdriver.defaultConfig", defaultConfig.toString());
        }
        try {
            args = ConfigArguments.expand(cmd.getCommandSpec(), args, env, defaultConfig);
        } catch (ConfigFile.ConfigException e) {
            err.println("fsdriver: " + e.getMessage());
            err.flush();
            return EXIT_USAGE;
        }
        cmd.setOut(out);
        cmd.setErr(err);
        cmd.setCaseInsensitiveEnumValuesAllowed(true);
        // wrong arguments: the message, picocli's suggestions if any, and always the usage
        cmd.setParameterExceptionHandler((ex, a) -> {
            PrintWriter e = ex.getCommandLine().getErr();
            e.println(ex.getMessage());
            CommandLine.UnmatchedArgumentException.printSuggestions(ex, e);
            ex.getCommandLine().usage(e);
            e.flush();
            return EXIT_USAGE;
        });
        cmd.setExecutionStrategy(parse -> {
            Logging.configure(matched(parse, "--log-format", Logging.Format.text), matched(parse, "--log-level", null),
                    isVerbose(parse));
            return new CommandLine.RunLast().execute(parse);
        });
        cmd.setExecutionExceptionHandler((ex, line, parse) -> {
            if (ex instanceof CliException) {
                line.getErr().println("fsdriver: " + ex.getMessage());
            } else {
                line.getErr().println("fsdriver: unexpected error: " + ex);
                if (isVerbose(parse)) {
                    ex.printStackTrace(line.getErr());
                }
            }
            line.getErr().flush();
            return EXIT_FAILURE;
        });
        return cmd.execute(args);
    }

    /** The command tree, with mount, umount and status where this Java runs them. */
    static CommandLine commandLine() {
        CommandLine cmd = new CommandLine(new Main());
        addClientCommands(cmd);
        return cmd;
    }

    /** Without a subcommand: usage on stderr, exit 2. */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return EXIT_USAGE;
    }

    /** The Java release that built mount, umount and status (the FUSE layer uses FFM). */
    static final int CLIENT_JAVA = 25;

    /**
     * mount, umount and status are compiled for Java 25 (the rest of this module for 21, so the server
     * runs on Java 21+): they are added by name, and on an older Java a stand-in says why.
     */
    private static void addClientCommands(CommandLine cmd) {
        for (String name : new String[] {"mount", "umount", "status"}) {
            Object command;
            if (Runtime.version().feature() >= CLIENT_JAVA) {
                String cls = "dev.fsdriver.cli." + switch (name) {
                    case "mount" -> "MountCommand";
                    case "umount" -> "UmountCommand";
                    default -> "StatusCommand";
                };
                try {
                    var ctor = Class.forName(cls).getDeclaredConstructor();
                    ctor.setAccessible(true);
                    command = ctor.newInstance();
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException("broken build: " + cls + ": " + e, e);
                }
            } else {
                command = new NeedsNewerJava(name);
            }
            cmd.addSubcommand(name, command);
        }
    }

    /** mount/umount/status on a Java older than 25: one clear line, exit 1. */
    @Command(description = "Needs Java " + CLIENT_JAVA + " or newer.")
    static final class NeedsNewerJava implements Callable<Integer> {
        private final String name;

        @CommandLine.Unmatched
        List<String> ignored;

        NeedsNewerJava(String name) {
            this.name = name;
        }

        @Override
        public Integer call() throws CliException {
            throw new CliException("'" + name + "' needs Java " + CLIENT_JAVA + " or newer (this is Java "
                    + Runtime.version().feature() + "); 'serve' runs on Java 21 or newer");
        }
    }

    private static boolean isVerbose(ParseResult parse) {
        for (ParseResult p = parse; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption("--verbose")) {
                return true;
            }
        }
        return false;
    }

    /** The value of an inherited option wherever on the command line it was given (the last one wins). */
    private static <T> T matched(ParseResult parse, String option, T otherwise) {
        T value = otherwise;
        for (ParseResult p = parse; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption(option)) {
                value = p.matchedOption(option).getValue();
            }
        }
        return value;
    }

    /** This build's version (version.properties, filtered by Maven), "dev" when it is missing. */
    static String version() {
        Properties p = new Properties();
        try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // "dev"
        }
        return p.getProperty("version", "dev");
    }

    /** The version from the build. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"fsdriver " + version() + " (Java " + Runtime.version() + ")"};
        }
    }
}
