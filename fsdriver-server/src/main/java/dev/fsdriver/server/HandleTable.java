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
 * bounded, looked up by type.
 * Lock-free (a concurrent map); {@link OpenFile#close()} runs exactly once, on release or
 * when the server closes.
 */
final class HandleTable {
    private static final Logger LOG = LoggerFactory.getLogger(HandleTable.class);

    sealed interface Handle permits FileHandle, DirHandle {
        long node();
    }

    /** An open regular file; {@code flags} are its open(2) flags, {@code ino} its inode at open. */
    record FileHandle(long node, OpenFile file, int flags, long ino) implements Handle {}

    /** An open directory (OPENDIR): bookkeeping only, listing goes by node and cursor. */
    record DirHandle(long node) implements Handle {}

    private final ConcurrentHashMap<Long, Handle> handles = new ConcurrentHashMap<>();
    /** Not reused across server restarts either: a stale handle is EBADF, never another file. */
    private final AtomicLong next = new AtomicLong(NodeTable.instanceBase());
    private final int max;

    HandleTable(int max) {
        this.max = max;
    }

    /** Registers {@code h}; EMFILE when {@code max} handles are open (the caller closes h). */
    long add(Handle h) throws FsException {
        if (handles.size() >= max) {
            throw new FsException(Errno.EMFILE, max + " handles open on this share");
        }
        long id = next.getAndIncrement();
        handles.put(id, h);
        return id;
    }

    /** The handle {@code id} if it is a {@code type}; EBADF otherwise. */
    <T extends Handle> T get(long id, Class<T> type) throws FsException {
        Handle h = handles.get(id);
        if (!type.isInstance(h)) {
            throw new FsException(Errno.EBADF, h == null ? "unknown handle " + id : "handle " + id + " is not a " + type.getSimpleName());
        }
        return type.cast(h);
    }

    /** Removes and returns handle {@code id}; EBADF if unknown. */
    Handle remove(long id) throws FsException {
        Handle h = handles.remove(id);
        if (h == null) {
            throw new FsException(Errno.EBADF, "unknown handle " + id);
        }
        return h;
    }

    int size() {
        return handles.size();
    }

    /** Closes every handle (server shutdown). */
    void closeAll() {
        for (Long id : handles.keySet()) {
            Handle h = handles.remove(id);
            if (h instanceof FileHandle f) {
                try {
                    f.file().close();
                } catch (FsException | RuntimeException e) {
                    LOG.warn("closing handle {} at shutdown: {}", id, e.toString());
                }
            }
        }
    }
}
