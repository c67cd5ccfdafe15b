package dev.fsdriver.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code fsdriver install [--prefix DIR]} (Linux): PREFIX/bin/fsdriver as a link to this
 * installation's launcher, the systemd units (their ExecStart pointed at it) under
 * PREFIX/lib/systemd, the bash completion under PREFIX/share/bash-completion and the man page
 * fsdriver(1) under PREFIX/share/man/man1 (written from this build's command model). The application
 * itself stays where it is (a release archive unpacked, or a source tree). Then it trains the
 * start-up caches ({@code fsdriver aot-cache}, about half a minute) unless {@code --no-aot-cache}:
 * serve and mount start in half the time with them. A training that cannot run (no FUSE in a
 * container, say) does not fail the installation: it says why, and the daemons start without.
 */
@Command(name = "install", mixinStandardHelpOptions = true,
        description = {"Put fsdriver on PATH with its systemd units, bash completion and man page (Linux; default prefix /usr/local),",
                "then make the start-up caches of serve and mount (as 'fsdriver aot-cache' does)."})
final class InstallCommand implements Callable<Integer> {
    static final String UNIT_LAUNCHER = "/usr/local/bin/fsdriver";

    @Spec
    CommandSpec spec;

    @Option(names = "--prefix", paramLabel = "DIR", defaultValue = "/usr/local",
            description = "Where to install (default: ${DEFAULT-VALUE}): DIR/bin, DIR/lib/systemd, DIR/share/bash-completion, DIR/share/man/man1.")
    Path prefix;

    @Option(names = "--no-aot-cache", description = "Do not make the start-up caches (serve and mount then start in about "
            + "twice the time; 'fsdriver aot-cache' makes them later).")
    boolean noAotCache;

    @Override
    public Integer call() throws Exception {
        if (Backends.isWindows()) {
            throw new CliException("'install' is for Linux; on Windows use 'fsdriver service install' (docs/windows.md)");
        }
        String home = System.getenv("FSDRIVER_HOME");
        if (home == null || !Files.isExecutable(Path.of(home, "bin", "fsdriver"))) {
            throw new CliException("run 'install' through the launcher bin/fsdriver (FSDRIVER_HOME is not set)");
        }
        Path launcher = Path.of(home, "bin", "fsdriver").toAbsolutePath().normalize();
        Path root = prefix.toAbsolutePath().normalize();
        Path bin = root.resolve("bin/fsdriver");
        PrintWriter out = spec.commandLine().getOut();
        try {
            Files.createDirectories(bin.getParent());
            if (Files.isSymbolicLink(bin)) {
                Files.delete(bin);
            } else if (Files.exists(bin)) {
                throw new CliException(bin + " exists and is not a link: remove it first");
            }
            Files.createSymbolicLink(bin, launcher);
            out.println("installed " + bin + " -> " + launcher);
            String launcherInUnits = bin.toString();
            unit(Path.of(home, "dist/systemd/fsdriver-serve.service"), root.resolve("lib/systemd/system"), launcherInUnits, out);
            unit(Path.of(home, "dist/systemd/fsdriver-mount@.service"), root.resolve("lib/systemd/user"), launcherInUnits, out);
            Path completion = root.resolve("share/bash-completion/completions/fsdriver");
            Files.createDirectories(completion.getParent());
            Files.writeString(completion, CompletionCommand.script());
            out.println("installed " + completion);
            Path man = root.resolve("share/man/man1/fsdriver.1");
            Files.createDirectories(man.getParent());
            Files.writeString(man, ManCommand.page());
            out.println("installed " + man);
        } catch (IOException e) {
            throw new CliException("cannot install into " + root + ": " + e);
        }
        if (!root.equals(Path.of("/usr/local")) && !root.equals(Path.of("/usr"))) {
            out.println("note: mount(8) and systemd look for fsdriver in /usr/local/bin or /usr/bin only; "
                    + root.resolve("bin") + " is for your PATH");
        }
        out.flush();
        if (!noAotCache) {
            trainCaches(launcher, out);
        }
        return 0;
    }

    /** Runs {@code fsdriver aot-cache} (its own process: it starts serve and mount); a failure is a note. */
    private static void trainCaches(Path launcher, PrintWriter out) throws InterruptedException {
        out.println("making the start-up caches of serve and mount (fsdriver aot-cache; --no-aot-cache skips it)");
        out.flush();
        String why;
        try {
            Process p = new ProcessBuilder(launcher.toString(), "aot-cache").inheritIO()
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            int code = p.waitFor();
            why = code == 0 ? null : "'fsdriver aot-cache' exited " + code;
        } catch (IOException e) {
            why = e.getMessage();
        }
        if (why != null) {
            out.println("note: no start-up caches (" + why + "): serve and mount start without them; "
                    + "run 'fsdriver aot-cache' where FUSE is available to make them");
        }
        out.flush();
    }

    private static void unit(Path source, Path dir, String launcher, PrintWriter out) throws IOException, CliException {
        if (!Files.isRegularFile(source)) {
            throw new CliException("missing " + source + " (an incomplete installation?)");
        }
        Files.createDirectories(dir);
        Path target = dir.resolve(source.getFileName());
        Files.writeString(target, Files.readString(source).replace(UNIT_LAUNCHER, launcher));
        out.println("installed " + target);
    }
}
