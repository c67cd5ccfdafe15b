package dev.fsdriver.server;

import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.OpenFile;
import dev.fsdriver.common.Errno;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One share's open handles: numeric ids (never 0, never reused, time-based per server instance),
 * bounded, looked up by type. Each belongs to its owner (the caller's session, or its connection
 * when it has none: {@link CallContext#owner}); to anyone else it is EBADF, as another
 * process's file descriptor number is.
 * Lock-free (a concurrent map); {@link OpenFile#close()} runs exactly once, on release or
 * when the server closes.
 */
final class HandleTable {
    private static final Logger LOG = LoggerFactory.getLogger(HandleTable.class);

    sealed interface Handle permits OpenedFile, OpenedDir {
        long node();
    }

    /** An open regular file; {@code flags} are its open(2) flags, {@code ino} its inode at open. */
    record OpenedFile(long node, OpenFile file, int flags, long ino) implements Handle {}

    /** An open directory (OPENDIR): bookkeeping only, listing goes by node and cursor. */
    record OpenedDir(long node) implements Handle {}

    private record Owned(Object owner, Handle handle) {}

    private final ConcurrentHashMap<Long, Owned> handles = new ConcurrentHashMap<>();
    /** Not reused across server restarts either: a stale handle is EBADF, never another file. */
    private final AtomicLong next = new AtomicLong(NodeIdSpace.instanceBase());
    private final int max;

    HandleTable(int max) {
        this.max = max;
    }

    /** Registers {@code h} for {@code owner}; EMFILE when {@code max} handles are open (the caller closes h). */
    long add(Object owner, Handle h) throws FsException {
        if (handles.size() >= max) {
            throw new FsException(Errno.EMFILE, max + " handles open on this share");
        }
        long id = next.getAndIncrement();
        handles.put(id, new Owned(owner, h));
        return id;
    }

    /** {@code owner}'s handle {@code id} if it is a {@code type}; EBADF otherwise. */
    <T extends Handle> T get(Object owner, long id, Class<T> type) throws FsException {
        Owned o = handles.get(id);
        Handle h = o == null || o.owner != owner ? null : o.handle;
        if (!type.isInstance(h)) {
            throw new FsException(Errno.EBADF, h == null ? "unknown handle " + id : "handle " + id + " is not a " + type.getSimpleName());
        }
        return type.cast(h);
    }

    /** Removes and returns {@code owner}'s handle {@code id}; EBADF if it has none such. */
    Handle remove(Object owner, long id) throws FsException {
        Owned o = handles.get(id);
        if (o == null || o.owner != owner || !handles.remove(id, o)) {
            throw new FsException(Errno.EBADF, "unknown handle " + id);
        }
        return o.handle;
    }

    /** Closes every handle of {@code owner} (its connection closed, or its session expired). */
    void closeOwnedBy(Object owner) {
        handles.forEach((id, o) -> {
            if (o.owner == owner && handles.remove(id, o)) {
                closeQuietly(id, o.handle, "owner gone");
            }
        });
    }

    int size() {
        return handles.size();
    }

    /** Closes every handle (server shutdown). */
    void closeAll() {
        for (Long id : handles.keySet()) {
            Owned o = handles.remove(id);
            if (o != null) {
                closeQuietly(id, o.handle, "shutdown");
            }
        }
    }

    private static void closeQuietly(long id, Handle h, String why) {
        if (h instanceof OpenedFile f) {
            try {
                f.file().close();
            } catch (FsException | RuntimeException e) {
                LOG.warn("closing handle {} ({}): {}", id, why, e.toString());
            }
        }
    }
}
