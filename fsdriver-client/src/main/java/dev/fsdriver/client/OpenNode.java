package dev.fsdriver.client;

import dev.fsdriver.common.OpenFlags;
import dev.fsdriver.fuse.FuseException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the open files of one node share: the write generation (bumped by every write or
 * truncate through this client, so read-ahead blocks fetched before it are dropped) and the
 * set of open files, so a stat, truncate or read first pushes out data another open file of
 * the same node still holds back.
 *
 * <p>Lifetime: {@code refs} (open files) is only changed inside the owning map's compute.
 */
final class OpenNode {
    final long nodeId;
    final AtomicLong generation = new AtomicLong();
    final Set<FileHandle> handles = ConcurrentHashMap.newKeySet();
    /** Open files of this node; guarded by the owning map's compute. */
    int refs;
    /**
     * The directory this mount last gave the file a name in while it was open (create, rename,
     * link), 0 when none: its fsync syncs that directory too while it has unsynced names
     * ({@link UnsyncedNames}). Only a hint: syncing it is right whatever the file's names are now.
     */
    volatile long namedIn;

    OpenNode(long nodeId) {
        this.nodeId = nodeId;
    }

    /**
     * A server handle that may read, of some open file of this node, or 0: a file opened with its
     * whole content and no server handle reads by node when it grew, which fails once its names
     * are gone; another open file of the node still reaches it, as any descriptor does on a local
     * file system. Not a write-only one: the server refuses reads through it (EBADF).
     */
    long anyReadableServerHandle() {
        for (FileHandle h : handles) {
            if (h.serverHandle() != 0 && !h.remote().lost()
                    && (h.flags() & OpenFlags.O_ACCMODE) != OpenFlags.O_WRONLY) {
                return h.serverHandle();
            }
        }
        return 0;
    }

    /** Sends and waits for the held-back writes of every open file of this node but {@code except}; errors stay with their file. */
    void flushWriters(FileHandle except) throws FuseException {
        for (FileHandle h : handles) {
            if (h != except && h.writer() != null && h.writer().dirty()) {
                h.writer().push();
            }
        }
    }

    /**
     * Before {@code writing} takes a write of {@code length} bytes at {@code offset}: pushes out
     * what other open files of this node hold back that must reach the server first, so that
     * writes land in the order they were made (write-behind holds them per open file, and
     * whatever pushes them later goes in any order). An append of either one depends on the
     * other's data being there; overlapping bytes on which came last. ConcurrentStress seed 33:
     * an append held back went out after another descriptor's later write and landed past it.
     */
    void orderBefore(FileHandle writing, long offset, int length) throws FuseException {
        boolean appending = (writing.flags() & OpenFlags.O_APPEND) != 0;
        for (FileHandle h : handles) {
            BlockWriter w = h.writer();
            if (h != writing && w != null && w.goesBefore(offset, length, appending)) {
                w.push();
            }
        }
    }

    /** The error some open file of this node but {@code except} holds for its writer, or null (see BlockWriter). */
    FuseException pendingWriteError(FileHandle except) {
        for (FileHandle h : handles) {
            if (h != except && h.writer() != null && h.writer().pendingError() != null) {
                return h.writer().pendingError();
            }
        }
        return null;
    }

    /** An open file of this node with a server handle that may write (what an fsync is best sent through), else {@code fallback}. */
    FileHandle anyWritableOr(FileHandle fallback) {
        for (FileHandle h : handles) {
            if (h.serverHandle() != 0 && !h.remote().lost() && OpenFlags.writable(h.flags())) {
                return h;
            }
        }
        return fallback;
    }

    /** True while some open file of this node may write (its size on the server may lag). */
    boolean anyWriter() {
        for (FileHandle h : handles) {
            if (h.writer() != null) {
                return true;
            }
        }
        return false;
    }

    /** True when some open file of this node has no server handle (it came with its whole content). */
    boolean anyHandleless() {
        for (FileHandle h : handles) {
            if (h.serverHandle() == 0 && !h.remote().lost()) {
                return true;
            }
        }
        return false;
    }

    boolean anyDirty() {
        for (FileHandle h : handles) {
            if (h.writer() != null && h.writer().dirty()) {
                return true;
            }
        }
        return false;
    }
}
