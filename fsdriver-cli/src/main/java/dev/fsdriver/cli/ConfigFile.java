package dev.fsdriver.cli;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.tomlj.Toml;
import org.tomlj.TomlArray;
import org.tomlj.TomlParseResult;
import org.tomlj.TomlPosition;
import org.tomlj.TomlTable;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * A TOML config file whose keys are the commands' long option names (without "--"). Top-level
 * keys apply to every command that has that option; a {@code [serve]} or {@code [mount]} table
 * holds one command's own keys (and, for mount, its arguments {@code share} and
 * {@code mountpoint}), which win over top-level ones. Repeatable options take a string, an array
 * or, for NAME=VALUE options, a table ({@code [share] docs = "C:/docs:ro"} or
 * {@code docs = { dir = "C:/docs", read-only = true }}); share-option takes its strings or a table
 * of shares ({@code [serve.share-option.docs] metadata = true, uid = "1000"}). The whole file is checked when it is read:
 * an unknown key or a wrong type is one line naming the file, the line and the key.
 */
final class ConfigFile {
    private final Path file;
    /** Command name ("" for top level) to key to the values, as command-line strings. */
    private final Map<String, Map<String, List<String>>> values;

    private ConfigFile(Path file, Map<String, Map<String, List<String>>> values) {
        this.file = file;
        this.values = values;
    }

    Path file() {
        return file;
    }

    /**
     * The values of {@code key} for {@code command}: its own table's, else the top level's; null
     * when the file does not set it.
     */
    List<String> values(String command, String key) {
        List<String> own = values.getOrDefault(command, Map.of()).get(key);
        return own != null ? own : values.getOrDefault("", Map.of()).get(key);
    }

    /** The values of {@code key} in {@code command}'s own table only (its arguments live there). */
    List<String> ownValues(String command, String key) {
        return values.getOrDefault(command, Map.of()).get(key);
    }

    /** Reads and checks {@code file} against the options of {@code root}'s subcommands. */
    static ConfigFile read(Path file, CommandSpec root) throws ConfigException {
        TomlParseResult toml;
        try {
            toml = Toml.parse(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file + ": no such file");
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage());
        }
        if (toml.hasErrors()) {
            var error = toml.errors().get(0);
            throw new ConfigException(file + ":" + error.position().line() + ": " + error.getMessage());
        }
        return new Reader(file, toml, root).read();
    }

    /** Checks keys and types and turns every value into the strings the command line would carry. */
    private record Reader(Path file, TomlParseResult toml, CommandSpec root) {
        ConfigFile read() throws ConfigException {
            Map<String, Map<String, List<String>>> values = new LinkedHashMap<>();
            Map<String, List<String>> top = new LinkedHashMap<>();
            for (String key : toml.keySet()) {
                CommandSpec command = root.subcommands().containsKey(key) ? root.subcommands().get(key).getCommandSpec() : null;
                if (command != null && !ConfigArguments.takesConfig(command)) {
                    command = null;
                }
                if (command != null) {
                    if (!toml.isTable(key)) {
                        throw error(List.of(key), "'" + key + "' must be a table ([" + key + "])");
                    }
                    values.put(key, section(toml.getTable(key), List.of(key), command));
                } else {
                    ArgSpec arg = anyCommandOption(key);
                    if (arg == null) {
                        throw error(List.of(key), "unknown key '" + key + "'");
                    }
                    top.put(key, convert(toml.get(List.of(key)), List.of(key), arg));
                }
            }
            values.put("", top);
            return new ConfigFile(file, values);
        }

        private Map<String, List<String>> section(TomlTable table, List<String> at, CommandSpec command)
                throws ConfigException {
            Map<String, List<String>> out = new LinkedHashMap<>();
            for (String key : table.keySet()) {
                List<String> path = append(at, key);
                ArgSpec arg = ConfigArguments.argument(command, key);
                if (arg == null) {
                    throw error(path, "unknown key '" + key + "' in [" + command.name() + "]");
                }
                out.put(key, convert(table.get(List.of(key)), path, arg));
            }
            return out;
        }

        private ArgSpec anyCommandOption(String key) {
            for (var sub : root.subcommands().values()) {
                CommandSpec spec = sub.getCommandSpec();
                if (ConfigArguments.takesConfig(spec)) {
                    ArgSpec arg = ConfigArguments.argument(spec, key);
                    if (arg instanceof OptionSpec) {
                        return arg;
                    }
                }
            }
            return null;
        }

        private List<String> convert(Object value, List<String> path, ArgSpec arg) throws ConfigException {
            String key = String.join(".", path);
            if (arg instanceof OptionSpec o && ConfigArguments.isFlag(o)) {
                if (!(value instanceof Boolean b)) {
                    throw error(path, "'" + key + "' must be true or false");
                }
                return List.of(b.toString());
            }
            List<String> out = new ArrayList<>();
            if (value instanceof TomlArray array && arg.isMultiValue()) {
                for (int i = 0; i < array.size(); i++) {
                    out.add(scalar(array.get(i), path, arg));
                }
            } else if (value instanceof TomlTable table && arg.paramLabel().equals(ShareOptions.SYNTAX)) {
                for (String share : table.keySet()) {
                    shareOptions(share, table.get(List.of(share)), append(path, share), out);
                }
            } else if (value instanceof TomlTable table && arg.isMultiValue() && arg.paramLabel().contains("=")) {
                for (String name : table.keySet()) {
                    out.add(name + "=" + entry(table.get(List.of(name)), append(path, name), arg));
                }
            } else {
                out.add(scalar(value, path, arg));
            }
            return out;
        }

        /** One NAME=VALUE entry of a table: a string, or for shares { dir = "...", read-only = true }. */
        private String entry(Object value, List<String> path, ArgSpec arg) throws ConfigException {
            if (value instanceof TomlTable t && arg.paramLabel().startsWith("NAME=DIR")) {
                for (String k : t.keySet()) {
                    if (!k.equals("dir") && !k.equals("read-only")) {
                        throw error(append(path, k), "unknown key '" + k + "' in share '" + path.get(path.size() - 1)
                                + "' (dir, read-only)");
                    }
                }
                if (!(t.get(List.of("dir")) instanceof String dir)) {
                    throw error(path, "share '" + path.get(path.size() - 1) + "' needs dir = \"...\"");
                }
                Object ro = t.get(List.of("read-only"));
                if (ro != null && !(ro instanceof Boolean)) {
                    throw error(append(path, "read-only"), "'read-only' must be true or false");
                }
                return dir + (Boolean.TRUE.equals(ro) ? ":ro" : "");
            }
            return scalar(value, path, arg);
        }

        /**
         * One share's { KEY = "VALUE", KEY = true } as SHARE:KEY=VALUE. Numbers must be strings: a
         * TOML 0o77 would reach the backend as 63, which it would read as octal 063.
         */
        private void shareOptions(String share, Object value, List<String> path, List<String> out) throws ConfigException {
            if (!(value instanceof TomlTable options)) {
                throw error(path, "'" + String.join(".", path) + "' must be a table of the share's options"
                        + " (e.g. " + share + " = { metadata = true, uid = \"1000\" })");
            }
            for (String key : options.keySet()) {
                Object v = options.get(List.of(key));
                if (!(v instanceof String) && !(v instanceof Boolean)) {
                    throw error(append(path, key), "'" + String.join(".", append(path, key))
                            + "' must be a string or true/false (numbers too as strings: uid = \"1000\", umask = \"077\")");
                }
                out.add(share + ":" + key + "=" + v);
            }
        }

        private String scalar(Object value, List<String> path, ArgSpec arg) throws ConfigException {
            Class<?> type = arg.isMultiValue() ? arg.auxiliaryTypes()[0] : arg.type();
            boolean numeric = type.isPrimitive() && type != boolean.class || Number.class.isAssignableFrom(type);
            if (value instanceof String || numeric && (value instanceof Long || value instanceof Double)) {
                String s = value.toString();
                // a relative path in a file means relative to that file, wherever the command runs
                if (arg.type() == Path.class && !Path.of(s).isAbsolute() && file.getParent() != null) {
                    s = file.toAbsolutePath().getParent().resolve(s).toString();
                }
                return s;
            }
            String what = arg.isMultiValue() ? "a string or an array of strings" : numeric ? "a number or a string" : "a string";
            throw error(path, "'" + String.join(".", path) + "' must be " + what);
        }

        private ConfigException error(List<String> path, String message) {
            TomlPosition pos = toml.inputPositionOf(path);
            return new ConfigException(file + (pos != null ? ":" + pos.line() : "") + ": " + message);
        }

        private static List<String> append(List<String> path, String key) {
            List<String> p = new ArrayList<>(path);
            p.add(key);
            return p;
        }
    }

    /** A bad config file or environment variable: one line, exit code 2. */
    static final class ConfigException extends Exception {
        ConfigException(String message) {
            super(message, null, false, false);
        }
    }

    /** The positional parameter of {@code spec} named {@code key} (its label in lower case). */
    static PositionalParamSpec positional(CommandSpec spec, String key) {
        for (PositionalParamSpec p : spec.positionalParameters()) {
            if (p.paramLabel().toLowerCase(Locale.ROOT).equals(key)) {
                return p;
            }
        }
        return null;
    }
}
