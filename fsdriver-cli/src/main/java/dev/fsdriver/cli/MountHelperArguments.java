package dev.fsdriver.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The command line that {@code mount.fuse3} runs for {@code mount -t fuse.fsdriver SHARE DIR -o
 * OPTS} and for an /etc/fstab line: {@code fsdriver SHARE DIR -o server=URI,allow_other,ro,...},
 * as sshfs takes it. Translated into {@code fsdriver mount --background ...}, so that it returns
 * once the mount is up and the mount keeps running in the background, as mount(8) expects.
 */
final class MountHelperArguments {
    /** {@code -o} keys that take a value, and the long option each becomes. */
    private static final Map<String, String> WITH_VALUE = Map.ofEntries(
            Map.entry("server", "--server"), Map.entry("token-file", "--token-file"),
            Map.entry("tls-ca", "--tls-ca"), Map.entry("tls-cert", "--tls-cert"), Map.entry("tls-key", "--tls-key"),
            Map.entry("block-size", "--block-size"), Map.entry("cache-timeout", "--cache-timeout"),
            Map.entry("metrics-listen", "--metrics-listen"), Map.entry("config", "--config"),
            Map.entry("log-file", "--log-file"), Map.entry("log-level", "--log-level"),
            Map.entry("log-format", "--log-format"), Map.entry("otlp-endpoint", "--otlp-endpoint"));
    /** {@code -o} flags and the long option each becomes. */
    private static final Map<String, String> FLAGS = Map.of(
            "allow-other", "--allow-other", "ro", "--read-only", "no-events", "--no-events", "verbose", "--verbose");
    /**
     * Options mount(8) and fstab lines carry that change nothing here: fsdriver mounts are always
     * nosuid,nodev with default_permissions (mount.fuse3 adds "dev,suid" to every command line it
     * runs, so those cannot be refused); the rest are for mount(8) itself or generic mount flags
     * that this FUSE mount does not take.
     */
    private static final Set<String> IGNORED = Set.of("rw", "defaults", "default-permissions", "nosuid", "nodev",
            "suid", "dev",
            "exec", "noexec", "auto", "noauto", "user", "users", "nouser", "-netdev", "nofail", "atime", "noatime",
            "relatime", "strictatime", "async");

    private MountHelperArguments() {}

    /**
     * {@code args} as a mount command: the helper form ({@code SHARE DIR [-o OPTS]...}) translated,
     * anything else unchanged. The helper form is recognised by its first word: neither an option
     * nor one of {@code commands}.
     */
    static String[] translate(String[] args, Set<String> commands) {
        if (args.length < 2 || args[0].startsWith("-") || commands.contains(args[0])) {
            return args;
        }
        List<String> options = new ArrayList<>(List.of("mount", "--background"));
        List<String> positional = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-o")) {
                if (i + 1 == args.length) {
                    throw new IllegalArgumentException("-o needs a list of options");
                }
                options(args[++i], options);
            } else if (a.startsWith("-o") && a.length() > 2) {
                options(a.substring(2), options);
            } else if (a.startsWith("-")) {
                throw new IllegalArgumentException("unknown argument " + a + " (the mount helper form is: fsdriver SHARE "
                        + "MOUNTPOINT -o server=URI[,OPTION...])");
            } else {
                positional.add(a);
            }
        }
        if (positional.size() != 2) {
            throw new IllegalArgumentException("the mount helper form is: fsdriver SHARE MOUNTPOINT -o server=URI[,OPTION...]"
                    + " (got " + positional.size() + " words that are not options)");
        }
        options.addAll(positional);
        return options.toArray(String[]::new);
    }

    private static void options(String list, List<String> out) {
        for (String o : list.split(",")) {
            if (o.isEmpty()) {
                continue;
            }
            int eq = o.indexOf('=');
            String key = (eq < 0 ? o : o.substring(0, eq)).replace('_', '-');
            if (eq >= 0 && WITH_VALUE.containsKey(key)) {
                out.add(WITH_VALUE.get(key));
                out.add(o.substring(eq + 1));
            } else if (eq < 0 && FLAGS.containsKey(key)) {
                out.add(FLAGS.get(key));
            } else if (eq < 0 && IGNORED.contains(key)) {
                // nothing to do: see IGNORED
            } else if (WITH_VALUE.containsKey(key)) {
                throw new IllegalArgumentException("mount option " + o + " needs a value: " + key + "=...");
            } else {
                throw new IllegalArgumentException("unknown mount option " + o + " (known: " + String.join(", ",
                        new TreeSet<>(WITH_VALUE.keySet())) + " =VALUE; allow_other, ro, no_events, verbose)");
            }
        }
    }
}
