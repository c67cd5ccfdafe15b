package dev.fsdriver.fuse;

/**
 * fuse_attr: what stat(2) shows. Times are nanoseconds since the epoch; {@code mode} holds type
 * and permission bits as in st_mode.
 *
 * <p>{@code timesMove} is no part of fuse_attr (never sent to the kernel): for a directory, the
 * server said its file system moves its mtime and ctime with every name change in it (the wire's
 * Attr.times_move), which the events layer needs with the attributes it stamps a directory from.
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
        int blksize,
        boolean timesMove) {

    /** Attributes without the server's directory-times answer (false: not known). */
    public FuseAttr(long ino, long size, long blocks, long atimeNs, long mtimeNs, long ctimeNs, int mode, int nlink,
            int uid, int gid, int rdev, int blksize) {
        this(ino, size, blocks, atimeNs, mtimeNs, ctimeNs, mode, nlink, uid, gid, rdev, blksize, false);
    }
}
