package dev.fsdriver.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code fsdriver service install|uninstall|status}: the Windows service (Windows only). */
@Command(name = "service", mixinStandardHelpOptions = true,
        description = "Install, uninstall or show the fsdriver Windows service (Windows only).")
final class ServiceCommand implements Callable<Integer> {
    enum Action { install, uninstall, status }

    @Parameters(index = "0", paramLabel = "install|uninstall|status", description = "What to do.")
    Action action;

    @Override
    public Integer call() throws Exception {
        if (!Backends.isWindows()) {
            throw new CliException("service management is Windows only");
        }
        throw new CliException("service management is not available in this build");
    }
}
