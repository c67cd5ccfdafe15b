package dev.fsdriver.common;

import java.nio.charset.StandardCharsets;

/**
 * Which extended attributes a share keeps and what the others answer, the same on the server
 * (which enforces it) and on the client (which answers the others without a call).
 *
 * <p>Only {@code user.*} reaches a backend. The rest is answered as by a local Linux file system
 * mounted without ACL support and without a security module: {@code security.*} and
 * {@code trusted.*} read as absent (ENODATA: the kernel's security.capability check before each
 * write, {@code cp -a} and {@code rsync -X} take that as "nothing to copy") and cannot be set
 * (EOPNOTSUPP); {@code system.*} (POSIX ACLs) and unknown namespaces are EOPNOTSUPP, which
 * {@code cp -a} takes as "no ACLs here, the mode bits say it all".
 */
public final class Xattrs {
    public static final int XATTR_CREATE = 1;
    public static final int XATTR_REPLACE = 2;
    /** Linux XATTR_NAME_MAX: longer names are ERANGE. */
    public static final int NAME_MAX_BYTES = 255;
    /** Linux XATTR_SIZE_MAX: larger values are E2BIG. */
    public static final int SIZE_MAX_BYTES = 65536;
    public static final String USER = "user.";

    private Xattrs() {}

    /** Whether a backend keeps {@code name}: a user.* name (checked with {@link #nameError} first). */
    public static boolean kept(String name) {
        return name.startsWith(USER);
    }

    /**
     * The errno Linux gives for a malformed name before anything else, or 0: empty or longer than
     * 255 bytes ERANGE, a bare namespace ("user.") EINVAL.
     */
    public static int nameError(String name) {
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (bytes == 0 || bytes > NAME_MAX_BYTES) {
            return Errno.ERANGE;
        }
        return name.equals(USER) ? Errno.EINVAL : 0;
    }

    /** The answer to getxattr/removexattr of a name no backend keeps: ENODATA or EOPNOTSUPP. */
    public static int absentError(String name) {
        return name.startsWith("security.") || name.startsWith("trusted.") ? Errno.ENODATA : Errno.EOPNOTSUPP;
    }

    /** setxattr of a name no backend keeps. */
    public static int setError(String name) {
        return Errno.EOPNOTSUPP;
    }

    /** The errno of setxattr flags Linux refuses (unknown bits: EINVAL), or 0. Both known bits are allowed. */
    public static int flagsError(int flags) {
        return (flags & ~(XATTR_CREATE | XATTR_REPLACE)) != 0 ? Errno.EINVAL : 0;
    }
}
