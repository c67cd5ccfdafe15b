package dev.fsdriver.fuse;

import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * fuse_setattr_in decoded: only the present fields are to be changed. {@code fh} is the open
 * file the change came through (ftruncate, fchmod), or -1.
 *
 * <p>Times: {@link #atimeNow} / {@link #mtimeNow} mean UTIME_NOW (the file system's current
 * time); otherwise {@link #atimeNs} / {@link #mtimeNs} when present.
 *
 * <p>{@link #killSuidgid}: with FUSE_HANDLE_KILLPRIV(_V2) the file system is to clear set-user-ID
 * (and set-group-ID with group execute) as part of this truncate or chown: the kernel says so for
 * a chown, and for a truncate by a caller without CAP_FSETID (FATTR_KILL_SUIDGID).
 */
public record FuseSetAttr(
        long fh,
        OptionalLong size,
        OptionalInt mode,
        OptionalInt uid,
        OptionalInt gid,
        OptionalLong atimeNs,
        boolean atimeNow,
        OptionalLong mtimeNs,
        boolean mtimeNow,
        boolean killSuidgid) {

    public boolean changesAtime() {
        return atimeNow || atimeNs.isPresent();
    }

    public boolean changesMtime() {
        return mtimeNow || mtimeNs.isPresent();
    }
}
