package dev.fsdriver.cli;

/** A failure the user can act on: printed as "fsdriver: MESSAGE", exit code 1. */
final class CliException extends Exception {
    CliException(String message) {
        super(message, null, false, false);
    }
}
