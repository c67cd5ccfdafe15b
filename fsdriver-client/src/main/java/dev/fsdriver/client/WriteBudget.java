package dev.fsdriver.client;

import java.util.concurrent.Semaphore;

/**
 * The bytes of written data on their way to the server, across all open files of a mount: a
 * chunk takes its length from here before it is sent and gives it back when the server answered
 * (or the call failed). Write-behind is per open file ({@code writeBehindChunks}); without a
 * bound across files, N writers would hold N times that while the server is slow, and the
 * mount's heap would have to grow with them. With it, a writer waits once the mount as a whole
 * has this much in flight.
 *
 * <p>Not counted: the chunk a writer is filling, at most one block per open file that is being
 * written, and chunks kept to send again after a lost connection (see BlockWriter; they are sent
 * or dropped by their own writer before it writes anything else).
 */
final class WriteBudget {
    /** In flight across the mount: 16 one-MiB chunks (four files at full speed; each is held twice, ours and its serialized frame). */
    static final long DEFAULT_BYTES = 16L << 20;

    private static final int UNIT = 1024;

    private final Semaphore units;
    private final int total;

    WriteBudget(long bytes) {
        if (bytes < UNIT) {
            throw new IllegalArgumentException("write budget below " + UNIT + " bytes: " + bytes);
        }
        this.total = (int) Math.min(Integer.MAX_VALUE, bytes / UNIT);
        this.units = new Semaphore(total);
    }

    /** Waits until {@code bytes} more may be in flight; a chunk larger than the whole budget takes all of it. */
    void acquire(int bytes) throws InterruptedException {
        units.acquire(unitsOf(bytes));
    }

    void release(int bytes) {
        units.release(unitsOf(bytes));
    }

    /** Bytes that may still be sent before a writer waits. */
    long available() {
        return (long) units.availablePermits() * UNIT;
    }

    private int unitsOf(int bytes) {
        return (int) Math.min(total, Math.max(1, (bytes + (long) UNIT - 1) / UNIT));
    }
}
