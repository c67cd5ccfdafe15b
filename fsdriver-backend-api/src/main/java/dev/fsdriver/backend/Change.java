package dev.fsdriver.backend;

/**
 * A change seen by a backend's watcher, before debouncing. {@code path} is share-relative;
 * {@code newPath} is set for RENAMED only; OVERFLOW means events under {@code path} were lost.
 */
public record Change(Kind kind, RelPath path, RelPath newPath, boolean directory) {
    public enum Kind { CREATED, DELETED, MODIFIED, ATTRIB, RENAMED, OVERFLOW }

    public static Change of(Kind kind, RelPath path, boolean directory) {
        return new Change(kind, path, null, directory);
    }
}
