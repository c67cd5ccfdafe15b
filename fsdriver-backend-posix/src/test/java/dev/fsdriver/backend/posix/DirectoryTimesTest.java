package dev.fsdriver.backend.posix;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.common.Errno;
import dev.fsdriver.linux.ErrnoException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The allow-list of file systems whose directory times move with every name change (statfs f_type), per device. */
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
        assertThat(new DirectoryTimes().move(dev, dir.toString())).as(type).isEqualTo(type.startsWith("ext")
                || List.of("tmpfs", "xfs", "btrfs", "overlay", "f2fs", "zfs").contains(type));
    }

    /**
     * One statfs per device, its verdict kept for every later directory of that device; a failed
     * statfs is "no" and is asked again (a directory gone meanwhile must not turn a device off).
     */
    @Test
    void oneVerdictPerDeviceFailuresNotKept() {
        Map<String, Long> types = Map.of("/share", 0xEF53L, "/share/stick", 0x4D44L);
        List<String> asked = new ArrayList<>();
        boolean[] fail = {true};
        DirectoryTimes times = new DirectoryTimes(path -> {
            asked.add(path);
            if (path.equals("/share/gone") && fail[0]) {
                throw new ErrnoException("statfs", Errno.ENOENT);
            }
            return path.equals("/share/gone") ? 0xEF53L : types.get(path);
        });
        assertThat(times.move(1, "/share")).isTrue();
        assertThat(times.move(1, "/share/a")).as("device 1 known: no statfs").isTrue();
        assertThat(times.move(2, "/share/stick")).as("vfat below the root").isFalse();
        assertThat(times.move(2, "/share/stick/b")).isFalse();
        assertThat(times.move(3, "/share/gone")).as("statfs failed: no").isFalse();
        fail[0] = false;
        assertThat(times.move(3, "/share/gone")).as("asked again").isTrue();
        assertThat(asked).containsExactly("/share", "/share/stick", "/share/gone", "/share/gone");
    }
}
