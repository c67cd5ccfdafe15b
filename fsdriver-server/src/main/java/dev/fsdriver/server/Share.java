package dev.fsdriver.server;

import dev.fsdriver.backend.Backend;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.common.Errno;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One served share: its backend and the per-share tables the RPC handlers work on. */
final class Share implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Share.class);
    static final int MAX_HANDLES = 65_536;

    final String name;
    final Backend backend;
    final boolean readOnly;
    final NodeTable nodes;
    final HandleTable handles = new HandleTable(MAX_HANDLES);
    final DirSnapshots dirs = new DirSnapshots(256, 500_000);

    Share(String name, Backend backend, boolean readOnly) throws FsException {
        this.name = name;
        this.backend = backend;
        this.readOnly = readOnly;
        this.nodes = new NodeTable(backend.stat(RelPath.ROOT).ino());
    }

    /** EROFS unless this share, and the calling session, may be written. */
    void checkWritable(String op) throws FsException {
        if (readOnly || CallContext.sessionReadOnly()) {
            throw new FsException(Errno.EROFS, op + ": share '" + name + "' is read-only"
                    + (readOnly ? "" : " for this session"));
        }
    }

    @Override
    public void close() {
        handles.closeAll();
        try {
            backend.close();
        } catch (RuntimeException e) {
            LOG.warn("closing share '{}': {}", name, e.toString());
        }
    }
}
