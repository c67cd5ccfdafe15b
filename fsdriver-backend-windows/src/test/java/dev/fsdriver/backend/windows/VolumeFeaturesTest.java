package dev.fsdriver.backend.windows;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.backend.windows.VolumeFeatures.Feature;
import dev.fsdriver.backend.windows.win32.Structs;
import dev.fsdriver.backend.windows.win32.WindowsException;
import java.util.Map;
import java.util.function.ToIntFunction;
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

    /**
     * An SMB share says "NTFS" (Windows and Samba alike) whatever it serves: no dir-times-move over
     * the network. Failed before (seen: a remote NTFS volume said true).
     */
    @Test
    void noDirectoryTimesMoveOverTheNetwork() {
        assertThat(VolumeFeatures.directoryTimesMove("NTFS", false)).isTrue();
        assertThat(VolumeFeatures.directoryTimesMove("NTFS", true)).as("SMB").isFalse();
        assertThat(VolumeFeatures.directoryTimesMove("ReFS", true)).isFalse();
        assertThat(new VolumeFeatures("NTFS", NTFS, 42, 255, true).directoryTimesMove()).isFalse();
        assertThat(new VolumeFeatures("NTFS", NTFS, 42, 255, false).directoryTimesMove()).isTrue();
    }

    /** Remote: a UNC root (as given or as it resolves), a mapped network drive, a drive that cannot be told. */
    @Test
    void remoteRoots() {
        Map<String, Integer> types = Map.of("C:\\", 3, "Z:\\", VolumeFeatures.DRIVE_REMOTE, "\\\\?\\Volume{1234}\\", 3);
        ToIntFunction<String> type = d -> types.getOrDefault(d, 0);
        assertThat(VolumeFeatures.remote("\\\\?\\C:\\data", "\\\\?\\C:\\data", type)).as("local").isFalse();
        assertThat(VolumeFeatures.remote("\\\\?\\Z:\\data", "\\\\?\\Z:\\data", type)).as("mapped drive").isTrue();
        assertThat(VolumeFeatures.remote("\\\\?\\Z:\\data", "\\\\?\\UNC\\srv\\share\\data", type)).as("resolves to UNC").isTrue();
        assertThat(VolumeFeatures.remote("\\\\?\\UNC\\srv\\share", "\\\\?\\UNC\\srv\\share", type)).as("UNC").isTrue();
        assertThat(VolumeFeatures.remote("\\\\srv\\share", null, type)).as("plain UNC").isTrue();
        assertThat(VolumeFeatures.remote("\\\\?\\C:\\link", "\\\\?\\Volume{1234}\\d", type)).as("volume path").isFalse();
        assertThat(VolumeFeatures.remote("\\\\?\\C:\\x", "\\\\?\\GLOBALROOT\\Device\\X", type)).as("not told").isTrue();
        assertThat(VolumeFeatures.driveRoot("\\\\?\\c:\\a\\b")).isEqualTo("c:\\");
    }

    /**
     * A directory's own answer: on the root's volume by its FileIdInfo serial, asked once for both
     * its inode number and its times (WindowsAttributes#read asked FileIdInfo twice before);
     * another volume's serial, a failed query, or a volume whose times do not move: no.
     */
    @Test
    void aDirectorysTimesMoveOnTheRootsVolumeByTheSerialItsInodeNumberRead() throws Exception {
        VolumeFeatures ntfs = new VolumeFeatures("NTFS", NTFS, 42, 255);
        int[] asked = {0};
        InodeNumbers.IdOnce id = new InodeNumbers.IdOnce(() -> {
            asked[0]++;
            return new Structs.IdInfo(42, 0x7, 0);
        });
        VolumeFeatures.SerialQuery noVolumeQuery = () -> {
            throw new AssertionError("FileIdInfo answers: no GetVolumeInformationByHandleW");
        };
        try (InodeNumbers inodes = new InodeNumbers(42, null)) {
            assertThat(inodes.forFile(ntfs, id, "d")).isEqualTo(0x7);
        }
        assertThat(ntfs.timesMove(id, noVolumeQuery)).as("the root's volume").isTrue();
        assertThat(asked[0]).as("FileIdInfo queries").isEqualTo(1);

        assertThat(ntfs.timesMove(() -> new Structs.IdInfo(43, 0x7, 0), noVolumeQuery)).as("another volume").isFalse();
        InodeNumbers.IdOnce failing = new InodeNumbers.IdOnce(() -> {
            asked[0]++;
            throw new WindowsException(50, 0, "GetFileInformationByHandleEx");
        });
        assertThat(ntfs.timesMove(failing, noVolumeQuery)).as("no answer").isFalse();
        assertThat(ntfs.timesMove(failing, noVolumeQuery)).as("its failure kept").isFalse();
        assertThat(asked[0]).isEqualTo(2);
        assertThat(new VolumeFeatures("FAT32", FAT32, 42, 255).timesMove(id, noVolumeQuery)).as("FAT").isFalse();
        assertThat(new VolumeFeatures("NTFS", NTFS, 42, 255, true).timesMove(id, noVolumeQuery)).as("SMB").isFalse();
    }

    /** Without FileIdInfo (fallen back), the serial GetVolumeInformationByHandleW gives. */
    @Test
    void withoutFileIdInfoTheVolumesSerialDecides() {
        VolumeFeatures ntfs = new VolumeFeatures("NTFS", NTFS, 42, 255);
        ntfs.fallBack(Feature.FILE_ID_INFO, "test");
        InodeNumbers.IdQuery noId = () -> {
            throw new AssertionError("no FileIdInfo query once fallen back");
        };
        assertThat(ntfs.timesMove(noId, () -> 42)).isTrue();
        assertThat(ntfs.timesMove(noId, () -> 43)).isFalse();
    }
}
