package dev.fsdriver.backend.windows.win32;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import com.sun.jna.platform.win32.WinNT.HANDLE;
import com.sun.jna.platform.win32.WinNT.HANDLEByReference;
import com.sun.jna.win32.StdCallLibrary;
import java.nio.charset.StandardCharsets;

/**
 * The ntdll functions fsdriver calls, which have no Win32 equivalent: NtCreateFile relative to a
 * directory handle (how the backend keeps every open inside the share), the EA calls and
 * NtSetInformationFile's rename and link classes. As in {@link Win32}: named like the function,
 * the C prototype in the Javadoc, a failed NTSTATUS thrown as a {@link WindowsException} that
 * carries it and its DOS error (RtlNtStatusToDosError). No policy lives here.
 */
public final class NtCalls {
    /** IO_STATUS_BLOCK on x64: Status/Pointer 0, Information 8. */
    public static final int IO_STATUS_BLOCK_SIZE = 16;

    /** ntdll functions with no Win32 equivalent. */
    interface NtDll extends StdCallLibrary {
        int NtQueryEaFile(HANDLE h, Pointer iosb, Pointer buf, int len, boolean returnSingleEntry, Pointer eaList, int eaListLength,
                Pointer eaIndex, boolean restartScan);
        int NtSetEaFile(HANDLE h, Pointer iosb, Pointer buf, int len);
        int NtCreateFile(HANDLEByReference out, int access, Pointer objectAttributes,
                Pointer iosb, Pointer allocationSize, int fileAttributes, int share, int disposition, int options,
                Pointer eaBuffer, int eaLength);
        int NtSetInformationFile(HANDLE h, Pointer iosb, Pointer buf, int len, int infoClass);
        int RtlNtStatusToDosError(int status);
    }

    private static final class N {
        static final NtDll NT = Native.load("ntdll", NtDll.class, Win32.OPTIONS);
    }

    private NtCalls() {}

    private static void ntCheck(int status, String function) throws WindowsException {
        if (status < 0) { // !NT_SUCCESS: errors and warnings
            throw new WindowsException(N.NT.RtlNtStatusToDosError(status), status, function);
        }
    }

    /**
     * {@code NTSTATUS NtQueryEaFile(HANDLE FileHandle, PIO_STATUS_BLOCK IoStatusBlock, PVOID Buffer, ULONG Length,
     * BOOLEAN ReturnSingleEntry, PVOID EaList, ULONG EaListLength, PULONG EaIndex, BOOLEAN RestartScan)}.
     *
     * @return bytes written to {@code buf} (IoStatusBlock.Information)
     */
    public static int NtQueryEaFile(HANDLE h, Pointer buf, int len, Pointer eaList, int eaListLength) throws WindowsException {
        try (Memory iosb = new Memory(IO_STATUS_BLOCK_SIZE)) {
            iosb.clear();
            ntCheck(N.NT.NtQueryEaFile(h, iosb, buf, len, false, eaList, eaListLength, null, true), "NtQueryEaFile");
            return (int) iosb.getLong(8);
        }
    }

    // NtCreateFile: CreateDisposition, CreateOptions, OBJECT_ATTRIBUTES.Attributes, IoStatus.Information.
    public static final int FILE_OPEN = 1;
    public static final int FILE_CREATE = 2;
    public static final int FILE_OPEN_IF = 3;
    public static final int FILE_DIRECTORY_FILE = 0x1;
    public static final int FILE_SYNCHRONOUS_IO_NONALERT = 0x20;
    public static final int FILE_NON_DIRECTORY_FILE = 0x40;
    public static final int FILE_OPEN_BY_FILE_ID = 0x2000;
    public static final int FILE_OPEN_FOR_BACKUP_INTENT = 0x4000;
    public static final int FILE_OPEN_REPARSE_POINT = 0x200000;
    public static final int OBJ_CASE_INSENSITIVE = 0x40;
    public static final int OBJ_DONT_REPARSE = 0x1000;
    public static final int FILE_OPENED = 1;
    public static final int FILE_CREATED = 2;
    /** NtSetInformationFile classes (FILE_INFORMATION_CLASS): same layout as FILE_RENAME_INFO. */
    public static final int FileRenameInformation = 10;
    public static final int FileLinkInformation = 11;
    public static final int FileRenameInformationEx = 65;

    /** A handle from {@link #NtCreateFile} and its IoStatus.Information (FILE_OPENED, FILE_CREATED, ...). */
    public record NtOpened(HANDLE handle, int information) {}

    /**
     * {@code NTSTATUS NtCreateFile(PHANDLE FileHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
     * PIO_STATUS_BLOCK IoStatusBlock, PLARGE_INTEGER AllocationSize, ULONG FileAttributes, ULONG ShareAccess,
     * ULONG CreateDisposition, ULONG CreateOptions, PVOID EaBuffer, ULONG EaLength)} with
     * {@code ObjectAttributes = {RootDirectory: root, ObjectName: name, Attributes: objAttributes}}:
     * {@code name} (one component) is opened relative to the directory handle {@code root}, sharing RWD.
     */
    public static NtOpened NtCreateFile(HANDLE root, String name, int access, int fileAttributes, int disposition, int options,
            int objAttributes) throws WindowsException {
        byte[] utf16 = name.getBytes(StandardCharsets.UTF_16LE);
        if (utf16.length > 0xFFFC) {
            throw new WindowsException(206 /* ERROR_FILENAME_EXCED_RANGE */, 0, "NtCreateFile");
        }
        return create(root, utf16, access, fileAttributes, disposition, options, objAttributes);
    }

    /**
     * {@link #NtCreateFile} with {@code FILE_OPEN_BY_FILE_ID}: the ObjectName is the 8-byte file id
     * {@code fileId} (little-endian, FILE_INTERNAL_INFORMATION's IndexNumber), RootDirectory
     * {@code root} a handle of a directory on the same volume (NTFS opens any file of the volume by
     * it; Wine 8 searches below that directory's host path): opened with FILE_OPEN, never created.
     */
    public static NtOpened NtCreateFileById(HANDLE root, long fileId, int access, int options) throws WindowsException {
        byte[] id = new byte[8];
        for (int i = 0; i < 8; i++) {
            id[i] = (byte) (fileId >>> (8 * i));
        }
        return create(root, id, access, 0, FILE_OPEN, options | FILE_OPEN_BY_FILE_ID, 0);
    }

    private static NtOpened create(HANDLE root, byte[] utf16, int access, int fileAttributes, int disposition, int options,
            int objAttributes) throws WindowsException {
        // x64 layouts: UNICODE_STRING {USHORT Length, USHORT MaximumLength, PWSTR Buffer@8} = 16 bytes;
        // OBJECT_ATTRIBUTES {ULONG Length, HANDLE RootDirectory@8, PUNICODE_STRING ObjectName@16,
        // ULONG Attributes@24, PVOID SecurityDescriptor@32, PVOID SecurityQualityOfService@40} = 48 bytes.
        try (Memory nameBuf = new Memory(utf16.length + 2L); Memory us = new Memory(16); Memory oa = new Memory(48);
             Memory iosb = new Memory(IO_STATUS_BLOCK_SIZE)) {
            nameBuf.write(0, utf16, 0, utf16.length);
            nameBuf.setShort(utf16.length, (short) 0);
            us.clear();
            us.setShort(0, (short) utf16.length);
            us.setShort(2, (short) (utf16.length + 2));
            us.setPointer(8, nameBuf);
            oa.clear();
            oa.setInt(0, 48);
            oa.setPointer(8, root == null ? null : root.getPointer());
            oa.setPointer(16, us);
            oa.setInt(24, objAttributes);
            iosb.clear();
            HANDLEByReference out = new HANDLEByReference();
            ntCheck(N.NT.NtCreateFile(out, access, oa, iosb, null, fileAttributes, Win32.FILE_SHARE_ALL, disposition, options, null, 0),
                    "NtCreateFile");
            return new NtOpened(out.getValue(), (int) iosb.getLong(8));
        }
    }

    /** {@code NTSTATUS NtSetInformationFile(HANDLE FileHandle, PIO_STATUS_BLOCK IoStatusBlock, PVOID FileInformation, ULONG Length, FILE_INFORMATION_CLASS FileInformationClass)}. */
    public static void NtSetInformationFile(HANDLE h, Pointer buf, int len, int infoClass) throws WindowsException {
        try (Memory iosb = new Memory(IO_STATUS_BLOCK_SIZE)) {
            iosb.clear();
            ntCheck(N.NT.NtSetInformationFile(h, iosb, buf, len, infoClass), "NtSetInformationFile(" + infoClass + ")");
        }
    }

    /**
     * {@code const char *wine_get_version(void)}, which only Wine's ntdll exports: the Wine
     * version, or null on Windows.
     */
    public static String wineVersion() {
        try {
            return NativeLibrary.getInstance("ntdll").getFunction("wine_get_version").invokeString(new Object[0], false);
        } catch (UnsatisfiedLinkError e) {
            return null;
        }
    }

    /** {@code NTSTATUS NtSetEaFile(HANDLE FileHandle, PIO_STATUS_BLOCK IoStatusBlock, PVOID Buffer, ULONG Length)}. */
    public static void NtSetEaFile(HANDLE h, Pointer buf, int len) throws WindowsException {
        try (Memory iosb = new Memory(IO_STATUS_BLOCK_SIZE)) {
            iosb.clear();
            ntCheck(N.NT.NtSetEaFile(h, iosb, buf, len), "NtSetEaFile");
        }
    }
}
