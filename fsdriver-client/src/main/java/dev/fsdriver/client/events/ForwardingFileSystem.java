package dev.fsdriver.client.events;

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

/**
 * A layer of the events stack that passes on what it does not change (the shape of gRPC's
 * ForwardingClientCall): every method of {@link FuseFileSystem} is overridden here (a test
 * checks it), so nothing falls to an interface default (ENOSYS).
 */
abstract class ForwardingFileSystem implements FuseFileSystem {
    private final FuseFileSystem next;

    ForwardingFileSystem(FuseFileSystem next) {
        this.next = next;
    }

    @Override
    public void init(FuseConnection connection) {
        next.init(connection);
    }

    @Override
    public void destroy() {
        next.destroy();
    }

    @Override
    public void lookup(FuseRequest req, long parent, String name, Reply<FuseEntry> reply) throws FuseException {
        next.lookup(req, parent, name, reply);
    }

    @Override
    public void forget(long nodeId, long nlookup) {
        next.forget(nodeId, nlookup);
    }

    @Override
    public void getattr(FuseRequest req, long nodeId, long fh, Reply<FuseAttrReply> reply) throws FuseException {
        next.getattr(req, nodeId, fh, reply);
    }

    @Override
    public void setattr(FuseRequest req, long nodeId, FuseSetAttr changes, Reply<FuseAttrReply> reply)
            throws FuseException {
        next.setattr(req, nodeId, changes, reply);
    }

    @Override
    public String readlink(FuseRequest req, long nodeId) throws FuseException {
        return next.readlink(req, nodeId);
    }

    @Override
    public FuseEntry symlink(FuseRequest req, long parent, String name, String target) throws FuseException {
        return next.symlink(req, parent, name, target);
    }

    @Override
    public FuseEntry mknod(FuseRequest req, long parent, String name, int mode, int rdev, int umask)
            throws FuseException {
        return next.mknod(req, parent, name, mode, rdev, umask);
    }

    @Override
    public FuseEntry mkdir(FuseRequest req, long parent, String name, int mode, int umask) throws FuseException {
        return next.mkdir(req, parent, name, mode, umask);
    }

    @Override
    public void unlink(FuseRequest req, long parent, String name, Reply<Void> done) throws FuseException {
        next.unlink(req, parent, name, done);
    }

    @Override
    public void rmdir(FuseRequest req, long parent, String name, Reply<Void> done) throws FuseException {
        next.rmdir(req, parent, name, done);
    }

    @Override
    public void rename(FuseRequest req, long parent, String name, long newParent, String newName, int flags)
            throws FuseException {
        next.rename(req, parent, name, newParent, newName, flags);
    }

    @Override
    public FuseEntry link(FuseRequest req, long nodeId, long newParent, String newName) throws FuseException {
        return next.link(req, nodeId, newParent, newName);
    }

    @Override
    public FuseOpen open(FuseRequest req, long nodeId, int flags) throws FuseException {
        return next.open(req, nodeId, flags);
    }

    @Override
    public FuseOpen open(FuseRequest req, long nodeId, int flags, boolean killSuidgid) throws FuseException {
        return next.open(req, nodeId, flags, killSuidgid);
    }

    @Override
    public int read(FuseRequest req, long nodeId, long fh, long offset, int size, ByteBuffer dst)
            throws FuseException {
        return next.read(req, nodeId, fh, offset, size, dst);
    }

    @Override
    public int write(FuseRequest req, long nodeId, long fh, long offset, ByteBuffer src, int writeFlags)
            throws FuseException {
        return next.write(req, nodeId, fh, offset, src, writeFlags);
    }

    @Override
    public void flush(FuseRequest req, long nodeId, long fh, long lockOwner) throws FuseException {
        next.flush(req, nodeId, fh, lockOwner);
    }

    @Override
    public void release(FuseRequest req, long nodeId, long fh, int flags) throws FuseException {
        next.release(req, nodeId, fh, flags);
    }

    @Override
    public void fsync(FuseRequest req, long nodeId, long fh, boolean datasync) throws FuseException {
        next.fsync(req, nodeId, fh, datasync);
    }

    @Override
    public FuseOpen opendir(FuseRequest req, long nodeId, int flags) throws FuseException {
        return next.opendir(req, nodeId, flags);
    }

    @Override
    public boolean listsWithoutOpen() {
        return next.listsWithoutOpen();
    }

    @Override
    public boolean mayKeepListing(long nodeId) {
        return next.mayKeepListing(nodeId);
    }

    @Override
    public void readdir(FuseRequest req, long nodeId, long fh, long offset, DirFiller filler) throws FuseException {
        next.readdir(req, nodeId, fh, offset, filler);
    }

    @Override
    public void readdirplus(FuseRequest req, long nodeId, long fh, long offset, DirPlusFiller filler)
            throws FuseException {
        next.readdirplus(req, nodeId, fh, offset, filler);
    }

    @Override
    public void releasedir(FuseRequest req, long nodeId, long fh) throws FuseException {
        next.releasedir(req, nodeId, fh);
    }

    @Override
    public void fsyncdir(FuseRequest req, long nodeId, long fh, boolean datasync) throws FuseException {
        next.fsyncdir(req, nodeId, fh, datasync);
    }

    @Override
    public FuseStatfs statfs(FuseRequest req, long nodeId) throws FuseException {
        return next.statfs(req, nodeId);
    }

    @Override
    public void access(FuseRequest req, long nodeId, int mask) throws FuseException {
        next.access(req, nodeId, mask);
    }

    @Override
    public FuseCreated create(FuseRequest req, long parent, String name, int mode, int flags, int umask)
            throws FuseException {
        return next.create(req, parent, name, mode, flags, umask);
    }

    @Override
    public void fallocate(FuseRequest req, long nodeId, long fh, long offset, long length, int mode)
            throws FuseException {
        next.fallocate(req, nodeId, fh, offset, length, mode);
    }

    @Override
    public long lseek(FuseRequest req, long nodeId, long fh, long offset, int whence) throws FuseException {
        return next.lseek(req, nodeId, fh, offset, whence);
    }

    @Override
    public long copyFileRange(FuseRequest req, long nodeIn, long fhIn, long offIn, long nodeOut, long fhOut,
                              long offOut, long length, int flags) throws FuseException {
        return next.copyFileRange(req, nodeIn, fhIn, offIn, nodeOut, fhOut, offOut, length, flags);
    }

    @Override
    public byte[] getxattr(FuseRequest req, long nodeId, String name) throws FuseException {
        return next.getxattr(req, nodeId, name);
    }

    @Override
    public List<String> listxattr(FuseRequest req, long nodeId) throws FuseException {
        return next.listxattr(req, nodeId);
    }

    @Override
    public void setxattr(FuseRequest req, long nodeId, String name, byte[] value, int flags) throws FuseException {
        next.setxattr(req, nodeId, name, value, flags);
    }

    @Override
    public void removexattr(FuseRequest req, long nodeId, String name) throws FuseException {
        next.removexattr(req, nodeId, name);
    }
}
