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

    private WinAttributes() {}

    /** Reparse tags that read as a symbolic link. */
    public static boolean isLinkTag(int tag) {
        return tag == IO_REPARSE_TAG_SYMLINK || tag == IO_REPARSE_TAG_MOUNT_POINT || tag == IO_REPARSE_TAG_LX_SYMLINK;
    }
}
