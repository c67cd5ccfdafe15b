package dev.fsdriver.backend.windows;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * B4: which reparse points are opened as the file they are (their filter serves the content) and
 * which are links, never followed. Tag values from winnt.h / ntifs.h. Wine 8 has no reparse
 * points, so this decision is only tested here.
 */
class WinAttributesTest {
    private static final int DIR = WinAttributes.FILE_ATTRIBUTE_DIRECTORY;
    private static final int REPARSE = WinAttributes.FILE_ATTRIBUTE_REPARSE_POINT;
    // Filter-served, not name surrogates.
    private static final int CLOUD = 0x9000001A;       // IO_REPARSE_TAG_CLOUD (OneDrive)
    private static final int CLOUD_3 = 0x9000301A;     // IO_REPARSE_TAG_CLOUD_3
    private static final int WOF = 0x80000017;         // IO_REPARSE_TAG_WOF (compact OS)
    private static final int DEDUP = 0x80000013;       // IO_REPARSE_TAG_DEDUP
    private static final int HSM = 0xC0000004;         // IO_REPARSE_TAG_HSM
    private static final int PROJFS = 0x9000001C;      // IO_REPARSE_TAG_PROJFS
    // Name surrogates.
    private static final int WCI_LINK = 0xA0000027;    // IO_REPARSE_TAG_WCI_LINK_1 (container layer link)
    private static final int SYMLINK = WinAttributes.IO_REPARSE_TAG_SYMLINK;
    private static final int JUNCTION = WinAttributes.IO_REPARSE_TAG_MOUNT_POINT;
    private static final int LX_SYMLINK = WinAttributes.IO_REPARSE_TAG_LX_SYMLINK;

    @Test
    void filterServedReparsePointsOpenAsThemselves() {
        for (int tag : new int[] {CLOUD, CLOUD_3, WOF, DEDUP, HSM, PROJFS}) {
            assertThat(WinAttributes.opensItself(tag)).as("tag 0x%08X", tag).isTrue();
            assertThat(WinAttributes.isNameSurrogate(tag)).as("tag 0x%08X", tag).isFalse();
        }
    }

    @Test
    void linksAndNameSurrogatesAreNeverOpenedThrough() {
        for (int tag : new int[] {SYMLINK, JUNCTION, LX_SYMLINK, WCI_LINK}) {
            assertThat(WinAttributes.isNameSurrogate(tag)).as("tag 0x%08X", tag).isTrue();
            assertThat(WinAttributes.opensItself(tag)).as("tag 0x%08X", tag).isFalse();
        }
    }

    @Test
    void wslSpecialFilesAndAppExecutionAliasesStayReparsePoints() {
        for (int tag : new int[] {WinAttributes.IO_REPARSE_TAG_LX_FIFO, WinAttributes.IO_REPARSE_TAG_LX_CHR,
                WinAttributes.IO_REPARSE_TAG_LX_BLK, WinAttributes.IO_REPARSE_TAG_AF_UNIX,
                WinAttributes.IO_REPARSE_TAG_APPEXECLINK}) {
            assertThat(WinAttributes.opensItself(tag)).as("tag 0x%08X", tag).isFalse();
        }
    }

    @Test
    void aOneDriveDirectoryIsADirectoryAndADirectoryLinkIsNot() {
        assertThat(WinAttributes.isDirectory(DIR, 0)).isTrue();
        assertThat(WinAttributes.isDirectory(DIR | REPARSE, CLOUD)).isTrue();
        assertThat(WinAttributes.isDirectory(DIR | REPARSE, WOF)).isTrue();
        assertThat(WinAttributes.isDirectory(DIR | REPARSE, JUNCTION)).isFalse();
        assertThat(WinAttributes.isDirectory(DIR | REPARSE, SYMLINK)).isFalse();
        assertThat(WinAttributes.isDirectory(REPARSE, CLOUD)).isFalse();
        assertThat(WinAttributes.isDirectory(0, 0)).isFalse();
    }
}
