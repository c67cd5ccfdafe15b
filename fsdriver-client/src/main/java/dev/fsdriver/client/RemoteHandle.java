package dev.fsdriver.client;

/**
 * The server's handle of one open file, which outlives the server process that gave it: after a
 * restart {@link Reopener} opens the file again (same flags) and the handle takes the new id; a
 * file that cannot be opened again (it is gone) makes the handle lost for good. Id 0: the server
 * kept nothing open (a small read-only file that came whole with the Open reply).
 *
 * <p>Thread safety: fields are volatile; a reopen is serialised by {@link Reopener} on this object.
 */
final class RemoteHandle {
    final long nodeId;
    /**
     * The generation of the file opened (Attr.generation, 0 not known): after a restart the node
     * id may lead to another file with the same inode number, which this tells apart.
     */
    final long fileGeneration;
    /** The open(2) flags of the open, minus those that only mean something the first time. */
    final int reopenFlags;
    private volatile long id;
    private volatile long instance;
    private volatile boolean lost;

    RemoteHandle(long nodeId, long fileGeneration, int flags, long id, long instance) {
        this.nodeId = nodeId;
        this.fileGeneration = fileGeneration;
        this.reopenFlags = flags & ~(dev.fsdriver.common.OpenFlags.O_CREAT | dev.fsdriver.common.OpenFlags.O_EXCL
                | dev.fsdriver.common.OpenFlags.O_TRUNC);
        this.id = id;
        this.instance = instance;
    }

    /** The server's id of the handle now. */
    long id() {
        return id;
    }

    /** The server process that gave {@link #id()} (0: unknown). */
    long instance() {
        return instance;
    }

    /** The file could not be opened again after a restart: every later use fails EIO. */
    boolean lost() {
        return lost;
    }

    void reopened(long newId, long newInstance) {
        id = newId;
        instance = newInstance;
    }

    /** A handle-less open got a server handle of its own (its file is about to lose a name). */
    void attached(long newId, long newInstance) {
        reopened(newId, newInstance);
    }

    void markLost() {
        lost = true;
    }
}
