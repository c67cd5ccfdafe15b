package dev.fsdriver.cli;

import dev.fsdriver.cli.ConfigFile.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * Config file and environment, as command-line options: before picocli parses, every option of
 * the command that the command line does not give is added from {@code FSDRIVER_<OPTION>} if set,
 * else from the config file if it sets it. So the precedence is command line, environment, file,
 * default, and every value is checked and converted by the same code as a typed one.
 *
 * <p>The file is {@code --config FILE}, else {@code $FSDRIVER_CONFIG}, else the default location
 * ({@link #defaultFile}) when it exists. Environment variables: the long option name in upper case
 * with '-' as '_' ({@code --token-file}: {@code FSDRIVER_TOKEN_FILE}); repeatable options take a
 * comma-separated list; flags true/false (also 1/0, yes/no, on/off).
 */
final class ConfigArguments {
    static final String ENV_PREFIX = "FSDRIVER_";
    static final String CONFIG_OPTION = "--config";

    private ConfigArguments() {}

    /** {@code args} with the options that the environment and the config file give added. */
    static String[] expand(CommandSpec root, String[] args, Map<String, String> env, Path defaultFile)
            throws ConfigException {
        Scan scan = Scan.of(root, args);
        Path file = scan.config != null ? Path.of(scan.config)
                : nonEmpty(env.get(ENV_PREFIX + "CONFIG")) != null ? Path.of(env.get(ENV_PREFIX + "CONFIG"))
                : defaultFile != null && Files.isRegularFile(defaultFile) ? defaultFile : null;
        ConfigFile config = file != null ? ConfigFile.read(file, root) : null;
        if (scan.command == null || !takesConfig(scan.command)) {
            return args;
        }
        List<String> added = new ArrayList<>();
        for (OptionSpec option : scan.command.options()) {
            if (!configurable(option) || scan.given.contains(option.longestName())) {
                continue;
            }
            String key = key(option);
            String envName = ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('-', '_');
            String fromEnv = nonEmpty(env.get(envName));
            List<String> values;
            if (fromEnv != null) {
                values = isFlag(option) ? List.of(flag(envName, fromEnv))
                        : option.isMultiValue() ? List.of(fromEnv.split(",")) : List.of(fromEnv);
            } else if (config != null) {
                values = config.values(scan.command.name(), key);
            } else {
                values = null;
            }
            if (values == null) {
                continue;
            }
            for (String v : values) {
                if (isFlag(option)) {
                    if (v.equals("true")) {
                        added.add(option.longestName());
                    }
                } else {
                    added.add(option.longestName() + "=" + v);
                }
            }
        }
        List<String> positionals = new ArrayList<>();
        if (scan.positionals == 0 && config != null) {
            // arguments from the file only when the command line gives none, in order
            for (PositionalParamSpec p : scan.command.positionalParameters()) {
                List<String> v = config.ownValues(scan.command.name(), key(p));
                if (v == null) {
                    break;
                }
                positionals.addAll(v);
            }
        }
        List<String> out = new ArrayList<>(List.of(args).subList(0, scan.commandIndex + 1));
        out.addAll(added);
        out.addAll(List.of(args).subList(scan.commandIndex + 1, args.length));
        if (!positionals.isEmpty() && !scan.endOfOptions) {
            out.add("--");
        }
        out.addAll(positionals);
        return out.toArray(String[]::new);
    }

    /**
     * The default config file: {@code %APPDATA%\fsdriver\config.toml} on Windows,
     * {@code $XDG_CONFIG_HOME/fsdriver/config.toml} elsewhere ({@code ~/.config} when unset).
     */
    static Path defaultFile(Map<String, String> env, boolean windows, String home) {
        if (windows) {
            String appData = nonEmpty(env.get("APPDATA"));
            return appData != null ? Path.of(appData, "fsdriver", "config.toml") : null;
        }
        String xdg = nonEmpty(env.get("XDG_CONFIG_HOME"));
        if (xdg != null && Path.of(xdg).isAbsolute()) { // the XDG spec says to ignore a relative one
            return Path.of(xdg, "fsdriver", "config.toml");
        }
        return home != null ? Path.of(home, ".config", "fsdriver", "config.toml") : null;
    }

    /** Commands with subcommands of their own (certs) and help take nothing from a file. */
    static boolean takesConfig(CommandSpec spec) {
        return spec.subcommands().isEmpty() && !spec.helpCommand();
    }

    /** The option or argument of {@code spec} that config key {@code key} names, or null. */
    static ArgSpec argument(CommandSpec spec, String key) {
        for (OptionSpec o : spec.options()) {
            if (configurable(o) && key(o).equals(key)) {
                return o;
            }
        }
        return ConfigFile.positional(spec, key);
    }

    static boolean isFlag(OptionSpec o) {
        return o.arity().max() == 0;
    }

    private static boolean configurable(OptionSpec o) {
        return !o.usageHelp() && !o.versionHelp() && !o.longestName().equals(CONFIG_OPTION)
                && o.longestName().startsWith("--");
    }

    private static String key(OptionSpec o) {
        return o.longestName().substring(2);
    }

    private static String key(PositionalParamSpec p) {
        return p.paramLabel().toLowerCase(Locale.ROOT);
    }

    private static String flag(String name, String value) throws ConfigException {
        return switch (value.strip().toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes", "on" -> "true";
            case "false", "0", "no", "off" -> "false";
            default -> throw new ConfigException(name + "=" + value + ": expected true or false");
        };
    }

    private static String nonEmpty(String s) {
        return s == null || s.isEmpty() ? null : s;
    }

    /**
     * Where the subcommand is, which of its options the command line gives, how many arguments,
     * and --config: read with the commands' own option specs (which options take a value).
     */
    private static final class Scan {
        CommandSpec command;
        int commandIndex = -1;
        String config;
        final Set<String> given = new HashSet<>();
        int positionals;
        boolean endOfOptions;

        static Scan of(CommandSpec root, String[] args) {
            Scan s = new Scan();
            CommandSpec current = root;
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (s.endOfOptions) {
                    s.positionals++;
                    continue;
                }
                if (a.equals("--")) {
                    s.endOfOptions = true;
                    continue;
                }
                String name = a.startsWith("-") && a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
                OptionSpec option = a.startsWith("-") ? current.findOption(name) : null;
                if (option != null) {
                    String value = null;
                    if (!isFlag(option) && !a.contains("=") && i + 1 < args.length) {
                        value = args[++i];
                    } else if (a.contains("=")) {
                        value = a.substring(a.indexOf('=') + 1);
                    }
                    if (option.longestName().equals(CONFIG_OPTION)) {
                        s.config = value;
                    }
                    s.given.add(option.longestName());
                } else if (a.startsWith("-") && a.length() > 1) {
                    continue; // unknown or clustered: picocli will say
                } else if (current == root && root.subcommands().containsKey(a)) {
                    current = root.subcommands().get(a).getCommandSpec();
                    s.command = current;
                    s.commandIndex = i;
                } else if (current == root) {
                    return s; // not a command: picocli will say
                } else {
                    s.positionals++;
                }
            }
            return s;
        }
    }
}
