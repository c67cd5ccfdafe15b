package dev.fsdriver.server;

import dev.fsdriver.backend.FileAttributes;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.common.Errno;
import dev.fsdriver.common.FileMode;

/**
 * Who may make a file set-user-ID or set-group-ID through the server: nobody. On Linux only
 * the file's owner may (and S_ISGID only when in the file's group); the server cannot tell who
 * the client's caller is (client uids are claims), and every file it makes or chmods is owned
 * by the server's own user, so a client that could set these bits could make programs that run
 * as the server's user (root, often) for anyone on the server's host. So Create with S_ISUID or
 * S_ISGID, and a SetAttr mode that adds either to a non-directory, are refused with EPERM.
 * Bits a file already has may stay (chmod o-r of a set-uid program made on the server side
 * works); on directories S_ISGID (new entries inherit the group) and S_ISUID (no meaning on
 * Linux) are allowed. Writes, truncates and chowns clear the bits ({@link FilesService#dropSetId}).
 * {@code serve --allow-setid} turns the rule off for trusted clients (their kernels check).
 */
final class SetIdRule {
    private static final int SET_ID = FileMode.S_ISUID | FileMode.S_ISGID;

    private SetIdRule() {}

    /** Create of a file with {@code mode}. */
    static void checkCreate(int mode) throws FsException {
        if ((mode & SET_ID) != 0) {
            throw new FsException(Errno.EPERM, "create with mode 0" + Integer.toOctalString(mode)
                    + ": set-user-ID and set-group-ID files cannot be made through fsdriver");
        }
    }

    /** chmod of the file with attributes {@code current} to {@code mode}. */
    static void checkChmod(FileAttributes current, int mode) throws FsException {
        int added = mode & SET_ID & ~current.mode();
        if (added != 0 && !current.isDirectory()) {
            throw new FsException(Errno.EPERM, "chmod 0" + Integer.toOctalString(mode)
                    + ": set-user-ID and set-group-ID bits cannot be added through fsdriver");
        }
    }
}
