package dev.fsdriver.backend;

/**
 * Who a new file should belong to: the process on the client that made it. A backend that can
 * give files away (posix running as root, windows with metadata) makes the file theirs; one that
 * cannot leaves it to the server's user. Null where a method takes an owner: the server's user.
 */
public record Owner(int uid, int gid) {}
