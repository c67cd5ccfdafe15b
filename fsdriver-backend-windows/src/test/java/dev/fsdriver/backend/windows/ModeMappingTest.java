package dev.fsdriver.backend.windows;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.common.FileMode;
import org.junit.jupiter.api.Test;

class ModeMappingTest {
    private final ModeMapping m = new ModeMapping(1000, 1000, 022);
    private static final int ARCHIVE = WinAttributes.FILE_ATTRIBUTE_ARCHIVE;
    private static final int RO = WinAttributes.FILE_ATTRIBUTE_READONLY;
    private static final int DIR = WinAttributes.FILE_ATTRIBUTE_DIRECTORY;
    private static final int REPARSE = WinAttributes.FILE_ATTRIBUTE_REPARSE_POINT;

    @Test
    void withoutMetadataFilesAreRwxLessUmaskAndReadOnlyRemovesWrite() {
        assertThat(m.mode(ARCHIVE, 0, LxEa.Metadata.NONE)).isEqualTo(0100755);
        assertThat(m.mode(ARCHIVE | RO, 0, LxEa.Metadata.NONE)).isEqualTo(0100555);
        assertThat(m.mode(DIR, 0, LxEa.Metadata.NONE)).isEqualTo(040755);
        assertThat(m.mode(DIR | RO, 0, LxEa.Metadata.NONE)).as("READONLY on a directory does not stop writes").isEqualTo(040755);
        assertThat(m.uid(LxEa.Metadata.NONE)).isEqualTo(1000);
    }

    @Test
    void metadataGivesModeAndOwnerButTypeComesFromTheFile() {
        LxEa.Metadata md = new LxEa.Metadata(0, 42, 0100640, null);
        assertThat(m.mode(ARCHIVE, 0, md)).isEqualTo(0100640);
        assertThat(m.uid(md)).isZero();
        assertThat(m.gid(md)).isEqualTo(42);
        // $LXMOD says regular file but it is a directory now: type from the file.
        assertThat(m.mode(DIR, 0, md)).isEqualTo(040640);
        // READONLY still removes write bits.
        assertThat(m.mode(ARCHIVE | RO, 0, md)).isEqualTo(0100440);
    }

    @Test
    void reparseTagsGiveTypes() {
        assertThat(m.mode(REPARSE, WinAttributes.IO_REPARSE_TAG_LX_SYMLINK, LxEa.Metadata.NONE)).isEqualTo(0120777);
        assertThat(m.mode(REPARSE, WinAttributes.IO_REPARSE_TAG_SYMLINK, LxEa.Metadata.NONE)).isEqualTo(0120777);
        assertThat(m.mode(REPARSE | DIR, WinAttributes.IO_REPARSE_TAG_MOUNT_POINT, LxEa.Metadata.NONE)).isEqualTo(0120777);
        assertThat(ModeMapping.type(REPARSE, WinAttributes.IO_REPARSE_TAG_LX_FIFO)).isEqualTo(FileMode.S_IFIFO);
        assertThat(ModeMapping.type(REPARSE, WinAttributes.IO_REPARSE_TAG_LX_CHR)).isEqualTo(FileMode.S_IFCHR);
        assertThat(ModeMapping.type(REPARSE, WinAttributes.IO_REPARSE_TAG_LX_BLK)).isEqualTo(FileMode.S_IFBLK);
        assertThat(ModeMapping.type(REPARSE, WinAttributes.IO_REPARSE_TAG_AF_UNIX)).isEqualTo(FileMode.S_IFSOCK);
        // A OneDrive placeholder is just what it contains.
        assertThat(ModeMapping.type(REPARSE, 0x9000001A)).isEqualTo(FileMode.S_IFREG);
        // The tag only counts with the reparse attribute.
        assertThat(ModeMapping.type(ARCHIVE, WinAttributes.IO_REPARSE_TAG_LX_SYMLINK)).isEqualTo(FileMode.S_IFREG);
    }

    @Test
    void chmodClearingAllWriteBitsSetsReadOnlyAndBack() {
        int ro = ModeMapping.attributesForChmod(ARCHIVE, false, 0444);
        assertThat(ro).isEqualTo(ARCHIVE | RO);
        assertThat(ModeMapping.attributesForChmod(ro, false, 0644)).isEqualTo(ARCHIVE);
        // Any write bit left: writable.
        assertThat(ModeMapping.attributesForChmod(ro, false, 0400 | 0020)).isEqualTo(ARCHIVE);
    }

    @Test
    void chmodNeverProducesTheUnchangedMarkerZeroNorUnsettableBits() {
        assertThat(ModeMapping.attributesForChmod(RO, false, 0644)).isEqualTo(WinAttributes.FILE_ATTRIBUTE_NORMAL);
        assertThat(ModeMapping.attributesForChmod(WinAttributes.FILE_ATTRIBUTE_NORMAL, false, 0400)).isEqualTo(RO);
        assertThat(ModeMapping.attributesForChmod(ARCHIVE | REPARSE, false, 0444)).isEqualTo(ARCHIVE | RO);
    }

    @Test
    void chmodOfDirectoryLeavesAttributes() {
        assertThat(ModeMapping.attributesForChmod(DIR, true, 0555)).isEqualTo(-1);
    }

    @Test
    void createAttributes() {
        assertThat(ModeMapping.attributesForCreate(0444)).isEqualTo(RO);
        assertThat(ModeMapping.attributesForCreate(0644)).isEqualTo(WinAttributes.FILE_ATTRIBUTE_NORMAL);
    }
}
