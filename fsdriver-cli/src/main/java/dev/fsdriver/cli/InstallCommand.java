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
 * itself stays where it is (a release archive unpacked, or a source tree).
 */
@Command(name = "install", mixinStandardHelpOptions = true,
        description = "Put fsdriver on PATH with its systemd units, bash completion and man page (Linux; default prefix /usr/local).")
final class InstallCommand implements Callable<Integer> {
    static final String UNIT_LAUNCHER = "/usr/local/bin/fsdriver";

    @Spec
    CommandSpec spec;

    @Option(names = "--prefix", paramLabel = "DIR", defaultValue = "/usr/local",
            description = "Where to install (default: ${DEFAULT-VALUE}): DIR/bin, DIR/lib/systemd, DIR/share/bash-completion, DIR/share/man/man1.")
    Path prefix;

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
        return 0;
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
