package dev.fsdriver.backend;

/** statfs(2) of the volume a share lives on. */
public record FsStats(long blocks, long bfree, long bavail, long files, long ffree, int bsize, int frsize, int namelen) {
}
