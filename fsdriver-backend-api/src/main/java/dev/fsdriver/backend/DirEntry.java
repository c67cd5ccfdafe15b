package dev.fsdriver.backend;

/**
 * One name of a directory listing, with its attributes (bulk listing: no extra stat per name);
 * from {@link Backend#listNames} the attributes may be null (not read yet).
 */
public record DirEntry(String name, FileAttributes attributes) {
}
