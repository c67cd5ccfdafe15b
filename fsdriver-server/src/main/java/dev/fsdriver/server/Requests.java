package dev.fsdriver.server;

import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.common.Errno;
import dev.fsdriver.common.FileMode;
import dev.fsdriver.common.OpenFlags;
import dev.fsdriver.proto.v1.CreateRequest;
import dev.fsdriver.proto.v1.FsyncRequest;
import dev.fsdriver.proto.v1.LinkRequest;
import dev.fsdriver.proto.v1.LookupRequest;
import dev.fsdriver.proto.v1.MkdirRequest;
import dev.fsdriver.proto.v1.MknodRequest;
import dev.fsdriver.proto.v1.NameRequest;
import dev.fsdriver.proto.v1.OpenManyRequest;
import dev.fsdriver.proto.v1.OpenRequest;
import dev.fsdriver.proto.v1.ReadDirRequest;
import dev.fsdriver.proto.v1.ReadRequest;
import dev.fsdriver.proto.v1.RenameRequest;
import dev.fsdriver.proto.v1.SetAttrRequest;
import dev.fsdriver.proto.v1.SymlinkRequest;
import dev.fsdriver.proto.v1.TimeSpec;
import dev.fsdriver.proto.v1.UnlinkManyRequest;
import dev.fsdriver.proto.v1.WriteExtent;
import dev.fsdriver.proto.v1.WriteRequest;
import dev.fsdriver.protocol.Protocol;
import java.nio.charset.StandardCharsets;

/**
 * What a well-formed request looks like, one method per request message, checked before a
 * handler does anything (the errno is what POSIX gives for the same mistake in the system call):
 *
 * <ul>
 *   <li>names: one component, not empty, ".", "..", no '/' or NUL (EINVAL), at most
 *       {@value #NAME_MAX_BYTES} UTF-8 bytes (ENAMETOOLONG, Linux NAME_MAX);
 *   <li>sizes and offsets are uint64 on the wire: from 2^63 on EFBIG for a file size (truncate),
 *       EINVAL for an offset (pread/pwrite); a write ending beyond 2^63-1 EFBIG;
 *   <li>Read size and Write payload at most max_io_bytes (EINVAL);
 *   <li>modes: permission bits only (07777), else EINVAL; open flags: only Linux open(2) flags,
 *       a valid access mode, no O_CREAT/O_EXCL/O_PATH on Open nor O_DIRECTORY/O_PATH on Create
 *       (EINVAL); rename flags 0, RENAME_NOREPLACE or RENAME_EXCHANGE (EINVAL);
 *   <li>SetAttr: uid/gid -1 ("leave as is") is said by leaving the field out (EINVAL), a
 *       time must say a value or "now" (EINVAL);
 *   <li>symlink target: not empty (ENOENT), no NUL (EINVAL), below PATH_MAX (ENAMETOOLONG);
 *   <li>mknod: a type mknod(2) makes (regular, 0 meaning regular, FIFO, socket), devices and
 *       S_IFDIR EPERM (may_mknod; devices are out of scope), other types EINVAL; the type and
 *       permission bits only (EINVAL).
 * </ul>
 *
 * Node ids and handles are checked where they are looked up (ESTALE, ENOENT, EBADF).
 * ReadDir's max_entries is not refused but clamped ({@link #pageSize}).
 */
final class Requests {
    /** WriteRequest.earlier: more than a client's write-behind holds (16) is a malformed request. */
    static final int MAX_WRITE_RANGES = 64;

    static final int NAME_MAX_BYTES = 255;
    /** PATH_MAX less its NUL: the longest symlink target Linux stores. */
    static final int TARGET_MAX_BYTES = 4095;
    /** The kernel's __FMODE_EXEC: set in f_flags of an open for execve, passed on by FUSE. */
    static final int FMODE_EXEC = 040;
    /** FASYNC and the kernel's __FMODE_NONOTIFY (fanotify's own opens). */
    static final int FASYNC = 020000;
    static final int FMODE_NONOTIFY = 0400000000;
    /** Every flag Linux open(2) knows (x86-64), plus the two the kernel adds itself. */
    static final int OPEN_FLAGS = OpenFlags.O_ACCMODE | OpenFlags.O_CREAT | OpenFlags.O_EXCL
            | OpenFlags.O_NOCTTY | OpenFlags.O_TRUNC | OpenFlags.O_APPEND | OpenFlags.O_NONBLOCK
            | OpenFlags.O_DSYNC | FASYNC | OpenFlags.O_DIRECT | OpenFlags.O_LARGEFILE | OpenFlags.O_DIRECTORY
            | OpenFlags.O_NOFOLLOW | OpenFlags.O_NOATIME | OpenFlags.O_CLOEXEC | OpenFlags.O_SYNC
            | OpenFlags.O_PATH | FMODE_EXEC | FMODE_NONOTIFY;

    private Requests() {}

    static void check(LookupRequest r) throws FsException {
        name(r.getName());
    }

    static void check(NameRequest r) throws FsException {
        name(r.getName());
    }

    static void check(SetAttrRequest r) throws FsException {
        if (r.hasSize() && r.getSize() < 0) {
            throw new FsException(Errno.EFBIG, "size " + Long.toUnsignedString(r.getSize()) + " beyond 2^63-1");
        }
        if (r.hasMode()) {
            mode(r.getMode());
        }
        if ((r.hasUid() && r.getUid() == -1) || (r.hasGid() && r.getGid() == -1)) {
            throw new FsException(Errno.EINVAL, "uid/gid 4294967295: leave the field out to keep the owner");
        }
        if (r.hasAtime()) {
            time(r.getAtime());
        }
        if (r.hasMtime()) {
            time(r.getMtime());
        }
    }

    /** ReadDir's page: max_entries (unsigned) clamped to 1..{@link FilesService#MAX_PAGE}, 0 the default. */
    static int pageSize(ReadDirRequest r) {
        long asked = Integer.toUnsignedLong(r.getMaxEntries());
        return asked == 0 ? FilesService.DEFAULT_PAGE : (int) Math.min(asked, FilesService.MAX_PAGE);
    }

    static void check(OpenRequest r) throws FsException {
        int flags = openFlags(r.getFlags());
        if ((flags & (OpenFlags.O_CREAT | OpenFlags.O_EXCL | OpenFlags.O_PATH)) != 0) {
            throw new FsException(Errno.EINVAL, "open flags 0" + Integer.toOctalString(flags)
                    + ": O_CREAT/O_EXCL belong to Create, O_PATH is not served");
        }
    }

    /** Most nodes one OpenMany may name. */
    static final int MAX_OPEN_MANY = 64;

    static void check(OpenManyRequest r) throws FsException {
        if (r.getNodesCount() < 1 || r.getNodesCount() > MAX_OPEN_MANY) {
            throw new FsException(Errno.EINVAL, "OpenMany of " + r.getNodesCount() + " nodes: 1 to " + MAX_OPEN_MANY);
        }
        if (r.getInlineMax() < 1 || r.getInlineMax() > Protocol.MAX_IO_BYTES) {
            throw new FsException(Errno.EINVAL, "OpenMany inline_max " + Integer.toUnsignedString(r.getInlineMax())
                    + ": 1 to " + Protocol.MAX_IO_BYTES);
        }
    }

    /** Most unlinks one UnlinkMany may carry (a client holds at most 1,024). */
    static final int MAX_UNLINK_MANY = 4096;

    static void check(UnlinkManyRequest r) throws FsException {
        if (r.getUnlinksCount() < 1 || r.getUnlinksCount() > MAX_UNLINK_MANY) {
            throw new FsException(Errno.EINVAL, "UnlinkMany of " + r.getUnlinksCount() + " names: 1 to " + MAX_UNLINK_MANY);
        }
    }

    static void check(FsyncRequest r) throws FsException {
        if (r.getHandle() != 0 && r.getDir() != 0) {
            throw new FsException(Errno.EINVAL, "Fsync names a handle and a directory");
        }
        if (r.getHandle() == 0 && r.getAlsoDir() != 0) {
            throw new FsException(Errno.EINVAL, "Fsync names a directory to sync after no file");
        }
    }

    static void check(ReadRequest r) throws FsException {
        ioSize(Integer.toUnsignedLong(r.getSize()), "read");
        offset(r.getOffset());
    }

    static void check(WriteRequest r) throws FsException {
        if (r.getEarlierCount() > MAX_WRITE_RANGES) {
            throw new FsException(Errno.EINVAL, "write of " + r.getEarlierCount() + " earlier ranges (at most " + MAX_WRITE_RANGES + ")");
        }
        long total = r.getData().size();
        for (WriteExtent e : r.getEarlierList()) {
            total += e.getData().size();
            range(e.getOffset(), e.getData().size());
        }
        ioSize(total, "write");
        range(r.getOffset(), r.getData().size());
    }

    private static void range(long offset, long size) throws FsException {
        if (offset(offset) > Long.MAX_VALUE - size) {
            throw new FsException(Errno.EFBIG, "write of " + size + " bytes at " + offset + " ends beyond 2^63-1");
        }
    }

    static void check(CreateRequest r) throws FsException {
        name(r.getName());
        mode(r.getMode());
        int flags = openFlags(r.getFlags());
        if ((flags & (OpenFlags.O_DIRECTORY | OpenFlags.O_PATH)) != 0) {
            throw new FsException(Errno.EINVAL, "create flags 0" + Integer.toOctalString(flags)
                    + ": O_DIRECTORY and O_PATH cannot create a file");
        }
    }

    static void check(MkdirRequest r) throws FsException {
        name(r.getName());
        mode(r.getMode());
    }

    static void check(MknodRequest r) throws FsException {
        name(r.getName());
        int mode = r.getMode();
        if ((mode & ~(FileMode.S_IFMT | FileMode.PERMISSIONS)) != 0) {
            throw new FsException(Errno.EINVAL, "mknod mode 0" + Integer.toOctalString(mode) + " has bits beyond the type and 07777");
        }
        switch (mode & FileMode.S_IFMT) {
            case 0, FileMode.S_IFREG, FileMode.S_IFIFO, FileMode.S_IFSOCK -> { }
            case FileMode.S_IFCHR, FileMode.S_IFBLK ->
                    throw new FsException(Errno.EPERM, "mknod: device nodes cannot be made through fsdriver");
            case FileMode.S_IFDIR -> throw new FsException(Errno.EPERM, "mknod of a directory: that is Mkdir");
            default -> throw new FsException(Errno.EINVAL, "mknod type 0" + Integer.toOctalString(mode & FileMode.S_IFMT));
        }
    }

    static void check(RenameRequest r) throws FsException {
        name(r.getName());
        name(r.getNewName());
        int f = r.getFlags();
        if (f != 0 && f != OpenFlags.RENAME_NOREPLACE && f != OpenFlags.RENAME_EXCHANGE) {
            throw new FsException(Errno.EINVAL, "rename flags " + Integer.toUnsignedString(f)
                    + " (0, RENAME_NOREPLACE or RENAME_EXCHANGE)");
        }
    }

    static void check(LinkRequest r) throws FsException {
        name(r.getNewName());
    }

    static void check(SymlinkRequest r) throws FsException {
        name(r.getName());
        String t = r.getTarget();
        if (t.isEmpty()) {
            throw new FsException(Errno.ENOENT, "empty symlink target");
        }
        if (t.indexOf(0) >= 0) {
            throw new FsException(Errno.EINVAL, "symlink target contains NUL");
        }
        if (t.getBytes(StandardCharsets.UTF_8).length > TARGET_MAX_BYTES) {
            throw new FsException(Errno.ENAMETOOLONG, "symlink target longer than " + TARGET_MAX_BYTES + " bytes");
        }
    }

    // ------------------------------------------------------------------------------- fields

    static void name(String name) throws FsException {
        RelPath.checkName(name);
        if (name.length() * 3L > NAME_MAX_BYTES && name.getBytes(StandardCharsets.UTF_8).length > NAME_MAX_BYTES) {
            throw new FsException(Errno.ENAMETOOLONG, "name longer than " + NAME_MAX_BYTES + " bytes");
        }
    }

    private static void mode(int mode) throws FsException {
        if ((mode & ~FileMode.PERMISSIONS) != 0) {
            throw new FsException(Errno.EINVAL, "mode 0" + Integer.toOctalString(mode) + " has bits beyond 07777");
        }
    }

    private static int openFlags(int flags) throws FsException {
        if ((flags & ~OPEN_FLAGS) != 0 || (flags & OpenFlags.O_ACCMODE) == OpenFlags.O_ACCMODE) {
            throw new FsException(Errno.EINVAL, "open flags 0" + Integer.toOctalString(flags)
                    + ": unknown bits or access mode 3");
        }
        return flags;
    }

    private static long offset(long offset) throws FsException {
        if (offset < 0) {
            throw new FsException(Errno.EINVAL, "offset " + Long.toUnsignedString(offset) + " beyond 2^63-1");
        }
        return offset;
    }

    private static void ioSize(long size, String what) throws FsException {
        if (size > Protocol.MAX_IO_BYTES) {
            throw new FsException(Errno.EINVAL, what + " of " + size + " bytes (max_io_bytes " + Protocol.MAX_IO_BYTES + ")");
        }
    }

    private static void time(TimeSpec t) throws FsException {
        if (t.getKindCase() == TimeSpec.KindCase.KIND_NOT_SET
                || (t.getKindCase() == TimeSpec.KindCase.NOW && !t.getNow())) {
            throw new FsException(Errno.EINVAL, "a time must give ns or now = true");
        }
    }
}
