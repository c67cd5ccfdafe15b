package dev.fsdriver.backend.windows;

import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.windows.win32.WindowsException;
import dev.fsdriver.common.Errno;

/**
 * How a native symbolic link is made (issue 10: containment of symlink creation), apart from the
 * native calls ({@link Ops}) so that the order of attempts can be tested anywhere.
 *
 * <ol>
 * <li>By construction: the link is created relative to the verified parent's handle (NtCreateFile,
 *     FILE_CREATE, FILE_OPEN_REPARSE_POINT) and made a link with FSCTL_SET_REPARSE_POINT; this needs
 *     SeCreateSymbolicLinkPrivilege. Any failure removes the placeholder by its handle.</li>
 * <li>Only when that is refused for privilege (ERROR_PRIVILEGE_NOT_HELD): CreateSymbolicLinkW with
 *     ALLOW_UNPRIVILEGED_CREATE (Developer Mode: documented for this call only) on the path of the
 *     verified parent's final path, then verified: the leaf, opened relative to the parent's handle
 *     without following it, must be a native link with this very target. If it is not (an ancestor
 *     was swapped for a link, or the parent moved, between the final path and the call), the link
 *     landed elsewhere: it is removed again through the same path (only if it is the link just
 *     made) and the call fails with EIO. The residual race is written down in docs/windows.md.</li>
 * </ol>
 */
final class NativeSymlinkSteps {
    /** The native side of one native symlink creation. */
    interface Ops {
        /** Creates the link relative to the verified parent's handle; on failure nothing is left. */
        void createByHandle() throws WindowsException, FsException;

        /** CreateSymbolicLinkW on the verified parent's final path plus the leaf. */
        void createByPath() throws WindowsException, FsException;

        /** Whether the leaf, opened relative to the parent's handle without following it, is the link just made. */
        boolean madeInParent() throws WindowsException, FsException;

        /** Removes what {@link #createByPath} made at that path, if it is the link just made there. */
        void removeByPath();
    }

    /** How the link was made. */
    enum Made { BY_HANDLE, BY_PATH_VERIFIED }

    private NativeSymlinkSteps() {}

    static Made create(Ops ops, String what) throws WindowsException, FsException {
        try {
            ops.createByHandle();
            return Made.BY_HANDLE;
        } catch (WindowsException e) {
            if (e.win32Error() != WinErrors.ERROR_PRIVILEGE_NOT_HELD) {
                throw e;
            }
        }
        try {
            ops.createByPath();
        } catch (WindowsException e) {
            if (e.win32Error() == WinErrors.ERROR_PRIVILEGE_NOT_HELD) {
                throw new FsException(Errno.EPERM, "native symlink " + what
                        + ": needs Developer Mode or SeCreateSymbolicLinkPrivilege (or use WSL-style links)");
            }
            throw e;
        }
        boolean inPlace;
        try {
            inPlace = ops.madeInParent();
        } catch (WindowsException | FsException e) {
            inPlace = false;
        }
        if (!inPlace) {
            ops.removeByPath();
            throw new FsException(Errno.EIO, "native symlink " + what
                    + ": the link did not appear in its directory (a directory on its path changed meanwhile); removed");
        }
        return Made.BY_PATH_VERIFIED;
    }
}
