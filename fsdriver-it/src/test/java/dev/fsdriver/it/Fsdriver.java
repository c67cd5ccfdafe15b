package dev.fsdriver.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Starts the real {@code bin/fsdriver} as separate processes (serve, mount, umount) the way a
 * user does, and cleans up after them. Keeping the FUSE server out of the test JVM also keeps
 * the tests clear of self-deadlocks on their own mount.
 */
final class Fsdriver {
    static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private Fsdriver() {}

    static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("bin/fsdriver"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("bin/fsdriver not found above " + Path.of("").toAbsolutePath());
        }
        return p;
    }

    /** Ports this JVM has handed out: a port asked for but not yet bound is free to the kernel too. */
    private static final Set<Integer> GIVEN = ConcurrentHashMap.newKeySet();

    /**
     * A port free now and not handed out before in this JVM: the kernel may give the same free
     * port twice in a row (a CI run's server listened on the port just taken for its metrics).
     */
    static int freePort() {
        while (true) {
            try (ServerSocket s = new ServerSocket(0)) {
                if (GIVEN.add(s.getLocalPort())) {
                    return s.getLocalPort();
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** A running fsdriver process with its combined output in a log file. */
    static final class Proc implements AutoCloseable {
        final Process process;
        final Path log;
        final List<String> command;

        Proc(List<String> command, Path log) throws IOException {
            this(command, log, Map.of());
        }

        /** With {@code env} added to this process's environment. */
        Proc(List<String> command, Path log, Map<String, String> env) throws IOException {
            this.command = command;
            this.log = log;
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            pb.environment().putAll(env);
            this.process = pb.start();
        }

        String output() {
            try {
                return Files.readString(log, StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "<no log: " + e + ">";
            }
        }

        /** Waits until the output matches {@code regex}; fails if the process exits first. */
        Proc awaitOutput(String regex, Duration timeout) throws Exception {
            Pattern p = Pattern.compile(regex, Pattern.MULTILINE);
            long end = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < end) {
                if (p.matcher(output()).find()) {
                    return this;
                }
                if (!process.isAlive()) {
                    throw new AssertionError("process exited with " + process.exitValue() + " before printing /"
                            + regex + "/: " + command + "\n" + output());
                }
                Thread.sleep(50);
            }
            throw new AssertionError("no /" + regex + "/ within " + timeout + ": " + command + "\n" + output());
        }

        /** Waits for exit and returns the exit code. */
        int awaitExit(Duration timeout) throws InterruptedException {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("process did not exit within " + timeout + ": " + command + "\n" + output());
            }
            return process.exitValue();
        }

        /** SIGTERM, then wait; SIGKILL if it does not go. */
        @Override
        public void close() throws InterruptedException {
            if (process.isAlive()) {
                process.destroy();
                if (!process.waitFor(20, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
        }

        void kill9() throws InterruptedException {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    static List<String> command(String... args) {
        List<String> c = new ArrayList<>();
        c.add(repoRoot().resolve("bin/fsdriver").toString());
        c.addAll(List.of(args));
        return c;
    }

    static Proc start(Path log, String... args) throws IOException {
        return new Proc(command(args), log);
    }

    /** Runs fsdriver to completion and returns [exit code, output]. */
    static Result run(Path log, Duration timeout, String... args) throws Exception {
        try (Proc p = start(log, args)) {
            int code = p.awaitExit(timeout);
            return new Result(code, p.output());
        }
    }

    record Result(int exitCode, String output) {}

    /** `fsdriver serve` on a fresh port with the given extra arguments; waits until it accepts. */
    static Server serve(Path workDir, String... args) throws Exception {
        int port = freePort();
        return serveOn(workDir, port, args);
    }

    /** As {@link #serve} with {@code --metrics-listen 127.0.0.1:metricsPort}; waits until its metrics page is up too. */
    static Server serveMetered(Path workDir, int metricsPort, String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--metrics-listen", "127.0.0.1:" + metricsPort));
        Server server = serve(workDir, all.toArray(String[]::new));
        try {
            server.proc().awaitOutput("metrics at http://127.0.0.1:" + metricsPort + "/metrics", START_TIMEOUT);
        } catch (Throwable t) {
            server.close(); // never a server left running after a failed start
            throw t;
        }
        return server;
    }

    static Server serveOn(Path workDir, int port, String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("serve", "--listen", "tcp://127.0.0.1:" + port));
        all.addAll(List.of(args));
        Proc p = start(workDir.resolve("serve-" + port + "-" + System.nanoTime() + ".log"), all.toArray(String[]::new));
        try {
            awaitPort(p, port);
        } catch (Throwable t) {
            p.close();
            throw t;
        }
        return new Server(p, port);
    }

    static void awaitPort(Proc p, int port) throws Exception {
        long end = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < end) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException notYet) {
                if (!p.process.isAlive()) {
                    throw new AssertionError("server exited: " + p.output());
                }
                Thread.sleep(50);
            }
        }
        throw new AssertionError("server not listening on " + port + ": " + p.output());
    }

    record Server(Proc proc, int port) implements AutoCloseable {
        String address() {
            return "tcp://127.0.0.1:" + port;
        }

        @Override
        public void close() throws InterruptedException {
            proc.close();
        }
    }

    /** `fsdriver mount` of {@code share} at {@code mountPoint}; waits for the "mounted" line. */
    static Mount mount(Path workDir, Server server, String share, Path mountPoint, String... extra) throws Exception {
        return mount(workDir, Map.of(), server, share, mountPoint, extra);
    }

    /** As {@link #mount(Path, Server, String, Path, String...)}, with {@code env} added to the mount's environment. */
    static Mount mount(Path workDir, Map<String, String> env, Server server, String share, Path mountPoint,
                       String... extra) throws Exception {
        List<String> all = new ArrayList<>(List.of("mount", "--server", server.address()));
        all.addAll(List.of(extra));
        all.add(share);
        all.add(mountPoint.toString());
        Proc p = new Proc(command(all.toArray(String[]::new)),
                workDir.resolve("mount-" + share + "-" + System.nanoTime() + ".log"), env);
        try {
            p.awaitOutput("mounted", START_TIMEOUT);
        } catch (Throwable t) {
            p.close();
            throw t;
        }
        return new Mount(p, mountPoint);
    }

    record Mount(Proc proc, Path mountPoint) implements AutoCloseable {
        /** Unmounts with SIGTERM to the mount process; a lazy umount as the last resort. */
        @Override
        public void close() throws Exception {
            proc.close();
            if (isMounted(mountPoint)) {
                new ProcessBuilder("umount", "-l", mountPoint.toString()).inheritIO().start().waitFor();
            }
        }
    }

    static boolean isMounted(Path mountPoint) throws IOException {
        String target = mountPoint.toAbsolutePath().normalize().toString();
        for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
            String[] f = line.split(" ");
            if (f.length > 1 && f[1].replace("\\040", " ").equals(target)) {
                return true;
            }
        }
        return false;
    }

    /** Runs a shell command in {@code dir}; returns exit code and combined output. */
    static Result sh(Path dir, String script) throws Exception {
        Process p = new ProcessBuilder("bash", "-c", script).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + script);
        }
        return new Result(p.exitValue(), out);
    }

    /** Like {@link #sh} but fails the test on a non-zero exit. */
    static String shOk(Path dir, String script) throws Exception {
        Result r = sh(dir, script);
        if (r.exitCode() != 0) {
            throw new AssertionError("`" + script + "` exited " + r.exitCode() + ":\n" + r.output());
        }
        return r.output();
    }
}
