package dev.fsdriver.backend.windows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the buffer ReadDirectoryChangesW / ReadDirectoryChangesExW fill: a chain of
 * FILE_NOTIFY_INFORMATION or FILE_NOTIFY_EXTENDED_INFORMATION records linked by
 * NextEntryOffset (0 ends the chain), each with a UTF-16LE name (not NUL-terminated) relative to
 * the watched directory, components separated by backslashes.
 *
 * <p>Windows starts each record on a DWORD boundary; Wine 8 does not pad (ntdll's
 * read_changes_apc links a record at 12 + FileNameLength bytes, so after a name of an odd number
 * of characters the next one starts 2 bytes off; seen in WindowsWatcherOnWindowsTest under Wine).
 * So a link is accepted at any even offset past the record's own name: a stricter check turned
 * every such Wine buffer into an overflow.
 *
 * <p>A completion with zero bytes is not parsed here: it means the kernel's buffer overflowed
 * and every event was lost (the caller reports overflow and rescans).
 */
public final class NotifyBufferParser {
    public static final int FILE_ACTION_ADDED = 1;
    public static final int FILE_ACTION_REMOVED = 2;
    public static final int FILE_ACTION_MODIFIED = 3;
    public static final int FILE_ACTION_RENAMED_OLD_NAME = 4;
    public static final int FILE_ACTION_RENAMED_NEW_NAME = 5;

    /** FILE_NOTIFY_INFORMATION: NextEntryOffset, Action, FileNameLength, FileName. */
    static final int BASIC_NAME_OFFSET = 12;
    /** FILE_NOTIFY_EXTENDED_INFORMATION: FileNameLength at 80, FileName at 84. */
    static final int EXT_NAME_LENGTH_OFFSET = 80;
    static final int EXT_NAME_OFFSET = 84;

    /** One record. The extended fields are 0 for FILE_NOTIFY_INFORMATION ({@code extended} false). */
    public record NotifyRecord(
            int action,
            String name,
            boolean extended,
            long creationTime,
            long lastModificationTime,
            long lastChangeTime,
            long lastAccessTime,
            long allocatedLength,
            long fileSize,
            int fileAttributes,
            int reparseTagOrEaSize,
            long fileId,
            long parentFileId) {

        public static NotifyRecord basic(int action, String name) {
            return new NotifyRecord(action, name, false, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        }

        public boolean isDirectory() {
            return extended && (fileAttributes & WinAttributes.FILE_ATTRIBUTE_DIRECTORY) != 0;
        }
    }

    private NotifyBufferParser() {}

    /**
     * Parses {@code length} bytes of {@code buf} from position 0 (absolute reads; the buffer's
     * position and order are not changed).
     *
     * @throws IllegalArgumentException if the chain points outside the data, back into its own
     *     record, or to an odd offset
     */
    public static List<NotifyRecord> parse(ByteBuffer buf, int length, boolean extended) {
        ByteBuffer b = buf.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        List<NotifyRecord> out = new ArrayList<>();
        int off = 0;
        int header = extended ? EXT_NAME_OFFSET : BASIC_NAME_OFFSET;
        while (true) {
            if (off + header > length) {
                throw new IllegalArgumentException("notify record at " + off + " exceeds " + length + " bytes");
            }
            int next = b.getInt(off);
            int action = b.getInt(off + 4);
            int nameLen = b.getInt(off + (extended ? EXT_NAME_LENGTH_OFFSET : 8));
            if (nameLen < 0 || (nameLen & 1) != 0 || off + header + nameLen > length) {
                throw new IllegalArgumentException("bad FileNameLength " + nameLen + " at " + off);
            }
            String name = Utf16.read(b, off + header, nameLen);
            if (extended) {
                out.add(new NotifyRecord(action, name, true,
                        b.getLong(off + 8), b.getLong(off + 16), b.getLong(off + 24), b.getLong(off + 32),
                        b.getLong(off + 40), b.getLong(off + 48), b.getInt(off + 56), b.getInt(off + 60),
                        b.getLong(off + 64), b.getLong(off + 72)));
            } else {
                out.add(NotifyRecord.basic(action, name));
            }
            if (next == 0) {
                return out;
            }
            if (next < 0 || (next & 1) != 0 || next < header + nameLen) {
                throw new IllegalArgumentException("bad NextEntryOffset " + next + " at " + off);
            }
            off += next;
        }
    }
}
