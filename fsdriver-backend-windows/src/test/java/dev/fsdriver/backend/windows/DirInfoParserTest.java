package dev.fsdriver.backend.windows;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fsdriver.backend.windows.DirInfoParser.DirInfo;
import dev.fsdriver.backend.windows.DirInfoParser.Layout;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DirInfoParserTest {
    /** An entry to lay out; times are distinct per entry so that mixed-up offsets show. */
    record E(String name, int attributes, long size, int tagOrEa, long idLow, long idHigh) {}

    /** FILE_ID_EXTD_DIR_INFO chain: FileName at 88, records 8-byte aligned. */
    static Le extd(E... es) {
        int size = 0;
        for (E e : es) {
            size += Le.align(88 + 2 * e.name.length(), 8);
        }
        Le le = new Le(size).junk();
        int off = 0;
        for (int i = 0; i < es.length; i++) {
            E e = es[i];
            int rec = Le.align(88 + 2 * e.name.length(), 8);
            le.u32(off, i + 1 == es.length ? 0 : rec).u32(off + 4, 0)
                    .u64(off + 8, 1000 + i).u64(off + 16, 2000 + i).u64(off + 24, 3000 + i).u64(off + 32, 4000 + i)
                    .u64(off + 40, e.size).u64(off + 48, Le.align((int) e.size, 4096))
                    .u32(off + 56, e.attributes).u32(off + 60, 2 * e.name.length())
                    .u32(off + 64, 0).u32(off + 68, e.tagOrEa)
                    .u64(off + 72, e.idLow).u64(off + 80, e.idHigh)
                    .utf16(off + 88, e.name);
            off += rec;
        }
        return le;
    }

    /** FILE_ID_BOTH_DIR_INFO chain: ShortName at 70, FileId at 96, FileName at 104. */
    static Le both(E... es) {
        int size = 0;
        for (E e : es) {
            size += Le.align(104 + 2 * e.name.length(), 8);
        }
        Le le = new Le(size).junk();
        int off = 0;
        for (int i = 0; i < es.length; i++) {
            E e = es[i];
            int rec = Le.align(104 + 2 * e.name.length(), 8);
            le.u32(off, i + 1 == es.length ? 0 : rec).u32(off + 4, 0)
                    .u64(off + 8, 1000 + i).u64(off + 16, 2000 + i).u64(off + 24, 3000 + i).u64(off + 32, 4000 + i)
                    .u64(off + 40, e.size).u64(off + 48, Le.align((int) e.size, 4096))
                    .u32(off + 56, e.attributes).u32(off + 60, 2 * e.name.length())
                    .u32(off + 64, e.tagOrEa).u8(off + 68, 12).u8(off + 69, 0).utf16(off + 70, "LONGNA~1.TXT")
                    .u16(off + 94, 0).u64(off + 96, e.idLow)
                    .utf16(off + 104, e.name);
            off += rec;
        }
        return le;
    }

    @Test
    void extdListingSkipsDotsAndReadsEveryField() {
        Le le = extd(
                new E(".", 0x10, 0, 0, 5, 0),
                new E("..", 0x10, 0, 0, 5, 0),
                new E("readme.md", 0x20, 1234, 0, 0x0003_0000_0000_0042L, 0),
                new E("src", 0x10, 0, 0, 0x0001_0000_0000_0043L, 0),
                new E("link", 0x20 | 0x400, 0, WinAttributes.IO_REPARSE_TAG_LX_SYMLINK, 0x44, 0),
                new E("refs-file", 0x20, 7, 0, 0x1122334455667788L, 0x0102030405060708L));
        List<DirInfo> r = DirInfoParser.parse(le.buffer(), le.buffer().capacity(), Layout.ID_EXTD, new ArrayList<>());
        assertThat(r).extracting(DirInfo::name).containsExactly("readme.md", "src", "link", "refs-file");
        DirInfo f = r.get(0);
        assertThat(f.creationTime()).isEqualTo(1002);
        assertThat(f.lastAccessTime()).isEqualTo(2002);
        assertThat(f.lastWriteTime()).isEqualTo(3002);
        assertThat(f.changeTime()).isEqualTo(4002);
        assertThat(f.endOfFile()).isEqualTo(1234);
        assertThat(f.allocationSize()).isEqualTo(4096);
        assertThat(f.fileIdLow()).isEqualTo(0x0003_0000_0000_0042L);
        assertThat(f.fileIdHigh()).isZero();
        assertThat(f.isDirectory()).isFalse();
        assertThat(r.get(1).isDirectory()).isTrue();
        assertThat(r.get(2).isReparsePoint()).isTrue();
        assertThat(r.get(2).reparseTag()).isEqualTo(WinAttributes.IO_REPARSE_TAG_LX_SYMLINK);
        assertThat(r.get(3).fileIdHigh()).isEqualTo(0x0102030405060708L);
        assertThat(r.get(3).fileIdLow()).isEqualTo(0x1122334455667788L);
    }

    @Test
    void bothListingReadsSixtyFourBitIdAndTagFromEaSize() {
        Le le = both(
                new E("Long Name.txt", 0x20, 99, 0, 0x77, 0),
                new E("junction", 0x10 | 0x400, 0, WinAttributes.IO_REPARSE_TAG_MOUNT_POINT, 0x78, 0));
        List<DirInfo> r = DirInfoParser.parse(le.buffer(), le.buffer().capacity(), Layout.ID_BOTH, new ArrayList<>());
        assertThat(r).extracting(DirInfo::name).containsExactly("Long Name.txt", "junction");
        assertThat(r.get(0).fileIdLow()).isEqualTo(0x77);
        assertThat(r.get(0).reparseTag()).isZero();
        assertThat(r.get(0).endOfFile()).isEqualTo(99);
        assertThat(r.get(1).reparseTag()).isEqualTo(WinAttributes.IO_REPARSE_TAG_MOUNT_POINT);
        assertThat(r.get(1).eaSize()).isZero();
    }

    @Test
    void emptyDirectoryGivesNoEntries() {
        Le le = extd(new E(".", 0x10, 0, 0, 5, 0), new E("..", 0x10, 0, 0, 5, 0));
        assertThat(DirInfoParser.parse(le.buffer(), le.buffer().capacity(), Layout.ID_EXTD, new ArrayList<>())).isEmpty();
    }

    @Test
    void successiveBuffersAppend() {
        List<DirInfo> out = new ArrayList<>();
        Le a = extd(new E("a", 0x20, 1, 0, 1, 0));
        Le b = extd(new E("b", 0x20, 2, 0, 2, 0));
        DirInfoParser.parse(a.buffer(), a.buffer().capacity(), Layout.ID_EXTD, out);
        DirInfoParser.parse(b.buffer(), b.buffer().capacity(), Layout.ID_EXTD, out);
        assertThat(out).extracting(DirInfo::name).containsExactly("a", "b");
    }

    @Test
    void misalignedOrOverlongChainsAreRejected() {
        Le le = extd(new E("a", 0x20, 1, 0, 1, 0), new E("b", 0x20, 1, 0, 1, 0));
        le.u32(0, 92);
        assertThatThrownBy(() -> DirInfoParser.parse(le.buffer(), le.buffer().capacity(), Layout.ID_EXTD, new ArrayList<>()))
                .isInstanceOf(IllegalArgumentException.class);
        Le le2 = extd(new E("a", 0x20, 1, 0, 1, 0), new E("b", 0x20, 1, 0, 1, 0));
        le2.u32(0, 4096);
        assertThatThrownBy(() -> DirInfoParser.parse(le2.buffer(), le2.buffer().capacity(), Layout.ID_EXTD, new ArrayList<>()))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
