package dev.fsdriver.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code fsdriver aot-cache}: makes the JDK AOT caches that {@code bin/fsdriver} starts serve and
 * mount with (JEP 483/514/515: classes loaded and linked ahead, with method profiles), by a
 * training run: serve and mount of a temporary directory, with file work through the mount,
 * each JVM writing its cache as it exits. The launcher uses a cache only while it is newer than
 * every jar (a rebuild or an upgrade makes it stale: run this again); a JDK that cannot use it
 * ignores it. Linux only: the Windows server runs on a Java 21 runtime, which has no AOT cache.
 */
@Command(name = "aot-cache", mixinStandardHelpOptions = true,
        description = {"Make the start-up caches of serve and mount (JDK AOT caches): a training run of both on a "
                + "temporary directory. bin/fsdriver uses them while they are newer than its jars; serve and mount "
                + "then start in about half the time and are faster in their first minutes. Needs FUSE (as mount does)."})
final class AotCacheCommand implements Callable<Integer> {
    private static final Duration START = Duration.ofSeconds(60);
    private static final Duration EXIT = Duration.ofSeconds(120); // writing a cache takes a few seconds

    @Spec
    CommandSpec spec;

    @Option(names = "--remove", description = "Remove the caches instead (serve and mount then start without).")
    boolean remove;

    @Override
    public Integer call() throws Exception {
        if (Backends.isWindows()) {
            throw new CliException("'aot-cache' is for Linux: the Windows server runs on Java 21, which has no AOT cache");
        }
        String home = System.getenv("FSDRIVER_HOME");
        String dirName = System.getenv("FSDRIVER_AOT_DIR");
        if (home == null || dirName == null) {
            throw new CliException("run 'aot-cache' through the launcher bin/fsdriver (FSDRIVER_HOME is not set)");
        }
        Path dir = Path.of(dirName);
        PrintWriter out = spec.commandLine().getOut();
        if (remove) {
            for (String role : List.of("serve", "mount")) {
                if (Files.deleteIfExists(dir.resolve(role + ".aot"))) {
                    out.println("removed " + dir.resolve(role + ".aot"));
                }
            }
            return 0;
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new CliException("cannot write the caches in " + dir + ": " + e.getMessage());
        }
        Path work = Files.createTempDirectory("fsdriver-aot-");
        try {
            train(Path.of(home, "bin", "fsdriver"), work, dir, out);
        } finally {
            deleteTree(work);
        }
        return 0;
    }

    private void train(Path launcher, Path work, Path dir, PrintWriter out) throws Exception {
        Path share = Files.createDirectories(work.resolve("share"));
        Path mnt = Files.createDirectories(work.resolve("mnt"));
        AotTraining.prepare(share);
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path serveCache = dir.resolve("serve.aot.new");
        Path mountCache = dir.resolve("mount.aot.new");
        Process serve = start(launcher, serveCache, work.resolve("serve.log"), "serve", "--listen", "tcp://127.0.0.1:" + port,
                "--share", "train=" + share);
        Process mount = null;
        try {
            awaitPort(serve, port, work.resolve("serve.log"));
            mount = start(launcher, mountCache, work.resolve("mount.log"), "mount", "--server", "tcp://127.0.0.1:" + port,
                    "train", mnt.toString());
            awaitLine(mount, work.resolve("mount.log"), "mounted train at");
            AotTraining.run(mnt);
        } finally {
            stop(mount);
            stop(serve);
        }
        for (Path cache : List.of(serveCache, mountCache)) {
            if (!Files.isRegularFile(cache)) {
                throw new CliException("the training run left no cache " + cache + " (log: " + log(work, cache) + ")");
            }
            Path target = dir.resolve(cache.getFileName().toString().replace(".new", ""));
            Files.move(cache, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            giveToOwnerOfParent(dir, target);
            out.printf("made %s (%d MiB)%n", target, Files.size(target) >> 20);
        }
        out.flush();
    }

    /**
     * Root training the caches of a source tree someone else owns (sudo fsdriver install) would
     * leave a directory in it that its owner cannot clean ({@code mvn clean}): the caches and
     * their directory go to the owner of the directory holding them. As anyone else, a no-op.
     */
    private static void giveToOwnerOfParent(Path dir, Path cache) throws IOException {
        UserPrincipal owner = Files.getOwner(dir.toAbsolutePath().getParent());
        if (!"root".equals(System.getProperty("user.name")) || owner.equals(Files.getOwner(cache))) {
            return;
        }
        Files.setOwner(dir, owner);
        Files.setOwner(cache, owner);
    }

    private static String log(Path work, Path cache) throws IOException {
        Path log = work.resolve(cache.getFileName().toString().startsWith("serve") ? "serve.log" : "mount.log");
        return Files.exists(log) ? Files.readString(log).strip() : "none";
    }

    private static Process start(Path launcher, Path cache, Path log, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(launcher.toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("FSDRIVER_JAVA_OPTS", "-XX:AOTCacheOutput=" + cache);
        return pb.start();
    }

    private static void awaitPort(Process p, int port, Path log) throws Exception {
        long end = System.nanoTime() + START.toNanos();
        while (System.nanoTime() < end) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException notYet) {
                if (!p.isAlive()) {
                    throw new CliException("the training serve ended: " + Files.readString(log).strip());
                }
                Thread.sleep(50);
            }
        }
        throw new CliException("the training serve did not listen within " + START.toSeconds() + " s");
    }

    private static void awaitLine(Process p, Path log, String line) throws Exception {
        long end = System.nanoTime() + START.toNanos();
        while (System.nanoTime() < end) {
            if (Files.readString(log).contains(line)) {
                return;
            }
            if (!p.isAlive()) {
                throw new CliException("the training mount ended: " + Files.readString(log).strip());
            }
            Thread.sleep(50);
        }
        throw new CliException("the training mount was not up within " + START.toSeconds() + " s");
    }

    /** SIGTERM and wait: the JVM writes its cache as it exits. */
    private static void stop(Process p) throws InterruptedException {
        if (p == null) {
            return;
        }
        p.destroy();
        if (!p.waitFor(EXIT.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
