package dev.fsdriver.backend.posix;

import dev.fsdriver.backend.FileAttributes;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.Owner;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.common.FileMode;
import java.io.IOException;

/**
 * Gives a file the posix backend just made to {@code owner} (the caller on the client) when the
 * server runs as root; otherwise, or without an owner, it stays the server user's. A set-group-ID
 * parent's group stays, as Linux gives it. A regular file is given away through the descriptor
 * its create returned; anything else by name, relative to the held parent, never following the
 * name. Residual race of the by-name way (docs/permissions.md): a rename onto the name between
 * its creation and the chown would give that other file away instead.
 */
final class NewOwners {
    /** How the owner is changed: through the new file's descriptor, or by name. */
    interface Chown {
        void chown(int uid, int gid) throws FsException;
    }

    private final PosixCalls calls;
    /** Whether new files can be given to the client's caller: only root may chown. */
    private final boolean givesAway;

    NewOwners(PosixCalls calls) {
        this.calls = calls;
        this.givesAway = calls.givesAway();
    }

    /** By name. */
    void giveAway(Loc l, Owner owner, RelPath path) throws FsException {
        giveAway(l, owner, path, (uid, gid) -> {
            try {
                calls.chown(l, uid, gid, path);
            } catch (IOException e) {
                throw PosixErrors.translate("chown", path, e);
            }
        });
    }

    /** Whether a file made with attributes {@code made} has what {@link #giveAway} would give it. */
    boolean madeAs(Owner owner, FileAttributes made) {
        return owner == null || !givesAway || made.uid() == owner.uid() && made.gid() == owner.gid();
    }

    void giveAway(Loc l, Owner owner, RelPath path, Chown chown) throws FsException {
        if (owner == null || !givesAway) {
            return;
        }
        int gid = (calls.lstat(l.parent(), path.parent()).mode() & FileMode.S_ISGID) != 0 ? -1 : owner.gid();
        chown.chown(owner.uid(), gid);
    }
}
