package dev.fsdriver.backend.windows.win32;

import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.windows.WinErrors;

/**
 * A failed Win32 or NT call: the Win32 error code (GetLastError, or RtlNtStatusToDosError of the
 * NTSTATUS) and, for NT calls, the NTSTATUS itself, which keeps detail the Win32 code loses.
 * Cheap: no stack trace. Translated to errno in one place, {@link WinErrors}.
 */
public final class WindowsException extends Exception {
    private final int win32Error;
    private final int ntStatus;

    public WindowsException(int win32Error) {
        this(win32Error, 0, null);
    }

    public WindowsException(int win32Error, int ntStatus, String function) {
        super((function == null ? "" : function + ": ") + "Win32 error " + win32Error
                + (ntStatus == 0 ? "" : String.format(" (NTSTATUS 0x%08X)", ntStatus)), null, false, false);
        this.win32Error = win32Error;
        this.ntStatus = ntStatus;
    }

    public int win32Error() {
        return win32Error;
    }

    /** The NTSTATUS for NT calls, 0 for Win32 calls. */
    public int ntStatus() {
        return ntStatus;
    }

    /** The Linux errno this failure stands for. */
    public int errno() {
        return ntStatus != 0 ? WinErrors.fromNtStatus(ntStatus, win32Error) : WinErrors.fromWin32(win32Error);
    }

    /** True for the errors that mean "this call or class is not supported here": take the fallback. */
    public boolean isUnsupported() {
        return WinErrors.isUnsupported(win32Error, ntStatus);
    }

    public FsException toFsException(String what) {
        return new FsException(errno(), what + " (" + getMessage() + ")");
    }
}
