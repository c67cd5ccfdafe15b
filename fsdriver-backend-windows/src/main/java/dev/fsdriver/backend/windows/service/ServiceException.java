package dev.fsdriver.backend.windows.service;

/** A service-management call failed; the message is the one line the user reads. */
public final class ServiceException extends Exception {
    private final int error;

    public ServiceException(String message, int error) {
        super(message);
        this.error = error;
    }

    /** The Win32 error code (0 when the failure is not one). */
    public int error() {
        return error;
    }
}
