package dev.fsdriver.backend.posix;

import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.common.Errno;
import dev.fsdriver.linux.AtCalls;
import dev.fsdriver.linux.ErrnoException;
import dev.fsdriver.linux.FileCalls;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Race-free containment (Linux 5.6+): the share root is held open ({@code O_PATH}) and the parent
 * of every path is opened with {@code openat2(rootfd, parent, RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)}: the kernel refuses any symlink on the way (ELOOP)
 * and any escape. The operation then acts on the final name relative to that descriptor (the *at
 * calls, or java.nio on {@code /proc/self/fd/N/name}, which resolves the descriptor itself, not a
 * path), so there is no check-then-use window.
 */
final class BeneathRoot implements Containment {
    private static final Logger LOG = LoggerFactory.getLogger(BeneathRoot.class);
    private static final long RESOLVE = AtCalls.RESOLVE_BENEATH | AtCalls.RESOLVE_NO_SYMLINKS
            | AtCalls.RESOLVE_NO_MAGICLINKS;

    private final int rootFd;
    private final Path rootProc;

    private BeneathRoot(int rootFd) {
        this.rootFd = rootFd;
        this.rootProc = proc(rootFd);
    }

    /**
     * Holds {@code root} open, or returns null where this containment cannot work (no openat2:
     * Linux before 5.6 or a seccomp filter; no /proc/self/fd for java.nio to reach descriptors).
     */
    static BeneathRoot tryOpen(Path root) throws IOException {
        int fd;
        try {
            fd = AtCalls.openat2(AtCalls.AT_FDCWD, root.toString(),
                    AtCalls.O_PATH | AtCalls.O_DIRECTORY | AtCalls.O_CLOEXEC, 0);
        } catch (ErrnoException e) {
            if (e.errno() != Errno.ENOSYS && e.errno() != Errno.EPERM) {
                throw new IOException("cannot open share root " + root + ": " + Errno.name(e.errno()));
            }
            LOG.info("openat2 unavailable ({}): containment by lstat walk, see PosixBackend", Errno.name(e.errno()));
            return null;
        }
        if (!Files.isDirectory(proc(fd))) {
            LOG.info("/proc/self/fd not usable: containment by lstat walk, see PosixBackend");
            FileCalls.closeQuietly(fd);
            return null;
        }
        return new BeneathRoot(fd);
    }

    private static Path proc(int fd) {
        return Path.of("/proc/self/fd/" + fd);
    }

    @Override
    public Loc locate(RelPath p) throws FsException {
        if (p.isRoot()) {
            return new Loc(rootFd, ".", rootProc, false);
        }
        RelPath parent = p.parent();
        if (parent.isRoot()) {
            return new Loc(rootFd, p.name(), rootProc.resolve(p.name()), false);
        }
        int fd;
        try {
            fd = AtCalls.openat2(rootFd, parent.toString(), AtCalls.O_PATH | AtCalls.O_DIRECTORY | AtCalls.O_CLOEXEC, RESOLVE);
        } catch (ErrnoException e) {
            throw new FsException(e.errno(), "resolve '" + p + "'"
                    + (e.errno() == Errno.ELOOP ? " (symlinks are not followed)" : ""));
        }
        return new Loc(fd, p.name(), proc(fd).resolve(p.name()), true);
    }

    @Override
    public Loc openDir(RelPath dir) throws FsException {
        if (dir.isRoot()) {
            return new Loc(rootFd, ".", rootProc, false);
        }
        int fd;
        try {
            fd = AtCalls.openat2(rootFd, dir.toString(), AtCalls.O_RDONLY | AtCalls.O_DIRECTORY | AtCalls.O_CLOEXEC, RESOLVE);
        } catch (ErrnoException e) {
            throw new FsException(e.errno(), "list '" + dir + "'");
        }
        return new Loc(fd, ".", proc(fd), true);
    }

    @Override
    public boolean raceFree() {
        return true;
    }

    @Override
    public void close() {
        FileCalls.closeQuietly(rootFd);
    }
}
