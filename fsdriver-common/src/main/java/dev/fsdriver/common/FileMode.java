package dev.fsdriver.common;

/** st_mode bits as Linux defines them; the wire's Attr.mode uses exactly these. */
public final class FileMode {
    public static final int S_IFMT = 0170000;
    public static final int S_IFSOCK = 0140000;
    public static final int S_IFLNK = 0120000;
    public static final int S_IFREG = 0100000;
    public static final int S_IFBLK = 0060000;
    public static final int S_IFDIR = 0040000;
    public static final int S_IFCHR = 0020000;
    public static final int S_IFIFO = 0010000;
    public static final int PERMISSIONS = 07777;
    public static final int S_ISUID = 04000;
    public static final int S_ISGID = 02000;
    public static final int S_IXGRP = 00010;

    private FileMode() {}

    public static boolean isDirectory(int mode) { return (mode & S_IFMT) == S_IFDIR; }
    public static boolean isRegular(int mode) { return (mode & S_IFMT) == S_IFREG; }
    public static boolean isSymlink(int mode) { return (mode & S_IFMT) == S_IFLNK; }

    /** The d_type of a dirent for this mode (DT_DIR = 4, DT_REG = 8, DT_LNK = 10, ...). */
    public static int direntType(int mode) {
        return (mode & S_IFMT) >>> 12;
    }
}
