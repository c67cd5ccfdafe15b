package dev.fsdriver.fuse;

import dev.fsdriver.common.Errno;

/**
 * A file-system method's way to answer a request with an error: the session replies
 * {@code -errno}. Cheap to throw (no stack trace): it is control flow, not a bug report.
 */
public final class FuseException extends Exception {
    private final int errno;

    public FuseException(int errno) {
        this(errno, null);
    }

    public FuseException(int errno, String message) {
        super(message == null ? Errno.name(errno) : Errno.name(errno) + ": " + message, null, false, false);
        if (errno <= 0) {
            throw new IllegalArgumentException("errno must be positive: " + errno);
        }
        this.errno = errno;
    }

    /** The positive errno value. */
    public int errno() {
        return errno;
    }
}
