package dev.fsdriver.backend.posix;

import dev.fsdriver.linux.ErrnoException;
import dev.fsdriver.linux.MountCalls;
import java.nio.file.Path;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether a share's file system moves a directory's mtime and ctime with every name made,
 * removed or moved in it ({@link dev.fsdriver.backend.Backend#directoryTimesMove}): known only
 * for the local file systems listed, by the magic number statfs(2) gives for the share root.
 * Anything else (vfat, exfat, fuse, nfs, cifs, ...) is taken to not move them: a client then
 * does not trust a directory's unchanged times to vouch for its names (docs/posix.md).
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

    private DirectoryTimes() {}

    /** The answer for the file system holding {@code root}; false when statfs fails or is missing. */
    static boolean move(Path root) {
        try {
            long type = MountCalls.statfsType(root.toString());
            boolean moving = move(type);
            log.info("share {}: file system 0x{}, directory times {}", root, Long.toHexString(type),
                    moving ? "move with names (dir-times-move)" : "not known to move with names");
            return moving;
        } catch (ErrnoException e) {
            log.info("share {}: file system type unknown ({}): directory times not trusted", root, e.getMessage());
            return false;
        }
    }

    /** Whether file system magic {@code type} (statfs f_type) is in {@link #MOVING}. */
    static boolean move(long type) {
        return MOVING.contains(type & 0xFFFFFFFFL); // f_type is a signed long: 0xF2F52010 may come sign-extended
    }
}
