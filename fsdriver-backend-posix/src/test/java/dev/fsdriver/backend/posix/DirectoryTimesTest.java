package dev.fsdriver.backend.posix;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The allow-list of file systems whose directory times move with every name change (statfs f_type). */
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
    }

    /** The temp directory's file system read by statfs (ext4 on the machines this runs on). */
    @Test
    void readsTheShareRootsFileSystem() throws Exception {
        String type = Files.getFileStore(dir).type();
        assertThat(DirectoryTimes.move(dir)).as(type).isEqualTo(type.startsWith("ext") || type.equals("tmpfs")
                || type.equals("xfs") || type.equals("btrfs") || type.equals("overlay"));
    }
}
