package dev.fsdriver.linux;

import dev.fsdriver.common.Errno;

/**
 * The one failure of every call in this package: the C function that failed and the positive
 * errno captured from that very call ({@code Linker.Option.captureCallState("errno")}), never
 * read back from message text. As the JDK's {@code sun.nio.fs.UnixException}: checked, and
 * cheap (no stack trace), because callers use it as control flow (ENOENT on a lookup, EINTR).
 * Each caller translates it once at its own boundary (FUSE reply, FsException, IOException).
 */
public final class ErrnoException extends Exception {
    private final String function;
    private final int errno;

    public ErrnoException(String function, int errno) {
        super(function + ": " + Errno.name(errno) + " (" + errno + ")", null, false, false);
        this.function = function;
        this.errno = errno;
    }

    /** The positive errno ({@link Errno} constants). */
    public int errno() {
        return errno;
    }

    /** The C function that failed, with the path where one helps ("open /dev/fuse"). */
    public String function() {
        return function;
    }
}
