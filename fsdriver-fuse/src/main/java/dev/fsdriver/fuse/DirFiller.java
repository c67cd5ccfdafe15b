package dev.fsdriver.fuse;

/**
 * Collects the entries of one READDIR reply. {@code nextOffset} is the offset the kernel passes
 * back to resume right after this entry (never 0). Returns false when the reply buffer is full:
 * the entry was not added and the file system should stop.
 */
@FunctionalInterface
public interface DirFiller {
    boolean add(String name, long ino, int mode, long nextOffset);
}
