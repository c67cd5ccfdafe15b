package dev.fsdriver.fuse;

/** fuse_kstatfs: what statfs(2) shows. */
public record FuseStatfs(
        long blocks, long bfree, long bavail, long files, long ffree, int bsize, int namelen, int frsize) {
}
