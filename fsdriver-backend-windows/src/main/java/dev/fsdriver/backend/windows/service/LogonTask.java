package dev.fsdriver.backend.windows.service;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The server as a Task Scheduler task that starts at the user's logon, as that user, without a
 * console (javaw.exe): for a developer's machine where a service (LocalSystem, or an account with
 * its password stored) is more than wanted. Registered from a task definition (XML) with
 * {@code schtasks /create /xml}, which takes a command line of any length and quoting as it is.
 */
public final class LogonTask {
    /** By its full path: never a schtasks.exe found first on PATH (and Wine's CreateProcess needs it). */
    private static final String SCHTASKS = System.getenv().getOrDefault("SystemRoot", "C:\\Windows") + "\\System32\\schtasks.exe";

    private LogonTask() {}

    /** The task definition for {@code argv} (argv[0]: the program) at {@code user}'s logon. */
    public static String definition(List<String> argv, String user, String description) {
        String arguments = WindowsCommandLine.of(argv.subList(1, argv.size()));
        return """
                <?xml version="1.0" encoding="UTF-16"?>
                <Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
                  <RegistrationInfo><Description>%s</Description></RegistrationInfo>
                  <Triggers><LogonTrigger><Enabled>true</Enabled><UserId>%s</UserId></LogonTrigger></Triggers>
                  <Principals><Principal id="Author"><UserId>%s</UserId><LogonType>InteractiveToken</LogonType><RunLevel>LeastPrivilege</RunLevel></Principal></Principals>
                  <Settings>
                    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>
                    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>
                    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>
                    <ExecutionTimeLimit>PT0S</ExecutionTimeLimit>
                    <RestartOnFailure><Interval>PT1M</Interval><Count>3</Count></RestartOnFailure>
                  </Settings>
                  <Actions Context="Author"><Exec><Command>%s</Command><Arguments>%s</Arguments></Exec></Actions>
                </Task>
                """.formatted(xml(description), xml(user), xml(user), xml(argv.getFirst()), xml(arguments));
    }

    private static String xml(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /** schtasks /create of {@code definition} as task {@code name}. */
    public static void create(String name, String definition) throws ServiceException {
        Path file;
        try {
            file = Files.createTempFile("fsdriver-task", ".xml");
            // what its header says, as Windows writes it: little-endian with a byte order mark
            Files.writeString(file, "\uFEFF" + definition, StandardCharsets.UTF_16LE);
        } catch (IOException e) {
            throw new ServiceException("cannot write the task definition: " + e.getMessage(), 0);
        }
        try {
            schtasks(List.of(SCHTASKS, "/create", "/tn", name, "/xml", file.toString()), "create logon task " + name);
        } finally {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // a temporary file
            }
        }
    }

    /** schtasks /delete of task {@code name}. */
    public static void delete(String name) throws ServiceException {
        schtasks(List.of(SCHTASKS, "/delete", "/tn", name, "/f"), "delete logon task " + name);
    }

    private static void schtasks(List<String> argv, String what) throws ServiceException {
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            int rc = p.waitFor();
            if (rc != 0) {
                throw new ServiceException("cannot " + what + ": schtasks exited " + rc + (out.isEmpty() ? "" : ": " + out), 0);
            }
        } catch (IOException e) {
            throw new ServiceException("cannot run schtasks: " + e.getMessage(), 0);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ServiceException("interrupted while running schtasks", 0);
        }
    }
}
