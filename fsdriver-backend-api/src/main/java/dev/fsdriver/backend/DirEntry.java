package dev.fsdriver.backend;

/** One name of a directory listing, with its attributes (bulk listing: no extra stat per name). */
public record DirEntry(String name, FileAttributes attributes) {
}
