package dev.fsdriver.fuse;

/**
 * fuse_entry_out: a node found or created, with how long the kernel may cache the name
 * ({@code entryTimeoutNs}) and the attributes ({@code attrTimeoutNs}). Each entry returned
 * from lookup, mknod, mkdir, symlink, link, create or readdirplus adds one to the node's lookup
 * count, which the kernel later gives back with forget.
 *
 * <p>A negative entry (cache "this name does not exist") has {@code nodeId == 0} and
 * {@code attr == null}.
 */
public record FuseEntry(long nodeId, long generation, FuseAttr attr, long entryTimeoutNs, long attrTimeoutNs) {

    public static FuseEntry negative(long entryTimeoutNs) {
        return new FuseEntry(0, 0, null, entryTimeoutNs, 0);
    }
}
