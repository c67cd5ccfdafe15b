package dev.fsdriver.cli;

import dev.fsdriver.backend.windows.service.ServiceHost;
import dev.fsdriver.backend.windows.service.ServiceLifecycle;
import dev.fsdriver.server.FsServer;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code fsdriver service run [--task] --name NAME --log FILE [serve options]}: what the Service
 * Control Manager starts (the ImagePath written by {@code service install}), or with --task what a
 * logon task starts ({@code service install --logon-task}). Connects to the SCM first
 * (it waits for that only so long), then builds and starts the server as {@code serve} would,
 * inside ServiceHost's START_PENDING. Everything it prints goes to the log file: a service has
 * no console.
 */
@Command(name = "run", hidden = true, description = "Run as the Windows service NAME (started by Windows, not by hand).")
final class ServiceRunCommand implements Callable<Integer> {
    /** How often a service tries to open a share that is there but not ready (2 s apart). */
    private static final int NOT_READY_ATTEMPTS = 30;

    @Option(names = "--name", required = true, paramLabel = "NAME")
    String name;

    @Option(names = "--log", required = true, paramLabel = "FILE")
    Path log;

    @Option(names = "--task", description = "Started by the Task Scheduler at logon (service install --logon-task), not by the SCM.")
    boolean task;

    @CommandLine.Unmatched
    List<String> serveArgs = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        ServiceCommand.requireWindows();
        redirectOutput();
        log("service " + name + " starting: serve " + String.join(" ", serveArgs));
        if (task) {
            // no SCM: serve until the process is ended (logoff, schtasks /end, Task Manager)
            FsServer fs = startServer();
            Signals.onTermination(fs::close);
            fs.awaitTermination();
            return 0;
        }
        ServiceLifecycle.Server server = new ServiceLifecycle.Server() {
            private FsServer fs;

            @Override
            public void start() throws Exception {
                // At boot a share's volume may answer only a little later (seen under Wine: the
                // Z: drive's volume information, ERROR_INVALID_FUNCTION): try again for a minute,
                // while ServiceLifecycle reports START_PENDING with checkpoints to the SCM.
                for (int attempt = 1; ; attempt++) {
                    try {
                        fs = startServer();
                        return;
                    } catch (CliException e) {
                        if (!e.notReadyYet() || attempt == NOT_READY_ATTEMPTS) {
                            throw e;
                        }
                        log("not ready yet (" + e.getMessage() + "): trying again in 2 s");
                        Thread.sleep(2000);
                    }
                }
            }

            @Override
            public void close() {
                fs.close();
            }
        };
        try {
            return ServiceHost.run(name, server, this::log);
        } catch (IllegalStateException e) {
            throw new CliException(e.getMessage());
        }
    }

    /** The server the serve options describe, listening. */
    private FsServer startServer() throws Exception {
        ServeCommand serve = new ServeCommand();
        new CommandLine(serve).parseArgs(serveArgs.toArray(String[]::new));
        FsServer fs = serve.prepare();
        try {
            fs.start();
        } catch (IOException e) {
            fs.close();
            throw new CliException("cannot listen: " + e.getMessage());
        }
        log("listening on " + String.join(", ", fs.boundAddresses()));
        IdleHeap.start();
        return fs;
    }

    private void log(String line) {
        System.err.println(Instant.now() + " [service " + name + "] " + line);
    }

    /** stdout and stderr (the log writes there) into the log file, appended. */
    private void redirectOutput() throws CliException {
        try {
            Path abs = log.toAbsolutePath();
            if (abs.getParent() != null) {
                Files.createDirectories(abs.getParent());
            }
            PrintStream ps = new PrintStream(new FileOutputStream(abs.toFile(), true), true, StandardCharsets.UTF_8);
            System.setOut(ps);
            System.setErr(ps); // the log's console appender writes to whatever System.err is
            Logging.withTimes();
        } catch (IOException e) {
            throw new CliException("cannot open the service log " + log + ": " + e.getMessage());
        }
    }
}
