package dev.fsdriver.fuse;

import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * fuse_setattr_in decoded: only the present fields are to be changed. {@code fh} is the open
 * file the change came through (ftruncate, fchmod), or -1.
 *
 * <p>Times: {@link #atimeNow} / {@link #mtimeNow} mean UTIME_NOW (the file system's current
 * time); otherwise {@link #atimeNs} / {@link #mtimeNs} when present.
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
        boolean mtimeNow) {

    public boolean changesAtime() {
        return atimeNow || atimeNs.isPresent();
    }

    public boolean changesMtime() {
        return mtimeNow || mtimeNs.isPresent();
    }
}
