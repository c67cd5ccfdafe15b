package dev.fsdriver.client;

import dev.fsdriver.fuse.FuseException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Flow control of one open file's write-behind ({@link BlockWriter}): the chunks on their way
 * to the server, at most {@code maxChunks} of them (one with O_APPEND), each within the mount's
 * {@link WriteBudget}.
 *
 * <p>Locking: none of its own (a concurrent set, an atomic, semaphores): a chunk leaves from its
 * call's completion callback, which must never take the writer's lock, since the writer waits
 * for slots and for chunks while holding it.
 */
final class ChunksInFlight {
    private final Semaphore slots;
    private final WriteBudget budget;
    private final Set<WriteChunk> chunks = ConcurrentHashMap.newKeySet();
    /** Bytes of the chunks in flight. */
    private final AtomicLong bytes = new AtomicLong();

    ChunksInFlight(int maxChunks, WriteBudget budget) {
        this.slots = new Semaphore(maxChunks);
        this.budget = budget;
    }

    /** Waits for a slot and for {@code chunk}'s bytes in the budget, then counts it in flight. */
    void enter(WriteChunk chunk) throws InterruptedException {
        slots.acquire();
        try {
            budget.acquire(chunk.bytes());
        } catch (InterruptedException e) {
            slots.release();
            throw e;
        }
        chunks.add(chunk);
        bytes.addAndGet(chunk.bytes());
    }

    /** {@code chunk} was answered or its call failed: its slot and its bytes are free again. */
    void leave(WriteChunk chunk) {
        chunks.remove(chunk);
        bytes.addAndGet(-chunk.bytes());
        budget.release(chunk.bytes());
        slots.release();
    }

    boolean isEmpty() {
        return chunks.isEmpty();
    }

    /** Bytes of the chunks in flight. */
    long bytes() {
        return bytes.get();
    }

    /** Whether a chunk in flight sets an mtime or carries a change (WriteRequest.then): see BlockWriter#goesBefore. */
    boolean anyChange() {
        return chunks.stream().anyMatch(c -> c.mtimeNs != 0 || c.then != null);
    }

    boolean overlaps(long offset, int length) {
        return chunks.stream().anyMatch(c -> c.overlaps(offset, length));
    }

    /** Waits for every chunk in flight now; waited for through {@link Connection#await}. */
    void awaitAll(Connection connection) throws FuseException {
        for (WriteChunk c : chunks) {
            connection.await(c.done);
        }
    }

    /**
     * Waits for the chunks {@code next} must not overtake: all of them when {@code all}
     * (O_APPEND), those it overlaps, and one that sets an mtime (AttrsAhead): the server runs
     * Writes concurrently, and its older mtime must not land after the next one's.
     */
    void awaitBefore(WriteChunk next, boolean all, Connection connection) throws FuseException {
        for (WriteChunk c : chunks) {
            if (all || c.overlaps(next) || c.mtimeNs != 0) {
                connection.await(c.done);
            }
        }
    }
}
