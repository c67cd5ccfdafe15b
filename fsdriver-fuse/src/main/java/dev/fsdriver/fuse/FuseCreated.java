package dev.fsdriver.fuse;

/** The answer to CREATE: the new entry and the open file. */
public record FuseCreated(FuseEntry entry, FuseOpen open) {
}
