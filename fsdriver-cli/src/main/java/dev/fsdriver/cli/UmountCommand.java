package dev.fsdriver.cli;

import dev.fsdriver.fuse.linux.FuseMounter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code fsdriver umount}: unmounts a mount point (umount2 as root, else fusermount3 -u). */
@Command(name = "umount", mixinStandardHelpOptions = true,
        description = "Unmount MOUNTPOINT (a busy mount is detached lazily).")
final class UmountCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MOUNTPOINT", description = "The mount point.")
    Path mountPoint;

    @Override
    public Integer call() throws Exception {
        Path target = mountPoint.toAbsolutePath().normalize();
        try {
            // Resolves symlinks; fails harmlessly on a mount whose daemon died (ENOTCONN).
            target = target.toRealPath();
        } catch (IOException e) {
            // keep the absolute path
        }
        if (FuseMounter.findMount(target) == null) {
            throw new CliException(target + " is not a mount point");
        }
        try {
            if (FuseMounter.unmount(target, true)) {
                spec.commandLine().getErr().println("fsdriver: " + target + " was busy: detached (lazy unmount)");
            }
        } catch (IOException e) {
            throw new CliException("cannot unmount " + target + ": " + e.getMessage());
        }
        return 0;
    }
}
