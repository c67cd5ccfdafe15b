package dev.fsdriver.backend;

import dev.fsdriver.common.Errno;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A path inside a share, as a list of validated names: never absolute, never "." or "..",
 * never a name with '/' or NUL. The only way to build one is from validated names, so a
 * RelPath cannot leave its share by construction; symlinks are the backend's concern.
 * The empty path is the share root.
 */
public final class RelPath {
    public static final RelPath ROOT = new RelPath(new String[0]);

    /** Longest name accepted, in UTF-16 chars (NTFS allows 255 UTF-16 units, ext4 255 bytes). */
    public static final int NAME_MAX = 255;

    private final String[] names;

    private RelPath(String[] names) {
        this.names = names;
    }

    /** Throws EINVAL (or ENAMETOOLONG) unless {@code name} is a single, safe path component. */
    public static String checkName(String name) throws FsException {
        if (name == null || name.isEmpty()) {
            throw new FsException(Errno.EINVAL, "empty name");
        }
        if (name.equals(".") || name.equals("..")) {
            throw new FsException(Errno.EINVAL, "name '" + name + "' not allowed");
        }
        if (name.length() > NAME_MAX) {
            throw new FsException(Errno.ENAMETOOLONG, "name of " + name.length() + " characters");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '/' || c == 0) {
                throw new FsException(Errno.EINVAL, "name contains " + (c == 0 ? "NUL" : "'/'"));
            }
        }
        return name;
    }

    /** Parses "a/b/c" (as sent in events and logs); "" is the root. Each part is checked. */
    public static RelPath parse(String path) throws FsException {
        if (path.isEmpty()) {
            return ROOT;
        }
        String[] parts = path.split("/", -1);
        for (String p : parts) {
            checkName(p);
        }
        return new RelPath(parts);
    }

    public RelPath resolve(String name) throws FsException {
        checkName(name);
        String[] n = Arrays.copyOf(names, names.length + 1);
        n[names.length] = name;
        return new RelPath(n);
    }

    public boolean isRoot() {
        return names.length == 0;
    }

    /** The parent; the root's parent is the root. */
    public RelPath parent() {
        return names.length == 0 ? this : new RelPath(Arrays.copyOf(names, names.length - 1));
    }

    /** The last name, "" for the root. */
    public String name() {
        return names.length == 0 ? "" : names[names.length - 1];
    }

    public int depth() {
        return names.length;
    }

    public String name(int i) {
        return names[i];
    }

    public List<String> names() {
        return List.of(names);
    }

    /** True if {@code this} equals {@code other} or lies below it. */
    public boolean startsWith(RelPath other) {
        if (other.names.length > names.length) {
            return false;
        }
        for (int i = 0; i < other.names.length; i++) {
            if (!names[i].equals(other.names[i])) {
                return false;
            }
        }
        return true;
    }

    /** Replaces the prefix {@code from} (which this starts with) by {@code to}: for renames. */
    public RelPath rebase(RelPath from, RelPath to) {
        if (!startsWith(from)) {
            throw new IllegalArgumentException(this + " is not under " + from);
        }
        List<String> n = new ArrayList<>(to.names());
        n.addAll(Arrays.asList(names).subList(from.names.length, names.length));
        return new RelPath(n.toArray(String[]::new));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RelPath r && Arrays.equals(names, r.names);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(names);
    }

    /** "a/b/c"; "" for the root. */
    @Override
    public String toString() {
        return String.join("/", names);
    }
}
