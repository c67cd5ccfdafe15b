package dev.fsdriver.client;

/**
 * One open file: the server handle, the read-ahead state and (when opened for writing) the
 * write-behind state. {@code fh} is the client's id for the kernel, {@code serverHandle} the
 * server's.
 */
final class FileHandle {
    private final long fh;
    private final long serverHandle;
    private final OpenNode node;
    private final int flags;
    private final BlockReader reader;
    private final BlockWriter writer;

    FileHandle(long fh, long serverHandle, OpenNode node, int flags, BlockReader reader, BlockWriter writer) {
        this.fh = fh;
        this.serverHandle = serverHandle;
        this.node = node;
        this.flags = flags;
        this.reader = reader;
        this.writer = writer;
    }

    long fh() { return fh; }
    long serverHandle() { return serverHandle; }
    OpenNode node() { return node; }
    int flags() { return flags; }
    BlockReader reader() { return reader; }
    /** Null when the file is open read-only. */
    BlockWriter writer() { return writer; }
}
