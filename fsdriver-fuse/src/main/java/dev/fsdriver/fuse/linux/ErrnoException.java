package dev.fsdriver.fuse.linux;

import dev.fsdriver.common.Errno;

/** A failed system call: the function name and the positive errno. No stack trace (cheap, it is control flow). */
public final class ErrnoException extends Exception {
    private final int errno;

    public ErrnoException(String function, int errno) {
        super(function + ": " + Errno.name(errno) + " (" + errno + ")", null, false, false);
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }
}
