package dev.fsdriver.backend.posix;

import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.RelPath;

/**
 * How a share-relative path is kept inside the share: {@link BeneathRoot} (openat2 from the held
 * root, race-free) or {@link LstatWalk} (every intermediate component checked, a residual race).
 * The final component is never followed by either: that is the {@link PosixCalls}' part.
 * Implementations are immutable and serve every server thread at once: each {@link #locate}
 * opens its own descriptor, which the caller closes with the {@link Loc}.
 */
sealed interface Containment extends AutoCloseable permits BeneathRoot, LstatWalk {

    /** The parent of {@code p} reached without following any symlink, and p's name in it. */
    Loc locate(RelPath p) throws FsException;

    /**
     * The directory {@code dir} itself, for listing: {@link Loc#child} locates its entries.
     * A final symlink is ELOOP, a file ENOTDIR.
     */
    Loc openDir(RelPath dir) throws FsException;

    /** Whether no concurrent rename or symlink can redirect an operation (openat2 beneath the root). */
    boolean raceFree();

    /** Releases the held root, if any. */
    @Override
    void close();
}
