package dev.fsdriver.fuse.examples;

import dev.fsdriver.fuse.FuseFileSystem;
import dev.fsdriver.fuse.FuseMount;
import dev.fsdriver.fuse.MountOptions;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Mounts the loopback file system until unmounted or SIGTERM (used by bench/fuse/run.sh).
 * Usage: LoopbackMain BACKING_DIR|-memory MOUNT_POINT [TIMEOUT_SECONDS]
 */
public final class LoopbackMain {
    private LoopbackMain() {}

    public static void main(String[] args) throws Exception {
        long timeout = args.length > 2 ? Long.parseLong(args[2]) : 1;
        FuseFileSystem fs = args[0].equals("-memory") ? new MemoryFileSystem()
                : new LoopbackFileSystem(Path.of(args[0]), Duration.ofSeconds(timeout), false);
        MountOptions options = MountOptions.builder().fsName("loopback:" + args[0]).subtype("loopback")
                .threads(Integer.getInteger("fuse.threads", 4)).build();
        try (FuseMount mount = FuseMount.mount(Path.of(args[1]), fs, options)) {
            System.out.println("MOUNTED " + mount.mountPoint());
            System.out.flush();
            mount.awaitUnmount();
        }
    }
}
