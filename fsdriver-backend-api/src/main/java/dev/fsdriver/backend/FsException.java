package dev.fsdriver.backend;

import dev.fsdriver.common.Errno;

/**
 * The one error a backend throws: an errno (Linux numbering) plus, for logs, what was being
 * done. Each backend translates its native errors (IOException, Win32 codes) into this in one
 * place of its own; the server translates this into a gRPC status in one place.
 * Cheap to create: no stack trace unless a cause is attached.
 */
public final class FsException extends Exception {
    private final int errno;

    public FsException(int errno, String message) {
        super(Errno.name(errno) + (message == null ? "" : ": " + message), null, false, false);
        this.errno = errno;
    }

    public FsException(int errno, String message, Throwable cause) {
        super(Errno.name(errno) + (message == null ? "" : ": " + message), cause, false, true);
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }
}
