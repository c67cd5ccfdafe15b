package dev.fsdriver.fuse;

/**
 * fuse_attr: what stat(2) shows. Times are nanoseconds since the epoch; {@code mode} holds type
 * and permission bits as in st_mode.
 */
public record FuseAttr(
        long ino,
        long size,
        long blocks,
        long atimeNs,
        long mtimeNs,
        long ctimeNs,
        int mode,
        int nlink,
        int uid,
        int gid,
        int rdev,
        int blksize) {
}
