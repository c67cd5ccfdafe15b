package dev.fsdriver.backend.posix;

import dev.fsdriver.linux.ErrnoException;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether a file system moves a directory's mtime and ctime with every name made, removed or
 * moved in it ({@link dev.fsdriver.backend.FileAttributes#timesMove}): known only for the local
 * file systems listed, by the magic number statfs(2) gives. Anything else (vfat, exfat, fuse, nfs,
 * cifs, ...) is taken to not move them: a client then does not trust a directory's unchanged
 * times to vouch for its names (docs/posix.md).
 *
 * <p>Asked per directory, since a share may hold other file systems mounted below its root
 * (st_dev differs; {@link PosixCalls#foldDev}). Only the share root's verdict is kept, read once
 * at open: its device number stays the root's file system's while the share is open. A directory
 * on any other device is read by statfs at every ask (rare: only directories on other file
 * systems), never kept by device number: Linux gives a freed anonymous device number (tmpfs,
 * overlay, btrfs subvolumes, FUSE, NFS, CIFS) to the next such mount, lowest free first, so an
 * sshfs mounted where a tmpfs was usually gets the tmpfs's number. A failed statfs is "no".
 * Thread-safe (immutable).
 */
final class DirectoryTimes {
    private static final Logger log = LoggerFactory.getLogger(DirectoryTimes.class);

    /** statfs f_type of file systems whose directory times move with every name change. */
    static final Set<Long> MOVING = Set.of(
            0xEF53L,      // ext2, ext3, ext4
            0x58465342L,  // xfs
            0x9123683EL,  // btrfs
            0x01021994L,  // tmpfs
            0xF2F52010L,  // f2fs
            0x2FC12FC1L,  // zfs
            0x794C7630L); // overlayfs

    /** statfs(2)'s f_type of the directory just stat-ed, read only when a verdict needs it (injectable for tests). */
    @FunctionalInterface
    interface FsType {
        long read() throws ErrnoException;
    }

    private final long rootDev;
    private final boolean rootMoves;

    /** {@code rootType}: statfs of the share root (on device {@code rootDev}), read now, once. */
    DirectoryTimes(long rootDev, FsType rootType, Object root) {
        this.rootDev = rootDev;
        this.rootMoves = read(rootType, rootDev);
        log.info("share root {} (device 0x{}): directory times {}", root, Long.toHexString(rootDev),
                rootMoves ? "move with names (dir-times-move)" : "not known to move with names");
    }

    /** The share root's verdict (the "dir-times-move" capability). */
    boolean rootMoves() {
        return rootMoves;
    }

    /** The verdict for a directory on device {@code dev}: the root's on the root's device, else {@code type} read now. */
    boolean move(long dev, FsType type) {
        return dev == rootDev ? rootMoves : read(type, dev);
    }

    private static boolean read(FsType type, long dev) {
        try {
            return move(type.read());
        } catch (ErrnoException e) {
            log.debug("statfs of a directory on device 0x{}: {}: its times not trusted this time", Long.toHexString(dev),
                    e.getMessage());
            return false;
        }
    }

    /** Whether file system magic {@code type} (statfs f_type) is in {@link #MOVING}. */
    static boolean move(long type) {
        return MOVING.contains(type & 0xFFFFFFFFL); // f_type is a signed long: 0xF2F52010 may come sign-extended
    }
}
