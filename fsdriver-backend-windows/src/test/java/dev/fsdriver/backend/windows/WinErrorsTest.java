package dev.fsdriver.backend.windows;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.backend.windows.win32.WindowsException;
import dev.fsdriver.common.Errno;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class WinErrorsTest {
    /** The documented table (docs/windows.md, research windows-mapping.md section 9). */
    @ParameterizedTest(name = "Win32 {0} -> {1}")
    @CsvSource({
            "2, ENOENT", "3, ENOENT", "5, EACCES", "32, EBUSY", "33, EBUSY", "145, ENOTEMPTY",
            "183, EEXIST", "80, EEXIST", "123, EINVAL", "112, ENOSPC", "39, ENOSPC", "17, EXDEV",
            "206, ENAMETOOLONG", "267, ENOTDIR", "50, EOPNOTSUPP", "120, ENOSYS", "1314, EPERM",
            "303, ENOENT", "53, ENOENT", "4390, EINVAL", "1142, EMLINK", "19, EROFS", "6, EBADF",
            "1224, EBUSY", "1921, ELOOP", "87, EINVAL", "282, EOPNOTSUPP", "995, ECANCELED"})
    void win32Table(int code, String errno) {
        assertThat(Errno.name(WinErrors.fromWin32(code))).isEqualTo(errno);
    }

    @Test
    void sharingViolationIsBusyNotIo() {
        assertThat(WinErrors.fromWin32(WinErrors.ERROR_SHARING_VIOLATION)).isEqualTo(Errno.EBUSY);
    }

    @Test
    void unknownWin32ErrorIsEio() {
        assertThat(WinErrors.fromWin32(999_999)).isEqualTo(Errno.EIO);
        assertThat(WinErrors.fromWin32(WinErrors.ERROR_IO_DEVICE)).isEqualTo(Errno.EIO);
    }

    @ParameterizedTest(name = "NTSTATUS {0} -> {1}")
    @CsvSource({
            "C0000056, ENOENT", "C00000BA, EISDIR", "C0000103, ENOTDIR", "C000050B, ELOOP", "C0000121, EACCES",
            "C0000034, ENOENT", "C000003A, ENOENT", "C0000035, EEXIST", "C0000043, EBUSY", "C0000101, ENOTEMPTY",
            "C0000052, ENODATA", "C000004F, EOPNOTSUPP", "C0000003, EOPNOTSUPP", "C0000002, ENOSYS", "C0000061, EPERM"})
    void ntStatusTable(String hex, String errno) {
        int status = Integer.parseUnsignedInt(hex, 16);
        assertThat(Errno.name(WinErrors.fromNtStatus(status, 0))).isEqualTo(errno);
    }

    @Test
    void ntStatusDetailWinsOverTheBlurredDosError() {
        // RtlNtStatusToDosError(STATUS_FILE_IS_A_DIRECTORY) is ERROR_ACCESS_DENIED; errno must be EISDIR.
        assertThat(WinErrors.fromNtStatus(WinErrors.STATUS_FILE_IS_A_DIRECTORY, WinErrors.ERROR_ACCESS_DENIED)).isEqualTo(Errno.EISDIR);
        // DELETE_PENDING becomes ERROR_ACCESS_DENIED too; for POSIX the file is gone.
        assertThat(WinErrors.fromNtStatus(WinErrors.STATUS_DELETE_PENDING, WinErrors.ERROR_ACCESS_DENIED)).isEqualTo(Errno.ENOENT);
    }

    @Test
    void unknownNtStatusFallsBackToItsDosError() {
        assertThat(WinErrors.fromNtStatus(0xC0000999, WinErrors.ERROR_DISK_FULL)).isEqualTo(Errno.ENOSPC);
        assertThat(WinErrors.fromNtStatus(0xC0000999, 0)).isEqualTo(Errno.EIO);
    }

    @Test
    void fallbackTriggers() {
        assertThat(WinErrors.isUnsupported(WinErrors.ERROR_INVALID_PARAMETER, 0)).isTrue();
        assertThat(WinErrors.isUnsupported(WinErrors.ERROR_NOT_SUPPORTED, 0)).isTrue();
        assertThat(WinErrors.isUnsupported(WinErrors.ERROR_CALL_NOT_IMPLEMENTED, 0)).isTrue();
        assertThat(WinErrors.isUnsupported(0, WinErrors.STATUS_INVALID_INFO_CLASS)).isTrue();
        assertThat(WinErrors.isUnsupported(0, WinErrors.STATUS_NOT_IMPLEMENTED)).isTrue();
        assertThat(WinErrors.isUnsupported(WinErrors.ERROR_ACCESS_DENIED, 0)).isFalse();
        assertThat(WinErrors.isUnsupported(WinErrors.ERROR_SHARING_VIOLATION, 0)).isFalse();
    }

    @Test
    void windowsExceptionCarriesCodeAndIsCheap() {
        WindowsException e = new WindowsException(WinErrors.ERROR_SHARING_VIOLATION);
        assertThat(e.win32Error()).isEqualTo(32);
        assertThat(e.errno()).isEqualTo(Errno.EBUSY);
        assertThat(e.getStackTrace()).isEmpty();
        assertThat(e.toFsException("unlink a").errno()).isEqualTo(Errno.EBUSY);
        assertThat(e.toFsException("unlink a")).hasMessageContaining("unlink a").hasMessageContaining("32");
        WindowsException nt = new WindowsException(WinErrors.ERROR_ACCESS_DENIED, WinErrors.STATUS_NOT_A_DIRECTORY, "NtCreateFile");
        assertThat(nt.errno()).isEqualTo(Errno.ENOTDIR);
        assertThat(nt).hasMessageContaining("NtCreateFile").hasMessageContaining("0xC0000103");
    }
}
