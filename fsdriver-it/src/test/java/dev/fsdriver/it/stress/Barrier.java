package dev.fsdriver.it.stress;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Waits until the mount has applied every change event the server sent before now: a marker
 * made directly in the served directory travels the same ordered event stream as the echoes of
 * the workers' own changes, so once the mount shows it (and then its removal), everything
 * before it has been applied, including whatever an event wrongly did to the served directory.
 */
final class Barrier {
    private Barrier() {}

    /** Null when passed; else what did not arrive. */
    static String pass(Path share, Path mount) throws IOException, InterruptedException {
        String name = ".stress-barrier-" + System.nanoTime();
        Files.createFile(share.resolve(name));
        if (!await(mount.resolve(name), true)) {
            return "the mount did not show " + name + ", made in the served directory, within " + StressRun.CONVERGE_MS
                    + " ms: change events stalled";
        }
        Files.delete(share.resolve(name));
        if (!await(mount.resolve(name), false)) {
            return "the mount still shows " + name + ", removed from the served directory, after "
                    + StressRun.CONVERGE_MS + " ms: change events stalled";
        }
        return null;
    }

    private static boolean await(Path p, boolean exists) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(StressRun.CONVERGE_MS);
        do {
            if (Files.exists(p, LinkOption.NOFOLLOW_LINKS) == exists) {
                return true;
            }
            Thread.sleep(20);
        } while (System.nanoTime() < end);
        return false;
    }
}
