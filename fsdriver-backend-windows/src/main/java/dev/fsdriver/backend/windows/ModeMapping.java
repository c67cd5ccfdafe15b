package dev.fsdriver.backend.windows;

import dev.fsdriver.common.FileMode;

/**
 * POSIX mode, uid and gid from Windows attributes, the way drvfs shows them:
 * <ul>
 *   <li>without metadata: every file gets rwx for user, group and other less the share's umask
 *       (default 022), and FILE_ATTRIBUTE_READONLY removes all w bits; uid/gid are the share's
 *       configured owner;</li>
 *   <li>with WSL metadata ($LXMOD/$LXUID/$LXGID present): those values, except that the file
 *       type always comes from what the file really is, and READONLY still removes w bits
 *       (Windows would refuse the write anyway).</li>
 * </ul>
 * Reparse points: LX_SYMLINK, native symlinks and junctions are S_IFLNK 0777; WSL's LX_FIFO,
 * LX_CHR, LX_BLK and AF_UNIX tags give the special file types.
 */
public final class ModeMapping {
    private final int uid;
    private final int gid;
    private final int umask;

    public ModeMapping(int uid, int gid, int umask) {
        this.uid = uid;
        this.gid = gid;
        this.umask = umask & 0777;
    }

    public int uid(LxEa.Metadata m) {
        return m.uid() != null ? m.uid() : uid;
    }

    public int gid(LxEa.Metadata m) {
        return m.gid() != null ? m.gid() : gid;
    }

    /** The file type bits (S_IFMT part) for these attributes and reparse tag. */
    public static int type(int attributes, int reparseTag) {
        if ((attributes & WinAttributes.FILE_ATTRIBUTE_REPARSE_POINT) != 0) {
            switch (reparseTag) {
                case WinAttributes.IO_REPARSE_TAG_LX_SYMLINK, WinAttributes.IO_REPARSE_TAG_SYMLINK,
                     WinAttributes.IO_REPARSE_TAG_MOUNT_POINT -> {
                    return FileMode.S_IFLNK;
                }
                case WinAttributes.IO_REPARSE_TAG_LX_FIFO -> {
                    return FileMode.S_IFIFO;
                }
                case WinAttributes.IO_REPARSE_TAG_LX_CHR -> {
                    return FileMode.S_IFCHR;
                }
                case WinAttributes.IO_REPARSE_TAG_LX_BLK -> {
                    return FileMode.S_IFBLK;
                }
                case WinAttributes.IO_REPARSE_TAG_AF_UNIX -> {
                    return FileMode.S_IFSOCK;
                }
                default -> { } // other reparse points (OneDrive, dedup, ...) read as what they contain
            }
        }
        return (attributes & WinAttributes.FILE_ATTRIBUTE_DIRECTORY) != 0 ? FileMode.S_IFDIR : FileMode.S_IFREG;
    }

    /** st_mode for attributes + reparse tag + metadata (Metadata.NONE when metadata is off or absent). */
    public int mode(int attributes, int reparseTag, LxEa.Metadata m) {
        int type = type(attributes, reparseTag);
        if (type == FileMode.S_IFLNK) {
            return FileMode.S_IFLNK | 0777;
        }
        int perm = m.mode() != null ? m.mode() & FileMode.PERMISSIONS : 0777 & ~umask;
        // On directories READONLY does not stop writes (Explorer uses it to mark customised folders).
        if ((attributes & WinAttributes.FILE_ATTRIBUTE_READONLY) != 0 && type != FileMode.S_IFDIR) {
            perm &= ~0222;
        }
        return type | perm;
    }

    /** Attributes FILE_BASIC_INFO may set (READONLY, HIDDEN, SYSTEM, ARCHIVE, TEMPORARY, OFFLINE, NOT_CONTENT_INDEXED). */
    static final int SETTABLE = 0x1 | 0x2 | 0x4 | 0x20 | 0x100 | 0x1000 | 0x2000;

    /**
     * The attributes to set for chmod to {@code newMode} of a file (not a directory, whose
     * attributes chmod leaves alone: returns -1): READONLY exactly when all write bits are clear.
     * Only settable attributes are kept, and never 0 (0 means "unchanged" in FILE_BASIC_INFO): a
     * file left with no attribute gets FILE_ATTRIBUTE_NORMAL, which is only valid alone.
     */
    public static int attributesForChmod(int attributes, boolean directory, int newMode) {
        if (directory) {
            return -1;
        }
        int a = (newMode & 0222) == 0
                ? attributes | WinAttributes.FILE_ATTRIBUTE_READONLY
                : attributes & ~WinAttributes.FILE_ATTRIBUTE_READONLY;
        a &= SETTABLE;
        return a == 0 ? WinAttributes.FILE_ATTRIBUTE_NORMAL : a;
    }

    /** Creation attributes for a new file with permission bits {@code mode}. */
    public static int attributesForCreate(int mode) {
        return (mode & 0222) == 0 ? WinAttributes.FILE_ATTRIBUTE_READONLY : WinAttributes.FILE_ATTRIBUTE_NORMAL;
    }
}
