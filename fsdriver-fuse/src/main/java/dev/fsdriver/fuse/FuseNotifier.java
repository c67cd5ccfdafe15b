package dev.fsdriver.fuse;

import java.util.concurrent.CompletableFuture;

/**
 * Notifications a file system sends to the kernel at any time, outside any request.
 *
 * <p>Thread safety and locking rule: every method may be called from any thread, concurrently.
 * A notification may wait for kernel locks (the inode's or the directory's) that a request
 * being served holds while it waits for the file system. So never call these while holding a
 * lock that a request thread of this file system may need: call them after releasing it, or
 * from a thread of your own.
 *
 * <p>Each method returns 0, or a negative errno from the kernel (e.g. -ENOENT when the node or
 * name was not in the kernel's cache, which is harmless); {@link #retrieve} answers later.
 */
public interface FuseNotifier {
    /** FUSE_NOTIFY_INVAL_ENTRY: drop the cached name {@code name} in {@code parent}. */
    int invalEntry(long parent, String name);

    /**
     * FUSE_NOTIFY_INVAL_ENTRY with FUSE_EXPIRE_ONLY (kernel 6.2+): the cached name expires, so its
     * next lookup asks the file system, but the kernel keeps the dentry hashed: a process whose
     * working directory it is keeps its path (getcwd). A kernel before 6.2 ignores the flag and
     * drops the name as {@link #invalEntry} does, which is also what this default does.
     */
    default int expireEntry(long parent, String name) {
        return invalEntry(parent, name);
    }

    /**
     * FUSE_NOTIFY_INVAL_INODE: drop cached attributes of {@code nodeId} and its cached pages in
     * [offset, offset + length); {@code length <= 0} means to the end. {@code offset < 0} drops
     * only the attributes.
     */
    int invalInode(long nodeId, long offset, long length);

    /**
     * FUSE_NOTIFY_DELETE: the name {@code name} in {@code parent}, which pointed to
     * {@code child}, is gone; the kernel drops the dentry (and fails further access to it).
     */
    int delete(long parent, long child, String name);

    /** FUSE_NOTIFY_STORE: put {@code data} into the page cache of {@code nodeId} at offset. */
    int store(long nodeId, long offset, java.nio.ByteBuffer data);

    /**
     * FUSE_NOTIFY_RETRIEVE: what the kernel's page cache holds of {@code nodeId} from
     * {@code offset}, at most {@code size} bytes (also at most max_write, and not past the file
     * size the kernel knows); it stops at the first page not cached, so it may be shorter or empty.
     *
     * <p>The kernel answers with a request (NOTIFY_REPLY) that a request thread receives, so never
     * wait for the result on a request thread or while holding a lock one may need; the future is
     * completed on the common pool. It fails with a {@link FuseException}: ENOENT when the node is
     * not in the kernel's cache, ENOTCONN when the connection ends first.
     */
    CompletableFuture<byte[]> retrieve(long nodeId, long offset, int size);
}
