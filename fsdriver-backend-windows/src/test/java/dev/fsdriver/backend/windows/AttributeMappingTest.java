package dev.fsdriver.backend.windows;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.backend.FileAttributes;
import dev.fsdriver.backend.windows.DirInfoParser.DirInfo;
import dev.fsdriver.backend.windows.win32.Structs;
import org.junit.jupiter.api.Test;

class AttributeMappingTest {
    private static final long T_ATIME = FileTimes.UNIX_EPOCH_FILETIME + 10_000_000L * 100; // 1970 + 100 s
    private static final long T_MTIME = FileTimes.UNIX_EPOCH_FILETIME + 10_000_000L * 200;
    private static final long T_CTIME = FileTimes.UNIX_EPOCH_FILETIME + 10_000_000L * 300;
    private static final long T_BTIME = FileTimes.UNIX_EPOCH_FILETIME + 10_000_000L * 50;
    private final AttributeMapping m = new AttributeMapping(new ModeMapping(1000, 100, 022), true);

    @Test
    void regularFileFromHandleUsesChangeTimeForCtimeAndCreationTimeAsGeneration() {
        FileAttributes a = m.fromHandle(42, new Structs.BasicInfo(T_BTIME, T_ATIME, T_MTIME, T_CTIME, WinAttributes.FILE_ATTRIBUTE_ARCHIVE),
                new Structs.StandardInfo(8192, 5000, 3, false, false), 0, LxEa.Metadata.NONE, 0);
        assertThat(a).isEqualTo(new FileAttributes(42, 0100755, 3, 1000, 100, 5000, 16,
                100_000_000_000L, 200_000_000_000L, 300_000_000_000L, 4096, 0, T_BTIME));
    }

    @Test
    void directoryAndLinkSizes() {
        Structs.StandardInfo std = new Structs.StandardInfo(0, 0, 1, false, true);
        FileAttributes dir = m.fromHandle(5, new Structs.BasicInfo(0, 0, 0, 0, WinAttributes.FILE_ATTRIBUTE_DIRECTORY), std, 0,
                LxEa.Metadata.NONE, 0);
        assertThat(dir.isDirectory()).isTrue();
        assertThat(dir.size()).isEqualTo(4096);
        FileAttributes link = m.fromHandle(6, new Structs.BasicInfo(0, 0, 0, 0, WinAttributes.FILE_ATTRIBUTE_REPARSE_POINT),
                new Structs.StandardInfo(0, 0, 1, false, false), WinAttributes.IO_REPARSE_TAG_LX_SYMLINK, LxEa.Metadata.NONE, 17);
        assertThat(link.isSymlink()).isTrue();
        assertThat(link.size()).isEqualTo(17);
        assertThat(link.mode()).isEqualTo(0120777);
    }

    @Test
    void metadataGivesOwnerAndZeroLinksReadAsOne() {
        FileAttributes a = m.fromHandle(7, new Structs.BasicInfo(0, 0, 0, 0, WinAttributes.FILE_ATTRIBUTE_ARCHIVE),
                new Structs.StandardInfo(0, 0, 0, true, false), 0, new LxEa.Metadata(0, 0, 0100600, null), 0);
        assertThat(a.uid()).isZero();
        assertThat(a.mode()).isEqualTo(0100600);
        assertThat(a.nlink()).isEqualTo(1);
    }

    @Test
    void listingRecordGivesTheSameAnswerAsAHandleForPlainFiles() {
        DirInfo d = new DirInfo("a.txt", T_BTIME, T_ATIME, T_MTIME, T_CTIME, 5000, 8192, WinAttributes.FILE_ATTRIBUTE_ARCHIVE, 0, 0, 42, 0);
        FileAttributes listed = m.fromDirInfo(42, d);
        FileAttributes stated = m.fromHandle(42, new Structs.BasicInfo(T_BTIME, T_ATIME, T_MTIME, T_CTIME, WinAttributes.FILE_ATTRIBUTE_ARCHIVE),
                new Structs.StandardInfo(8192, 5000, 1, false, false), 0, LxEa.Metadata.NONE, 0);
        assertThat(listed).isEqualTo(stated);
        assertThat(listed.generation()).isEqualTo(T_BTIME);
    }

    @Test
    void aFileSystemWithoutCreationTimesGivesGenerationZeroUnknown() {
        DirInfo d = new DirInfo("a.txt", 0, T_ATIME, T_MTIME, T_CTIME, 5000, 8192, WinAttributes.FILE_ATTRIBUTE_ARCHIVE, 0, 0, 42, 0);
        assertThat(m.fromDirInfo(42, d).generation()).isZero();
    }

    @Test
    void aCreationTimeThatIsNotTheFilesOwnGivesGenerationZero() {
        AttributeMapping wine = new AttributeMapping(new ModeMapping(1000, 100, 022), false);
        DirInfo d = new DirInfo("a.txt", T_BTIME, T_ATIME, T_MTIME, T_CTIME, 5000, 8192, WinAttributes.FILE_ATTRIBUTE_ARCHIVE, 0, 0, 42, 0);
        assertThat(wine.fromDirInfo(42, d).generation()).isZero();
        assertThat(wine.fromHandle(42, new Structs.BasicInfo(T_BTIME, T_ATIME, T_MTIME, T_CTIME, WinAttributes.FILE_ATTRIBUTE_ARCHIVE),
                new Structs.StandardInfo(8192, 5000, 1, false, false), 0, LxEa.Metadata.NONE, 0).generation()).isZero();
    }

    @Test
    void whichListingRecordsNeedAnOpen() {
        DirInfo plain = new DirInfo("f", 0, 0, 0, 0, 0, 0, WinAttributes.FILE_ATTRIBUTE_ARCHIVE, 0, 0, 1, 0);
        DirInfo withEas = new DirInfo("g", 0, 0, 0, 0, 0, 0, WinAttributes.FILE_ATTRIBUTE_ARCHIVE, 36, 0, 2, 0);
        DirInfo link = new DirInfo("l", 0, 0, 0, 0, 0, 0, WinAttributes.FILE_ATTRIBUTE_REPARSE_POINT, 0,
                WinAttributes.IO_REPARSE_TAG_SYMLINK, 3, 0);
        DirInfo cloud = new DirInfo("c", 0, 0, 0, 0, 0, 0, WinAttributes.FILE_ATTRIBUTE_REPARSE_POINT, 0, 0x9000001A, 4, 0);
        assertThat(AttributeMapping.needsOpen(plain, true)).isFalse();
        assertThat(AttributeMapping.needsOpen(withEas, true)).isTrue();
        assertThat(AttributeMapping.needsOpen(withEas, false)).isFalse();
        assertThat(AttributeMapping.needsOpen(link, false)).isTrue();
        assertThat(AttributeMapping.needsOpen(cloud, false)).isFalse();
    }
}
