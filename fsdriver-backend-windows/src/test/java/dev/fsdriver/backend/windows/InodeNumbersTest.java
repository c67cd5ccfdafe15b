package dev.fsdriver.backend.windows;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fsdriver.backend.windows.VolumeFeatures.Feature;
import dev.fsdriver.backend.windows.win32.Structs;
import dev.fsdriver.backend.windows.win32.WindowsException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InodeNumbersTest {
    private static final long SERIAL = 0x1234_5678_9ABC_DEF0L;

    @Test
    void ntfsIdsAreUsedAsIs() {
        try (InodeNumbers n = new InodeNumbers(SERIAL, null)) {
            // MFT record 0x42, sequence 3.
            assertThat(n.ino(SERIAL, 0, 0x0003_0000_0000_0042L)).isEqualTo(0x0003_0000_0000_0042L);
            assertThat(n.ino(SERIAL, 0, 5)).isEqualTo(5);
        }
    }

    @Test
    void refsIdsAreMappedStablyAndDistinctly() {
        try (InodeNumbers n = new InodeNumbers(SERIAL, null)) {
            long a = n.ino(SERIAL, 0x0102, 0x0304);
            long b = n.ino(SERIAL, 0x0102, 0x0305);
            assertThat(a).isGreaterThanOrEqualTo(InodeNumbers.MAPPED_BASE);
            assertThat(b).isNotEqualTo(a);
            assertThat(n.ino(SERIAL, 0x0102, 0x0304)).isEqualTo(a);
        }
    }

    @Test
    void otherVolumeIsMappedEvenWithSmallIds() {
        try (InodeNumbers n = new InodeNumbers(SERIAL, null)) {
            assertThat(n.ino(SERIAL + 1, 0, 0x42)).isGreaterThanOrEqualTo(InodeNumbers.MAPPED_BASE);
        }
    }

    @Test
    void mappedNumbersSurviveRestart(@TempDir Path dir) throws Exception {
        Path store = dir.resolve("state").resolve("inodes.bin");
        long a;
        long b;
        try (InodeNumbers n = new InodeNumbers(SERIAL, store)) {
            a = n.ino(SERIAL, 7, 1);
            b = n.ino(SERIAL, 7, 2);
        }
        assertThat(Files.size(store)).isEqualTo(64);
        try (InodeNumbers n = new InodeNumbers(SERIAL, store)) {
            assertThat(n.ino(SERIAL, 7, 2)).isEqualTo(b);
            assertThat(n.ino(SERIAL, 7, 1)).isEqualTo(a);
            long c = n.ino(SERIAL, 7, 3);
            assertThat(c).isNotIn(a, b).isGreaterThan(Math.max(a, b));
        }
    }

    /** Two shares (or servers) named one store: the second is refused, the first's records kept. */
    @Test
    void aStoreHasOneWriter(@TempDir Path dir) throws Exception {
        Path store = dir.resolve("inodes.bin");
        try (InodeNumbers n = new InodeNumbers(SERIAL, store)) {
            n.ino(SERIAL, 7, 1);
            assertThatThrownBy(() -> new InodeNumbers(SERIAL, store)).isInstanceOf(java.io.UncheckedIOException.class)
                    .hasMessageContaining("in use by another share or server");
            n.ino(SERIAL, 7, 2);
        }
        assertThat(Files.size(store)).isEqualTo(64);
        try (InodeNumbers again = new InodeNumbers(SERIAL, store)) {
            assertThat(again.ino(SERIAL, 7, 1)).isGreaterThanOrEqualTo(InodeNumbers.MAPPED_BASE);
        }
    }

    @Test
    void tornLastRecordIsDropped(@TempDir Path dir) throws Exception {
        Path store = dir.resolve("inodes.bin");
        long a;
        try (InodeNumbers n = new InodeNumbers(SERIAL, store)) {
            a = n.ino(SERIAL, 9, 9);
        }
        Files.write(store, new byte[] {1, 2, 3}, java.nio.file.StandardOpenOption.APPEND);
        try (InodeNumbers n = new InodeNumbers(SERIAL, store)) {
            assertThat(n.ino(SERIAL, 9, 9)).isEqualTo(a);
        }
        assertThat(Files.size(store)).isEqualTo(32);
    }

    @Test
    void unusableIdsAreRecognisedAndPathKeysWork() {
        assertThat(InodeNumbers.isUnusable(0, 0)).isTrue();
        assertThat(InodeNumbers.isUnusable(-1, -1)).isTrue();
        assertThat(InodeNumbers.isUnusable(0, -1)).isTrue();
        assertThat(InodeNumbers.isUnusable(0, 5)).isFalse();
        try (InodeNumbers n = new InodeNumbers(SERIAL, null)) {
            long x = n.forPath("a/b");
            assertThat(n.forPath("a/b")).isEqualTo(x);
            assertThat(n.forPath("a/c")).isNotEqualTo(x);
        }
    }

    /** B10: an MFT reference with a sequence number of 0x4000 or more must not meet a mapped number. */
    @Test
    void idsFromTwoToTheSixtySecondAreMappedNotUsedAsIs() {
        try (InodeNumbers n = new InodeNumbers(SERIAL, null)) {
            long mapped = n.ino(SERIAL, 0x0102, 0x0304); // the first mapped number: MAPPED_BASE
            long highSequence = n.ino(SERIAL, 0, InodeNumbers.MAPPED_BASE);
            assertThat(highSequence).isNotEqualTo(mapped).isBetween(InodeNumbers.MAPPED_BASE, InodeNumbers.PATH_BASE - 1);
            assertThat(n.ino(SERIAL, 0, -5L)).isBetween(InodeNumbers.MAPPED_BASE, InodeNumbers.PATH_BASE - 1);
        }
    }

    /** B10: path keys are not persisted, so they must not reuse numbers an earlier run persisted. */
    @Test
    void pathKeysNeverMeetMappedNumbers(@TempDir Path dir) {
        Path store = dir.resolve("inodes.bin");
        long mappedEarlier;
        try (InodeNumbers n = new InodeNumbers(SERIAL, store)) {
            n.forPath("x");
            mappedEarlier = n.ino(SERIAL, 7, 1);
        }
        try (InodeNumbers n = new InodeNumbers(SERIAL, store)) {
            long key = n.forPath("y");
            assertThat(key).isNotEqualTo(mappedEarlier).isGreaterThanOrEqualTo(InodeNumbers.PATH_BASE);
            assertThat(n.ino(SERIAL, 7, 2)).isNotEqualTo(key).isLessThan(InodeNumbers.PATH_BASE);
        }
    }

    /**
     * B10: one file whose FileIdInfo query is "unsupported" (another file system mounted below the
     * share, a filter driver) gets a path key; every other file keeps its id, and the volume keeps
     * FileIdInfo. Before, that one error switched every inode number to a path key for the run.
     */
    @Test
    void oneFileWhoseIdQueryIsUnsupportedGetsAPathKeyAndTheOthersKeepTheirIds() {
        VolumeFeatures features = new VolumeFeatures("NTFS", VolumeFeatures.FILE_SUPPORTS_EXTENDED_ATTRIBUTES, SERIAL, 255);
        InodeNumbers.IdQuery unsupported = () -> {
            throw new WindowsException(WinErrors.ERROR_INVALID_PARAMETER, WinErrors.STATUS_INVALID_INFO_CLASS, "FileIdInfo");
        };
        try (InodeNumbers n = new InodeNumbers(SERIAL, null)) {
            assertThat(n.forFile(features, () -> new Structs.IdInfo(SERIAL, 0x42, 0), "a")).isEqualTo(0x42);
            long odd = n.forFile(features, unsupported, "mounted/below");
            assertThat(odd).isGreaterThanOrEqualTo(InodeNumbers.PATH_BASE);
            assertThat(n.forFile(features, unsupported, "mounted/below")).as("stable for its path").isEqualTo(odd);
            assertThat(n.forFile(features, unsupported, "mounted/other")).isNotEqualTo(odd).isGreaterThanOrEqualTo(InodeNumbers.PATH_BASE);
            assertThat(features.has(Feature.FILE_ID_INFO)).as("the volume keeps FileIdInfo").isTrue();
            assertThat(n.forFile(features, () -> new Structs.IdInfo(SERIAL, 0x43, 0), "b")).as("after the failure").isEqualTo(0x43);
            // An unusable id (0: "not supported" in the record itself) is a path key too.
            assertThat(n.forFile(features, () -> new Structs.IdInfo(SERIAL, 0, 0), "c")).isGreaterThanOrEqualTo(InodeNumbers.PATH_BASE);
        }
    }

    /** Only the share root's refusal at open (ShareProbe) turns the volume to path keys: no id is asked for. */
    @Test
    void aVolumeWithoutFileIdInfoUsesPathKeysWithoutAsking() {
        VolumeFeatures features = new VolumeFeatures("FAT32", 0, SERIAL, 255);
        features.fallBack(Feature.FILE_ID_INFO, "the root refused it");
        try (InodeNumbers n = new InodeNumbers(SERIAL, null)) {
            long key = n.forFile(features, () -> {
                throw new AssertionError("FileIdInfo asked for on a volume without it");
            }, "a");
            assertThat(key).isGreaterThanOrEqualTo(InodeNumbers.PATH_BASE);
        }
    }
}
