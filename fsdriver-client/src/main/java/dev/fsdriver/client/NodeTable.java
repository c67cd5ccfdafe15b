package dev.fsdriver.client;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import dev.fsdriver.fuse.FuseFileSystem;
import dev.fsdriver.proto.v1.Empty;
import dev.fsdriver.proto.v1.ForgetRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives the kernel's FORGETs back to the server, batched and asynchronously.
 *
 * <p>The server counts one reference per node it hands out (every Lookup, Create, Mkdir,
 * Symlink, Link reply and every ReadDir-plus entry) and drops a node when the count falls to
 * zero; a Forget lowers it by one per occurrence of the id. The kernel forgets exactly the
 * entries it accepted, each of which the server counted, so passing its nlookup through (the id
 * repeated nlookup times) never drops a node the kernel still uses. Entries the server counted
 * but the kernel never saw (an unfinished listing) only keep a node longer.
 *
 * <p>Locking: {@code pending} is guarded by its own monitor; no RPC is made under it.
 */
final class NodeTable implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NodeTable.class);
    /** Ids per Forget RPC (8 KiB of ids at most: far below any message limit). */
    private static final int BATCH = 1024;
    private static final long FLUSH_MILLIS = 200;

    private final Connection connection;
    /** Node id, count pairs; guarded by itself. */
    private final List<long[]> pending = new ArrayList<>();
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

    /** The kernel dropped {@code n} references to {@code nodeId}; queued for the next Forget RPC. */
    void forget(long nodeId, long n) {
        if (nodeId == FuseFileSystem.ROOT_ID || nodeId == 0 || n <= 0) {
            return;
        }
        synchronized (pending) {
            pending.add(new long[] {nodeId, n});
        }
    }

    private void sendPending() {
        List<long[]> batch;
        synchronized (pending) {
            if (pending.isEmpty()) {
                return;
            }
            batch = new ArrayList<>(pending);
            pending.clear();
        }
        ForgetRequest.Builder req = ForgetRequest.newBuilder();
        for (long[] p : batch) {
            for (long i = 0; i < p[1]; i++) {
                req.addNodes(p[0]);
                if (req.getNodesCount() == BATCH) {
                    send(req.build());
                    req = ForgetRequest.newBuilder();
                }
            }
        }
        if (req.getNodesCount() > 0) {
            send(req.build());
        }
    }

    private void send(ForgetRequest request) {
        try {
            Futures.addCallback(connection.filesAsync().forget(request), new FutureCallback<Empty>() {
                @Override
                public void onSuccess(Empty result) {}

                @Override
                public void onFailure(Throwable t) {
                    // Harmless: the server keeps a few nodes longer (or restarted and has none).
                    log.debug("forget of {} ids failed: {}", request.getNodesCount(), t.toString());
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
