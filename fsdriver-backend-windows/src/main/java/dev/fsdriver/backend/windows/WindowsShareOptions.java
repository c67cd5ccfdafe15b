package dev.fsdriver.backend.windows;

import dev.fsdriver.backend.windows.WindowsBackend.Options;
import dev.fsdriver.backend.windows.WindowsBackend.SymlinkStyle;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A Windows share's options as {@code serve --share-option SHARE:KEY[=VALUE]} gives them, like
 * drvfs's {@code -o metadata,uid=,gid=,umask=}: {@code metadata} (bare, true or false), {@code uid},
 * {@code gid} (decimal), {@code umask} (octal), {@code symlinks} (wsl or native) and
 * {@code inode-store} (an absolute file path). Pure Java: checked on any OS, before any share opens.
 */
final class WindowsShareOptions {
    static final List<String> KEYS = List.of("metadata", "uid", "gid", "umask", "symlinks", "inode-store");

    private WindowsShareOptions() {}

    /** The options {@code given} describes, the rest as {@link Options#DEFAULTS}; IllegalArgumentException naming a bad key or value. */
    static Options parse(Map<String, String> given) {
        Options d = Options.DEFAULTS;
        boolean metadata = d.metadata();
        SymlinkStyle symlinks = d.symlinks();
        int uid = d.uid();
        int gid = d.gid();
        int umask = d.umask();
        Path inodeStore = d.inodeStore();
        for (Map.Entry<String, String> e : given.entrySet()) {
            String key = e.getKey();
            String value = e.getValue() == null ? "" : e.getValue();
            switch (key) {
                case "metadata" -> metadata = switch (value.toLowerCase(Locale.ROOT)) {
                    case "", "true" -> true;
                    case "false" -> false;
                    default -> throw bad(key, value, "true or false (a bare 'metadata' is true)");
                };
                case "uid" -> uid = id(key, value);
                case "gid" -> gid = id(key, value);
                case "umask" -> {
                    if (!value.matches("[0-7]{1,4}") || Integer.parseInt(value, 8) > 0777) {
                        throw bad(key, value, "an octal mask from 0 to 777 (e.g. 022)");
                    }
                    umask = Integer.parseInt(value, 8);
                }
                case "symlinks" -> symlinks = switch (value.toLowerCase(Locale.ROOT)) {
                    case "wsl" -> SymlinkStyle.WSL;
                    case "native" -> SymlinkStyle.NATIVE;
                    default -> throw bad(key, value, "wsl or native");
                };
                case "inode-store" -> inodeStore = absolute(key, value);
                default -> throw new IllegalArgumentException("the windows backend has no option '" + key
                        + "' (it has: " + String.join(", ", KEYS) + ")");
            }
        }
        return new Options(metadata, symlinks, uid, gid, umask, inodeStore);
    }

    private static int id(String key, String value) {
        if (!value.matches("[0-9]{1,10}") || Long.parseLong(value) > Integer.MAX_VALUE) {
            throw bad(key, value, "a number from 0 to " + Integer.MAX_VALUE);
        }
        return Integer.parseInt(value);
    }

    /** Absolute: a relative file would depend on the directory the server (or service) starts in. */
    private static Path absolute(String key, String value) {
        Path p;
        try {
            p = value.isEmpty() ? null : Path.of(value);
        } catch (InvalidPathException e) {
            throw bad(key, value, "an absolute file path (" + e.getReason() + ")");
        }
        if (p == null || !p.isAbsolute()) {
            throw bad(key, value, "an absolute file path");
        }
        return p;
    }

    private static IllegalArgumentException bad(String key, String value, String expected) {
        return new IllegalArgumentException(value.isEmpty() ? "option '" + key + "' needs a value (" + key + "=...): expected " + expected
                : "option " + key + "=" + value + ": expected " + expected);
    }
}
