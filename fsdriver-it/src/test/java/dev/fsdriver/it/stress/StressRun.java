package dev.fsdriver.it.stress;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * The differential stress test's engine. The same seeded operations go to a native directory
 * and to an fsdriver mount (or, for "server-side" workers, straight to the served directory),
 * each worker in its own subdirectory so that a seed gives the same operations however the
 * workers interleave. Result codes are compared after every step; at the end the trees (types,
 * permission bits, owners, sizes, contents, link counts, symlink targets) of the native directory, the
 * served directory and the mount. Server-side changes reach the mount through change events:
 * the mount is compared with polling until it agrees ({@link #CONVERGE_MS} at most).
 */
public final class StressRun {
    /** How long the mount may take to show server-side changes ({@code -Dfsdriver.stress.converge.ms}, for shrinking). */
    static final long CONVERGE_MS = Long.getLong("fsdriver.stress.converge.ms", 30_000);
    private static final long WORKERS_MS = 600_000;

    private final Path nativeRoot;
    private final Path share;
    private final Path mount;
    private final Path logDir;

    /**
     * @param mountWorkers  workers going through the mount
     * @param serverWorkers workers changing the served directory directly
     * @param ops           operations per worker
     * @param settleEvery   a server-side worker waits for the mount to agree every so many steps
     * @param profile       which operations, how often
     */
    public record Config(long seed, int mountWorkers, int serverWorkers, int ops, int settleEvery,
            OpGenerator.Profile profile) {
        /** With the default mix. */
        public Config(long seed, int mountWorkers, int serverWorkers, int ops, int settleEvery) {
            this(seed, mountWorkers, serverWorkers, ops, settleEvery, OpGenerator.Profile.DEFAULT);
        }

        String label() {
            String mix = profile == OpGenerator.Profile.DEFAULT ? "" : ", " + profile;
            return "seed " + seed + " (" + mountWorkers + " mount + " + serverWorkers + " server-side workers, "
                    + ops + " ops each" + mix + ")";
        }
    }

    /** {@code nativeRoot}, {@code share} (served as {@code mount}) and {@code logDir} are directories. */
    public StressRun(Path nativeRoot, Path share, Path mount, Path logDir) {
        this.nativeRoot = nativeRoot;
        this.share = share;
        this.mount = mount;
        this.logDir = logDir;
    }

    /** Runs {@code c}; returns every difference found, empty if none. */
    public List<String> run(Config c) throws Exception {
        String mix = c.profile() == OpGenerator.Profile.DEFAULT ? "" : "-" + c.profile().name().toLowerCase();
        String run = "seed" + c.seed() + "-" + c.mountWorkers() + "m" + c.serverWorkers() + "s" + mix;
        List<Worker> workers = new ArrayList<>();
        for (int i = 0; i < c.mountWorkers() + c.serverWorkers(); i++) {
            boolean server = i >= c.mountWorkers();
            String name = run + (server ? "-s" : "-w") + i;
            Side nat = new Side("native", nativeRoot.resolve(name), !server);
            Side other = new Side(server ? "served dir" : "mount", (server ? share : mount).resolve(name), !server);
            Files.createDirectories(nat.root);
            Files.createDirectories(other.root);
            OpGenerator gen = new OpGenerator(c.seed() * 1000 + i, nat.root, c.profile());
            workers.add(new Worker(name, c.label(), nat, other, gen, null, c.ops(), server ? c.settleEvery() : 0,
                    server ? () -> converged(name, deadline()) : null, logDir.resolve(name + ".log")));
        }
        return finish(c.label(), workers);
    }

    /** Runs a fixed list of operations through the mount in the directory {@code name}. */
    public List<String> script(String name, List<Op> ops) throws Exception {
        Side nat = new Side("native", Files.createDirectories(nativeRoot.resolve(name)));
        Side other = new Side("mount", Files.createDirectories(mount.resolve(name)));
        return finish("script " + name, List.of(new Worker(name, "script " + name, nat, other, null, ops, 0, 0, null,
                logDir.resolve(name + ".log"))));
    }

    /**
     * Runs a fixed list of operations on the served directory (behind the server's back) in the
     * directory {@code name}; the mount must show the same tree after every {@code settleEvery} steps.
     */
    public List<String> serverScript(String name, List<Op> ops, int settleEvery) throws Exception {
        Side nat = new Side("native", Files.createDirectories(nativeRoot.resolve(name)), false);
        Side other = new Side("served dir", Files.createDirectories(share.resolve(name)), false);
        return finish("server-side script " + name, List.of(new Worker(name, "server-side script " + name, nat, other,
                null, ops, 0, settleEvery, () -> converged(name, deadline()), logDir.resolve(name + ".log"))));
    }

    private List<String> finish(String label, List<Worker> workers) throws Exception {
        List<String> failures = new ArrayList<>();
        ExecutorService pool = Executors.newThreadPerTaskExecutor(Thread.ofPlatform().daemon().factory());
        try {
            List<Future<String>> results = new ArrayList<>();
            for (Worker w : workers) {
                results.add(pool.submit(w));
            }
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WORKERS_MS);
            for (int i = 0; i < workers.size(); i++) {
                try {
                    String f = results.get(i).get(Math.max(1, end - System.nanoTime()), TimeUnit.NANOSECONDS);
                    if (f != null) {
                        failures.add(f);
                    }
                } catch (TimeoutException stuck) {
                    workers.get(i).failed = true;
                    failures.add(label + ", worker " + workers.get(i).name + " hangs at " + workers.get(i).current);
                }
            }
        } finally {
            pool.shutdown();
        }
        if (workers.stream().allMatch(w -> w.failed)) {
            return failures;
        }
        String why = Barrier.pass(share, mount);
        if (why != null) {
            failures.add(label + ": " + why);
            return failures;
        }
        long deadline = deadline(); // one bound for all: a broken mount fails once, not once per worker
        for (Worker w : workers) {
            if (w.failed) {
                continue; // its directories differ from the step it stopped at
            }
            List<String> d = Tree.diff(Tree.of(nativeRoot.resolve(w.name)), "native", Tree.of(share.resolve(w.name)),
                    "served dir");
            if (!d.isEmpty()) {
                failures.add(label + ", worker " + w.name + ": the served directory differs from native at the end:\n    "
                        + String.join("\n    ", d));
            }
            String m = converged(w.name, deadline);
            if (m != null) {
                failures.add(label + ", worker " + w.name + ": the mount differs from native at the end:\n    " + m);
            }
        }
        List<String> strays = strays(workers);
        if (!strays.isEmpty()) {
            failures.add(label + ": entries in the served directory that no worker made: " + strays);
        }
        return failures;
    }

    /** Top-level names in the served directory that are neither a worker's nor in native. */
    private List<String> strays(List<Worker> workers) throws IOException {
        TreeSet<String> expected = new TreeSet<>();
        try (Stream<Path> s = Files.list(nativeRoot)) {
            s.forEach(p -> expected.add(p.getFileName().toString()));
        }
        List<String> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(share)) {
            s.map(p -> p.getFileName().toString()).filter(n -> !expected.contains(n)).sorted().forEach(out::add);
        }
        return out;
    }

    private static long deadline() {
        return System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CONVERGE_MS);
    }

    /**
     * Null once the mount shows worker {@code name}'s tree as native has it (polled until
     * {@code end}, a {@link System#nanoTime} value); else the last difference.
     */
    String converged(String name, long end) throws InterruptedException {
        String last = "";
        do {
            try {
                List<String> d = Tree.diff(Tree.of(nativeRoot.resolve(name)), "native", Tree.of(mount.resolve(name)),
                        "mount");
                if (d.isEmpty()) {
                    return null;
                }
                last = String.join("\n    ", d);
            } catch (IOException | java.io.UncheckedIOException e) {
                last = "mount not listable: " + e;
            }
            Thread.sleep(50);
        } while (System.nanoTime() < end);
        return "not converged within " + CONVERGE_MS + " ms:\n    " + last;
    }
}
