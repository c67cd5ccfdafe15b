package dev.fsdriver.backend.windows;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fsdriver.backend.windows.NotifyBufferParser.NotifyRecord;
import java.util.List;
import org.junit.jupiter.api.Test;

class NotifyBufferParserTest {
    /** FILE_NOTIFY_INFORMATION records, DWORD-aligned, linked as the kernel links them. */
    static Le basicBuffer(Object... actionNamePairs) {
        int size = 0;
        for (int i = 0; i < actionNamePairs.length; i += 2) {
            size += Le.align(12 + 2 * ((String) actionNamePairs[i + 1]).length(), 4);
        }
        Le le = new Le(size).junk();
        int off = 0;
        for (int i = 0; i < actionNamePairs.length; i += 2) {
            String name = (String) actionNamePairs[i + 1];
            int rec = Le.align(12 + 2 * name.length(), 4);
            boolean last = i + 2 >= actionNamePairs.length;
            le.u32(off, last ? 0 : rec).u32(off + 4, (Integer) actionNamePairs[i]).u32(off + 8, 2 * name.length()).utf16(off + 12, name);
            off += rec;
        }
        return le;
    }

    @Test
    void singleRecord() {
        Le le = basicBuffer(NotifyBufferParser.FILE_ACTION_ADDED, "new.txt");
        List<NotifyRecord> r = NotifyBufferParser.parse(le.buffer(), le.buffer().capacity(), false);
        assertThat(r).containsExactly(NotifyRecord.basic(1, "new.txt"));
    }

    @Test
    void chainWithOddLengthNamesIsFollowedThroughPadding() {
        // "a" is 2 bytes: record 14 bytes, padded to 16; the junk padding must not be read.
        Le le = basicBuffer(1, "a", 3, "dir\\sub\\file.c", 4, "old", 5, "new name");
        List<NotifyRecord> r = NotifyBufferParser.parse(le.buffer(), le.buffer().capacity(), false);
        assertThat(r).extracting(NotifyRecord::action, NotifyRecord::name).containsExactly(
                org.assertj.core.groups.Tuple.tuple(1, "a"),
                org.assertj.core.groups.Tuple.tuple(3, "dir\\sub\\file.c"),
                org.assertj.core.groups.Tuple.tuple(4, "old"),
                org.assertj.core.groups.Tuple.tuple(5, "new name"));
    }

    /**
     * Buffers as Wine 8 filled them (WindowsWatcherOnWindowsTest under Wine, debug log of the
     * watcher): no padding, a record after an odd-length name starts at offset 14 or 18. Both
     * were rejected as misaligned, and each became a false OVERFLOW.
     */
    @Test
    void wineChainsRecordsWithoutPadding() {
        Le two = hex("0e000000030000000200000066000000000003000000020000006600");
        assertThat(NotifyBufferParser.parse(two.buffer(), 28, false))
                .containsExactly(NotifyRecord.basic(3, "f"), NotifyRecord.basic(3, "f"));
        Le three = hex("10000000030000000400000066006600120000000100000006000000660066006600000000000300000006000000660066006600");
        assertThat(NotifyBufferParser.parse(three.buffer(), 52, false))
                .containsExactly(NotifyRecord.basic(3, "ff"), NotifyRecord.basic(1, "fff"), NotifyRecord.basic(3, "fff"));
    }

    private static Le hex(String h) {
        Le le = new Le(h.length() / 2);
        for (int i = 0; i < h.length(); i += 2) {
            le.u8(i / 2, Integer.parseInt(h.substring(i, i + 2), 16));
        }
        return le;
    }

    @Test
    void utf16NamesIncludingSurrogatesAndEscapes() {
        Le le = basicBuffer(1, "\u00fcber\uD83D\uDE00\uF03A");
        assertThat(NotifyBufferParser.parse(le.buffer(), le.buffer().capacity(), false).getFirst().name())
                .isEqualTo("\u00fcber\uD83D\uDE00\uF03A");
    }

    @Test
    void extendedRecordsCarryTimesSizeAttributesAndIds() {
        String n1 = "dir";
        String n2 = "dir\\f.bin";
        int rec1 = Le.align(84 + 2 * n1.length(), 8);
        int rec2 = 84 + 2 * n2.length();
        Le le = new Le(rec1 + rec2).junk();
        le.u32(0, rec1).u32(4, 1)
                .u64(8, 133_000_000_000_000_001L).u64(16, 133_000_000_000_000_002L)
                .u64(24, 133_000_000_000_000_003L).u64(32, 133_000_000_000_000_004L)
                .u64(40, 0).u64(48, 0).u32(56, WinAttributes.FILE_ATTRIBUTE_DIRECTORY).u32(60, 0)
                .u64(64, 0x0005_0000_0000_1234L).u64(72, 0x0005_0000_0000_0005L)
                .u32(80, 2 * n1.length()).utf16(84, n1);
        int o = rec1;
        le.u32(o, 0).u32(o + 4, 3)
                .u64(o + 8, 1).u64(o + 16, 2).u64(o + 24, 3).u64(o + 32, 4)
                .u64(o + 40, 8192).u64(o + 48, 4097).u32(o + 56, WinAttributes.FILE_ATTRIBUTE_ARCHIVE).u32(o + 60, 0)
                .u64(o + 64, 0x77L).u64(o + 72, 0x0005_0000_0000_1234L)
                .u32(o + 80, 2 * n2.length()).utf16(o + 84, n2);
        List<NotifyRecord> r = NotifyBufferParser.parse(le.buffer(), rec1 + rec2, true);
        assertThat(r).hasSize(2);
        NotifyRecord d = r.get(0);
        assertThat(d.name()).isEqualTo("dir");
        assertThat(d.isDirectory()).isTrue();
        assertThat(d.creationTime()).isEqualTo(133_000_000_000_000_001L);
        assertThat(d.lastModificationTime()).isEqualTo(133_000_000_000_000_002L);
        assertThat(d.lastChangeTime()).isEqualTo(133_000_000_000_000_003L);
        assertThat(d.lastAccessTime()).isEqualTo(133_000_000_000_000_004L);
        assertThat(d.fileId()).isEqualTo(0x0005_0000_0000_1234L);
        NotifyRecord f = r.get(1);
        assertThat(f.action()).isEqualTo(NotifyBufferParser.FILE_ACTION_MODIFIED);
        assertThat(f.name()).isEqualTo("dir\\f.bin");
        assertThat(f.fileSize()).isEqualTo(4097);
        assertThat(f.allocatedLength()).isEqualTo(8192);
        assertThat(f.isDirectory()).isFalse();
        assertThat(f.parentFileId()).isEqualTo(d.fileId());
    }

    @Test
    void onlyTheReportedByteCountIsRead() {
        Le le = basicBuffer(1, "x");
        // A bigger buffer of which the kernel filled 16 bytes: the rest is junk.
        Le big = new Le(64).junk();
        big.buffer().put(0, le.buffer().array(), 0, 16);
        assertThat(NotifyBufferParser.parse(big.buffer(), 16, false)).containsExactly(NotifyRecord.basic(1, "x"));
    }

    @Test
    void corruptChainsAreRejected() {
        Le le = basicBuffer(1, "abc", 2, "def");
        le.u32(0, 400); // NextEntryOffset beyond the data
        assertThatThrownBy(() -> NotifyBufferParser.parse(le.buffer(), le.buffer().capacity(), false))
                .isInstanceOf(IllegalArgumentException.class);
        Le odd = basicBuffer(1, "abc", 2, "def");
        odd.u32(0, 19); // a UTF-16 buffer never links to an odd offset
        assertThatThrownBy(() -> NotifyBufferParser.parse(odd.buffer(), odd.buffer().capacity(), false))
                .hasMessageContaining("NextEntryOffset");
        Le back = basicBuffer(1, "abc", 2, "def");
        back.u32(0, 16); // the next record would start inside this one's name
        assertThatThrownBy(() -> NotifyBufferParser.parse(back.buffer(), back.buffer().capacity(), false))
                .hasMessageContaining("NextEntryOffset");
        Le name = basicBuffer(1, "abc");
        name.u32(8, 1000);
        assertThatThrownBy(() -> NotifyBufferParser.parse(name.buffer(), name.buffer().capacity(), false))
                .hasMessageContaining("FileNameLength");
    }
}
