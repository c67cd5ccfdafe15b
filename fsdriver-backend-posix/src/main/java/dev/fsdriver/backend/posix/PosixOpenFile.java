package dev.fsdriver.backend.posix;

import dev.fsdriver.backend.CloseOnLastUse;
import dev.fsdriver.backend.FileAttributes;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.OpenFile;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.common.Errno;
import dev.fsdriver.common.OpenFlags;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.Set;

/**
 * An open regular file of the portable mode (no native layer: {@link NioCalls}; the native mode's
 * is {@link NativeOpenFile}) over a {@link FileChannel}: positional reads and writes, so one
 * instance serves concurrent requests without a lock. O_APPEND writes go through the channel's
 * own append position (the kernel appends atomically), ignoring the offset asked.
 * Every use of the channel is bracketed by {@link #inUse} (B8): a release while a read or write
 * is in flight closes the channel after it, instead of failing it with an
 * AsynchronousCloseException halfway (the JDK itself already keeps the fd number from being reused
 * under a running call); later calls are EBADF.
 */
final class PosixOpenFile implements OpenFile {
    private final PosixBackend backend;
    /** Share-relative path at open: for messages and for stat() while it still names this file. */
    private final RelPath path;
    private final FileChannel channel;
    private final boolean append;
    /** The channel itself appends (opened with APPEND: write-only O_APPEND). */
    private final boolean appending;
    /** Attributes at open: the fallback for stat() once the path no longer names this file. */
    private final FileAttributes opened;
    private final CloseOnLastUse inUse;

    /** {@code appending}: the channel was opened with APPEND (see {@link #appendAtSize}). */
    PosixOpenFile(PosixBackend backend, RelPath path, FileChannel channel, boolean append, boolean appending,
            FileAttributes opened) {
        this.backend = backend;
        this.path = path;
        this.channel = channel;
        this.append = append;
        this.appending = appending;
        this.opened = opened;
        this.inUse = new CloseOnLastUse(this::closeChannel);
    }

    @Override
    public int read(long offset, ByteBuffer dst) throws FsException {
        inUse.enter();
        try {
            return readNow(offset, dst);
        } finally {
            inUse.exit();
        }
    }

    private int readNow(long offset, ByteBuffer dst) throws FsException {
        if (opened.isDirectory() && dst.hasRemaining()) {
            // read(2)'s EISDIR: java.nio says it only in text (PosixErrors)
            throw new FsException(Errno.EISDIR, "read '" + path + "'");
        }
        try {
            int total = 0;
            while (dst.hasRemaining()) {
                int n = channel.read(dst, offset + total);
                if (n <= 0) {
                    break;
                }
                total += n;
            }
            return total;
        } catch (IOException | NonReadableChannelException e) {
            throw PosixErrors.translate("read", path, e);
        }
    }

    @Override
    public int write(long offset, ByteBuffer src) throws FsException {
        inUse.enter();
        try {
            return writeNow(offset, src);
        } finally {
            inUse.exit();
        }
    }

    private int writeNow(long offset, ByteBuffer src) throws FsException {
        try {
            if (append && !appending) {
                return appendAtSize(src);
            }
            int total = 0;
            while (src.hasRemaining()) {
                total += append ? channel.write(src) : channel.write(src, offset + total);
            }
            return total;
        } catch (IOException | NonWritableChannelException e) {
            throw PosixErrors.translate("write", path, e);
        }
    }

    /**
     * O_RDWR|O_APPEND: the channel cannot be in append mode (java.nio forbids it with READ), so
     * the write goes at the current size. Atomic against this handle's other writes (the lock),
     * not against other writers of the file: the one difference from a kernel O_APPEND.
     */
    private synchronized int appendAtSize(ByteBuffer src) throws IOException {
        long at = channel.size();
        int total = 0;
        while (src.hasRemaining()) {
            total += channel.write(src, at + total);
        }
        return total;
    }

    /**
     * java.nio has no fstat: lstat of the path while it still names this file (same inode),
     * else the attributes at open with the live size.
     */
    @Override
    public FileAttributes stat() throws FsException {
        inUse.enter();
        try {
            return statNow();
        } finally {
            inUse.exit();
        }
    }

    private FileAttributes statNow() throws FsException {
        try {
            FileAttributes a = backend.stat(path);
            if (a.sameFile(opened)) {
                return a;
            }
        } catch (FsException e) {
            // renamed away or unlinked while open: fall through
        }
        try {
            long size = channel.size();
            return new FileAttributes(opened.ino(), opened.mode(), opened.nlink(), opened.uid(), opened.gid(), size,
                    (size + 511) / 512, opened.atimeNs(), opened.mtimeNs(), opened.ctimeNs(), opened.blksize(), opened.rdev(),
                    opened.generation());
        } catch (IOException e) {
            throw PosixErrors.translate("fstat", path, e);
        }
    }

    @Override
    public void truncate(long size) throws FsException {
        inUse.enter();
        try {
            truncateNow(size);
        } finally {
            inUse.exit();
        }
    }

    private void truncateNow(long size) throws FsException {
        try {
            truncate(channel, size);
        } catch (IOException | NonWritableChannelException e) {
            throw PosixErrors.translate("truncate", path, e);
        }
    }

    @Override
    public void sync(boolean dataOnly) throws FsException {
        inUse.enter();
        try {
            syncNow(dataOnly);
        } finally {
            inUse.exit();
        }
    }

    private void syncNow(boolean dataOnly) throws FsException {
        try {
            channel.force(!dataOnly);
        } catch (IOException e) {
            throw PosixErrors.translate("fsync", path, e);
        }
    }

    @Override
    public void close() throws FsException {
        inUse.close();
    }

    private void closeChannel() throws FsException {
        try {
            channel.close();
        } catch (IOException e) {
            throw PosixErrors.translate("close", path, e);
        }
    }

    /** The java.nio options of open(2) flags, never following a final symlink. */
    static Set<OpenOption> options(int flags) {
        Set<OpenOption> opts = new HashSet<>();
        opts.add(LinkOption.NOFOLLOW_LINKS);
        if (OpenFlags.readable(flags)) {
            opts.add(StandardOpenOption.READ);
        }
        if (OpenFlags.writable(flags)) {
            opts.add(StandardOpenOption.WRITE);
        }
        // java.nio refuses READ with APPEND (IllegalArgumentException): O_RDWR|O_APPEND is opened
        // without it and PosixOpenFile appends at the size itself
        if ((flags & OpenFlags.O_APPEND) != 0 && OpenFlags.writable(flags) && !OpenFlags.readable(flags)) {
            opts.add(StandardOpenOption.APPEND);
        }
        if ((flags & OpenFlags.O_SYNC) == OpenFlags.O_SYNC) {
            opts.add(StandardOpenOption.SYNC);
        } else if ((flags & OpenFlags.O_DSYNC) != 0) {
            opts.add(StandardOpenOption.DSYNC);
        }
        return opts;
    }

    /** ftruncate semantics (FileChannel.truncate only shrinks): grows by writing a zero byte at the end. */
    static void truncate(FileChannel ch, long size) throws IOException {
        long cur = ch.size();
        if (size < cur) {
            ch.truncate(size);
        } else if (size > cur) {
            ch.write(ByteBuffer.wrap(new byte[1]), size - 1);
        }
    }
}
