package dev.fsdriver.backend.windows;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.Owner;
import dev.fsdriver.common.Errno;
import dev.fsdriver.common.FileMode;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class LxSpecialFilesTest {
    @Test
    void newFilesBelongToTheCallerElseToTheSharesIds() {
        assertThat(LxSpecialFiles.metadata(new Owner(65534, 65533), 1000, 1001, FileMode.S_IFREG | 0640))
                .isEqualTo(new LxEa.Metadata(65534, 65533, FileMode.S_IFREG | 0640, null));
        assertThat(LxSpecialFiles.metadata(null, 1000, 1001, FileMode.S_IFDIR | 0755))
                .isEqualTo(new LxEa.Metadata(1000, 1001, FileMode.S_IFDIR | 0755, null));
    }

    @Test
    void fifosAndSocketsAreLxReparsePointsWithMetadata() throws FsException {
        assertThat(LxSpecialFiles.reparseTag(FileMode.S_IFIFO | 0644, true)).isEqualTo(WinAttributes.IO_REPARSE_TAG_LX_FIFO);
        assertThat(LxSpecialFiles.reparseTag(FileMode.S_IFSOCK | 0755, true)).isEqualTo(WinAttributes.IO_REPARSE_TAG_AF_UNIX);
        // and read back as those types
        assertThat(ModeMapping.type(WinAttributes.FILE_ATTRIBUTE_REPARSE_POINT, WinAttributes.IO_REPARSE_TAG_LX_FIFO))
                .isEqualTo(FileMode.S_IFIFO);
    }

    @Test
    void withoutMetadataOrForDevicesItIsEperm() {
        assertThatThrownBy(() -> LxSpecialFiles.reparseTag(FileMode.S_IFIFO | 0644, false))
                .isInstanceOfSatisfying(FsException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EPERM))
                .hasMessageContaining("metadata");
        assertThatThrownBy(() -> LxSpecialFiles.reparseTag(FileMode.S_IFCHR | 0644, true))
                .isInstanceOfSatisfying(FsException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EPERM));
        assertThatThrownBy(() -> LxSpecialFiles.reparseTag(FileMode.S_IFBLK | 0644, true))
                .isInstanceOfSatisfying(FsException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EPERM));
        assertThatThrownBy(() -> LxSpecialFiles.reparseTag(FileMode.S_IFREG | 0644, true))
                .isInstanceOfSatisfying(FsException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
    }

    @Test
    void reparseDataIsTheBareHeaderParsedAsOtherTag() throws FsException {
        byte[] data = LxSpecialFiles.reparseData(WinAttributes.IO_REPARSE_TAG_AF_UNIX);
        assertThat(data).containsExactly(0x23, 0, 0, 0x80, 0, 0, 0, 0);
        ReparseData.Link parsed = ReparseData.parse(ByteBuffer.wrap(data), data.length);
        assertThat(parsed.kind()).isEqualTo(ReparseData.Kind.OTHER);
        assertThat(parsed.tag()).isEqualTo(WinAttributes.IO_REPARSE_TAG_AF_UNIX);
    }
}
