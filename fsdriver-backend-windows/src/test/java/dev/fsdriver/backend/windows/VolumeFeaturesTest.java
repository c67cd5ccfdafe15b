package dev.fsdriver.backend.windows;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.backend.windows.VolumeFeatures.Feature;
import org.junit.jupiter.api.Test;

class VolumeFeaturesTest {
    /** Flags an NTFS volume on Windows 11 reports (GetVolumeInformation, 0x03E706FF). */
    private static final int NTFS = 0x03E706FF;
    /** FAT32: case-preserved names, Unicode on disk, no ACLs, no EAs, no reparse points. */
    private static final int FAT32 = 0x00020206 & ~VolumeFeatures.FILE_SUPPORTS_EXTENDED_ATTRIBUTES;

    @Test
    void ntfsHasEverythingUntilACallSaysOtherwise() {
        VolumeFeatures f = new VolumeFeatures("NTFS", NTFS, 42, 255);
        for (Feature x : Feature.values()) {
            assertThat(f.has(x)).as(x.name()).isTrue();
        }
        assertThat(f.readOnlyVolume()).isFalse();
    }

    @Test
    void volumeWithoutEaFlagHasNoMetadataButKeepsPosixUntilProbed() {
        VolumeFeatures f = new VolumeFeatures("FAT32", FAT32, 7, 255);
        assertThat(f.has(Feature.EXTENDED_ATTRIBUTES)).isFalse();
        assertThat(f.has(Feature.POSIX_RENAME)).isTrue();
    }

    @Test
    void fallBackIsRememberedAndReportedOnce() {
        VolumeFeatures f = new VolumeFeatures("NTFS", NTFS, 42, 255);
        assertThat(f.fallBack(Feature.POSIX_DELETE, "ERROR_INVALID_PARAMETER")).isTrue();
        assertThat(f.fallBack(Feature.POSIX_DELETE, "again")).isFalse();
        assertThat(f.has(Feature.POSIX_DELETE)).isFalse();
        assertThat(f.has(Feature.POSIX_RENAME)).isTrue();
    }

    /** dir-times-move is offered for NTFS and ReFS only: FAT32 and exFAT keep a directory's times. */
    @Test
    void directoryTimesMoveOnNtfsAndRefsOnly() {
        assertThat(new VolumeFeatures("NTFS", NTFS, 42, 255).directoryTimesMove()).isTrue();
        assertThat(new VolumeFeatures("ReFS", NTFS, 42, 255).directoryTimesMove()).isTrue();
        assertThat(new VolumeFeatures("FAT32", FAT32, 7, 255).directoryTimesMove()).isFalse();
        assertThat(new VolumeFeatures("exFAT", FAT32, 7, 255).directoryTimesMove()).isFalse();
    }
}
