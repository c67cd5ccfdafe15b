package dev.fsdriver.backend.windows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the buffers GetFileInformationByHandleEx fills for FileIdExtdDirectoryInfo
 * (FILE_ID_EXTD_DIR_INFO: 128-bit FileId, ReparsePointTag) and FileIdBothDirectoryInfo
 * (FILE_ID_BOTH_DIR_INFO: 64-bit FileId; for reparse points EaSize holds the tag, MS-FSCC
 * 2.4.17). "." and ".." are skipped.
 */
public final class DirInfoParser {
    /** Which layout the buffer has. */
    public enum Layout {
        /** FILE_ID_EXTD_DIR_INFO, FileName at 88. */
        ID_EXTD(88),
        /** FILE_ID_BOTH_DIR_INFO, FileName at 104. */
        ID_BOTH(104);

        final int nameOffset;

        Layout(int nameOffset) {
            this.nameOffset = nameOffset;
        }
    }

    /** One directory entry with raw FILETIMEs and the file id split in two 64-bit halves. */
    public record DirInfo(
            String name,
            long creationTime,
            long lastAccessTime,
            long lastWriteTime,
            long changeTime,
            long endOfFile,
            long allocationSize,
            int attributes,
            int eaSize,
            int reparseTag,
            long fileIdLow,
            long fileIdHigh) {

        public boolean isDirectory() {
            return (attributes & WinAttributes.FILE_ATTRIBUTE_DIRECTORY) != 0;
        }

        public boolean isReparsePoint() {
            return (attributes & WinAttributes.FILE_ATTRIBUTE_REPARSE_POINT) != 0;
        }
    }

    private DirInfoParser() {}

    /** Parses the chain in the first {@code length} bytes of {@code buf}, appending to {@code out}. */
    public static List<DirInfo> parse(ByteBuffer buf, int length, Layout layout, List<DirInfo> out) {
        ByteBuffer b = buf.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int off = 0;
        while (true) {
            if (off + layout.nameOffset > length) {
                throw new IllegalArgumentException("directory record at " + off + " exceeds " + length + " bytes");
            }
            int next = b.getInt(off);
            int attributes = b.getInt(off + 56);
            int nameLen = b.getInt(off + 60);
            int eaSize = b.getInt(off + 64);
            if (nameLen < 0 || (nameLen & 1) != 0 || off + layout.nameOffset + nameLen > length) {
                throw new IllegalArgumentException("bad FileNameLength " + nameLen + " at " + off);
            }
            String name = Utf16.read(b, off + layout.nameOffset, nameLen);
            int tag;
            long idLow;
            long idHigh;
            if (layout == Layout.ID_EXTD) {
                tag = b.getInt(off + 68);
                idLow = b.getLong(off + 72);
                idHigh = b.getLong(off + 80);
            } else {
                tag = (attributes & WinAttributes.FILE_ATTRIBUTE_REPARSE_POINT) != 0 ? eaSize : 0;
                idLow = b.getLong(off + 96);
                idHigh = 0;
            }
            if (!name.equals(".") && !name.equals("..")) {
                out.add(new DirInfo(name, b.getLong(off + 8), b.getLong(off + 16), b.getLong(off + 24), b.getLong(off + 32),
                        b.getLong(off + 40), b.getLong(off + 48), attributes,
                        layout == Layout.ID_EXTD || tag == 0 ? eaSize : 0, tag, idLow, idHigh));
            }
            if (next == 0) {
                return out;
            }
            if (next < 0 || (next & 7) != 0 || next < layout.nameOffset) {
                throw new IllegalArgumentException("bad NextEntryOffset " + next + " at " + off);
            }
            off += next;
        }
    }
}
