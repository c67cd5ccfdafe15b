package dev.fsdriver.server;

import dev.fsdriver.backend.FileAttributes;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.OpenFile;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.backend.SetAttributes;
import dev.fsdriver.common.Errno;
import dev.fsdriver.common.FileMode;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * Who may make a file set-user-ID or set-group-ID through the server: nobody. On Linux only
 * the file's owner may (and S_ISGID only when in the file's group); the server cannot tell who
 * the client's caller is (client uids are claims), and every file it makes or chmods is owned
 * by the server's own user, so a client that could set these bits could make programs that run
 * as the server's user (root, often) for anyone on the server's host. So Create or Mknod with
 * S_ISUID or S_ISGID, and a SetAttr mode that adds either to a non-directory, are refused with EPERM.
 * Bits a file already has may stay (chmod o-r of a set-uid program made on the server side
 * works); on directories S_ISGID (new entries inherit the group) and S_ISUID (no meaning on
 * Linux) are allowed. Writes, truncates and chowns clear the bits ({@link #drop}).
 * {@code serve --allow-setid} turns the rule off for trusted clients (their kernels check).
 */
final class SetIdRule {
    private static final int SET_ID = FileMode.S_ISUID | FileMode.S_ISGID;

    private SetIdRule() {}

    /** Create or Mknod of a file with {@code mode} (a set-uid FIFO means nothing, but the rule has no exceptions to get wrong). */
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

    /**
     * After a write, a truncate or a chown: clears set-user-ID, and set-group-ID where it means
     * "run as the group" (group execute set), as Linux does. The client's kernel leaves this to
     * the server (FUSE_HANDLE_KILLPRIV), so it need not fetch the attributes before every chown.
     * Whether to: the request's kill_suidgid, which the client's kernel sets for a caller without
     * CAP_FSETID (FUSE_HANDLE_KILLPRIV_V2: a write or truncate by root keeps them, as on Linux);
     * absent (an older client) means yes, as NFS servers do. Returns the attributes afterwards.
     */
    static FileAttributes drop(Share s, RelPath path, OpenFile f, FileAttributes a) throws FsException {
        int kill = a.mode() & FileMode.S_ISUID;
        if ((a.mode() & (FileMode.S_ISGID | FileMode.S_IXGRP)) == (FileMode.S_ISGID | FileMode.S_IXGRP)) {
            kill |= FileMode.S_ISGID;
        }
        if (kill == 0 || a.isDirectory() || path == null) {
            return a;
        }
        return s.backend.setattr(path, f, new SetAttributes(OptionalLong.empty(),
                OptionalInt.of(a.mode() & FileMode.PERMISSIONS & ~kill), OptionalInt.empty(), OptionalInt.empty(), null, null));
    }
}
