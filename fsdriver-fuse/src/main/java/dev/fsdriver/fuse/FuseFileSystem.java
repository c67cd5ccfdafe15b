package dev.fsdriver.fuse;

import dev.fsdriver.common.Errno;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.IntConsumer;
import java.util.function.UnaryOperator;

/**
 * A file system as the kernel sees it: one method per FUSE operation, named after it, working
 * on node ids chosen by the file system ({@link #ROOT_ID} is the root) and file handles chosen
 * by it too.
 *
 * <p>Errors: throw {@link FuseException} with an errno. Every method not implemented answers
 * ENOSYS (the kernel then stops asking for some operations, e.g. ACCESS, FLUSH, LSEEK). Any
 * other exception becomes EIO and is logged, {@link UnsupportedOperationException} becomes
 * ENOSYS.
 *
 * <p>Threads: methods are called concurrently from the session's request threads, also for
 * the same node; the file system does its own locking. Buffers passed in are valid only for the
 * duration of the call. A method may block (for I/O to a server); the session has enough
 * threads that blocking one request does not stall the others.
 *
 * <p>Answers given later: lookup, getattr, setattr, unlink and rmdir answer through a
 * {@link Reply} (unlink and rmdir a {@code Reply<Void>}), possibly later and from another thread:
 * a file system that waits on a remote call answers from the thread the remote reply arrives on,
 * so the request thread neither waits nor needs waking (one context switch less per request).
 * A file system that answers at once implements {@link BlockingFileSystem}, whose plain methods
 * return; {@link Reply#await} calls one of these operations and waits for its answer.
 *
 * <p>Notifications to the kernel go through {@link FuseNotifier}, which the file system gets in
 * {@link #init}; see there for the rule on locks.
 */
public interface FuseFileSystem {
    long ROOT_ID = 1;

    /** Called once the kernel and the session agreed on the protocol, before any other method. */
    default void init(FuseConnection connection) {}

    /** Called when the file system is unmounted (FUSE_DESTROY or the session closing). */
    default void destroy() {}

    /**
     * Answers {@code reply} with the entry of {@code name} in {@code parent}: possibly later and
     * from another thread. Either throws (then {@code reply} is not answered) or answers it once.
     */
    default void lookup(FuseRequest req, long parent, String name, Reply<FuseEntry> reply) throws FuseException {
        throw new FuseException(Errno.ENOSYS);
    }

    /** The kernel drops {@code nlookup} references to {@code nodeId}; no answer is sent. */
    default void forget(long nodeId, long nlookup) {}

    /**
     * Answers {@code reply} with the attributes of {@code nodeId}, as {@link #lookup} does.
     *
     * @param fh the open file the request came through, or -1
     */
    default void getattr(FuseRequest req, long nodeId, long fh, Reply<FuseAttrReply> reply) throws FuseException {
        throw new FuseException(Errno.ENOSYS);
    }

    /** Changes attributes of {@code nodeId}; answers {@code reply} with the new ones, as {@link #lookup} does. */
    default void setattr(FuseRequest req, long nodeId, FuseSetAttr changes, Reply<FuseAttrReply> reply)
            throws FuseException {
        throw new FuseException(Errno.ENOSYS);
    }

    default String readlink(FuseRequest req, long nodeId) throws FuseException {
        throw new FuseException(Errno.ENOSYS);
    }

    default FuseEntry symlink(FuseRequest req, long parent, String name, String target) throws FuseException {
        throw new FuseException(Errno.ENOSYS);
    }

    /** @param mode type and permission bits, umask not yet applied; see {@code umask} */
    default FuseEntry mknod(FuseRequest req, long parent, String name, int mode, int rdev, int umask)
            throws FuseException {
        throw new FuseException(Errno.ENOSYS);
    }

    default FuseEntry mkdir(FuseRequest req, long parent, String name, int mode, int umask) throws FuseException {
        throw new FuseException(Errno.ENOSYS);
    }

    /** Removes the file {@code name} from {@code parent}; answers {@code done}, as {@link #lookup} does. */
    default void unlink(FuseRequest req, long parent, String name, Reply<Void> done) throws FuseException {
        throw new FuseException(Errno.ENOSYS);
    }

    /** Removes the empty directory {@code name} from {@code parent}; answers {@code done}, as {@link #lookup} does. */
    default void rmdir(FuseRequest req, long parent, String name, Reply<Void> done) throws FuseException {
        throw new FuseException(Errno.ENOSYS);
    }

    /**
     * How an operation with an answer reports it later: {@code done(value)} or {@code failed(errno)},
     * exactly once, from any thread.
     */
    interface Reply<T> {
        void done(T value);

        void failed(int errno);

        /** Answers a reply without a value: {@code errno} 0 is success. */
        static void answer(Reply<Void> reply, int errno) {
            if (errno == 0) {
                reply.done(null);
            } else {
                reply.failed(errno);
            }
        }

        /** A reply without a value that tells its outcome to {@code outcome} as one errno, 0 for success. */
        static Reply<Void> ofErrno(IntConsumer outcome) {
            return new Reply<>() {
                @Override
                public void done(Void none) {
                    outcome.accept(0);
                }

                @Override
                public void failed(int errno) {
                    outcome.accept(errno);
                }
            };
        }

        /**
         * Calls an operation answered through a reply and waits for its answer: for tests and for
         * callers that may block, never on the thread the answer arrives on (a transport's). E.g.
         * {@code FuseEntry e = Reply.await(r -> fs.lookup(req, parent, name, r))}.
         *
         * @return the value the operation answered
         * @throws FuseException what the operation threw, or its failure's errno (EINTR when the
         *                       waiting thread is interrupted; its interrupt flag stays set)
         */
        static <T> T await(Call<T> call) throws FuseException {
            AwaitedReply<T> answer = new AwaitedReply<>();
            call.start(answer);
            return answer.get();
        }

        /** Starts an operation answered through {@code reply}; see {@link #await}. */
        @FunctionalInterface
        interface Call<T> {
            void start(Reply<T> reply) throws FuseException;
        }

        /** A reply that gives {@code to} what {@code f} makes of the value; a failure passes unchanged. */
        static <T> Reply<T> mapped(Reply<T> to, UnaryOperator<T> f) {
            return new Reply<>() {
                @Override
                public void done(T value) {
                    to.done(f.apply(value));
                }

                @Override
                public void failed(int errno) {
                    to.failed(errno);
                }
            };
        }
    }

    /** @param flags RENAME_NOREPLACE / RENAME_EXCHANGE (see {@code OpenFlags}), 0 for plain rename */
    default void rename(FuseRequest req, long parent, String name, long newParent, String newName, int flags)
            throws FuseException {
        throw new FuseException(Errno.ENOSYS);
    }

    default FuseEntry link(FuseRequest req, long nodeId, long newParent, String newName) throws FuseException {
        throw new FuseException(Errno.ENOSYS);
    }

    /** @param flags open(2) flags (O_CREAT, O_EXCL, O_NOCTTY already handled by the kernel) */
    default FuseOpen open(FuseRequest req, long nodeId, int flags) throws FuseException {
        throw new FuseException(Errno.ENOSYS);
    }

    /**
     * {@link #open(FuseRequest, long, int)} as the session calls it. {@code killSuidgid}: with
     * FUSE_HANDLE_KILLPRIV(_V2), an O_TRUNC open by a caller without CAP_FSETID, whose set-id
     * bits the file system is to clear (FUSE_OPEN_KILL_SUIDGID).
     */
    default FuseOpen open(FuseRequest req, long nodeId, int flags, boolean killSuidgid) throws FuseException {
        return open(req, nodeId, flags);
    }

    /**
     * Reads up to {@code size} bytes at {@code offset} into {@code dst} (position 0, limit =
     * size). Returns the number of bytes put there; fewer than asked means end of file (unless
     * the file was opened with direct_io).
     */
    default int read(FuseRequest req, long nodeId, long fh, long offset, int size, ByteBuffer dst)
            throws FuseException {
        throw new FuseException(Errno.ENOSYS);
    }

    /**
     * Writes the remaining bytes of {@code src} at {@code offset}; returns how many were
     * written. {@code src} is the session's buffer: copy what must outlive the call.
     *
     * @param writeFlags FUSE_WRITE_* flags (bit 0: write from the page cache / writeback; with
     *                   FUSE_HANDLE_KILLPRIV(_V2) {@code FuseKernel.WRITE_KILL_SUIDGID}: the writer
     *                   lacks CAP_FSETID, the file system is to clear the set-id bits)
     */
    default int write(FuseRequest req, long nodeId, long fh, long offset, ByteBuffer src, int writeFlags)
            throws FuseException {
        throw new FuseException(Errno.ENOSYS);
    }

    /** Called on every close(2) of a file descriptor of this open file. */
    default void flush(FuseRequest req, long nodeId, long fh, long lockOwner) throws FuseException {
        throw new FuseException(Errno.ENOSYS);
    }

    /** The last reference to the open file is gone; errors here are not seen by anyone. */
    default void release(FuseRequest req, long nodeId, long fh, int flags) throws FuseException {}

    default void fsync(FuseRequest req, long nodeId, long fh, boolean datasync) throws FuseException {
        throw new FuseException(Errno.ENOSYS);
    }

    default FuseOpen opendir(FuseRequest req, long nodeId, int flags) throws FuseException {
        return FuseOpen.of(0);
    }

    /**
     * Whether directories are listed without OPENDIR and RELEASEDIR (a kernel with
     * FUSE_NO_OPENDIR_SUPPORT, 5.1+): the session answers the first OPENDIR with ENOSYS, after
     * which the kernel sends none for the rest of the connection and keeps every listing it read
     * to its end (as with FOPEN_CACHE_DIR | FOPEN_KEEP_CACHE) until the directory changes through
     * the mount, its mtime as the kernel sees it changes, or FUSE_NOTIFY_INVAL_INODE drops it. Its
     * READDIR(PLUS) then come with handle 0, which the session maps to handles of this file
     * system's own {@link #opendir} and {@link #releasedir} (a handle per listing). Only for a file
     * system that tells the kernel of every change made elsewhere; see {@link #mayKeepListing}.
     * Asked at the first OPENDIR.
     */
    default boolean listsWithoutOpen() {
        return false;
    }

    /**
     * With {@link #listsWithoutOpen}: whether the kernel may keep the listing of {@code nodeId} it
     * has just read to its end; if not, the session drops it (INVAL_INODE) right after answering,
     * so the next listing asks again.
     */
    default boolean mayKeepListing(long nodeId) {
        return true;
    }

    /** Lists entries after {@code offset} (0 = from the start) into {@code filler} until it is full. */
    default void readdir(FuseRequest req, long nodeId, long fh, long offset, DirFiller filler) throws FuseException {
        throw new FuseException(Errno.ENOSYS);
    }

    /** READDIRPLUS: like readdir, with an entry (and lookup count) per name. */
    default void readdirplus(FuseRequest req, long nodeId, long fh, long offset, DirPlusFiller filler)
            throws FuseException {
        throw new FuseException(Errno.ENOSYS);
    }

    default void releasedir(FuseRequest req, long nodeId, long fh) throws FuseException {}

    default void fsyncdir(FuseRequest req, long nodeId, long fh, boolean datasync) throws FuseException {
        throw new FuseException(Errno.ENOSYS);
    }

    default FuseStatfs statfs(FuseRequest req, long nodeId) throws FuseException {
        return new FuseStatfs(0, 0, 0, 0, 0, 512, 255, 512);
    }

    /** @param mask R_OK=4, W_OK=2, X_OK=1, F_OK=0 */
    default void access(FuseRequest req, long nodeId, int mask) throws FuseException {
        throw new FuseException(Errno.ENOSYS);
    }

    /** @param mode type and permission bits, umask not yet applied; see {@code umask} */
    default FuseCreated create(FuseRequest req, long parent, String name, int mode, int flags, int umask)
            throws FuseException {
        throw new FuseException(Errno.ENOSYS);
    }

    default void fallocate(FuseRequest req, long nodeId, long fh, long offset, long length, int mode)
            throws FuseException {
        throw new FuseException(Errno.ENOSYS);
    }

    /** @param whence SEEK_DATA = 3 or SEEK_HOLE = 4 (the kernel handles the others itself) */
    default long lseek(FuseRequest req, long nodeId, long fh, long offset, int whence) throws FuseException {
        throw new FuseException(Errno.ENOSYS);
    }

    default long copyFileRange(FuseRequest req, long nodeIn, long fhIn, long offIn,
                               long nodeOut, long fhOut, long offOut, long length, int flags)
            throws FuseException {
        throw new FuseException(Errno.ENOSYS);
    }

    /**
     * Returns the value of extended attribute {@code name}. The session answers the kernel's
     * size probe (size 0) and ERANGE itself from the returned value's length.
     */
    default byte[] getxattr(FuseRequest req, long nodeId, String name) throws FuseException {
        throw new FuseException(Errno.ENOSYS);
    }

    /** Returns the names of the extended attributes (the session encodes and sizes them). */
    default List<String> listxattr(FuseRequest req, long nodeId) throws FuseException {
        throw new FuseException(Errno.ENOSYS);
    }

    default void setxattr(FuseRequest req, long nodeId, String name, byte[] value, int flags) throws FuseException {
        throw new FuseException(Errno.ENOSYS);
    }

    default void removexattr(FuseRequest req, long nodeId, String name) throws FuseException {
        throw new FuseException(Errno.ENOSYS);
    }
}
