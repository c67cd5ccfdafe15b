package dev.fsdriver.fuse;

import dev.fsdriver.common.Errno;

/**
 * A {@link FuseFileSystem} that answers every request on the thread that asks: its lookup,
 * getattr, setattr, unlink and rmdir return (or throw), and this adapter answers their
 * {@link FuseFileSystem.Reply} with that at once. For examples, tests and backends that do their
 * work in the call; a file system that waits on a remote reply implements the reply forms itself.
 * A method not implemented answers ENOSYS, as in {@link FuseFileSystem}.
 */
public interface BlockingFileSystem extends FuseFileSystem {
    default FuseEntry lookup(FuseRequest req, long parent, String name) throws FuseException {
        throw new FuseException(Errno.ENOSYS);
    }

    /** @param fh the open file the request came through, or -1 */
    default FuseAttrReply getattr(FuseRequest req, long nodeId, long fh) throws FuseException {
        throw new FuseException(Errno.ENOSYS);
    }

    default FuseAttrReply setattr(FuseRequest req, long nodeId, FuseSetAttr changes) throws FuseException {
        throw new FuseException(Errno.ENOSYS);
    }

    default void unlink(FuseRequest req, long parent, String name) throws FuseException {
        throw new FuseException(Errno.ENOSYS);
    }

    default void rmdir(FuseRequest req, long parent, String name) throws FuseException {
        throw new FuseException(Errno.ENOSYS);
    }

    @Override
    default void lookup(FuseRequest req, long parent, String name, Reply<FuseEntry> reply) throws FuseException {
        reply.done(lookup(req, parent, name));
    }

    @Override
    default void getattr(FuseRequest req, long nodeId, long fh, Reply<FuseAttrReply> reply) throws FuseException {
        reply.done(getattr(req, nodeId, fh));
    }

    @Override
    default void setattr(FuseRequest req, long nodeId, FuseSetAttr changes, Reply<FuseAttrReply> reply)
            throws FuseException {
        reply.done(setattr(req, nodeId, changes));
    }

    @Override
    default void unlink(FuseRequest req, long parent, String name, Reply<Void> done) throws FuseException {
        unlink(req, parent, name);
        done.done(null);
    }

    @Override
    default void rmdir(FuseRequest req, long parent, String name, Reply<Void> done) throws FuseException {
        rmdir(req, parent, name);
        done.done(null);
    }
}
