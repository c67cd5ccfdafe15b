package dev.fsdriver.client;

import dev.fsdriver.fuse.FuseException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The writes of a file closed while the server was out of reach: the program has gone on, the
 * data must not be dropped with its handle. A virtual thread keeps flushing (each flush tries for
 * one call deadline) until the server is back or {@link #KEEP_NANOS} has passed, then closes.
 */
final class UnsentWrites {
    private static final Logger log = LoggerFactory.getLogger(UnsentWrites.class);
    /** How long a closed file's unsent writes wait for the server to come back. */
    static final long KEEP_NANOS = TimeUnit.MINUTES.toNanos(10);

    private UnsentWrites() {}

    /** Sends what {@code writer} still holds once the server is back, then runs {@code close}. */
    static void sendLater(BlockWriter writer, long nodeId, Runnable close) {
        Thread.startVirtualThread(() -> {
            long giveUp = System.nanoTime() + KEEP_NANOS;
            try {
                while (true) {
                    try {
                        writer.flush(0); // no process: an error is seen here, not taken
                        log.info("writes of closed node {} sent after the server came back", nodeId);
                        return;
                    } catch (FuseException e) {
                        boolean away = CallFailures.away(e.errno());
                        if (!away || !writer.dirty() || System.nanoTime() - giveUp > 0) {
                            log.warn("writes of closed node {} are lost: {}", nodeId, e.getMessage());
                            return;
                        }
                    }
                }
            } catch (RuntimeException e) {
                log.warn("writes of closed node {} are lost", nodeId, e);
            } finally {
                close.run();
            }
        });
    }
}
