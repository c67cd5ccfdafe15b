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
 *
 * <p>Mounting uses {@code mount(2)} when the process is root, else {@code fusermount3} (package
 * fuse3); {@code -Dfsdriver.fuse.fusermount=true} forces fusermount3 even as root. A JVM shutdown
 * (including SIGINT/SIGTERM) unmounts through a shutdown hook; an unmount from outside
 * ({@code umount}, {@code fusermount3 -u}) is noticed and {@link #awaitUnmount()} returns.
 *
 * <p>A process that dies without unmounting (SIGKILL, crash) leaves the mount point answering
 * ENOTCONN ("Transport endpoint is not connected") until it is cleaned with
 * {@code fusermount3 -u -z MOUNTPOINT} or, as root, {@code umount -l MOUNTPOINT}. A live but hung
 * file system can be cut off with {@code echo 1 > /sys/fs/fuse/connections/N/abort} (N: the minor
 * device number of the mount, third field of /proc/self/mountinfo; fusectl must be mounted there).
 *
 * <p>Threads and buffers: see the implementation's notes (dev.fsdriver.fuse.FuseSession).
 */
public interface FuseMount extends AutoCloseable {

    /** Mounts {@code fs} at {@code mountPoint} and starts serving; returns once the kernel sent INIT. */
    static FuseMount mount(Path mountPoint, FuseFileSystem fs, MountOptions options) throws IOException {
        return FuseSession.mount(mountPoint, fs, options, RequestListener.NONE);
    }

    /** As {@link #mount(Path, FuseFileSystem, MountOptions)}, telling {@code listener} of every request served. */
    static FuseMount mount(Path mountPoint, FuseFileSystem fs, MountOptions options, RequestListener listener)
            throws IOException {
        return FuseSession.mount(mountPoint, fs, options, listener);
    }

    Path mountPoint();

    /** Requests received with {@code opcode} (see FuseOpcode) since the mount started; cheap (one array read). */
    long requestCount(int opcode);

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
