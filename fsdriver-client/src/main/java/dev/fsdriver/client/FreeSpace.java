package dev.fsdriver.client;

import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.fuse.FuseStatfs;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Whether the share's free space (bavail * frsize, as statfs last said: the file system's cache,
 * at most a second old) is short for the bytes a file holds back or has in flight plus what may
 * be in flight for one file ({@code margin}): then its writes wait for the server
 * ({@link BlockWriter}), so a full share fails write(2) itself with ENOSPC, not only close. When
 * statfs cannot be asked, no: the writes' own errors tell. While one writer asks, the others take
 * the answer before (none yet: not short).
 */
final class FreeSpace implements BlockWriter.Space {
    @FunctionalInterface
    interface Statfs {
        FuseStatfs get() throws FuseException;
    }

    private final Statfs statfs;
    private final long margin;
    /** A writer is asking statfs now: the others take {@link #last} instead of a call each. */
    private final AtomicBoolean asking = new AtomicBoolean();
    private volatile FuseStatfs last;

    FreeSpace(Statfs statfs, long margin) {
        this.statfs = statfs;
        this.margin = margin;
    }

    @Override
    public boolean lowFor(long bytes) {
        FuseStatfs s = last;
        // One writer at a time asks: while the server was away, every writer waited in a statfs
        // call of its own (issue 9); the others go on with the last answer.
        if (asking.compareAndSet(false, true)) {
            try {
                s = statfs.get();
                last = s;
            } catch (FuseException e) {
                return false;
            } finally {
                asking.set(false);
            }
        }
        if (s == null) {
            return false;
        }
        long unit = Math.max(1, s.frsize());
        long free = s.bavail() > Long.MAX_VALUE / unit ? Long.MAX_VALUE : s.bavail() * unit;
        return free - bytes < margin;
    }
}
