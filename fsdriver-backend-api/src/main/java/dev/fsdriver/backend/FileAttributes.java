package dev.fsdriver.backend;

import dev.fsdriver.common.FileMode;

/**
 * The POSIX view of a file as a backend reports it. {@code ino} is stable for the life of the
 * file (Linux: derived from st_dev + st_ino; Windows: volume serial + file ID). Times are
 * nanoseconds since the Unix epoch.
 */
public record FileAttributes(
        long ino,
        int mode,
        int nlink,
        int uid,
        int gid,
        long size,
        long blocks,
        long atimeNs,
        long mtimeNs,
        long ctimeNs,
        int blksize,
        int rdev) {

    public boolean isDirectory() {
        return FileMode.isDirectory(mode);
    }

    public boolean isSymlink() {
        return FileMode.isSymlink(mode);
    }

    public boolean isRegular() {
        return FileMode.isRegular(mode);
    }
}
