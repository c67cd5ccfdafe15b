package dev.fsdriver.client.events;

import dev.fsdriver.common.Errno;
import dev.fsdriver.fuse.DirFiller;
import dev.fsdriver.fuse.DirPlusFiller;
import dev.fsdriver.fuse.FuseAttrReply;
import dev.fsdriver.fuse.FuseConnection;
import dev.fsdriver.fuse.FuseCreated;
import dev.fsdriver.fuse.FuseEntry;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.fuse.FuseFileSystem;
import dev.fsdriver.fuse.FuseOpen;
import dev.fsdriver.fuse.FuseRequest;
import dev.fsdriver.fuse.FuseSetAttr;
import dev.fsdriver.fuse.FuseStatfs;
import java.nio.ByteBuffer;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The way the kernel's requests take from the events layer to the server:
 * {@link EventAwareFileSystem} holds this gate, never the remote file system itself, so every
 * request it forwards passes here. The gate guarantees that an injected change notification
 * never reaches the server: a request made by the {@link Injector}'s thread is refused (EIO,
 * logged), whatever it is and whether or not an injection is in progress; the injector's
 * requests are answered locally by {@link InjectionAnswers} or not at all. FORGET carries no
 * request header and passes: it drops a node reference the client holds, it changes no data.
 * Every method of {@link FuseFileSystem} is overridden here (a test checks it), so no default
 * method can reach the delegate around the check.
 *
 * <p>The only other way to the server is what the events layer reads for itself, which has
 * nothing but reads to offer ({@link dev.fsdriver.client.OwnReads}, through {@link ServerReads}).
 */
final class InjectionGate implements FuseFileSystem {
    private static final Logger log = LoggerFactory.getLogger(InjectionGate.class);

    private final FuseFileSystem delegate;
    private final Injector injector;

    /** @param injector null when nothing is injected (only the applier's own requests are checked) */
    InjectionGate(FuseFileSystem delegate, Injector injector) {
        this.delegate = delegate;
        this.injector = injector;
    }

    FuseFileSystem delegate() {
        return delegate;
    }

    /** Whether {@code req} was made by the injector's thread (refused here, whatever it is). */
    boolean fromInjector(FuseRequest req) {
        return injector != null && injector.isInjectorThread(req.pid());
    }

    /** Logs the refused request (what and where) and makes the error the kernel gets. */
    private static FuseException refuse(FuseRequest req, String op, String what) {
        log.warn("refused {} {} from the injector thread (tid {}): a change notification never reaches the server",
                op, what, req.pid());
        return new FuseException(Errno.EIO, op + " from the events layer refused");
    }

    private static String at(long parent, String name) {
        return parent + "/" + name;
    }

    // ---- lifecycle (no request: the session's own calls) ----------------------------------------

    @Override
    public void init(FuseConnection connection) {
        delegate.init(connection);
    }

    @Override
    public void destroy() {
        delegate.destroy();
    }

    @Override
    public void forget(long nodeId, long nlookup) {
        delegate.forget(nodeId, nlookup);
    }

    // ---- reads ----------------------------------------------------------------------------------

    @Override
    public void lookup(FuseRequest req, long parent, String name, Reply<FuseEntry> reply) throws FuseException {
        if (fromInjector(req)) {
            throw refuse(req, "LOOKUP", at(parent, name));
        }
        delegate.lookup(req, parent, name, reply);
    }

    @Override
    public void getattr(FuseRequest req, long nodeId, long fh, Reply<FuseAttrReply> reply) throws FuseException {
        if (fromInjector(req)) {
            throw refuse(req, "GETATTR", "node " + nodeId);
        }
        delegate.getattr(req, nodeId, fh, reply);
    }

    @Override
    public String readlink(FuseRequest req, long nodeId) throws FuseException {
        if (fromInjector(req)) {
            throw refuse(req, "READLINK", "node " + nodeId);
        }
        return delegate.readlink(req, nodeId);
    }

    @Override
    public FuseOpen opendir(FuseRequest req, long nodeId, int flags) throws FuseException {
        if (fromInjector(req)) {
            throw refuse(req, "OPENDIR", "node " + nodeId);
        }
        return delegate.opendir(req, nodeId, flags);
    }

    /** Not a request: how the kernel is to list, asked of the file system behind. */
    @Override
    public boolean listsWithoutOpen() {
        return delegate.listsWithoutOpen();
    }

    @Override
    public boolean mayKeepListing(long nodeId) {
        return delegate.mayKeepListing(nodeId);
    }

    @Override
    public void readdir(FuseRequest req, long nodeId, long fh, long offset, DirFiller filler) throws FuseException {
        if (fromInjector(req)) {
            throw refuse(req, "READDIR", "node " + nodeId);
        }
        delegate.readdir(req, nodeId, fh, offset, filler);
    }

    @Override
    public void readdirplus(FuseRequest req, long nodeId, long fh, long offset, DirPlusFiller filler)
            throws FuseException {
        if (fromInjector(req)) {
            throw refuse(req, "READDIRPLUS", "node " + nodeId);
        }
        delegate.readdirplus(req, nodeId, fh, offset, filler);
    }

    @Override
    public void releasedir(FuseRequest req, long nodeId, long fh) throws FuseException {
        if (fromInjector(req)) {
            throw refuse(req, "RELEASEDIR", "node " + nodeId);
        }
        delegate.releasedir(req, nodeId, fh);
    }

    // ---- everything else may change the server (or belongs to an open file of a program) --------

    @Override
    public void setattr(FuseRequest req, long nodeId, FuseSetAttr changes, Reply<FuseAttrReply> reply)
            throws FuseException {
        if (fromInjector(req)) {
            throw refuse(req, "SETATTR", "node " + nodeId);
        }
        delegate.setattr(req, nodeId, changes, reply);
    }

    @Override
    public FuseEntry symlink(FuseRequest req, long parent, String name, String target) throws FuseException {
        if (fromInjector(req)) {
            throw refuse(req, "SYMLINK", at(parent, name) + " -> " + target);
        }
        return delegate.symlink(req, parent, name, target);
    }

    @Override
    public FuseEntry mknod(FuseRequest req, long parent, String name, int mode, int rdev, int umask)
            throws FuseException {
        if (fromInjector(req)) {
            throw refuse(req, "MKNOD", at(parent, name));
        }
        return delegate.mknod(req, parent, name, mode, rdev, umask);
    }

    @Override
    public FuseEntry mkdir(FuseRequest req, long parent, String name, int mode, int umask) throws FuseException {
        if (fromInjector(req)) {
            throw refuse(req, "MKDIR", at(parent, name));
        }
        return delegate.mkdir(req, parent, name, mode, umask);
    }

    @Override
    public void unlink(FuseRequest req, long parent, String name, Reply<Void> done) throws FuseException {
        if (fromInjector(req)) {
            throw refuse(req, "UNLINK", at(parent, name));
        }
        delegate.unlink(req, parent, name, done);
    }

    @Override
    public void rmdir(FuseRequest req, long parent, String name, Reply<Void> done) throws FuseException {
        if (fromInjector(req)) {
            throw refuse(req, "RMDIR", at(parent, name));
        }
        delegate.rmdir(req, parent, name, done);
    }

    @Override
    public void rename(FuseRequest req, long parent, String name, long newParent, String newName, int flags)
            throws FuseException {
        if (fromInjector(req)) {
            throw refuse(req, "RENAME", at(parent, name) + " -> " + at(newParent, newName) + " flags " + flags);
        }
        delegate.rename(req, parent, name, newParent, newName, flags);
    }

    @Override
    public FuseEntry link(FuseRequest req, long nodeId, long newParent, String newName) throws FuseException {
        if (fromInjector(req)) {
            throw refuse(req, "LINK", "node " + nodeId + " as " + at(newParent, newName));
        }
        return delegate.link(req, nodeId, newParent, newName);
    }

    @Override
    public FuseOpen open(FuseRequest req, long nodeId, int flags) throws FuseException {
        return open(req, nodeId, flags, true);
    }

    @Override
    public FuseOpen open(FuseRequest req, long nodeId, int flags, boolean killSuidgid) throws FuseException {
        if (fromInjector(req)) { // O_TRUNC changes the file
            throw refuse(req, "OPEN", "node " + nodeId);
        }
        return delegate.open(req, nodeId, flags, killSuidgid);
    }

    @Override
    public int read(FuseRequest req, long nodeId, long fh, long offset, int size, ByteBuffer dst)
            throws FuseException {
        if (fromInjector(req)) { // the injector opens no file: a handle is a program's
            throw refuse(req, "READ", "node " + nodeId);
        }
        return delegate.read(req, nodeId, fh, offset, size, dst);
    }

    @Override
    public int write(FuseRequest req, long nodeId, long fh, long offset, ByteBuffer src, int writeFlags)
            throws FuseException {
        if (fromInjector(req)) {
            throw refuse(req, "WRITE", "node " + nodeId);
        }
        return delegate.write(req, nodeId, fh, offset, src, writeFlags);
    }

    @Override
    public void flush(FuseRequest req, long nodeId, long fh, long lockOwner) throws FuseException {
        if (fromInjector(req)) {
            throw refuse(req, "FLUSH", "node " + nodeId);
        }
        delegate.flush(req, nodeId, fh, lockOwner);
    }

    @Override
    public void release(FuseRequest req, long nodeId, long fh, int flags) throws FuseException {
        if (fromInjector(req)) {
            throw refuse(req, "RELEASE", "node " + nodeId);
        }
        delegate.release(req, nodeId, fh, flags);
    }

    @Override
    public void fsync(FuseRequest req, long nodeId, long fh, boolean datasync) throws FuseException {
        if (fromInjector(req)) {
            throw refuse(req, "FSYNC", "node " + nodeId);
        }
        delegate.fsync(req, nodeId, fh, datasync);
    }

    @Override
    public void fsyncdir(FuseRequest req, long nodeId, long fh, boolean datasync) throws FuseException {
        if (fromInjector(req)) {
            throw refuse(req, "FSYNCDIR", "node " + nodeId);
        }
        delegate.fsyncdir(req, nodeId, fh, datasync);
    }

    @Override
    public FuseStatfs statfs(FuseRequest req, long nodeId) throws FuseException {
        if (fromInjector(req)) {
            throw refuse(req, "STATFS", "node " + nodeId);
        }
        return delegate.statfs(req, nodeId);
    }

    @Override
    public void access(FuseRequest req, long nodeId, int mask) throws FuseException {
        if (fromInjector(req)) {
            throw refuse(req, "ACCESS", "node " + nodeId);
        }
        delegate.access(req, nodeId, mask);
    }

    @Override
    public FuseCreated create(FuseRequest req, long parent, String name, int mode, int flags, int umask)
            throws FuseException {
        if (fromInjector(req)) {
            throw refuse(req, "CREATE", at(parent, name));
        }
        return delegate.create(req, parent, name, mode, flags, umask);
    }

    @Override
    public void fallocate(FuseRequest req, long nodeId, long fh, long offset, long length, int mode)
            throws FuseException {
        if (fromInjector(req)) {
            throw refuse(req, "FALLOCATE", "node " + nodeId);
        }
        delegate.fallocate(req, nodeId, fh, offset, length, mode);
    }

    @Override
    public long lseek(FuseRequest req, long nodeId, long fh, long offset, int whence) throws FuseException {
        if (fromInjector(req)) {
            throw refuse(req, "LSEEK", "node " + nodeId);
        }
        return delegate.lseek(req, nodeId, fh, offset, whence);
    }

    @Override
    public long copyFileRange(FuseRequest req, long nodeIn, long fhIn, long offIn, long nodeOut, long fhOut,
                              long offOut, long length, int flags) throws FuseException {
        if (fromInjector(req)) {
            throw refuse(req, "COPY_FILE_RANGE", "node " + nodeIn + " -> node " + nodeOut);
        }
        return delegate.copyFileRange(req, nodeIn, fhIn, offIn, nodeOut, fhOut, offOut, length, flags);
    }

    @Override
    public byte[] getxattr(FuseRequest req, long nodeId, String name) throws FuseException {
        if (fromInjector(req)) {
            throw refuse(req, "GETXATTR", "node " + nodeId + " " + name);
        }
        return delegate.getxattr(req, nodeId, name);
    }

    @Override
    public List<String> listxattr(FuseRequest req, long nodeId) throws FuseException {
        if (fromInjector(req)) {
            throw refuse(req, "LISTXATTR", "node " + nodeId);
        }
        return delegate.listxattr(req, nodeId);
    }

    @Override
    public void setxattr(FuseRequest req, long nodeId, String name, byte[] value, int flags) throws FuseException {
        if (fromInjector(req)) {
            throw refuse(req, "SETXATTR", "node " + nodeId + " " + name);
        }
        delegate.setxattr(req, nodeId, name, value, flags);
    }

    @Override
    public void removexattr(FuseRequest req, long nodeId, String name) throws FuseException {
        if (fromInjector(req)) {
            throw refuse(req, "REMOVEXATTR", "node " + nodeId + " " + name);
        }
        delegate.removexattr(req, nodeId, name);
    }
}
