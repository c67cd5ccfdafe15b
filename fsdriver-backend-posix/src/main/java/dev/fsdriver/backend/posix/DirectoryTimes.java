package dev.fsdriver.backend.posix;

import dev.fsdriver.linux.AtCalls;
import dev.fsdriver.linux.ErrnoException;
import dev.fsdriver.linux.MountCalls;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
 * (st_dev differs; {@link PosixCalls#foldDev}): the verdict is kept per st_dev, read by statfs of
 * the first directory seen on that device. A failed statfs is "no" for that directory and is not
 * kept (asked again next time). Limit: a device number freed by an unmount and given to another
 * file system (anonymous devices of tmpfs, btrfs subvolumes, FUSE are reused) keeps the verdict
 * until the server restarts. Thread-safe.
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

    /** statfs(2)'s f_type of a path (injectable for tests). */
    @FunctionalInterface
    interface Statfs {
        long type(String path) throws ErrnoException;
    }

    private final Statfs statfs;
    /** st_dev -> verdict. */
    private final Map<Long, Boolean> byDevice = new ConcurrentHashMap<>();

    DirectoryTimes(Statfs statfs) {
        this.statfs = statfs;
    }

    /** With the real statfs(2). */
    DirectoryTimes() {
        this(MountCalls::statfsType);
    }

    /**
     * The verdict for device {@code dev}; {@code path} names a directory on it (absolute, or a
     * /proc/self/fd path), read by statfs only the first time the device is seen.
     */
    boolean move(long dev, String path) {
        Boolean known = byDevice.get(dev);
        if (known != null) {
            return known;
        }
        long type;
        try {
            type = statfs.type(path);
        } catch (ErrnoException e) {
            log.debug("statfs {}: {}: directory times there not trusted this time", path, e.getMessage());
            return false;
        }
        boolean moving = move(type);
        if (byDevice.putIfAbsent(dev, moving) == null) {
            log.info("device 0x{} ({}): file system 0x{}, directory times {}", Long.toHexString(dev), path,
                    Long.toHexString(type), moving ? "move with names (dir-times-move)" : "not known to move with names");
        }
        return moving;
    }

    /** Whether file system magic {@code type} (statfs f_type) is in {@link #MOVING}. */
    static boolean move(long type) {
        return MOVING.contains(type & 0xFFFFFFFFL); // f_type is a signed long: 0xF2F52010 may come sign-extended
    }

    /** Where statfs finds the entry {@code name} of directory descriptor {@code dirFd} (AT_FDCWD: {@code name} is absolute). */
    static String at(int dirFd, String name) {
        return dirFd == AtCalls.AT_FDCWD ? name : "/proc/self/fd/" + dirFd + "/" + name;
    }
}
