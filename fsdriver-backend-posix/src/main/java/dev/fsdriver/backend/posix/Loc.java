package dev.fsdriver.backend.posix;

import dev.fsdriver.linux.AtCalls;
import dev.fsdriver.linux.FileCalls;
import java.nio.file.Path;

/**
 * Where a path's final component lives: a directory descriptor and the name relative to it (for
 * the *at calls), and a java.nio path naming the same file. A {@link Containment} makes it; close
 * it after use.
 *
 * @param dirFd  directory descriptor, or AT_FDCWD (name is then the absolute path)
 * @param ownsFd whether close() closes dirFd
 */
record Loc(int dirFd, String name, Path path, boolean ownsFd) implements AutoCloseable {

    /** A file named by its absolute path (the lstat walk, and java.nio, which ignores dirFd). */
    static Loc absolute(Path path) {
        return new Loc(AtCalls.AT_FDCWD, path.toString(), path, false);
    }

    /** The entry {@code name} of the directory this Loc is ({@code path} is its java.nio path). */
    Loc child(String name, Path path) {
        return dirFd == AtCalls.AT_FDCWD ? absolute(path) : new Loc(dirFd, name, path, false);
    }

    /** The directory holding this Loc's file (not owning the descriptor). */
    Loc parent() {
        Path parentPath = path.getParent();
        return dirFd == AtCalls.AT_FDCWD ? absolute(parentPath) : new Loc(dirFd, ".", parentPath, false);
    }

    @Override
    public void close() {
        if (ownsFd) {
            FileCalls.closeQuietly(dirFd);
        }
    }
}
