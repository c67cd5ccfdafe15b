package dev.fsdriver.client;

import dev.fsdriver.protocol.Protocol;
import java.time.Duration;

/**
 * How the client talks to the server and what it lets the kernel cache. Build with
 * {@link #builder()}; every value has a default fit for a mount without change events (short
 * kernel cache timeouts).
 *
 * @param blockSize          chunk size of Read/Write RPCs, read-ahead and write-behind (4 KiB..1 MiB)
 * @param entryTimeout       how long the kernel may cache a name
 * @param attrTimeout        how long the kernel may cache attributes
 * @param negativeTimeout    how long the kernel may cache "no such name" (zero: not at all)
 * @param readAheadBlocks    blocks prefetched ahead of a sequential reader
 * @param writeBehindChunks  block-size chunks in flight per open file before a writer waits
 * @param callDeadline       deadline of every RPC: a dead server fails calls after at most this
 * @param readDirPageSize    entries asked per ReadDir RPC
 * @param keepCache          open with FOPEN_KEEP_CACHE when mtime and size are unchanged since the last open
 * @param inlineReadMax      a read-only Open asks for the whole content of files up to this size in
 *                           its reply (one round trip for open + read of a small file; 0: never)
 * @param prefetchFiles      while change events flow, a program reading a directory's small
 *                           files in listing order gets this many next ones fetched ahead, and
 *                           one descending a tree its subdirectories listed ahead (0: neither)
 * @param clientName         sent in Hello, for the server's logs
 * @param tracing            an outermost interceptor on every call (OpenTelemetry spans and
 *                           trace context, mount --otlp-endpoint), or null
 */
public record ClientOptions(
        int blockSize,
        Duration entryTimeout,
        Duration attrTimeout,
        Duration negativeTimeout,
        int readAheadBlocks,
        int writeBehindChunks,
        Duration callDeadline,
        int readDirPageSize,
        boolean keepCache,
        int inlineReadMax,
        int prefetchFiles,
        String clientName,
        io.grpc.ClientInterceptor tracing) {

    public static final int DEFAULT_BLOCK_SIZE = 1 << 20;
    public static final int MIN_BLOCK_SIZE = 4096;

    public ClientOptions {
        if (blockSize < MIN_BLOCK_SIZE || blockSize > Protocol.MAX_IO_BYTES) {
            throw new IllegalArgumentException("block size must be between " + MIN_BLOCK_SIZE + " and "
                    + Protocol.MAX_IO_BYTES + " bytes: " + blockSize);
        }
        if (readAheadBlocks < 0 || writeBehindChunks < 1 || readDirPageSize < 1 || inlineReadMax < 0 || prefetchFiles < 0
                || inlineReadMax > Protocol.MAX_IO_BYTES) {
            throw new IllegalArgumentException("readAheadBlocks >= 0, writeBehindChunks >= 1, readDirPageSize >= 1,"
                    + " 0 <= inlineReadMax <= " + Protocol.MAX_IO_BYTES);
        }
        if (callDeadline.isNegative() || callDeadline.isZero()) {
            throw new IllegalArgumentException("call deadline must be positive: " + callDeadline);
        }
    }

    public static ClientOptions defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder().blockSize(blockSize).entryTimeout(entryTimeout).attrTimeout(attrTimeout)
                .negativeTimeout(negativeTimeout).readAheadBlocks(readAheadBlocks)
                .writeBehindChunks(writeBehindChunks).callDeadline(callDeadline)
                .readDirPageSize(readDirPageSize).keepCache(keepCache).inlineReadMax(inlineReadMax).prefetchFiles(prefetchFiles)
                .clientName(clientName).tracing(tracing);
    }

    public static final class Builder {
        private int blockSize = DEFAULT_BLOCK_SIZE;
        private Duration entryTimeout = Duration.ofSeconds(1);
        private Duration attrTimeout = Duration.ofSeconds(1);
        private Duration negativeTimeout = Duration.ofSeconds(1);
        private int readAheadBlocks = 4;
        private int writeBehindChunks = 4;
        private Duration callDeadline = Duration.ofSeconds(15);
        private int readDirPageSize = 1000;
        private boolean keepCache = true;
        private int inlineReadMax = 128 << 10;
        private int prefetchFiles = 8;
        private String clientName = "fsdriver-client/0.1 " + System.getProperty("os.name", "?").toLowerCase();
        private io.grpc.ClientInterceptor tracing;

        public Builder blockSize(int v) { blockSize = v; return this; }
        public Builder entryTimeout(Duration v) { entryTimeout = v; return this; }
        public Builder attrTimeout(Duration v) { attrTimeout = v; return this; }
        public Builder negativeTimeout(Duration v) { negativeTimeout = v; return this; }
        public Builder readAheadBlocks(int v) { readAheadBlocks = v; return this; }
        public Builder writeBehindChunks(int v) { writeBehindChunks = v; return this; }
        public Builder callDeadline(Duration v) { callDeadline = v; return this; }
        public Builder readDirPageSize(int v) { readDirPageSize = v; return this; }
        public Builder keepCache(boolean v) { keepCache = v; return this; }
        public Builder inlineReadMax(int v) { inlineReadMax = v; return this; }
        public Builder prefetchFiles(int v) { prefetchFiles = v; return this; }
        public Builder clientName(String v) { clientName = v; return this; }
        public Builder tracing(io.grpc.ClientInterceptor v) { tracing = v; return this; }

        public ClientOptions build() {
            return new ClientOptions(blockSize, entryTimeout, attrTimeout, negativeTimeout, readAheadBlocks,
                    writeBehindChunks, callDeadline, readDirPageSize, keepCache, inlineReadMax, prefetchFiles, clientName,
                    tracing);
        }
    }
}
