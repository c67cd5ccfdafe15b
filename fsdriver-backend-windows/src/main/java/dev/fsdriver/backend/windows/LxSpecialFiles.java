package dev.fsdriver.backend.windows;

import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.Owner;
import dev.fsdriver.common.Errno;
import dev.fsdriver.common.FileMode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * What WSL (drvfs -o metadata) writes for new files, as pure logic: the owner in $LXUID/$LXGID,
 * and FIFOs and sockets as reparse points tagged LX_FIFO / AF_UNIX with no data (their type and
 * mode in $LXMOD). Without metadata there is nowhere to keep such a file's mode and owner, so
 * FIFOs and sockets are refused (EPERM) there, like device nodes always.
 */
final class LxSpecialFiles {
    /** REPARSE_DATA_BUFFER header: ReparseTag (u32), ReparseDataLength (u16), Reserved (u16). */
    private static final int HEADER = 8;

    private LxSpecialFiles() {}

    /** The metadata of a new file of {@code mode} (type and permissions): {@code owner}'s, else the share's ids. */
    static LxEa.Metadata metadata(Owner owner, int shareUid, int shareGid, int mode) {
        return new LxEa.Metadata(owner != null ? owner.uid() : shareUid, owner != null ? owner.gid() : shareGid,
                mode, null);
    }

    /** The reparse tag for a new special file of {@code mode}, or the errno why it cannot be made. */
    static int reparseTag(int mode, boolean metadata) throws FsException {
        int type = mode & FileMode.S_IFMT;
        if (type == FileMode.S_IFCHR || type == FileMode.S_IFBLK) {
            throw new FsException(Errno.EPERM, "device nodes cannot be made");
        }
        if (type != FileMode.S_IFIFO && type != FileMode.S_IFSOCK) {
            throw new FsException(Errno.EINVAL, "mknod of type 0" + Integer.toOctalString(type));
        }
        if (!metadata) {
            throw new FsException(Errno.EPERM, (type == FileMode.S_IFIFO ? "FIFOs" : "sockets")
                    + " need the share's metadata option (WSL-style LX reparse points)");
        }
        return type == FileMode.S_IFIFO ? WinAttributes.IO_REPARSE_TAG_LX_FIFO : WinAttributes.IO_REPARSE_TAG_AF_UNIX;
    }

    /** The FSCTL_SET_REPARSE_POINT input for {@code tag} with no data, as WSL writes it. */
    static byte[] reparseData(int tag) {
        return ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN).putInt(tag).putShort((short) 0)
                .putShort((short) 0).array();
    }
}
