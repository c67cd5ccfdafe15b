package dev.fsdriver.server;

/**
 * Where the ids of {@link NodeIds} come from: a file's inode number where it can be its id
 * ({@link #idFor}), so that the id is the same after a server restart; else the next of a
 * per-instance counter in the {@link #OVERFLOW} range ({@link #nextOverflow}). Also the
 * per-instance base of handle ids ({@link #instanceBase}).
 *
 * <p>Locking: none of its own; the counter is guarded by the lock of the NodeIds that owns it.
 */
final class NodeIdSpace {
    /**
     * Ids from here up (to {@link #MAX_ID}) are not inode numbers, see {@link #idFor}. Above the
     * Windows backend's mapped numbers (from 2^62 up), so those stay ids too.
     */
    static final long OVERFLOW = 3L << 61;
    /** No id reaches this: the client uses node ids from here up for its own stand-ins ("ghosts"). */
    static final long MAX_ID = 7L << 60;

    /** Next id for a file whose inode number cannot be its id (see {@link #idFor}). */
    private long nextOverflow = OVERFLOW + (System.currentTimeMillis() << 10);

    /**
     * A number unique to this server instance: the start time in milliseconds shifted by 20 bits
     * (below 2^62 until the year 2109). Handle ids start there, so a handle a client kept from an
     * earlier instance fails EBADF instead of naming another open file; ids of files whose inode
     * number cannot be their id (rare, see {@link #idFor}) do too.
     */
    static long instanceBase() {
        return Math.max(NodeIds.ROOT_ID + 1, System.currentTimeMillis() << 20);
    }

    /**
     * The node id of a file with inode number {@code ino}: the number itself, or 0 where it cannot
     * be (0, the root's id 1, or a number in the {@link #OVERFLOW} range); such files, and a new
     * file given the inode number of a deleted one the kernel still holds, get an id from a
     * per-instance counter instead, started at the time in milliseconds shifted by 10 bits (not
     * stable across restarts: the client then finds them gone; never an id of an earlier instance
     * unless that one handed out 1024 of them per millisecond of its life).
     */
    static long idFor(long ino) {
        return ino > NodeIds.ROOT_ID && ino < OVERFLOW ? ino : 0;
    }

    /** The next id of the per-instance counter (see {@link #idFor}). */
    long nextOverflow() {
        long id = nextOverflow++;
        if (nextOverflow >= MAX_ID) {
            nextOverflow = OVERFLOW; // after 2^60 of them: ids of long-forgotten nodes
        }
        return id;
    }
}
