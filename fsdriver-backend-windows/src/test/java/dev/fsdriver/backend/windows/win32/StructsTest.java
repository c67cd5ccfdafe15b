package dev.fsdriver.backend.windows.win32;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class StructsTest {
    private static ByteBuffer le(String hex) {
        return ByteBuffer.wrap(HexFormat.of().parseHex(hex)).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Test
    void basicInfoReadAndWrite() {
        ByteBuffer b = ByteBuffer.allocate(Structs.BASIC_INFO_SIZE);
        new Structs.BasicInfo(1, 2, 3, 4, 0x20).write(b);
        assertThat(HexFormat.of().formatHex(b.array())).isEqualTo(
                "0100000000000000" + "0200000000000000" + "0300000000000000" + "0400000000000000" + "20000000" + "00000000");
        assertThat(Structs.BasicInfo.read(b)).isEqualTo(new Structs.BasicInfo(1, 2, 3, 4, 0x20));
    }

    @Test
    void standardInfo() {
        Structs.StandardInfo s = Structs.StandardInfo.read(le(
                "0010000000000000" + "0500000000000000" + "02000000" + "00" + "01" + "0000"));
        assertThat(s).isEqualTo(new Structs.StandardInfo(4096, 5, 2, false, true));
    }

    @Test
    void idInfoSplitsThe128BitId() {
        Structs.IdInfo id = Structs.IdInfo.read(le(
                "efcdab8967452301" + "4200000000000300" + "0000000000000000"));
        assertThat(id.volumeSerial()).isEqualTo(0x0123456789ABCDEFL);
        assertThat(id.fileIdLow()).isEqualTo(0x0003_0000_0000_0042L);
        assertThat(id.fileIdHigh()).isZero();
    }

    @Test
    void attributeTagInfo() {
        assertThat(Structs.AttributeTagInfo.read(le("00040000" + "1d0000a0")))
                .isEqualTo(new Structs.AttributeTagInfo(0x400, 0xA000001D));
    }

    @Test
    void renameInfoEx() {
        ByteBuffer b = ByteBuffer.allocate(64);
        int n = Structs.writeRenameInfo(b, Structs.FILE_RENAME_FLAG_REPLACE_IF_EXISTS | Structs.FILE_RENAME_FLAG_POSIX_SEMANTICS,
                0x1A4L, "b.txt");
        assertThat(n).isEqualTo(20 + 10 + 2);
        assertThat(HexFormat.of().formatHex(b.array(), 0, n)).isEqualTo(
                "03000000" + "00000000" + "a401000000000000" + "0a000000" + "62002e00740078007400" + "0000");
    }

    /**
     * B2: the flags the backend renames with (replace, POSIX, ignore read-only) as the bytes
     * ntifs.h gives them: FILE_RENAME_IGNORE_READONLY_ATTRIBUTE is 0x40 (0x4 is
     * SUPPRESS_PIN_STATE_INHERITANCE, and renaming over a read-only file then fails on NTFS).
     * A unit test: Wine 8 has no FileRenameInformationEx, so it cannot show this.
     */
    @Test
    void renameInfoExFlagsAreTheDocumentedBits() {
        ByteBuffer b = ByteBuffer.allocate(64);
        Structs.writeRenameInfo(b, Structs.FILE_RENAME_FLAG_REPLACE_IF_EXISTS | Structs.FILE_RENAME_FLAG_POSIX_SEMANTICS
                | Structs.FILE_RENAME_FLAG_IGNORE_READONLY_ATTRIBUTE, 0, "x");
        assertThat(HexFormat.of().formatHex(b.array(), 0, 4)).isEqualTo("43000000");
    }

    @Test
    void renameInfoHasAMinimumSize() {
        ByteBuffer b = ByteBuffer.allocate(64);
        assertThat(Structs.writeRenameInfo(b, 1, 0, "")).isEqualTo(24);
    }

    @Test
    void dispositionAndEndOfFile() {
        ByteBuffer b = ByteBuffer.allocate(8);
        assertThat(Structs.writeDisposition(b, Structs.FILE_DISPOSITION_FLAG_DELETE | Structs.FILE_DISPOSITION_FLAG_POSIX_SEMANTICS
                | Structs.FILE_DISPOSITION_FLAG_IGNORE_READONLY_ATTRIBUTE)).isEqualTo(4);
        assertThat(HexFormat.of().formatHex(b.array(), 0, 4)).isEqualTo("13000000");
        assertThat(Structs.writeEndOfFile(b, 0x1_0000_0001L)).isEqualTo(8);
        assertThat(HexFormat.of().formatHex(b.array())).isEqualTo("0100000001000000");
    }
}
