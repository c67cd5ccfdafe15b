package dev.fsdriver.backend.posix;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.common.Errno;
import dev.fsdriver.linux.ErrnoException;
import dev.fsdriver.linux.MountCalls;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The allow-list of file systems whose directory times move with every name change (statfs
 * f_type): the root's verdict kept, any other device's read at every ask.
 */
class DirectoryTimesTest {
    @TempDir
    Path dir;

    @Test
    void listedTypesOnlyAlsoWhenSignExtended() {
        assertThat(DirectoryTimes.move(0xEF53L)).as("ext4").isTrue();
        assertThat(DirectoryTimes.move(0x01021994L)).as("tmpfs").isTrue();
        assertThat(DirectoryTimes.move((long) (int) 0xF2F52010)).as("f2fs, sign-extended").isTrue();
        assertThat(DirectoryTimes.move(0x4D44L)).as("vfat").isFalse();
        assertThat(DirectoryTimes.move(0x2011BAB0L)).as("exfat").isFalse();
        assertThat(DirectoryTimes.move(0x65735546L)).as("fuse").isFalse();
        assertThat(DirectoryTimes.move(0x6969L)).as("nfs").isFalse();
        assertThat(DirectoryTimes.move(0x858458F6L)).as("ramfs").isFalse();
    }

    /** The temp directory's file system read by statfs, by its name as java.nio gives it. */
    @Test
    void readsTheShareRootsFileSystem() throws Exception {
        String type = Files.getFileStore(dir).type();
        long dev = ((Number) Files.getAttribute(dir, "unix:dev")).longValue();
        assertThat(new DirectoryTimes(dev, () -> MountCalls.statfsType(dir.toString()), dir).rootMoves()).as(type)
                .isEqualTo(type.startsWith("ext") || List.of("tmpfs", "xfs", "btrfs", "overlay", "f2fs", "zfs").contains(type));
    }

    /**
     * The root's verdict is read once and stands for its device; a failed statfs is "no" and is
     * asked again (a directory gone meanwhile must not turn a device off).
     */
    @Test
    void theRootsVerdictIsKeptFailuresAreNot() {
        int[] rootReads = {0};
        DirectoryTimes times = new DirectoryTimes(1, () -> {
            rootReads[0]++;
            return 0xEF53L;
        }, "/share");
        assertThat(times.rootMoves()).isTrue();
        assertThat(times.move(1, () -> {
            throw new AssertionError("the root's device: no statfs");
        })).as("a directory on the root's device").isTrue();
        assertThat(rootReads[0]).isEqualTo(1);
        assertThat(times.move(2, () -> 0x4D44L)).as("vfat below the root").isFalse();
        assertThat(times.move(3, () -> {
            throw new ErrnoException("statfs", Errno.ENOENT);
        })).as("statfs failed: no").isFalse();
        assertThat(times.move(3, () -> 0xEF53L)).as("asked again").isTrue();
    }

    /**
     * A device other than the root's is read at every ask, never kept by number: Linux gives a
     * freed anonymous device number (tmpfs, FUSE, NFS, ...) to the next such mount, so an sshfs
     * mounted where a tmpfs was usually has its number. Failed before (seen: the second ask
     * answered true, the tmpfs's verdict kept for device 2).
     */
    @Test
    void anotherDevicesVerdictIsReadAgainAtEveryAsk() {
        DirectoryTimes times = new DirectoryTimes(1, () -> 0xEF53L, "/share");
        assertThat(times.move(2, () -> 0x01021994L)).as("a tmpfs on device 2").isTrue();
        assertThat(times.move(2, () -> 0x65735546L)).as("then sshfs (FUSE), given device 2 again").isFalse();
        assertThat(times.move(2, () -> 0x01021994L)).as("and a tmpfs again").isTrue();
    }
}
