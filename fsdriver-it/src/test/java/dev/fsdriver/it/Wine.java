package dev.fsdriver.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * The Windows server under Wine: {@code bin\fsdriver.cmd serve} run by {@code wine64 cmd /c} with
 * the Windows Temurin 21 JRE that Maven unpacked into target/wine-jre, in a prefix made by
 * scripts/wine/setup.sh (which also builds the iphlpapi shim). Nothing here skips: a machine
 * without Wine fails with the setup script's message.
 */
final class Wine {
    private Wine() {}

    static Path prefix() {
        return Path.of(System.getProperty("fsdriver.wine.prefix", "target/wine-prefix")).toAbsolutePath();
    }

    static Path jre() {
        return Path.of(System.getProperty("fsdriver.wine.jre", "target/wine-jre")).toAbsolutePath();
    }

    /** Linux path -> the Z: path Wine shows for it. */
    static String z(Path p) {
        return "Z:" + p.toAbsolutePath().normalize().toString().replace('/', '\\');
    }

    /** Runs scripts/wine/setup.sh for the prefix; fails with its output if Wine is missing or broken. */
    static void setUp(Path workDir) throws Exception {
        Path script = Fsdriver.repoRoot().resolve("scripts/wine/setup.sh");
        Fsdriver.Result r = Fsdriver.sh(workDir, script + " " + prefix());
        if (r.exitCode() != 0) {
            throw new AssertionError("the Wine harness is not available (./test installs it: FSD_EXTRA=wine source scripts/setup.sh):\n"
                    + r.output());
        }
        if (!Files.isRegularFile(jre().resolve("bin/java.exe"))) {
            throw new AssertionError("no Windows JRE at " + jre() + " (the fsdriver-it build unpacks it from Maven Central)");
        }
    }

    /** `bin\fsdriver.cmd serve` on {@code port} under Wine; returns once it accepts connections. */
    static Fsdriver.Server serve(Path workDir, int port, String... args) throws Exception {
        return serve(Fsdriver.repoRoot().resolve("bin/fsdriver.cmd"), workDir, port, args);
    }

    /** As {@link #serve(Path, int, String...)} with another {@code fsdriver.cmd} (a release archive's). */
    static Fsdriver.Server serve(Path launcher, Path workDir, int port, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Fsdriver.repoRoot().resolve("scripts/wine/run").toString(), "cmd", "/c",
                z(launcher), "serve", "--listen", "tcp://127.0.0.1:" + port));
        cmd.addAll(List.of(args));
        Map<String, String> env = Map.of(
                "WINEPREFIX", prefix().toString(),
                "JAVA_HOME", z(jre()),
                // two vCPUs here: size the JVM for them (the heap is the launcher's, bin/jvm/serve.args)
                "FSDRIVER_JAVA_OPTS", "-XX:ActiveProcessorCount=2");
        Fsdriver.Proc p = new Fsdriver.Proc(cmd, workDir.resolve("wine-serve-" + port + ".log"), env);
        try {
            Fsdriver.awaitPort(p, port);
        } catch (Throwable t) {
            killAll();
            p.close();
            throw t;
        }
        return new Fsdriver.Server(p, port);
    }

    /**
     * What the prefix's wineserver watches through inotify (its /proc fdinfo): each given
     * directory -> its watch descriptor, or -1 where it has none. wineserver watches a
     * subdirectory of a watched tree that existed before the watch only once a Windows process
     * opened it (server/change.c, dir_add_to_existing_notify): this shows whether it does.
     */
    static Map<Path, Integer> inotifyWatches(Path... dirs) throws Exception {
        Map<Long, Integer> byInode = new LinkedHashMap<>();
        String env = "WINEPREFIX=" + prefix();
        try (var procs = Files.list(Path.of("/proc"))) {
            for (Path proc : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    if (!latin1(proc.resolve("cmdline")).contains("wineserver")
                            || !List.of(latin1(proc.resolve("environ")).split("\0")).contains(env)) {
                        continue;
                    }
                    try (var fds = Files.list(proc.resolve("fd"))) {
                        for (Path fd : fds.toList()) {
                            if (Files.readSymbolicLink(fd).toString().equals("anon_inode:inotify")) {
                                for (String line : Files.readAllLines(proc.resolve("fdinfo").resolve(fd.getFileName()))) {
                                    var m = Pattern.compile("^inotify wd:(\\d+) ino:([0-9a-f]+)").matcher(line);
                                    if (m.find()) {
                                        byInode.put(Long.parseLong(m.group(2), 16), Integer.parseInt(m.group(1)));
                                    }
                                }
                            }
                        }
                    }
                } catch (IOException gone) {
                    // a process that ended meanwhile, or another user's
                }
            }
        }
        Map<Path, Integer> watches = new LinkedHashMap<>();
        for (Path dir : dirs) {
            watches.put(dir, byInode.getOrDefault(((Number) Files.getAttribute(dir, "unix:ino")).longValue(), -1));
        }
        return watches;
    }

    /**
     * Stops the Windows JVM serving {@code port} (SIGSTOP) until the returned pause is closed:
     * wineserver keeps the changes made meanwhile, and the JVM then reads them all at once, so a
     * storm made while paused is a loss for certain (the server's storm rule, or Wine's notify
     * buffer overflowing) on a machine of any speed. Found through /proc: the JVM is a child of
     * cmd.exe, not the process the test started, and Wine shows its Windows command line.
     */
    static AutoCloseable pause(int port) throws Exception {
        String env = "WINEPREFIX=" + prefix();
        List<Long> jvms = new ArrayList<>();
        try (var procs = Files.list(Path.of("/proc"))) {
            for (Path proc : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    String cmdline = latin1(proc.resolve("cmdline"));
                    if (cmdline.contains("java.exe") && cmdline.contains("tcp://127.0.0.1:" + port + "\0")
                            && List.of(latin1(proc.resolve("environ")).split("\0")).contains(env)) {
                        jvms.add(Long.parseLong(proc.getFileName().toString()));
                    }
                } catch (IOException gone) {
                    // a process that ended meanwhile, or another user's
                }
            }
        }
        if (jvms.size() != 1) {
            throw new AssertionError("expected one Windows JVM serving port " + port + ", found " + jvms);
        }
        long pid = jvms.get(0);
        signal("STOP", pid);
        return () -> signal("CONT", pid);
    }

    private static void signal(String sig, long pid) throws Exception {
        int rc = new ProcessBuilder("kill", "-" + sig, Long.toString(pid)).inheritIO().start().waitFor();
        if (rc != 0) {
            throw new AssertionError("kill -" + sig + " " + pid + " exited " + rc);
        }
    }

    private static String latin1(Path p) throws IOException {
        return new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1); // any bytes at all
    }

    /**
     * Stops every Windows process of the prefix (the JVM is a child of cmd.exe, not of the
     * wine64 process this test started, so destroying that one would leave the server running).
     */
    static void killAll() throws Exception {
        var pb = new ProcessBuilder("/usr/lib/wine/wineserver", "-k").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("WINEPREFIX", prefix().toString());
        pb.start().waitFor(30, TimeUnit.SECONDS);
    }
}
