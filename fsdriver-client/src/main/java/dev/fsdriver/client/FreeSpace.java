package dev.fsdriver.client;

import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.fuse.FuseStatfs;

/**
 * Whether the share's free space (bavail * frsize, as statfs last said: the file system's cache,
 * at most a second old) is short for the bytes a file holds back or has in flight plus what may
 * be in flight for one file ({@code margin}): then its writes wait for the server
 * ({@link BlockWriter}), so a full share fails write(2) itself with ENOSPC, not only close. When
 * statfs cannot be asked, no: the writes' own errors tell.
 */
final class FreeSpace implements BlockWriter.Space {
    @FunctionalInterface
    interface Statfs {
        FuseStatfs get() throws FuseException;
    }

    private final Statfs statfs;
    private final long margin;

    FreeSpace(Statfs statfs, long margin) {
        this.statfs = statfs;
        this.margin = margin;
    }

    @Override
    public boolean lowFor(long bytes) {
        FuseStatfs s;
        try {
            s = statfs.get();
        } catch (FuseException e) {
            return false;
        }
        long unit = Math.max(1, s.frsize());
        long free = s.bavail() > Long.MAX_VALUE / unit ? Long.MAX_VALUE : s.bavail() * unit;
        return free - bytes < margin;
    }
}
