package dev.fsdriver.backend.windows.win32;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.platform.win32.WinNT.HANDLE;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.win32.StdCallLibrary;
import com.sun.jna.win32.W32APITypeMapper;
import java.util.Map;

/**
 * The one place where fsdriver calls Win32 and NT functions (JNA). Each method is named like the
 * function it calls, shows the C prototype in its Javadoc, checks the result and throws a cheap
 * {@link WindowsException} with GetLastError (or the NTSTATUS and its DOS error) on failure.
 * No policy lives here: fallbacks and error meaning are the backend's.
 *
 * The ntdll functions (handle-relative open, EAs, set-information classes) are in {@link NtCalls}.
 *
 * <p>Loading this class on a non-Windows OS fails at the first call (the libraries are loaded
 * lazily); tests on Linux never load it.
 */
public final class Win32 {
    // Access rights.
    public static final int FILE_READ_DATA = 0x1;
    public static final int FILE_LIST_DIRECTORY = 0x1;
    public static final int FILE_WRITE_DATA = 0x2;
    public static final int FILE_APPEND_DATA = 0x4;
    public static final int FILE_READ_EA = 0x8;
    public static final int FILE_WRITE_EA = 0x10;
    public static final int FILE_TRAVERSE = 0x20;
    public static final int FILE_READ_ATTRIBUTES = 0x80;
    public static final int FILE_WRITE_ATTRIBUTES = 0x100;
    public static final int DELETE = 0x10000;
    public static final int SYNCHRONIZE = 0x100000;
    public static final int GENERIC_READ = 0x80000000;
    public static final int GENERIC_WRITE = 0x40000000;
    // Sharing: always all three (POSIX meaning: others may rename or delete an open file).
    public static final int FILE_SHARE_ALL = 0x1 | 0x2 | 0x4;
    // Dispositions.
    public static final int CREATE_NEW = 1;
    public static final int OPEN_EXISTING = 3;
    public static final int OPEN_ALWAYS = 4;
    // Flags.
    public static final int FILE_FLAG_BACKUP_SEMANTICS = 0x02000000;
    public static final int FILE_FLAG_OPEN_REPARSE_POINT = 0x00200000;
    public static final int FILE_FLAG_OVERLAPPED = 0x40000000;
    // FSCTLs.
    public static final int FSCTL_SET_REPARSE_POINT = 0x000900A4;
    public static final int FSCTL_GET_REPARSE_POINT = 0x000900A8;
    // ReadDirectoryChanges.
    public static final int FILE_NOTIFY_CHANGE_ALL = 0x1 | 0x2 | 0x4 | 0x8 | 0x10 | 0x40 | 0x100;
    public static final int ReadDirectoryNotifyExtendedInformation = 2;
    // CreateSymbolicLinkW.
    public static final int SYMBOLIC_LINK_FLAG_DIRECTORY = 0x1;
    public static final int SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE = 0x2;
    public static final int INVALID_FILE_ATTRIBUTES = -1;
    /** OVERLAPPED on x64: Internal 0, InternalHigh 8, Offset 16, OffsetHigh 20, hEvent 24. */
    public static final int OVERLAPPED_SIZE = 32;

    static final Map<String, Object> OPTIONS = Map.of(Library.OPTION_TYPE_MAPPER, W32APITypeMapper.UNICODE);

    /** kernel32 functions jna-platform's Kernel32 lacks or types inconveniently (raw pointers, explicit W names). */
    interface Kernel32X extends StdCallLibrary {
        HANDLE CreateFileW(String name, int access, int share, Pointer sa, int disposition, int flags, HANDLE template);
        boolean CloseHandle(HANDLE h);
        boolean GetFileInformationByHandleEx(HANDLE h, int infoClass, Pointer buf, int size);
        boolean SetFileInformationByHandle(HANDLE h, int infoClass, Pointer buf, int size);
        boolean DeviceIoControl(HANDLE h, int code, Pointer in, int inSize, Pointer out, int outSize, IntByReference returned, Pointer ov);
        boolean ReadDirectoryChangesW(HANDLE h, Pointer buf, int len, boolean subtree, int filter, IntByReference returned,
                Pointer ov, Pointer routine);
        boolean ReadDirectoryChangesExW(HANDLE h, Pointer buf, int len, boolean subtree, int filter, IntByReference returned,
                Pointer ov, Pointer routine, int infoClass);
        boolean GetOverlappedResultEx(HANDLE h, Pointer ov, IntByReference transferred, int millis, boolean alertable);
        boolean CancelIoEx(HANDLE h, Pointer ov);
        HANDLE CreateEventW(Pointer sa, boolean manualReset, boolean initialState, String name);
        int GetFinalPathNameByHandleW(HANDLE h, Pointer buf, int chars, int flags);
        boolean GetVolumeInformationByHandleW(HANDLE h, Pointer volName, int volNameChars, IntByReference serial,
                IntByReference maxComponentLength, IntByReference fsFlags, Pointer fsName, int fsNameChars);
        boolean GetDiskFreeSpaceExW(String dir, LongByReference freeToCaller, LongByReference total, LongByReference totalFree);
        boolean CreateHardLinkW(String newName, String existing, Pointer sa);
        byte CreateSymbolicLinkW(String link, String target, int flags);
        boolean CreateDirectoryW(String path, Pointer sa);
        int GetFileAttributesW(String path);
        int GetDriveTypeW(String rootPath);
        void GetSystemTimePreciseAsFileTime(LongByReference ft);
        boolean ReadFile(HANDLE h, Pointer buf, int n, IntByReference read, Pointer ov);
        boolean WriteFile(HANDLE h, Pointer buf, int n, IntByReference written, Pointer ov);
        boolean FlushFileBuffers(HANDLE h);
    }

    private static final class K {
        static final Kernel32X K32 = Native.load("kernel32", Kernel32X.class, OPTIONS);
    }

    private Win32() {}

    private static WindowsException lastError(String function) {
        return new WindowsException(Native.getLastError(), 0, function);
    }

    private static boolean invalid(HANDLE h) {
        return h == null || Pointer.nativeValue(h.getPointer()) == -1L || Pointer.nativeValue(h.getPointer()) == 0L;
    }

    /** {@code DWORD GetLastError(void)}: for calls that report extra facts on success (CreateFileW + OPEN_ALWAYS). */
    public static int GetLastError() {
        return Native.getLastError();
    }

    /**
     * {@code HANDLE CreateFileW(LPCWSTR lpFileName, DWORD dwDesiredAccess, DWORD dwShareMode,
     * LPSECURITY_ATTRIBUTES lpSecurityAttributes, DWORD dwCreationDisposition, DWORD dwFlagsAndAttributes,
     * HANDLE hTemplateFile)}, always with FILE_SHARE_READ|WRITE|DELETE.
     */
    public static HANDLE CreateFileW(String path, int access, int disposition, int flagsAndAttributes) throws WindowsException {
        HANDLE h = K.K32.CreateFileW(path, access, FILE_SHARE_ALL, null, disposition, flagsAndAttributes, null);
        if (invalid(h)) {
            throw lastError("CreateFileW");
        }
        return h;
    }

    /** {@code BOOL CloseHandle(HANDLE hObject)}. */
    public static void CloseHandle(HANDLE h) throws WindowsException {
        if (!K.K32.CloseHandle(h)) {
            throw lastError("CloseHandle");
        }
    }

    /**
     * {@code BOOL GetFileInformationByHandleEx(HANDLE hFile, FILE_INFO_BY_HANDLE_CLASS FileInformationClass,
     * LPVOID lpFileInformation, DWORD dwBufferSize)}.
     */
    public static void GetFileInformationByHandleEx(HANDLE h, int infoClass, Pointer buf, int size) throws WindowsException {
        if (!K.K32.GetFileInformationByHandleEx(h, infoClass, buf, size)) {
            throw lastError("GetFileInformationByHandleEx");
        }
    }

    /**
     * {@code BOOL SetFileInformationByHandle(HANDLE hFile, FILE_INFO_BY_HANDLE_CLASS FileInformationClass,
     * LPVOID lpFileInformation, DWORD dwBufferSize)}.
     */
    public static void SetFileInformationByHandle(HANDLE h, int infoClass, Pointer buf, int size) throws WindowsException {
        if (!K.K32.SetFileInformationByHandle(h, infoClass, buf, size)) {
            throw lastError("SetFileInformationByHandle");
        }
    }

    /**
     * {@code BOOL DeviceIoControl(HANDLE hDevice, DWORD dwIoControlCode, LPVOID lpInBuffer, DWORD nInBufferSize,
     * LPVOID lpOutBuffer, DWORD nOutBufferSize, LPDWORD lpBytesReturned, LPOVERLAPPED lpOverlapped)}, synchronous.
     *
     * @return the bytes returned
     */
    public static int DeviceIoControl(HANDLE h, int code, Pointer in, int inSize, Pointer out, int outSize) throws WindowsException {
        IntByReference n = new IntByReference();
        if (!K.K32.DeviceIoControl(h, code, in, inSize, out, outSize, n, null)) {
            throw lastError("DeviceIoControl");
        }
        return n.getValue();
    }

    /**
     * {@code BOOL ReadDirectoryChangesW(HANDLE hDirectory, LPVOID lpBuffer, DWORD nBufferLength, BOOL bWatchSubtree,
     * DWORD dwNotifyFilter, LPDWORD lpBytesReturned, LPOVERLAPPED lpOverlapped,
     * LPOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine)}, overlapped: returns once the read is posted.
     */
    public static void ReadDirectoryChangesW(HANDLE dir, Pointer buf, int len, boolean subtree, int filter, Pointer overlapped)
            throws WindowsException {
        if (!K.K32.ReadDirectoryChangesW(dir, buf, len, subtree, filter, null, overlapped, null)) {
            throw lastError("ReadDirectoryChangesW");
        }
    }

    /**
     * {@code BOOL ReadDirectoryChangesExW(HANDLE hDirectory, LPVOID lpBuffer, DWORD nBufferLength, BOOL bWatchSubtree,
     * DWORD dwNotifyFilter, LPDWORD lpBytesReturned, LPOVERLAPPED lpOverlapped,
     * LPOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine, READ_DIRECTORY_NOTIFY_INFORMATION_CLASS ReadDirectoryNotifyInformationClass)}
     * (Windows 10 1709+). A missing export surfaces as ERROR_CALL_NOT_IMPLEMENTED.
     */
    public static void ReadDirectoryChangesExW(HANDLE dir, Pointer buf, int len, boolean subtree, int filter, Pointer overlapped,
            int infoClass) throws WindowsException {
        boolean ok;
        try {
            ok = K.K32.ReadDirectoryChangesExW(dir, buf, len, subtree, filter, null, overlapped, null, infoClass);
        } catch (UnsatisfiedLinkError e) {
            throw new WindowsException(120, 0, "ReadDirectoryChangesExW");
        }
        if (!ok) {
            throw lastError("ReadDirectoryChangesExW");
        }
    }

    /**
     * {@code BOOL GetOverlappedResultEx(HANDLE hFile, LPOVERLAPPED lpOverlapped, LPDWORD lpNumberOfBytesTransferred,
     * DWORD dwMilliseconds, BOOL bAlertable)}.
     *
     * @return bytes transferred; throws with WAIT_TIMEOUT (258) if not complete in time
     */
    public static int GetOverlappedResultEx(HANDLE h, Pointer overlapped, int millis) throws WindowsException {
        IntByReference n = new IntByReference();
        if (!K.K32.GetOverlappedResultEx(h, overlapped, n, millis, false)) {
            throw lastError("GetOverlappedResultEx");
        }
        return n.getValue();
    }

    /** {@code BOOL CancelIoEx(HANDLE hFile, LPOVERLAPPED lpOverlapped)}; "nothing to cancel" is not an error. */
    public static void CancelIoEx(HANDLE h, Pointer overlapped) throws WindowsException {
        if (!K.K32.CancelIoEx(h, overlapped) && Native.getLastError() != 1168 /* ERROR_NOT_FOUND */) {
            throw lastError("CancelIoEx");
        }
    }

    /** {@code HANDLE CreateEventW(LPSECURITY_ATTRIBUTES lpEventAttributes, BOOL bManualReset, BOOL bInitialState, LPCWSTR lpName)}. */
    public static HANDLE CreateEventW(boolean manualReset) throws WindowsException {
        HANDLE h = K.K32.CreateEventW(null, manualReset, false, null);
        if (h == null) {
            throw lastError("CreateEventW");
        }
        return h;
    }

    /**
     * {@code DWORD GetFinalPathNameByHandleW(HANDLE hFile, LPWSTR lpszFilePath, DWORD cchFilePath, DWORD dwFlags)}
     * with FILE_NAME_NORMALIZED | VOLUME_NAME_DOS: "\\?\C:\dir\name" in on-disk case.
     *
     * @param buf scratch of at least {@code chars * 2} bytes
     */
    public static String GetFinalPathNameByHandleW(HANDLE h, Memory buf) throws WindowsException {
        int chars = (int) (buf.size() / 2);
        int n = K.K32.GetFinalPathNameByHandleW(h, buf, chars, 0);
        if (n == 0) {
            throw lastError("GetFinalPathNameByHandleW");
        }
        if (n >= chars) {
            throw new WindowsException(122, 0, "GetFinalPathNameByHandleW");
        }
        return new String(buf.getCharArray(0, n));
    }

    /** What GetVolumeInformationByHandleW reports. */
    public record VolumeInformation(String fileSystemName, int serial, int maxComponentLength, int flags) {}

    /**
     * {@code BOOL GetVolumeInformationByHandleW(HANDLE hFile, LPWSTR lpVolumeNameBuffer, DWORD nVolumeNameSize,
     * LPDWORD lpVolumeSerialNumber, LPDWORD lpMaximumComponentLength, LPDWORD lpFileSystemFlags,
     * LPWSTR lpFileSystemNameBuffer, DWORD nFileSystemNameSize)}.
     */
    public static VolumeInformation GetVolumeInformationByHandleW(HANDLE h) throws WindowsException {
        IntByReference serial = new IntByReference();
        IntByReference maxComp = new IntByReference();
        IntByReference flags = new IntByReference();
        try (Memory fs = new Memory(2 * 261)) {
            fs.clear();
            if (!K.K32.GetVolumeInformationByHandleW(h, null, 0, serial, maxComp, flags, fs, 261)) {
                throw lastError("GetVolumeInformationByHandleW");
            }
            return new VolumeInformation(fs.getWideString(0), serial.getValue(), maxComp.getValue(), flags.getValue());
        }
    }

    /** Free space as GetDiskFreeSpaceExW reports it. */
    public record DiskSpace(long freeToCaller, long total, long totalFree) {}

    /**
     * {@code BOOL GetDiskFreeSpaceExW(LPCWSTR lpDirectoryName, PULARGE_INTEGER lpFreeBytesAvailableToCaller,
     * PULARGE_INTEGER lpTotalNumberOfBytes, PULARGE_INTEGER lpTotalNumberOfFreeBytes)}.
     */
    public static DiskSpace GetDiskFreeSpaceExW(String dir) throws WindowsException {
        LongByReference a = new LongByReference();
        LongByReference t = new LongByReference();
        LongByReference f = new LongByReference();
        if (!K.K32.GetDiskFreeSpaceExW(dir, a, t, f)) {
            throw lastError("GetDiskFreeSpaceExW");
        }
        return new DiskSpace(a.getValue(), t.getValue(), f.getValue());
    }

    /** {@code BOOL CreateHardLinkW(LPCWSTR lpFileName, LPCWSTR lpExistingFileName, LPSECURITY_ATTRIBUTES lpSecurityAttributes)}. */
    public static void CreateHardLinkW(String newName, String existing) throws WindowsException {
        if (!K.K32.CreateHardLinkW(newName, existing, null)) {
            throw lastError("CreateHardLinkW");
        }
    }

    /** {@code BOOLEAN CreateSymbolicLinkW(LPCWSTR lpSymlinkFileName, LPCWSTR lpTargetFileName, DWORD dwFlags)}. */
    public static void CreateSymbolicLinkW(String link, String target, int flags) throws WindowsException {
        if (K.K32.CreateSymbolicLinkW(link, target, flags) == 0) {
            throw lastError("CreateSymbolicLinkW");
        }
    }

    /** {@code BOOL CreateDirectoryW(LPCWSTR lpPathName, LPSECURITY_ATTRIBUTES lpSecurityAttributes)}. */
    public static void CreateDirectoryW(String path) throws WindowsException {
        if (!K.K32.CreateDirectoryW(path, null)) {
            throw lastError("CreateDirectoryW");
        }
    }

    /** {@code DWORD GetFileAttributesW(LPCWSTR lpFileName)}; INVALID_FILE_ATTRIBUTES becomes an exception. */
    public static int GetFileAttributesW(String path) throws WindowsException {
        int a = K.K32.GetFileAttributesW(path);
        if (a == INVALID_FILE_ATTRIBUTES) {
            throw lastError("GetFileAttributesW");
        }
        return a;
    }

    /**
     * {@code UINT GetDriveTypeW(LPCWSTR lpRootPathName)}: DRIVE_UNKNOWN 0, DRIVE_NO_ROOT_DIR 1,
     * DRIVE_REMOVABLE 2, DRIVE_FIXED 3, DRIVE_REMOTE 4, DRIVE_CDROM 5, DRIVE_RAMDISK 6.
     */
    public static int GetDriveTypeW(String rootPath) {
        return K.K32.GetDriveTypeW(rootPath);
    }

    /** {@code void GetSystemTimePreciseAsFileTime(LPFILETIME lpSystemTimeAsFileTime)}. */
    public static long GetSystemTimePreciseAsFileTime() {
        LongByReference ft = new LongByReference();
        K.K32.GetSystemTimePreciseAsFileTime(ft);
        return ft.getValue();
    }

    /**
     * {@code BOOL ReadFile(HANDLE hFile, LPVOID lpBuffer, DWORD nNumberOfBytesToRead, LPDWORD lpNumberOfBytesRead,
     * LPOVERLAPPED lpOverlapped)}: positional on a synchronous handle (the OVERLAPPED carries the offset).
     *
     * @return bytes read, 0 at end of file (ERROR_HANDLE_EOF)
     */
    public static int ReadFile(HANDLE h, Pointer buf, int n, Pointer overlapped) throws WindowsException {
        IntByReference read = new IntByReference();
        if (!K.K32.ReadFile(h, buf, n, read, overlapped)) {
            int e = Native.getLastError();
            if (e == 38) { // ERROR_HANDLE_EOF
                return 0;
            }
            throw new WindowsException(e, 0, "ReadFile");
        }
        return read.getValue();
    }

    /**
     * {@code BOOL WriteFile(HANDLE hFile, LPCVOID lpBuffer, DWORD nNumberOfBytesToWrite, LPDWORD lpNumberOfBytesWritten,
     * LPOVERLAPPED lpOverlapped)}: positional (offset 0xFFFFFFFF:FFFFFFFF appends).
     */
    public static int WriteFile(HANDLE h, Pointer buf, int n, Pointer overlapped) throws WindowsException {
        IntByReference written = new IntByReference();
        if (!K.K32.WriteFile(h, buf, n, written, overlapped)) {
            throw lastError("WriteFile");
        }
        return written.getValue();
    }

    /** {@code BOOL FlushFileBuffers(HANDLE hFile)}. */
    public static void FlushFileBuffers(HANDLE h) throws WindowsException {
        if (!K.K32.FlushFileBuffers(h)) {
            throw lastError("FlushFileBuffers");
        }
    }

    // --- 8.3 names (the watcher) ---

    /** kernel32 name conversions. */
    interface Kernel32Names extends StdCallLibrary {
        int GetLongPathNameW(String shortPath, Pointer buf, int chars);
        int GetShortPathNameW(String longPath, Pointer buf, int chars);
    }

    private static final class KN {
        static final Kernel32Names K32N = Native.load("kernel32", Kernel32Names.class, OPTIONS);
    }

    /** {@code DWORD GetLongPathNameW(LPCWSTR lpszShortPath, LPWSTR lpszLongPath, DWORD cchBuffer)}: the path with every 8.3 component long. */
    public static String GetLongPathNameW(String path) throws WindowsException {
        try (Memory buf = new Memory(2L * 32_768)) {
            int n = KN.K32N.GetLongPathNameW(path, buf, 32_768);
            if (n == 0) {
                throw lastError("GetLongPathNameW");
            }
            if (n >= 32_768) {
                throw new WindowsException(122, 0, "GetLongPathNameW");
            }
            return new String(buf.getCharArray(0, n));
        }
    }

    /** {@code DWORD GetShortPathNameW(LPCWSTR lpszLongPath, LPWSTR lpszShortPath, DWORD cchBuffer)} (tests: makes 8.3 names). */
    public static String GetShortPathNameW(String path) throws WindowsException {
        try (Memory buf = new Memory(2L * 32_768)) {
            int n = KN.K32N.GetShortPathNameW(path, buf, 32_768);
            if (n == 0) {
                throw lastError("GetShortPathNameW");
            }
            if (n >= 32_768) {
                throw new WindowsException(122, 0, "GetShortPathNameW");
            }
            return new String(buf.getCharArray(0, n));
        }
    }
}
