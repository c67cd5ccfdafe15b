package dev.fsdriver.backend;

import dev.fsdriver.common.FileMode;

/**
 * The POSIX view of a file as a backend reports it. {@code ino} is stable for the life of the
 * file (Linux: derived from st_dev + st_ino; Windows: volume serial + file ID). Times are
 * nanoseconds since the Unix epoch.
 *
 * <p>{@code generation} tells apart files that had the same inode number one after the other
 * (a number freed by a delete is given to the next new file at once on ext4): the same for the
 * life of the file and different for the next file with that number; 0 when the backend cannot
 * tell (then the inode number alone is the file's identity). The posix backend gives the birth
 * time in nanoseconds (statx STATX_BTIME).
 *
 * <p>{@code timesMove}, for a directory only: the file system it is on moves its mtime and ctime
 * with every name made, removed or moved in it ({@link Backend#directoryTimesMove} asks the same
 * of the share root). Decided per directory because a share may hold other file systems mounted
 * below its root (a vfat stick, an NFS or FUSE mount). false: not known, and always for files.
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
        int rdev,
        long generation,
        boolean timesMove) {

    /** Attributes without the directory-times answer (false: not known). */
    public FileAttributes(long ino, int mode, int nlink, int uid, int gid, long size, long blocks, long atimeNs,
            long mtimeNs, long ctimeNs, int blksize, int rdev, long generation) {
        this(ino, mode, nlink, uid, gid, size, blocks, atimeNs, mtimeNs, ctimeNs, blksize, rdev, generation, false);
    }

    /** Attributes without a generation (0: not known). */
    public FileAttributes(long ino, int mode, int nlink, int uid, int gid, long size, long blocks, long atimeNs,
            long mtimeNs, long ctimeNs, int blksize, int rdev) {
        this(ino, mode, nlink, uid, gid, size, blocks, atimeNs, mtimeNs, ctimeNs, blksize, rdev, 0);
    }

    /**
     * Whether files {@code (ino, generation)} and {@code (otherIno, otherGeneration)} are one:
     * the same inode number, and the same generation where both are known (0: not known).
     */
    public static boolean sameFile(long ino, long generation, long otherIno, long otherGeneration) {
        return ino == otherIno && (generation == 0 || otherGeneration == 0 || generation == otherGeneration);
    }

    /** Whether {@code other} is of this same file ({@link #sameFile(long, long, long, long)}). */
    public boolean sameFile(FileAttributes other) {
        return sameFile(ino, generation, other.ino, other.generation);
    }

    /** These attributes with {@code timesMove} (see the class comment); only a directory keeps true. */
    public FileAttributes withTimesMove(boolean move) {
        boolean m = move && isDirectory();
        return m == timesMove ? this : new FileAttributes(ino, mode, nlink, uid, gid, size, blocks, atimeNs, mtimeNs,
                ctimeNs, blksize, rdev, generation, m);
    }

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
