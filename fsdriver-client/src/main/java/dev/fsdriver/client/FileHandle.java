package dev.fsdriver.client;

/**
 * One open file: the server handle, the read-ahead state and (when opened for writing) the
 * write-behind state. {@code fh} is the client's id for the kernel, {@code remote} the
 * server's (see {@link RemoteHandle}).
 */
final class FileHandle {
    private final long fh;
    private final RemoteHandle remote;
    private final OpenNode node;
    private final int flags;
    private final BlockReader reader;
    private final BlockWriter writer;
    /**
     * Opened by the mount alone (FileIo#openLocally) and not read yet: its first read means the
     * kernel lost its pages, and may take them from the read-ahead of files (FileIo#read).
     */
    private final java.util.concurrent.atomic.AtomicBoolean unreadLocalOpen = new java.util.concurrent.atomic.AtomicBoolean();

    FileHandle(long fh, RemoteHandle remote, OpenNode node, int flags, BlockReader reader, BlockWriter writer) {
        this.fh = fh;
        this.remote = remote;
        this.node = node;
        this.flags = flags;
        this.reader = reader;
        this.writer = writer;
    }

    long fh() { return fh; }
    /** The server's handle now (it changes when a server restart made the client reopen the file). */
    long serverHandle() { return remote.id(); }
    RemoteHandle remote() { return remote; }
    OpenNode node() { return node; }
    int flags() { return flags; }
    BlockReader reader() { return reader; }
    /** Null when the file is open read-only. */
    BlockWriter writer() { return writer; }

    void openedLocally() { unreadLocalOpen.set(true); }

    /** Whether this is the first read of a file opened by the mount alone (see {@link #unreadLocalOpen}); only once true. */
    boolean firstReadOfLocalOpen() {
        return unreadLocalOpen.get() && unreadLocalOpen.compareAndSet(true, false); // concurrent READs: one
    }
}
