package dev.fsdriver.backend.windows;

import static org.assertj.core.api.Assertions.assertThat;

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
}
