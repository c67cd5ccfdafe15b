package dev.fsdriver.backend.windows;

import com.sun.jna.platform.win32.WinNT.HANDLE;
import dev.fsdriver.backend.windows.win32.Win32;
import dev.fsdriver.backend.windows.win32.WindowsException;

/** An open Win32 handle for one operation (try-with-resources). Close failures are ignored: nothing to recover. */
final class Handle implements AutoCloseable {
    final HANDLE h;
    /** GetLastError right after the open: ERROR_ALREADY_EXISTS when OPEN_ALWAYS found the file. */
    final int openError;

    Handle(HANDLE h) {
        this.h = h;
        this.openError = Win32.GetLastError();
    }

    /** A handle from NtCreateFile, which sets no last error: {@code openError} as CreateFileW would have. */
    Handle(HANDLE h, int openError) {
        this.h = h;
        this.openError = openError;
    }

    @Override
    public void close() {
        try {
            Win32.CloseHandle(h);
        } catch (WindowsException e) {
            // A handle we opened and close once: failure would be a bug elsewhere; nothing to do here.
        }
    }
}
