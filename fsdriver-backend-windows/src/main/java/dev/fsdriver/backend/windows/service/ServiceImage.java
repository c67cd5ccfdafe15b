package dev.fsdriver.backend.windows.service;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The service's command line (its ImagePath): the JVM with the launcher's options, then
 * {@code dev.fsdriver.cli.Main service run --name NAME --log FILE} and the serve options given at
 * install, so the configuration is stored with the service itself.
 */
public record ServiceImage(Path javaExe, List<String> jvmOptions, Path libDir, String name, Path logFile, List<String> serveArgs) {
    public static final String MAIN = "dev.fsdriver.cli.Main";

    public ServiceImage {
        jvmOptions = List.copyOf(jvmOptions);
        serveArgs = List.copyOf(serveArgs);
        checkName(name);
    }

    /** The argv the SCM starts. */
    public List<String> argv() {
        List<String> a = new ArrayList<>();
        a.add(javaExe.toString());
        a.addAll(jvmOptions);
        a.addAll(List.of("-cp", libDir + "\\*", MAIN, "service", "run", "--name", name, "--log", logFile.toString()));
        a.addAll(serveArgs);
        return a;
    }

    /**
     * The argv of a logon task ({@link LogonTask}): the same with javaw.exe (no console window) and
     * {@code service run --task} (no Service Control Manager to talk to).
     */
    public List<String> taskArgv() {
        List<String> a = argv();
        String java = javaExe.toString();   // a string: Windows paths stay whole in tests on Linux
        a.set(0, java.regionMatches(true, java.length() - 8, "java.exe", 0, 8)
                ? java.substring(0, java.length() - 8) + "javaw.exe" : javaExe.resolveSibling("javaw.exe").toString());
        a.add(a.indexOf("run") + 1, "--task");
        return a;
    }

    /** The ImagePath, quoted for CommandLineToArgvW. */
    public String imagePath() {
        return WindowsCommandLine.of(argv());
    }

    /** Names the SCM takes that are also safe in the log file and firewall rule names. */
    public static void checkName(String name) {
        if (name == null || name.isEmpty() || name.length() > 80 || !name.matches("[A-Za-z0-9._-]+")) {
            throw new IllegalArgumentException("service name '" + name + "': use 1-80 letters, digits, '.', '_' or '-'");
        }
    }
}
