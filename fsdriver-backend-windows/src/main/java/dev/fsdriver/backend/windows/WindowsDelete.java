package dev.fsdriver.backend.windows;

import com.sun.jna.Pointer;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.backend.windows.win32.Structs;
import dev.fsdriver.backend.windows.win32.Win32;
import dev.fsdriver.backend.windows.win32.WindowsException;
import dev.fsdriver.common.Errno;

/**
 * unlink(2) and rmdir(2) for {@link WindowsBackend}, by handle: POSIX delete (the name goes at
 * once, open handles keep working), else the classic delete-on-close.
 *
 * <p>The handle asks only DELETE and FILE_READ_ATTRIBUTES: a file whose ACL grants delete but not
 * write-attributes can be removed. FILE_WRITE_ATTRIBUTES is asked (by a second open of the same
 * path) only where the READONLY attribute must be cleared first: the classic delete, and POSIX
 * delete on Windows 10 1607-1803, which does not know FILE_DISPOSITION_FLAG_IGNORE_READONLY_ATTRIBUTE.
 * If the delete then fails, READONLY is put back.
 */
final class WindowsDelete {
    private final WindowsBackend backend;
    private final DeleteSteps steps;

    WindowsDelete(WindowsBackend backend, VolumeFeatures features) {
        this.backend = backend;
        this.steps = new DeleteSteps(features);
    }

    /** unlink ({@code directory} false) or rmdir of {@code path} (the share is writable: the backend checked). */
    void remove(RelPath path, boolean directory) throws FsException {
        String op = directory ? "rmdir" : "unlink";
        try (Handle h = backend.openPath(path, Win32.DELETE | WindowsBackend.META, Win32.OPEN_EXISTING, 0)) {
            Scratch s = Scratch.get();
            Win32.GetFileInformationByHandleEx(h.h, Structs.FileBasicInfo, s.small.share(Scratch.BASIC), Structs.BASIC_INFO_SIZE);
            int a = Structs.BasicInfo.read(s.smallBuffer(Scratch.BASIC, Structs.BASIC_INFO_SIZE)).attributes();
            // A directory symlink or junction is removed by unlink, like any link.
            // B4: a OneDrive / WOF directory (a reparse point that is not a link) is a directory.
            boolean isDir = WinAttributes.isDirectory(a, ShareDirs.attributeTag(h).reparseTag());
            if (directory && !isDir) {
                throw new FsException(Errno.ENOTDIR, op + " " + path);
            }
            if (!directory && isDir) {
                throw new FsException(Errno.EISDIR, op + " " + path);
            }
            delete(h, a, path);
        } catch (WindowsException e) {
            throw backend.error(e, op, path);
        }
    }

    /**
     * Deletes the file of {@code h} (attributes {@code attributes}, reachable as {@code path} for
     * the second open that clears READONLY). An "unsupported" error switches to the classic call
     * for good only if the classic call then succeeds: a bad request must not turn the feature off.
     */
    void delete(Handle h, int attributes, RelPath path) throws WindowsException, FsException {
        Handle[] writable = {null};
        try {
            steps.delete(new DeleteSteps.Ops() {
                @Override
                public void disposition(int infoClass, int flags) throws WindowsException {
                    WindowsDelete.disposition(h, infoClass, flags);
                }

                @Override
                public void setAttributes(int attributes) throws WindowsException, FsException {
                    if (writable[0] == null) {
                        writable[0] = backend.openPath(path, Win32.FILE_WRITE_ATTRIBUTES | WindowsBackend.META, Win32.OPEN_EXISTING, 0);
                    }
                    WindowsDelete.setAttributes(writable[0], attributes);
                }
            }, attributes);
        } finally {
            if (writable[0] != null) {
                writable[0].close();
            }
        }
    }

    private static void disposition(Handle h, int infoClass, int flags) throws WindowsException {
        Scratch s = Scratch.get();
        Pointer set = s.small.share(Scratch.SET);
        Structs.writeDisposition(s.smallBuffer(Scratch.SET, 4), flags);
        Win32.SetFileInformationByHandle(h.h, infoClass, set, 4);
    }

    private static void setAttributes(Handle h, int attributes) throws WindowsException {
        Scratch s = Scratch.get();
        new Structs.BasicInfo(0, 0, 0, 0, attributes == 0 ? WinAttributes.FILE_ATTRIBUTE_NORMAL : attributes)
                .write(s.smallBuffer(Scratch.SET, Structs.BASIC_INFO_SIZE));
        Win32.SetFileInformationByHandle(h.h, Structs.FileBasicInfo, s.small.share(Scratch.SET), Structs.BASIC_INFO_SIZE);
    }
}
