package dev.fsdriver.backend;

/**
 * Receives a backend watcher's changes, on the watcher's own thread, in the order they were
 * observed. Must not block for long: hand the change on and return.
 */
@FunctionalInterface
public interface ChangeListener {
    void onChange(Change change);
}
