package dev.fsdriver.backend.windows;

/** FILE_ATTRIBUTE_* and IO_REPARSE_TAG_* values (winnt.h). */
public final class WinAttributes {
    public static final int FILE_ATTRIBUTE_READONLY = 0x1;
    public static final int FILE_ATTRIBUTE_HIDDEN = 0x2;
    public static final int FILE_ATTRIBUTE_SYSTEM = 0x4;
    public static final int FILE_ATTRIBUTE_DIRECTORY = 0x10;
    public static final int FILE_ATTRIBUTE_ARCHIVE = 0x20;
    public static final int FILE_ATTRIBUTE_NORMAL = 0x80;
    public static final int FILE_ATTRIBUTE_REPARSE_POINT = 0x400;

    public static final int IO_REPARSE_TAG_MOUNT_POINT = 0xA0000003;
    public static final int IO_REPARSE_TAG_SYMLINK = 0xA000000C;
    public static final int IO_REPARSE_TAG_LX_SYMLINK = 0xA000001D;
    public static final int IO_REPARSE_TAG_AF_UNIX = 0x80000023;
    public static final int IO_REPARSE_TAG_LX_FIFO = 0x80000024;
    public static final int IO_REPARSE_TAG_LX_CHR = 0x80000025;
    public static final int IO_REPARSE_TAG_LX_BLK = 0x80000026;
    /** App execution aliases (WindowsApps): only CreateProcess follows them. */
    public static final int IO_REPARSE_TAG_APPEXECLINK = 0x8000001B;
    /** Bit 29 of a tag: the reparse point names another file (symlinks, junctions, LX symlinks). */
    public static final int NAME_SURROGATE_BIT = 0x20000000;

    private WinAttributes() {}

    /** Reparse tags that read as a symbolic link. */
    public static boolean isLinkTag(int tag) {
        return tag == IO_REPARSE_TAG_SYMLINK || tag == IO_REPARSE_TAG_MOUNT_POINT || tag == IO_REPARSE_TAG_LX_SYMLINK;
    }

    /** IsReparseTagNameSurrogate: the reparse point stands for another name (a link of some kind). */
    public static boolean isNameSurrogate(int tag) {
        return (tag & NAME_SURROGATE_BIT) != 0;
    }

    /**
     * B4: true for reparse points that are the file itself, handled by a file system filter
     * (OneDrive/cloud files, WOF compression, deduplication, ...): they must be opened without
     * FILE_OPEN_REPARSE_POINT, or reads see the raw stub and a directory cannot be listed. Name
     * surrogates (links) are never followed, and the WSL special files (FIFO, socket, devices)
     * and app execution aliases have no filter to open them: those stay opened as reparse points.
     */
    public static boolean opensItself(int tag) {
        return !isNameSurrogate(tag) && !isLinkTag(tag) && tag != IO_REPARSE_TAG_LX_FIFO && tag != IO_REPARSE_TAG_LX_CHR
                && tag != IO_REPARSE_TAG_LX_BLK && tag != IO_REPARSE_TAG_AF_UNIX && tag != IO_REPARSE_TAG_APPEXECLINK;
    }

    /** A directory for POSIX: a directory link or junction is a link, a OneDrive/WOF directory a directory. */
    public static boolean isDirectory(int attributes, int tag) {
        return (attributes & FILE_ATTRIBUTE_DIRECTORY) != 0
                && ((attributes & FILE_ATTRIBUTE_REPARSE_POINT) == 0 || opensItself(tag));
    }
}
