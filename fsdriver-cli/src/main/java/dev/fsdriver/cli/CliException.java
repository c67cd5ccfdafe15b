package dev.fsdriver.cli;

/** A failure the user can act on: printed as "fsdriver: MESSAGE", exit code 1. */
final class CliException extends Exception {
    private final boolean notReadyYet;

    CliException(String message) {
        this(message, false);
    }

    /** With {@code notReadyYet}: something that exists could not be used yet (a share's volume at boot). */
    CliException(String message, boolean notReadyYet) {
        super(message, null, false, false);
        this.notReadyYet = notReadyYet;
    }

    /** Whether trying again later may succeed (a service starting at boot does, for a while). */
    boolean notReadyYet() {
        return notReadyYet;
    }
}
