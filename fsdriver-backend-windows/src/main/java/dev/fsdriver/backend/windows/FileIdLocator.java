package dev.fsdriver.backend.windows;

import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.backend.windows.win32.WindowsException;
import dev.fsdriver.common.Errno;

/**
 * {@code Backend#locate} on Windows: where the file with an inode number is now, by its file id.
 * The file is opened by id ({@code NtCreateFile} with FILE_OPEN_BY_FILE_ID, RootDirectory = a
 * handle of the share root, the 8-byte id; FILE_READ_ATTRIBUTES only, never its data, never a
 * link followed: FILE_OPEN_REPARSE_POINT), its final path read ({@code GetFinalPathNameByHandleW})
 * and taken only when strictly below the root's own final path, then turned back into a share
 * path name by name. NTFS opens any file of the volume by its id, so a file moved out of the share
 * is opened (its attributes only) and refused here; Wine 8 searches below the root handle's host
 * directory, and answers ".." for the id of the root's parent, also refused. The server reads the
 * answer again through the contained stat before it trusts it.
 *
 * <p>Only inode numbers made directly from a 64-bit id on the root's volume can be located
 * ({@link InodeNumbers#fileIdOf}); a mapped number (ReFS 128-bit ids, another volume) or a path key
 * is not located (null). A volume without FileIdInfo cannot locate at all (ENOSYS).
 */
final class FileIdLocator {
    /** The native part: open by {@code fileId} relative to the share root, and the final path of what opened. */
    @FunctionalInterface
    interface FinalPathById {
        String finalPath(long fileId) throws WindowsException;
    }

    private final FinalPathById byId;
    private final String rootFinal;
    private final boolean fileIds;

    /**
     * @param rootFinal the share root's GetFinalPathNameByHandleW
     * @param fileIds   whether the volume answers FileIdInfo (inode numbers are file ids)
     */
    FileIdLocator(FinalPathById byId, String rootFinal, boolean fileIds) {
        this.byId = byId;
        this.rootFinal = rootFinal;
        this.fileIds = fileIds;
    }

    RelPath locate(long ino) throws FsException {
        if (!fileIds) {
            throw new FsException(Errno.ENOSYS, "windows backend: no file ids on this volume, nothing to locate by");
        }
        long id = InodeNumbers.fileIdOf(ino);
        if (id == 0) {
            return null;
        }
        String fin;
        try {
            fin = byId.finalPath(id);
        } catch (WindowsException e) {
            if (e.errno() == Errno.ENOSYS) {
                throw e.toFsException("open by file id");
            }
            return null; // no such id (any more), or not ours to open: not found
        }
        return below(fin, rootFinal);
    }

    /**
     * {@code fin} (a final path) as a share path when it lies strictly below {@code rootFinal} (the
     * root's, in the same form), else null: the root itself, its parent, a sibling sharing a
     * prefix, a name that cannot be a share path name.
     */
    static RelPath below(String fin, String rootFinal) {
        String root = rootFinal.endsWith("\\") ? rootFinal.substring(0, rootFinal.length() - 1) : rootFinal;
        if (fin.length() <= root.length() + 1 || !LongPaths.isUnder(fin, root) || fin.charAt(root.length()) != '\\') {
            return null;
        }
        RelPath p = RelPath.ROOT;
        try {
            for (String name : fin.substring(root.length() + 1).split("\\\\", -1)) {
                p = p.resolve(NameEscaping.fromWindows(name));
            }
        } catch (FsException e) {
            return null; // an empty name (a trailing or doubled separator), ".", ".."
        }
        return p;
    }
}
