package dev.fsdriver.cli;

import dev.fsdriver.fuse.linux.FuseMounter;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code fsdriver status}: this user's mounts, each asked through its control socket
 * ({@link MountControl}), and the fsdriver mounts of /proc/self/mounts that did not answer
 * (another user's, or a dead one).
 */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "List this machine's fsdriver mounts: server, share, connection, events, cache timeouts, counters.")
final class StatusCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        List<Properties> mounts = new ArrayList<>(MountControl.statuses());
        mounts.sort(Comparator.comparing(p -> p.getProperty("mountpoint")));
        List<String> answered = new ArrayList<>();
        for (Properties p : mounts) {
            answered.add(p.getProperty("mountpoint"));
            out.printf("%s: %s of %s (pid %s, since %s)%n", p.getProperty("mountpoint"), p.getProperty("share"),
                    p.getProperty("server"), p.getProperty("pid"), p.getProperty("since"));
            out.printf("  connection %s, events %s, caches %s%n", p.getProperty("connection"), p.getProperty("events"),
                    p.getProperty("cache"));
            out.printf("  requests %s, server calls %s, reconnects %s%s%n", p.getProperty("requests"),
                    p.getProperty("server-calls"), p.getProperty("reconnects"), p.getProperty("events-received") == null ? ""
                            : ", events received " + p.getProperty("events-received") + ", injected "
                            + p.getProperty("events-injected"));
            if (p.getProperty("event-lag") != null) {
                out.printf("  event lag (server saw a change .. mount applied it): %s%n", p.getProperty("event-lag"));
            }
            if (p.getProperty("cache-hits") != null) {
                out.printf("  cache hits/requests: %s%n", p.getProperty("cache-hits"));
            }
        }
        int others = 0;
        for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
            String[] f = line.split(" ");
            if (f.length > 2 && f[2].equals("fuse.fsdriver")) {
                String target = f[1].replace("\\040", " ");
                if (!answered.contains(target)) {
                    others++;
                    FuseMounter.MountInfo dead = FuseMounter.findDeadMount(Path.of(target));
                    out.printf("%s: %s, %s%n", target, f[0], dead != null
                            ? "dead (its process is gone; clear it with: fsdriver umount " + target + ")"
                            : "another user's mount, or its process has no control socket");
                }
            }
        }
        if (mounts.isEmpty() && others == 0) {
            out.println("no fsdriver mounts");
        }
        out.flush();
        return 0;
    }
}
