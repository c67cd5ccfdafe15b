package dev.fsdriver.fuse;

/**
 * Collects the entries of one READDIRPLUS reply. An entry with a node id adds one to that
 * node's lookup count only if this returns true; when it returns false the buffer is full, the
 * entry was not added (no lookup counted) and the file system should stop.
 *
 * <p>{@code entry} may have nodeId 0 (name only, the kernel will LOOKUP it if needed); "." and
 * ".." must be passed with nodeId 0.
 */
@FunctionalInterface
public interface DirPlusFiller {
    boolean add(String name, FuseEntry entry, long nextOffset);
}
