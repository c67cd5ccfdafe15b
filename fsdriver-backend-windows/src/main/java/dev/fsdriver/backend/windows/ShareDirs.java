package dev.fsdriver.backend.windows;

import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.backend.windows.win32.NtCalls;
import dev.fsdriver.backend.windows.win32.Structs;
import dev.fsdriver.backend.windows.win32.Win32;
import dev.fsdriver.backend.windows.win32.WindowsException;
import dev.fsdriver.common.Errno;

/**
 * Containment by construction: every object of the share is opened or created by
 * {@code NtCreateFile} relative to a handle of its parent directory, and that parent was itself
 * reached from the share root one component at a time, each relative to the previous handle,
 * never through a link. Windows would follow links in the middle of a path; so would a check
 * made after the fact only after the damage (a file created outside). How:
 * <ul>
 * <li>each component is opened with {@code OBJ_DONT_REPARSE} (NTFS refuses to traverse any
 *     reparse point: STATUS_REPARSE_POINT_ENCOUNTERED, ELOOP) and {@code FILE_OPEN_REPARSE_POINT}
 *     (a link as the last component is the link itself), and a component that is a link is ELOOP;
 * <li>the parent's final path ({@code GetFinalPathNameByHandleW}) must lie under the root's,
 *     before anything is created in it. This catches what is not a reparse point to Windows but
 *     leads elsewhere: under Wine a host symlink looks like a plain directory and the host follows
 *     it, so OBJ_DONT_REPARSE (accepted by Wine 8) cannot stop it and this check is what holds
 *     (WindowsServerUnderWineEndToEndTest, links at the share root and deeper). Whether Wine
 *     honours OBJ_DONT_REPARSE for real reparse points cannot be observed: Wine 8 has none;
 * <li>an existing object that was opened (not created) is checked the same way, so a host symlink
 *     as the last component is not read, listed or truncated through.
 * </ul>
 * The caller then creates, renames (FileRenameInformation with RootDirectory = the verified parent
 * and the leaf name) or links (FileLinkInformation, likewise) relative to the parent handle.
 *
 * <p>B4: a reparse point that is the file itself (OneDrive, WOF, dedup: {@link
 * WinAttributes#opensItself}) is opened again, without FILE_OPEN_REPARSE_POINT, relative to its
 * own handle with an empty name (as ReOpenFile does): the same file, never a name looked up
 * again, so no link can be swapped in between; its filter then serves the real content.
 */
final class ShareDirs {
    /** Rights to traverse a directory, list it and create in it: enough for RootDirectory use. */
    private static final int DIR_ACCESS = Win32.FILE_LIST_DIRECTORY | Win32.FILE_TRAVERSE | Win32.FILE_READ_ATTRIBUTES
            | Win32.SYNCHRONIZE;
    static final int OPEN_OPTIONS = NtCalls.FILE_OPEN_REPARSE_POINT | NtCalls.FILE_OPEN_FOR_BACKUP_INTENT
            | NtCalls.FILE_SYNCHRONOUS_IO_NONALERT;
    /** Case-insensitive as CreateFileW is by default; never through a reparse point. */
    static final int OBJ_ATTRIBUTES = NtCalls.OBJ_CASE_INSENSITIVE | NtCalls.OBJ_DONT_REPARSE;

    private final String root;
    private final String rootFinal;

    ShareDirs(String root, String rootFinal) {
        this.root = root;
        this.rootFinal = rootFinal;
    }

    /** The share root, opened following a link as at WindowsBackend.open. */
    Handle openRoot(int access) throws WindowsException {
        return new Handle(Win32.CreateFileW(root, access, Win32.OPEN_EXISTING, Win32.FILE_FLAG_BACKUP_SEMANTICS), 0);
    }

    /** Directory {@code dir} of the share, reached component by component and verified to lie inside. */
    Handle openDir(RelPath dir) throws WindowsException, FsException {
        Handle cur = openRoot(DIR_ACCESS);
        try {
            for (String name : dir.names()) {
                NtCalls.NtOpened o = NtCalls.NtCreateFile(cur.h, NameEscaping.toWindows(name), DIR_ACCESS, 0, NtCalls.FILE_OPEN,
                        NtCalls.FILE_DIRECTORY_FILE | OPEN_OPTIONS, OBJ_ATTRIBUTES);
                cur.close();
                cur = new Handle(o.handle(), 0);
                var tag = attributeTag(cur);
                if (isLink(tag)) {
                    throw new FsException(Errno.ELOOP, dir + ": '" + name + "' is a link (not followed inside a path)");
                }
                cur = asItself(cur, tag, DIR_ACCESS, NtCalls.FILE_DIRECTORY_FILE);
            }
            if (!dir.isRoot()) {
                verifyInside(cur, dir);
            }
            Handle ok = cur;
            cur = null;
            return ok;
        } finally {
            if (cur != null) {
                cur.close();
            }
        }
    }

    /**
     * Opens or creates the last component of {@code p} relative to the verified parent handle.
     * An object that existed is verified too (it may be a host symlink under Wine); one that was
     * created lies in the verified parent by construction.
     */
    Handle openAt(Handle parent, RelPath p, int access, int fileAttributes, int ntDisposition, int options)
            throws WindowsException, FsException {
        NtCalls.NtOpened o = NtCalls.NtCreateFile(parent.h, NameEscaping.toWindows(p.name()), access, fileAttributes,
                ntDisposition, options | OPEN_OPTIONS, OBJ_ATTRIBUTES);
        Handle h = new Handle(o.handle(), o.information() == NtCalls.FILE_OPENED && ntDisposition == NtCalls.FILE_OPEN_IF
                ? WinErrors.ERROR_ALREADY_EXISTS : 0);
        if (o.information() != NtCalls.FILE_CREATED) {
            try {
                verifyInside(h, p);
                h = asItself(h, attributeTag(h), access, options);
            } catch (WindowsException | FsException e) {
                h.close();
                throw e;
            }
        }
        return h;
    }

    private void verifyInside(Handle h, RelPath p) throws WindowsException, FsException {
        String fin = Win32.GetFinalPathNameByHandleW(h.h, Scratch.get().path);
        if (!LongPaths.isUnder(fin, rootFinal)) {
            throw new FsException(Errno.ELOOP, p + " leads outside the share through a link");
        }
    }

    /** FILE_ATTRIBUTE_TAG_INFO of an open object: its attributes and reparse tag in one call. */
    static Structs.AttributeTagInfo attributeTag(Handle h) throws WindowsException {
        Scratch s = Scratch.get();
        Win32.GetFileInformationByHandleEx(h.h, Structs.FileAttributeTagInfo, s.small.share(Scratch.TAG),
                Structs.ATTRIBUTE_TAG_INFO_SIZE);
        return Structs.AttributeTagInfo.read(s.smallBuffer(Scratch.TAG, 8));
    }

    private static boolean isLink(Structs.AttributeTagInfo tag) {
        return (tag.attributes() & WinAttributes.FILE_ATTRIBUTE_REPARSE_POINT) != 0 && WinAttributes.isLinkTag(tag.reparseTag());
    }

    /**
     * {@code h} itself, or, for a reparse point its filter serves (B4), the same file opened again
     * without FILE_OPEN_REPARSE_POINT relative to {@code h} (empty name); {@code h} is then closed.
     */
    private static Handle asItself(Handle h, Structs.AttributeTagInfo tag, int access, int options) throws WindowsException {
        if ((tag.attributes() & WinAttributes.FILE_ATTRIBUTE_REPARSE_POINT) == 0 || !WinAttributes.opensItself(tag.reparseTag())) {
            return h;
        }
        NtCalls.NtOpened o = NtCalls.NtCreateFile(h.h, "", access, 0, NtCalls.FILE_OPEN,
                (options | OPEN_OPTIONS) & ~NtCalls.FILE_OPEN_REPARSE_POINT, NtCalls.OBJ_CASE_INSENSITIVE);
        Handle again = new Handle(o.handle(), h.openError);
        h.close();
        return again;
    }
}
