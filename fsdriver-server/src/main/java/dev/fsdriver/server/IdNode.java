package dev.fsdriver.server;

import dev.fsdriver.backend.FileAttributes;
import java.util.ArrayList;
import java.util.List;

/**
 * One file of {@link NodeIds}: its id, what tells it from another file (inode number,
 * generation, type), its names in the {@link NameTree} and the references handed out for it.
 * Hard links of one file are one node with several names; it has no name once detached
 * (unlinked, or replaced by a rename).
 *
 * <p>Locking: none of its own; its mutable fields are guarded by the lock of its NodeIds, held
 * for every method here.
 */
final class IdNode {
    final long id;
    final long ino;
    /** The file's generation (FileAttributes#generation), 0 when not known. */
    final long generation;
    final boolean directory;
    /** The file type bits (S_IFMT) of its mode, -1 when not known. */
    final int type;
    /**
     * Its entries, the first attached one giving its path; more than one only for hard links.
     * Immutable lists, replaced on change (one name: a 24-byte List.of).
     */
    List<NameTree.Entry> names = List.of();
    /** References handed out and not taken back yet (see NodeIds#forget). */
    long refs;

    IdNode(long id, long ino, long generation, boolean directory, int type) {
        this.id = id;
        this.ino = ino;
        this.generation = generation;
        this.directory = directory;
        this.type = type;
    }

    /** Whether it may be the file {@code (ino, generation)} ({@link FileAttributes#sameFile}: 0 matches any generation). */
    boolean isFile(long ino, long generation) {
        return FileAttributes.sameFile(this.ino, this.generation, ino, generation);
    }

    /**
     * Name {@code e} was just found on the disk: it becomes the first, the one calls through the
     * node use. Another name may be stale (renamed or deleted behind the server's back, its event
     * not followed, or followed wrong): a stale first name failed every open through the node
     * with ENOENT for good; a lookup now heals it (issue 9).
     */
    void first(NameTree.Entry e) {
        if (names.size() > 1 && names.get(0) != e) {
            List<NameTree.Entry> reordered = new ArrayList<>(names);
            reordered.remove(e);
            reordered.add(0, e);
            names = List.copyOf(reordered);
        }
    }

    /** {@code e} is no longer one of its names. */
    void dropName(NameTree.Entry e) {
        List<NameTree.Entry> left = new ArrayList<>(names);
        left.remove(e);
        names = List.copyOf(left);
    }
}
