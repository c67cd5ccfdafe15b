package dev.fsdriver.backend.windows;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.backend.windows.VolumeFeatures.Feature;
import dev.fsdriver.backend.windows.win32.NtCalls;
import dev.fsdriver.backend.windows.win32.Structs;
import dev.fsdriver.backend.windows.win32.Win32;
import dev.fsdriver.backend.windows.win32.WindowsException;
import dev.fsdriver.common.Errno;
import dev.fsdriver.common.OpenFlags;
import java.nio.ByteBuffer;

/**
 * rename(2) for {@link WindowsBackend}: the source by handle, the destination as a leaf name
 * relative to its verified parent directory ({@link ShareDirs}), POSIX rename with the classic
 * fallback, and the POSIX rules Windows does not apply by itself (types, a directory over an
 * empty directory).
 */
final class WindowsRename {
    private final WindowsBackend backend;
    private final ShareDirs dirs;
    private final VolumeFeatures features;

    WindowsRename(WindowsBackend backend, ShareDirs dirs, VolumeFeatures features) {
        this.backend = backend;
        this.dirs = dirs;
        this.features = features;
    }

    /** rename(2) of {@code from} to {@code to} (the share is writable: the backend checked). */
    void rename(RelPath from, RelPath to, int flags) throws FsException {
        if ((flags & ~OpenFlags.RENAME_NOREPLACE) != 0) {
            throw new FsException(Errno.EINVAL, "rename flags 0x" + Integer.toHexString(flags) + " not supported");
        }
        if (from.isRoot() || to.isRoot()) {
            throw new FsException(Errno.EBUSY, "the share root cannot be renamed");
        }
        if (!to.equals(from) && to.startsWith(from)) {
            throw new FsException(Errno.EINVAL, "rename " + from + " into its own subdirectory " + to);
        }
        boolean replace = (flags & OpenFlags.RENAME_NOREPLACE) == 0;
        NameEscaping.toWindowsNewName(to.name());
        String target = NameEscaping.toWindows(to.name());
        // The destination is the leaf name relative to its verified parent (containment, ShareDirs).
        try (Handle src = backend.openPath(from, Win32.DELETE | WindowsBackend.META, Win32.OPEN_EXISTING, 0);
             Handle toDir = dirs.openDir(to.parent())) {
            if (replace) {
                checkReplaceTypes(src, toDir, from, to);
            }
            try {
                renameByHandle(src, toDir, target, replace);
            } catch (WindowsException e) {
                // POSIX lets a directory replace an empty directory; Windows does not: remove it first.
                if (replace && (e.win32Error() == WinErrors.ERROR_ACCESS_DENIED || e.win32Error() == WinErrors.ERROR_ALREADY_EXISTS)
                        && isDirectory(to) && backend.stat(from).isDirectory()) {
                    backend.rmdir(to);
                    renameByHandle(src, toDir, target, replace);
                } else {
                    throw e;
                }
            }
        } catch (WindowsException e) {
            if (e.win32Error() == WinErrors.ERROR_ACCESS_DENIED && replace && isDirectory(to)) {
                throw new FsException(backend.stat(from).isDirectory() ? Errno.ENOTEMPTY : Errno.EISDIR, "rename " + from + " over directory " + to);
            }
            throw backend.error(e, "rename", from);
        }
    }

    /**
     * POSIX: a directory may only replace a directory, a non-directory only a non-directory
     * (ENOTDIR / EISDIR); Windows lets a directory replace a file (the file is lost). Checked just
     * before the rename: a replacement racing in between is not caught (Windows has no rename
     * that refuses by type).
     */
    private void checkReplaceTypes(Handle src, Handle toDir, RelPath from, RelPath to) throws WindowsException, FsException {
        boolean srcDir = isRealDirectory(src);
        boolean dstDir;
        try (Handle dst = dirs.openAt(toDir, to, WindowsBackend.META, 0, NtCalls.FILE_OPEN, 0)) {
            dstDir = isRealDirectory(dst);
        } catch (WindowsException | FsException e) {
            return; // no destination (or not ours to open): the rename itself reports it
        }
        if (srcDir && !dstDir) {
            throw new FsException(Errno.ENOTDIR, "rename directory " + from + " over non-directory " + to);
        }
        if (!srcDir && dstDir) {
            throw new FsException(Errno.EISDIR, "rename non-directory " + from + " over directory " + to);
        }
    }

    /** A directory that is not a link (a directory symlink or junction counts as a link, as in remove; B4: a OneDrive directory is a directory). */
    private static boolean isRealDirectory(Handle h) throws WindowsException {
        Structs.AttributeTagInfo t = ShareDirs.attributeTag(h);
        return WinAttributes.isDirectory(t.attributes(), t.reparseTag());
    }

    private boolean isDirectory(RelPath p) {
        return backend.isDirectoryQuietly(p);
    }

    /**
     * FileRenameInformationEx with POSIX semantics (handles open on a replaced target stay valid),
     * else the classic FileRenameInformation; RootDirectory = the verified destination directory
     * and the leaf name {@code target} (NtSetInformationFile: the Win32 wrapper of Wine 8 turns
     * the name into a DOS path first, relative to the current directory). The fallback becomes
     * permanent only when the classic call then succeeds.
     */
    private void renameByHandle(Handle src, Handle toDir, String target, boolean replace) throws WindowsException {
        long rootDir = Pointer.nativeValue(toDir.h.getPointer());
        try (Memory m = new Memory(Structs.RENAME_INFO_NAME_OFFSET + 2L * target.length() + 8)) {
            ByteBuffer b = m.getByteBuffer(0, m.size());
            WindowsException posixError = null;
            if (features.has(Feature.POSIX_RENAME)) {
                int n = Structs.writeRenameInfo(b, (replace ? Structs.FILE_RENAME_FLAG_REPLACE_IF_EXISTS
                        | Structs.FILE_RENAME_FLAG_IGNORE_READONLY_ATTRIBUTE : 0) | Structs.FILE_RENAME_FLAG_POSIX_SEMANTICS, rootDir, target);
                try {
                    NtCalls.NtSetInformationFile(src.h, m, n, NtCalls.FileRenameInformationEx);
                    return;
                } catch (WindowsException e) {
                    if (!e.isUnsupported()) {
                        throw e;
                    }
                    posixError = e;
                }
            }
            int n = Structs.writeRenameInfo(b, replace ? 1 : 0, rootDir, target);
            NtCalls.NtSetInformationFile(src.h, m, n, NtCalls.FileRenameInformation);
            if (posixError != null) {
                features.fallBack(Feature.POSIX_RENAME, posixError.getMessage());
            }
        }
    }
}
