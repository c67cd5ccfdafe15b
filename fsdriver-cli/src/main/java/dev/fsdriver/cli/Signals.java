package dev.fsdriver.cli;

import sun.misc.Signal;

/**
 * SIGTERM and SIGINT run a clean stop instead of killing the JVM, so the foreground commands
 * return normally (exit 0) after unmounting or closing the server.
 */
final class Signals {
    private Signals() {}

    static void onTermination(Runnable stop) {
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                Signal.handle(new Signal(name), s -> stop.run());
            } catch (IllegalArgumentException e) {
                // Signal not available on this OS (or the JVM uses it): the default applies.
            }
        }
    }
}
