package dev.fsdriver.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code mount --background}: a JVM cannot fork, so the mount runs in a new process (this JVM's
 * command line with the same mount arguments, in a session of its own through setsid(1), so a
 * closing terminal does not hang it up) and this one returns once that process says "mounted", as
 * sshfs does. The child's log goes to a file; if the child ends first, its log is printed here and
 * its exit code returned.
 */
final class Background {
    /** Set in the child's environment: it mounts in the foreground whatever its options say. */
    static final String CHILD = "FSDRIVER_BACKGROUND_CHILD";

    private Background() {}

    static boolean isChild() {
        return System.getenv(CHILD) != null;
    }

    /** The default log file of a background mount of {@code share}: under $XDG_STATE_HOME (~/.local/state). */
    static Path defaultLog(String share) {
        String state = System.getenv("XDG_STATE_HOME");
        Path dir = state != null && !state.isEmpty() ? Path.of(state)
                : Path.of(System.getProperty("user.home"), ".local", "state");
        return dir.resolve("fsdriver").resolve("mount-" + share.replaceAll("[^A-Za-z0-9._-]", "_") + ".log");
    }

    /**
     * Starts {@code args} (a fsdriver command line) in a background process logging to {@code log};
     * waits for its "mounted" line and prints it on {@code out}; returns 0, or the child's exit code
     * after printing its log on {@code err} if it ended before mounting.
     */
    static int run(List<String> args, Path log, PrintWriter out, PrintWriter err) throws IOException, CliException {
        Files.createDirectories(log.toAbsolutePath().getParent());
        long logStart = Files.exists(log) ? Files.size(log) : 0;
        List<String> command = new ArrayList<>();
        if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
            command.add("/usr/bin/setsid");
        }
        command.addAll(thisJvm());
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().put(CHILD, "1");
        Process child = pb.start();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = lines.readLine()) != null; ) {
                out.println(line);
                out.flush();
                if (line.startsWith("mounted ")) {
                    out.println("fsdriver: running in the background (pid " + child.pid() + "), log: " + log);
                    out.flush();
                    return 0;
                }
            }
        }
        int code;
        try {
            code = child.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted while the background mount started; its log: " + log);
        }
        byte[] all = Files.readAllBytes(log);
        err.print(new String(all, (int) Math.min(logStart, all.length), (int) Math.max(0, all.length - logStart),
                StandardCharsets.UTF_8));
        err.flush();
        return code == 0 ? Main.EXIT_FAILURE : code;
    }

    /** java, its options and class path, and the main class: this process's command line up to its arguments. */
    private static List<String> thisJvm() throws CliException {
        ProcessHandle.Info info = ProcessHandle.current().info();
        String[] all = info.arguments().orElse(null);
        String java = info.command().orElse(null);
        if (all == null || java == null) {
            throw new CliException("--background: cannot read this process's command line");
        }
        List<String> jvm = new ArrayList<>(List.of(java));
        for (String a : all) {
            jvm.add(a);
            if (a.equals(Main.class.getName())) {
                return jvm;
            }
        }
        throw new CliException("--background: this process was not started through " + Main.class.getName());
    }
}
