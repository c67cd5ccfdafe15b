package dev.fsdriver.backend.windows.win32;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Byte layouts (x64, little-endian) of the FILE_*_INFO structures passed to
 * GetFileInformationByHandleEx / SetFileInformationByHandle, built and read in plain ByteBuffers
 * so they can be checked without Windows.
 */
public final class Structs {
    // FILE_INFO_BY_HANDLE_CLASS (minwinbase.h).
    public static final int FileBasicInfo = 0;
    public static final int FileStandardInfo = 1;
    public static final int FileNameInfo = 2;
    public static final int FileRenameInfo = 3;
    public static final int FileDispositionInfo = 4;
    public static final int FileEndOfFileInfo = 6;
    public static final int FileAttributeTagInfo = 9;
    public static final int FileIdBothDirectoryInfo = 10;
    public static final int FileIdBothDirectoryRestartInfo = 11;
    public static final int FileIdInfo = 18;
    public static final int FileIdExtdDirectoryInfo = 19;
    public static final int FileIdExtdDirectoryRestartInfo = 20;
    public static final int FileDispositionInfoEx = 21;
    public static final int FileRenameInfoEx = 22;
    public static final int FileCaseSensitiveInfo = 23;

    public static final int FILE_RENAME_FLAG_REPLACE_IF_EXISTS = 0x1;
    public static final int FILE_RENAME_FLAG_POSIX_SEMANTICS = 0x2;
    public static final int FILE_RENAME_FLAG_IGNORE_READONLY_ATTRIBUTE = 0x40; // 0x4 is SUPPRESS_PIN_STATE_INHERITANCE
    public static final int FILE_DISPOSITION_FLAG_DELETE = 0x1;
    public static final int FILE_DISPOSITION_FLAG_POSIX_SEMANTICS = 0x2;
    public static final int FILE_DISPOSITION_FLAG_IGNORE_READONLY_ATTRIBUTE = 0x10;
    public static final int FILE_CS_FLAG_CASE_SENSITIVE_DIR = 0x1;

    public static final int BASIC_INFO_SIZE = 40;
    public static final int STANDARD_INFO_SIZE = 24;
    public static final int ID_INFO_SIZE = 24;
    public static final int ATTRIBUTE_TAG_INFO_SIZE = 8;
    public static final int RENAME_INFO_NAME_OFFSET = 20;

    private Structs() {}

    /** FILE_BASIC_INFO: CreationTime 0, LastAccessTime 8, LastWriteTime 16, ChangeTime 24, FileAttributes 32. */
    public record BasicInfo(long creationTime, long lastAccessTime, long lastWriteTime, long changeTime, int attributes) {
        public static BasicInfo read(ByteBuffer buf) {
            ByteBuffer b = le(buf);
            return new BasicInfo(b.getLong(0), b.getLong(8), b.getLong(16), b.getLong(24), b.getInt(32));
        }

        /** Writes the 40 bytes; 0 in a time or in attributes means "leave unchanged". */
        public ByteBuffer write(ByteBuffer buf) {
            ByteBuffer b = le(buf);
            b.putLong(0, creationTime).putLong(8, lastAccessTime).putLong(16, lastWriteTime).putLong(24, changeTime)
                    .putInt(32, attributes).putInt(36, 0);
            return buf;
        }
    }

    /** FILE_STANDARD_INFO: AllocationSize 0, EndOfFile 8, NumberOfLinks 16, DeletePending 20, Directory 21. */
    public record StandardInfo(long allocationSize, long endOfFile, int numberOfLinks, boolean deletePending, boolean directory) {
        public static StandardInfo read(ByteBuffer buf) {
            ByteBuffer b = le(buf);
            return new StandardInfo(b.getLong(0), b.getLong(8), b.getInt(16), b.get(20) != 0, b.get(21) != 0);
        }
    }

    /** FILE_ID_INFO: VolumeSerialNumber 0, FileId (FILE_ID_128, 16 bytes) 8. */
    public record IdInfo(long volumeSerial, long fileIdLow, long fileIdHigh) {
        public static IdInfo read(ByteBuffer buf) {
            ByteBuffer b = le(buf);
            return new IdInfo(b.getLong(0), b.getLong(8), b.getLong(16));
        }
    }

    /** FILE_ATTRIBUTE_TAG_INFO: FileAttributes 0, ReparseTag 4. */
    public record AttributeTagInfo(int attributes, int reparseTag) {
        public static AttributeTagInfo read(ByteBuffer buf) {
            ByteBuffer b = le(buf);
            return new AttributeTagInfo(b.getInt(0), b.getInt(4));
        }
    }

    /**
     * FILE_RENAME_INFO (x64): Flags (or BOOLEAN ReplaceIfExists) 0, HANDLE RootDirectory 8,
     * DWORD FileNameLength 16, WCHAR FileName[] 20, plus a NUL. For FileRenameInfo the first
     * byte is the BOOLEAN; for FileRenameInfoEx the DWORD is the flags.
     *
     * @return the byte count to pass as the buffer size
     */
    public static int writeRenameInfo(ByteBuffer buf, int flagsOrReplace, long rootDirectory, String fileName) {
        ByteBuffer b = le(buf);
        int nameBytes = 2 * fileName.length();
        int size = Math.max(24, RENAME_INFO_NAME_OFFSET + nameBytes + 2);
        for (int i = 0; i < size; i++) {
            b.put(i, (byte) 0);
        }
        b.putInt(0, flagsOrReplace).putLong(8, rootDirectory).putInt(16, nameBytes);
        for (int i = 0; i < fileName.length(); i++) {
            b.putChar(RENAME_INFO_NAME_OFFSET + 2 * i, fileName.charAt(i));
        }
        return size;
    }

    /** FILE_DISPOSITION_INFO_EX (DWORD Flags) or FILE_DISPOSITION_INFO (BOOLEAN DeleteFile): 4 bytes either way. */
    public static int writeDisposition(ByteBuffer buf, int flagsOrDelete) {
        le(buf).putInt(0, flagsOrDelete);
        return 4;
    }

    /** FILE_END_OF_FILE_INFO: LARGE_INTEGER EndOfFile. */
    public static int writeEndOfFile(ByteBuffer buf, long size) {
        le(buf).putLong(0, size);
        return 8;
    }

    private static ByteBuffer le(ByteBuffer buf) {
        return buf.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }
}
