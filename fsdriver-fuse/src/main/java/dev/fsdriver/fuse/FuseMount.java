package dev.fsdriver.fuse;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A live mount: the kernel connection, its request threads and the file system behind it.
 *
 * <pre>{@code
 * try (FuseMount mount = FuseMount.mount(Path.of("/mnt/x"), fs, MountOptions.builder().build())) {
 *     mount.awaitUnmount();   // returns when unmounted from outside (umount) or closed
 * }
 * }</pre>
 *
 * <p>{@link #close()} unmounts (idempotent). A mount point that does not exist, is not a
 * directory or is already a mount point fails with an {@link IOException} whose message says
 * which.
 */
public interface FuseMount extends AutoCloseable {

    /** Mounts {@code fs} at {@code mountPoint} and starts serving; returns once the kernel sent INIT. */
    static FuseMount mount(Path mountPoint, FuseFileSystem fs, MountOptions options) throws IOException {
        return FuseSession.mount(mountPoint, fs, options);
    }

    Path mountPoint();

    /** Notifications to the kernel; see {@link FuseNotifier} for the locking rule. */
    FuseNotifier notifier();

    /** Blocks until the file system is unmounted (by {@link #close()} or from outside). */
    void awaitUnmount() throws InterruptedException;

    /** Like {@link #awaitUnmount()} with a bound; returns true if unmounted. */
    boolean awaitUnmount(Duration timeout) throws InterruptedException;

    /** True once the kernel connection is gone. */
    boolean isUnmounted();

    /** Unmounts and stops the request threads. Idempotent. */
    @Override
    void close() throws IOException;
}
