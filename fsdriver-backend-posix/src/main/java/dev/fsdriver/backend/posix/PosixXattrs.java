package dev.fsdriver.backend.posix;

import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.common.Errno;
import dev.fsdriver.common.Xattrs;
import dev.fsdriver.linux.ErrnoException;
import dev.fsdriver.linux.XattrCalls;
import java.util.ArrayList;
import java.util.List;

/**
 * Extended attributes of the posix backend: the l*xattr calls on the path of a located file
 * (/proc/self/fd/DIRFD/NAME beneath the root), so that containment holds for them too. They need
 * libc: without it every call is EOPNOTSUPP. Read-only shares are refused by the backend first.
 */
final class PosixXattrs {
    private final PosixCalls calls;
    private final Containment containment;

    PosixXattrs(PosixCalls calls, Containment containment) {
        this.calls = calls;
        this.containment = containment;
    }

    /**
     * The path the xattr calls take for the file at {@code l}: never followed at its end
     * ({@link XattrCalls}); the root's magic link is followed (it is the root).
     */
    private String xattrPath(Loc l, String op, RelPath path) throws FsException {
        if (!calls.xattrs()) {
            throw new FsException(Errno.EOPNOTSUPP, op + " '" + path + "': needs the libc calls");
        }
        return l.path().toString();
    }

    private boolean follow(RelPath path) {
        return containment.raceFree() && path.isRoot();
    }

    byte[] get(RelPath path, String name) throws FsException {
        try (Loc l = containment.locate(path)) {
            return XattrCalls.getxattr(xattrPath(l, "getxattr", path), follow(path), name);
        } catch (ErrnoException e) {
            throw LibcCalls.failed(e, "getxattr", path);
        }
    }

    /** Only user.* names: a server running as root would see trusted.* too, which clients may not. */
    List<String> list(RelPath path) throws FsException {
        try (Loc l = containment.locate(path)) {
            List<String> names = new ArrayList<>(XattrCalls.listxattr(xattrPath(l, "listxattr", path), follow(path)));
            names.removeIf(n -> !Xattrs.kept(n));
            return names;
        } catch (ErrnoException e) {
            throw LibcCalls.failed(e, "listxattr", path);
        }
    }

    void set(RelPath path, String name, byte[] value, int flags) throws FsException {
        try (Loc l = containment.locate(path)) {
            XattrCalls.setxattr(xattrPath(l, "setxattr", path), follow(path), name, value, flags);
        } catch (ErrnoException e) {
            throw LibcCalls.failed(e, "setxattr", path);
        }
    }

    void remove(RelPath path, String name) throws FsException {
        try (Loc l = containment.locate(path)) {
            XattrCalls.removexattr(xattrPath(l, "removexattr", path), follow(path), name);
        } catch (ErrnoException e) {
            throw LibcCalls.failed(e, "removexattr", path);
        }
    }
}
