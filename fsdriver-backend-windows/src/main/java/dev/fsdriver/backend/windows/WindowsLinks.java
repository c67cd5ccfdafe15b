package dev.fsdriver.backend.windows;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import dev.fsdriver.backend.FileAttributes;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.Owner;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.backend.windows.win32.NtCalls;
import dev.fsdriver.backend.windows.win32.Structs;
import dev.fsdriver.backend.windows.win32.Win32;
import dev.fsdriver.backend.windows.win32.WindowsException;
import dev.fsdriver.common.Errno;
import dev.fsdriver.common.FileMode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The names that are not plain files or directories: hard links, symbolic links (WSL-style
 * reparse points by handle, or native NTFS links when the share asks for them: {@link
 * NativeSymlinkSteps}) and WSL's
 * FIFOs and sockets, and reading a link back as a POSIX target. The backend has checked that the
 * share is writable; each new object is made relative to its verified parent ({@link ShareDirs}).
 */
final class WindowsLinks {
    private static final Logger LOG = LoggerFactory.getLogger(WindowsLinks.class);
    private final WindowsBackend backend;
    private final WindowsAttributes fileAttrs;
    private final ShareDirs dirs;
    private final WindowsDelete deletes;
    private final WindowsBackend.SymlinkStyle style;
    private final String rootDos;

    WindowsLinks(WindowsBackend backend, WindowsAttributes fileAttrs, ShareDirs dirs, WindowsDelete deletes,
            WindowsBackend.SymlinkStyle style, String rootDos) {
        this.backend = backend;
        this.fileAttrs = fileAttrs;
        this.dirs = dirs;
        this.deletes = deletes;
        this.style = style;
        this.rootDos = rootDos;
    }

    /** A hard link by FileLinkInformation on the existing file's handle (not to directories). */
    FileAttributes link(RelPath existing, RelPath newPath) throws FsException {
        NameEscaping.toWindowsNewName(newPath.name());
        // FileLinkInformation: the new name is the leaf relative to its verified parent (ShareDirs).
        String leaf = NameEscaping.toWindows(newPath.name());
        try (Handle h = backend.openPath(existing, WindowsBackend.META, Win32.OPEN_EXISTING, 0);
             Handle dir = dirs.openDir(newPath.parent());
             Memory m = new Memory(Structs.RENAME_INFO_NAME_OFFSET + 2L * leaf.length() + 8)) {
            try {
                backend.checkOpenable(h, existing); // no hard links to directories or through links
            } catch (FsException e) {
                if (e.errno() == Errno.EISDIR) {
                    throw new FsException(Errno.EPERM, "link " + existing + ": hard links to directories are not allowed");
                }
                throw e;
            }
            int n = Structs.writeRenameInfo(m.getByteBuffer(0, m.size()), 0, Pointer.nativeValue(dir.h.getPointer()), leaf);
            NtCalls.NtSetInformationFile(h.h, m, n, NtCalls.FileLinkInformation);
        } catch (WindowsException e) {
            throw backend.error(e, "link", newPath);
        }
        return backend.stat(newPath);
    }

    /** WSL-style links with metadata on get {@code owner} in $LXUID/$LXGID; native links carry no owner. */
    FileAttributes symlink(RelPath path, String target, Owner owner) throws FsException {
        NameEscaping.toWindowsNewName(path.name());
        if (target.isEmpty()) {
            throw new FsException(Errno.ENOENT, "empty symlink target");
        }
        String nativeTarget = style == WindowsBackend.SymlinkStyle.NATIVE ? ReparseData.toNativeRelative(target, path.depth() - 1) : null;
        try {
            if (nativeTarget != null) {
                boolean directory = targetIsDirectory(path, target);
                try (Handle parent = dirs.openDir(path.parent())) {
                    NativeSymlinkSteps.create(new NativeOps(parent, path, nativeTarget, directory), path.toString());
                }
            } else {
                byte[] data = ReparseData.buildLxSymlink(target);
                try (Handle h = backend.openPath(path, Win32.GENERIC_WRITE | Win32.DELETE | WindowsBackend.META | Win32.FILE_WRITE_ATTRIBUTES,
                        Win32.CREATE_NEW, WinAttributes.FILE_ATTRIBUTE_NORMAL);
                     Memory m = new Memory(data.length)) {
                    m.write(0, data, 0, data.length);
                    try {
                        Win32.DeviceIoControl(h.h, Win32.FSCTL_SET_REPARSE_POINT, m, data.length, null, 0);
                        if (owner != null && fileAttrs.metadataOn()) {
                            fileAttrs.setMetadata(h, fileAttrs.newMetadata(owner, FileMode.S_IFLNK | 0777));
                        }
                    } catch (WindowsException e) {
                        deletes.delete(h, WinAttributes.FILE_ATTRIBUTE_NORMAL, path);
                        throw e;
                    }
                }
            }
        } catch (WindowsException e) {
            throw backend.error(e, "symlink", path);
        }
        return backend.stat(path);
    }

    /**
     * The native side of {@link NativeSymlinkSteps}: {@code parent} is the link's verified parent
     * directory, held open throughout.
     */
    private final class NativeOps implements NativeSymlinkSteps.Ops {
        private final Handle parent;
        private final RelPath path;
        private final String nativeTarget;
        private final boolean directory;
        private String byPath;

        NativeOps(Handle parent, RelPath path, String nativeTarget, boolean directory) {
            this.parent = parent;
            this.path = path;
            this.nativeTarget = nativeTarget;
            this.directory = directory;
        }

        @Override
        public void createByHandle() throws WindowsException, FsException {
            byte[] data = ReparseData.buildSymlink(nativeTarget, nativeTarget, true);
            try (Handle h = dirs.openAt(parent, path, Win32.GENERIC_WRITE | Win32.DELETE | WindowsBackend.META
                            | Win32.FILE_WRITE_ATTRIBUTES, WinAttributes.FILE_ATTRIBUTE_NORMAL, NtCalls.FILE_CREATE,
                    directory ? NtCalls.FILE_DIRECTORY_FILE : NtCalls.FILE_NON_DIRECTORY_FILE);
                 Memory m = new Memory(data.length)) {
                m.write(0, data, 0, data.length);
                try {
                    Win32.DeviceIoControl(h.h, Win32.FSCTL_SET_REPARSE_POINT, m, data.length, null, 0);
                } catch (WindowsException e) {
                    deletes.delete(h, directory ? WinAttributes.FILE_ATTRIBUTE_DIRECTORY : WinAttributes.FILE_ATTRIBUTE_NORMAL, path);
                    throw e;
                }
            }
        }

        @Override
        public void createByPath() throws WindowsException, FsException {
            int flags = Win32.SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE | (directory ? Win32.SYMBOLIC_LINK_FLAG_DIRECTORY : 0);
            byPath = Win32.GetFinalPathNameByHandleW(parent.h, Scratch.get().path) + "\\" + NameEscaping.toWindows(path.name());
            Win32.CreateSymbolicLinkW(byPath, nativeTarget, flags);
        }

        @Override
        public boolean madeInParent() throws WindowsException, FsException {
            try (Handle h = dirs.openAt(parent, path, WindowsBackend.META, 0, NtCalls.FILE_OPEN, 0)) {
                return isThisLink(h);
            }
        }

        @Override
        public void removeByPath() {
            if (byPath == null) {
                return;
            }
            try (Handle h = new Handle(Win32.CreateFileW(byPath, Win32.DELETE | WindowsBackend.META, Win32.OPEN_EXISTING,
                    Win32.FILE_FLAG_OPEN_REPARSE_POINT | Win32.FILE_FLAG_BACKUP_SEMANTICS), 0)) {
                if (isThisLink(h)) {
                    deletes.delete(h, directory ? WinAttributes.FILE_ATTRIBUTE_DIRECTORY : WinAttributes.FILE_ATTRIBUTE_NORMAL, path);
                }
            } catch (WindowsException | FsException e) {
                LOG.warn("native symlink {}: could not remove the stray link at {}: {}", path, byPath, e.getMessage());
            }
        }

        private boolean isThisLink(Handle h) throws WindowsException, FsException {
            ReparseData.Link link = fileAttrs.readReparse(h);
            return link.kind() == ReparseData.Kind.SYMLINK && link.relative() && nativeTarget.equals(link.substituteName());
        }
    }

    /** FIFOs and sockets as WSL makes them (see {@link LxSpecialFiles}); EPERM without metadata and for devices. */
    FileAttributes mknod(RelPath path, int mode, Owner owner) throws FsException {
        NameEscaping.toWindowsNewName(path.name());
        byte[] data = LxSpecialFiles.reparseData(LxSpecialFiles.reparseTag(mode, fileAttrs.metadataOn()));
        try (Handle h = backend.openPath(path, Win32.GENERIC_WRITE | Win32.DELETE | WindowsBackend.META | Win32.FILE_WRITE_ATTRIBUTES
                        | Win32.FILE_WRITE_EA, Win32.CREATE_NEW, WinAttributes.FILE_ATTRIBUTE_NORMAL);
             Memory m = new Memory(data.length)) {
            m.write(0, data, 0, data.length);
            try {
                Win32.DeviceIoControl(h.h, Win32.FSCTL_SET_REPARSE_POINT, m, data.length, null, 0);
                fileAttrs.setMetadata(h, fileAttrs.newMetadata(owner, mode & (FileMode.S_IFMT | FileMode.PERMISSIONS)));
            } catch (WindowsException e) {
                deletes.delete(h, WinAttributes.FILE_ATTRIBUTE_NORMAL, path);
                throw e;
            }
        } catch (WindowsException e) {
            throw backend.error(e, "mknod", path);
        }
        return backend.stat(path);
    }

    /** Whether the POSIX {@code target} of a new link at {@code link} is a directory now (false if dangling or outside). */
    private boolean targetIsDirectory(RelPath link, String target) {
        RelPath t = ReparseData.targetInShare(link.parent(), target);
        if (t == null) {
            return false;
        }
        try {
            return backend.stat(t).isDirectory(); // through ShareDirs: never looks outside through a link
        } catch (FsException e) {
            return false; // dangling (or through a link): a file link, as Linux would not know either
        }
    }

    /** The POSIX target of a WSL-style or native link (EINVAL for any other reparse point). */
    String readlink(RelPath path) throws FsException {
        try (Handle h = backend.openPath(path, WindowsBackend.META, Win32.OPEN_EXISTING, 0)) {
            ReparseData.Link link = fileAttrs.readReparse(h);
            if (link.kind() == ReparseData.Kind.OTHER) {
                throw new FsException(Errno.EINVAL, path + " is not a symbolic link");
            }
            return ReparseData.toPosixTarget(link, rootDos, path.parent());
        } catch (WindowsException e) {
            throw backend.error(e, "readlink", path);
        }
    }
}
