package dev.fsdriver.client;

import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.protobuf.ByteString;
import dev.fsdriver.common.Errno;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.proto.v1.ReadReply;
import dev.fsdriver.proto.v1.ReadRequest;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * Reads of one open file, with read-ahead: a reader that continues where the last read ended
 * (or lands in a block already fetched) is sequential; for it the blocks under the read and the
 * next {@code ahead} blocks (block-aligned, block-size) are requested at once with concurrent
 * async RPCs and later reads are served from them. Any other read goes straight to the server
 * for exactly the bytes asked.
 *
 * <p>Coherence: blocks are dropped when the node's write generation moved (a write or
 * truncate through this client) and when the reader jumps.
 *
 * <p>Locking: {@code this} guards the block map and the sequence state; RPCs are started
 * under it (non-blocking) but waited for outside it.
 */
final class BlockReader {
    private record Block(long index, ListenableFuture<ReadReply> reply) {}

    private final Connection connection;
    private final RemoteHandle handle;
    private final Reopener reopener;
    private final int blockSize;
    private final int ahead;
    private final OpenNode node;

    // Guarded by this.
    private final TreeMap<Long, Block> blocks = new TreeMap<>();
    private long nextOffset;
    private long blocksGeneration;
    /** A block known to end the file (came back short); nothing after it is prefetched. */
    private long eofBlock = Long.MAX_VALUE;
    /** File size as last known (open, or the end of a short block); bounds prefetching. */
    private long sizeHint;

    BlockReader(Connection connection, RemoteHandle handle, Reopener reopener, int blockSize, int ahead, OpenNode node,
                long sizeHint) {
        this.connection = connection;
        this.handle = handle;
        this.reopener = reopener;
        this.blockSize = blockSize;
        this.ahead = ahead;
        this.node = node;
        this.sizeHint = sizeHint;
        this.blocksGeneration = node.generation.get();
    }

    /** Reads up to {@code size} bytes at {@code offset} into {@code dst}; fewer only at end of file. */
    int read(long offset, int size, ByteBuffer dst) throws FuseException {
        if (size <= 0) {
            return 0;
        }
        reopener.current(handle);
        int start = dst.position();
        try {
            return readOnce(offset, size, dst);
        } catch (FuseException e) {
            // the server restarted since the file was opened: once more, with the file reopened
            // (or, read by node without a handle, the node looked up again by its path)
            boolean reopen = e.errno() == Errno.EBADF && reopener.stale(handle);
            if (!reopen && !(e.errno() == Errno.ESTALE && handle.id() == 0 && reopener.refind(handle.nodeId, handle.fileGeneration))) {
                throw e;
            }
            invalidate();
            dst.position(start);
            reopener.current(handle);
            return readOnce(offset, size, dst);
        }
    }

    private int readOnce(long offset, int size, ByteBuffer dst) throws FuseException {
        long first = offset / blockSize;
        long last = (offset + size - 1) / blockSize;
        List<Block> use = null;
        synchronized (this) {
            long generation = node.generation.get();
            if (generation != blocksGeneration) {
                dropLocked();
                blocksGeneration = generation;
            }
            boolean sequential = offset == nextOffset || blocks.containsKey(first);
            nextOffset = offset + size;
            if (sequential && ahead > 0) {
                blocks.headMap(first).clear();
                long lastInFile = Math.max(0, (sizeHint - 1) / blockSize);
                long limit = Math.max(last, Math.min(last + ahead, Math.min(lastInFile, eofBlock)));
                for (long i = first; i <= limit; i++) {
                    if (!blocks.containsKey(i) && (i <= last || i <= eofBlock)) {
                        blocks.put(i, new Block(i, fetch(i * blockSize, blockSize)));
                    }
                }
                use = new ArrayList<>(blocks.subMap(first, true, last, true).values());
            } else {
                dropLocked();
            }
        }
        return use == null ? direct(offset, size, dst) : fromBlocks(use, offset, size, dst);
    }

    private int fromBlocks(List<Block> use, long offset, int size, ByteBuffer dst) throws FuseException {
        int n = 0;
        long end = offset + size;
        for (Block b : use) {
            ByteString data;
            try {
                data = connection.await(b.reply()).getData();
            } catch (FuseException e) {
                forget(b);
                throw e;
            }
            long start = b.index() * blockSize;
            int from = (int) Math.max(0, offset - start);
            int to = (int) Math.min(data.size(), end - start);
            if (from < to) {
                data.substring(from, to).copyTo(dst);
                n += to - from;
            }
            if (data.size() < blockSize) {
                sawEnd(b.index(), start + data.size());
                break;
            }
        }
        return n;
    }

    /** A random read: exactly the bytes asked, in block-size chunks requested concurrently. */
    private int direct(long offset, int size, ByteBuffer dst) throws FuseException {
        int chunks = (size + blockSize - 1) / blockSize;
        List<ListenableFuture<ReadReply>> replies = new ArrayList<>(chunks);
        for (int i = 0; i < chunks; i++) {
            int len = Math.min(blockSize, size - i * blockSize);
            replies.add(fetch(offset + (long) i * blockSize, len));
        }
        int n = 0;
        for (int i = 0; i < chunks; i++) {
            ByteString data = connection.await(replies.get(i)).getData();
            data.copyTo(dst);
            n += data.size();
            if (data.size() < Math.min(blockSize, size - i * blockSize)) {
                for (int j = i + 1; j < chunks; j++) {
                    replies.get(j).cancel(false);
                }
                break;
            }
        }
        return n;
    }

    private ListenableFuture<ReadReply> fetch(long offset, int len) {
        // handle 0: the open came with the whole file and no server handle; it grew since
        long h = handle.id();
        if (h == 0 && node != null) {
            h = node.anyReadableServerHandle();
        }
        return connection.filesAsync().read(ReadRequest.newBuilder().setHandle(h)
                .setNode(h == 0 ? node.nodeId : 0).setOffset(offset).setSize(len).build());
    }

    private synchronized void forget(Block b) {
        blocks.remove(b.index(), b);
    }

    private synchronized void sawEnd(long index, long fileEnd) {
        eofBlock = Math.min(eofBlock, index);
        sizeHint = fileEnd;
    }

    private void dropLocked() {
        blocks.clear();
        eofBlock = Long.MAX_VALUE;
    }

    /**
     * The whole file as the server read it at open (OpenReply.data): becomes block 0 (or the
     * blocks it spans), ended where the file ends, so reads of a small file need no RPC.
     */
    synchronized void content(ByteString data) {
        for (long i = 0; i * blockSize <= data.size(); i++) {
            int from = (int) (i * blockSize);
            ByteString part = data.substring(from, Math.min(data.size(), from + blockSize));
            blocks.put(i, new Block(i, Futures.immediateFuture(ReadReply.newBuilder().setData(part).build())));
            if (part.size() < blockSize) {
                sawEnd(i, from + part.size());
                break;
            }
        }
    }

    /** Drops every fetched block (the file changed). */
    synchronized void invalidate() {
        dropLocked();
    }

    /** Tells the reader the file's size changed (write or truncate through this client). */
    synchronized void sizeChanged(long size) {
        sizeHint = size;
        dropLocked();
    }
}
