package dev.fsdriver.client;

import dev.fsdriver.fuse.FuseFileSystem;
import dev.fsdriver.proto.v1.Empty;
import dev.fsdriver.proto.v1.ForgetRequest;
import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kernel's lookup count per node id (FUSE node id = server node id), and the Forget RPCs
 * sent, batched and asynchronously, for nodes whose count fell to zero.
 *
 * <p>Counting here (not just passing the kernel's FORGET through) covers the race where a
 * lookup handing the same node out again overtakes the kernel's forget: the count stays above
 * zero and the server keeps the node. A batch is re-checked right before it is sent.
 *
 * <p>Locking: {@code counts} is a concurrent map updated with compute (per-key atomic);
 * {@code pending} is guarded by its own monitor; no RPC is made under either.
 */
final class NodeTable implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NodeTable.class);
    private static final int BATCH = 512;
    private static final long FLUSH_MILLIS = 500;

    private final Connection connection;
    private final ConcurrentHashMap<Long, Long> counts = new ConcurrentHashMap<>();
    /** Guarded by itself. */
    private final List<Long> pending = new ArrayList<>();
    private final ScheduledExecutorService timer;

    NodeTable(Connection connection) {
        this.connection = connection;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "fsdriver-forget");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::sendPending, FLUSH_MILLIS, FLUSH_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** The kernel got one more reference to {@code nodeId} (an entry reply it accepted). */
    void looked(long nodeId) {
        if (nodeId != FuseFileSystem.ROOT_ID && nodeId != 0) {
            counts.merge(nodeId, 1L, Long::sum);
        }
    }

    /** The kernel dropped {@code n} references; at zero the node is queued for a Forget RPC. */
    void forget(long nodeId, long n) {
        if (nodeId == FuseFileSystem.ROOT_ID) {
            return;
        }
        Long left = counts.computeIfPresent(nodeId, (id, c) -> c - n <= 0 ? null : c - n);
        if (left == null) {
            boolean full;
            synchronized (pending) {
                pending.add(nodeId);
                full = pending.size() >= BATCH;
            }
            if (full) {
                timer.execute(this::sendPending);
            }
        }
    }

    /** Number of nodes the kernel currently references (tests, logs). */
    int size() {
        return counts.size();
    }

    private void sendPending() {
        List<Long> batch;
        synchronized (pending) {
            if (pending.isEmpty()) {
                return;
            }
            batch = new ArrayList<>(pending);
            pending.clear();
        }
        // A node looked up again since its forget stays known to the server.
        batch.removeIf(counts::containsKey);
        if (batch.isEmpty()) {
            return;
        }
        try {
            Futures.addCallback(connection.filesAsync().forget(ForgetRequest.newBuilder().addAllNodes(batch).build()),
                    new FutureCallback<Empty>() {
                        @Override
                        public void onSuccess(Empty result) {}

                        @Override
                        public void onFailure(Throwable t) {
                            // Harmless: the server keeps a few nodes longer (or restarted and has none).
                            log.debug("forget of {} nodes failed: {}", batch.size(), t.toString());
                        }
                    }, MoreExecutors.directExecutor());
        } catch (RuntimeException e) {
            log.debug("forget not sent: {}", e.toString());
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
