package dev.fsdriver.backend.windows;

import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.RelPath;

/**
 * Win32 paths in their {@code \\?\} form, which lifts MAX_PATH (about 32K UTF-16 units) and
 * turns off Win32 normalisation: "/", "." and ".." are then taken literally and trailing dots
 * and spaces survive, so every path handed to Win32 is built here from checked names.
 */
public final class LongPaths {
    public static final String PREFIX = "\\\\?\\";
    public static final String UNC_PREFIX = "\\\\?\\UNC\\";

    private LongPaths() {}

    /**
     * {@code C:\x} becomes {@code \\?\C:\x}, {@code \\server\share\x} becomes
     * {@code \\?\UNC\server\share\x}; {@code \\?\} and {@code \\.\} paths stay. Forward slashes
     * become backslashes and a trailing separator is dropped (except after a drive root).
     */
    public static String toLongPath(String absolute) {
        String p = absolute.replace('/', '\\');
        if (p.startsWith(PREFIX) || p.startsWith("\\\\.\\") || p.startsWith("\\??\\")) {
            return p;
        }
        if (p.startsWith("\\\\")) {
            return trimTrailing(UNC_PREFIX + p.substring(2));
        }
        if (p.length() >= 2 && Character.isLetter(p.charAt(0)) && p.charAt(1) == ':') {
            if (p.length() == 2) {
                p = p + "\\";
            }
            if (p.charAt(2) != '\\') {
                throw new IllegalArgumentException("drive-relative path: " + absolute);
            }
            return trimTrailing(PREFIX + p);
        }
        throw new IllegalArgumentException("not an absolute Windows path: " + absolute);
    }

    /** The usual display form: {@code \\?\C:\x} -> {@code C:\x}, {@code \\?\UNC\s\x} -> {@code \\s\x}. */
    public static String stripPrefix(String path) {
        if (path.regionMatches(true, 0, UNC_PREFIX, 0, UNC_PREFIX.length())) {
            return "\\\\" + path.substring(UNC_PREFIX.length());
        }
        if (path.startsWith(PREFIX)) {
            return path.substring(PREFIX.length());
        }
        return path;
    }

    /** {@code root} (a long path) joined with the escaped names of {@code rel}. */
    public static String resolve(String root, RelPath rel) throws FsException {
        if (rel.isRoot()) {
            return root;
        }
        StringBuilder sb = new StringBuilder(root.length() + 16 * rel.depth()).append(root);
        for (String name : rel.names()) {
            if (sb.charAt(sb.length() - 1) != '\\') {
                sb.append('\\');
            }
            sb.append(NameEscaping.toWindows(name));
        }
        return sb.toString();
    }

    /**
     * True if {@code path} is {@code root} or lies below it, comparing as NTFS does by default
     * (case-insensitively, char by char). Both in the same form (e.g. from GetFinalPathNameByHandleW).
     */
    public static boolean isUnder(String path, String root) {
        String r = trimTrailing(root);
        if (path.length() < r.length() || !CaseFolding.regionEqualsIgnoreCase(path, 0, r, r.length())) {
            return false;
        }
        return path.length() == r.length() || path.charAt(r.length()) == '\\' || r.endsWith("\\");
    }

    private static String trimTrailing(String p) {
        // Keep "\\?\C:\" (a drive root needs its separator).
        if (p.endsWith("\\") && !(p.length() >= 3 && p.charAt(p.length() - 2) == ':')) {
            return p.substring(0, p.length() - 1);
        }
        return p;
    }
}
