package dev.fsdriver.backend.windows;

import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.common.Errno;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * REPARSE_DATA_BUFFER as FSCTL_GET_REPARSE_POINT returns it and FSCTL_SET_REPARSE_POINT takes it:
 * <pre>
 *   ULONG  ReparseTag;          0
 *   USHORT ReparseDataLength;   4   bytes after the 8-byte header
 *   USHORT Reserved;            6
 *   symlink:     USHORT SubstituteNameOffset, SubstituteNameLength, PrintNameOffset, PrintNameLength;
 *                ULONG Flags (SYMLINK_FLAG_RELATIVE = 1); WCHAR PathBuffer[] at 20
 *   mount point: the same four USHORTs, no Flags; PathBuffer at 16, names NUL-terminated
 *   LX symlink:  ULONG Version (2); UTF-8 target without NUL, at 8
 * </pre>
 * Offsets and lengths of names are in bytes, relative to PathBuffer.
 */
public final class ReparseData {
    public static final int SYMLINK_FLAG_RELATIVE = 1;
    public static final int LX_SYMLINK_VERSION = 2;
    /** MAXIMUM_REPARSE_DATA_BUFFER_SIZE. */
    public static final int MAX_SIZE = 16 * 1024;
    private static final int HEADER = 8;

    /** What a reparse point is. */
    public enum Kind { SYMLINK, JUNCTION, LX_SYMLINK, OTHER }

    /**
     * A parsed reparse point. For native links {@code target} is the print name if present, else
     * the substitute name without its NT prefix; for LX links the UTF-8 target as stored.
     */
    public record Link(Kind kind, int tag, String target, String substituteName, boolean relative) {}

    private ReparseData() {}

    /** Parses the first {@code length} bytes of {@code buf}. */
    public static Link parse(ByteBuffer buf, int length) throws FsException {
        ByteBuffer b = buf.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (length < HEADER) {
            throw new FsException(Errno.EIO, "reparse buffer of " + length + " bytes");
        }
        int tag = b.getInt(0);
        int dataLen = Short.toUnsignedInt(b.getShort(4));
        if (HEADER + dataLen > length) {
            throw new FsException(Errno.EIO, "reparse data length " + dataLen + " exceeds " + length);
        }
        switch (tag) {
            case WinAttributes.IO_REPARSE_TAG_SYMLINK, WinAttributes.IO_REPARSE_TAG_MOUNT_POINT -> {
                boolean symlink = tag == WinAttributes.IO_REPARSE_TAG_SYMLINK;
                int pathBuffer = symlink ? 20 : 16;
                if (dataLen < pathBuffer - HEADER) {
                    throw new FsException(Errno.EIO, "short reparse data");
                }
                int subOff = Short.toUnsignedInt(b.getShort(8));
                int subLen = Short.toUnsignedInt(b.getShort(10));
                int prOff = Short.toUnsignedInt(b.getShort(12));
                int prLen = Short.toUnsignedInt(b.getShort(14));
                int flags = symlink ? b.getInt(16) : 0;
                int end = HEADER + dataLen;
                if (pathBuffer + subOff + subLen > end || pathBuffer + prOff + prLen > end) {
                    throw new FsException(Errno.EIO, "reparse names outside the data");
                }
                String sub = Utf16.read(b, pathBuffer + subOff, subLen);
                String print = Utf16.read(b, pathBuffer + prOff, prLen);
                boolean relative = (flags & SYMLINK_FLAG_RELATIVE) != 0;
                String target = !print.isEmpty() ? print : stripNtPrefix(sub);
                return new Link(symlink ? Kind.SYMLINK : Kind.JUNCTION, tag, target, sub, relative);
            }
            case WinAttributes.IO_REPARSE_TAG_LX_SYMLINK -> {
                if (dataLen < 4) {
                    throw new FsException(Errno.EIO, "short LX symlink data");
                }
                int version = b.getInt(8);
                if (version != LX_SYMLINK_VERSION) {
                    throw new FsException(Errno.EIO, "LX symlink version " + version);
                }
                byte[] utf8 = new byte[dataLen - 4];
                b.get(12, utf8);
                return new Link(Kind.LX_SYMLINK, tag, new String(utf8, StandardCharsets.UTF_8), null, true);
            }
            default -> {
                return new Link(Kind.OTHER, tag, null, null, false);
            }
        }
    }

    /** The WSL-style link: tag LX_SYMLINK, version 2, the target in UTF-8 without NUL. */
    public static byte[] buildLxSymlink(String target) throws FsException {
        byte[] utf8 = target.getBytes(StandardCharsets.UTF_8);
        int dataLen = 4 + utf8.length;
        if (HEADER + dataLen > MAX_SIZE) {
            throw new FsException(Errno.ENAMETOOLONG, "symlink target of " + utf8.length + " bytes");
        }
        ByteBuffer b = ByteBuffer.allocate(HEADER + dataLen).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(WinAttributes.IO_REPARSE_TAG_LX_SYMLINK).putShort((short) dataLen).putShort((short) 0)
                .putInt(LX_SYMLINK_VERSION).put(utf8);
        return b.array();
    }

    /** A native symbolic link: substitute name first, then print name, no NULs (as mklink writes). */
    public static byte[] buildSymlink(String substituteName, String printName, boolean relative) throws FsException {
        return buildNative(WinAttributes.IO_REPARSE_TAG_SYMLINK, substituteName, printName, relative);
    }

    /** A junction: absolute NT target ("\??\C:\dir"), both names NUL-terminated. */
    public static byte[] buildMountPoint(String substituteName, String printName) throws FsException {
        return buildNative(WinAttributes.IO_REPARSE_TAG_MOUNT_POINT, substituteName, printName, false);
    }

    private static byte[] buildNative(int tag, String sub, String print, boolean relative) throws FsException {
        boolean symlink = tag == WinAttributes.IO_REPARSE_TAG_SYMLINK;
        int nul = symlink ? 0 : 2;
        int pathBuffer = symlink ? 20 : 16;
        int subLen = 2 * sub.length();
        int prLen = 2 * print.length();
        int total = pathBuffer + subLen + nul + prLen + nul;
        if (total > MAX_SIZE) {
            throw new FsException(Errno.ENAMETOOLONG, "link target too long");
        }
        ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, tag).putShort(4, (short) (total - HEADER)).putShort(6, (short) 0);
        b.putShort(8, (short) 0).putShort(10, (short) subLen);
        b.putShort(12, (short) (subLen + nul)).putShort(14, (short) prLen);
        if (symlink) {
            b.putInt(16, relative ? SYMLINK_FLAG_RELATIVE : 0);
        }
        Utf16.write(b, pathBuffer, sub);
        Utf16.write(b, pathBuffer + subLen + nul, print);
        return b.array();
    }

    /** "\??\C:\x" -> "C:\x", "\??\UNC\s\x" -> "\\s\x"; other names unchanged. */
    public static String stripNtPrefix(String ntName) {
        if (ntName.regionMatches(true, 0, "\\??\\UNC\\", 0, 8)) {
            return "\\\\" + ntName.substring(8);
        }
        if (ntName.startsWith("\\??\\")) {
            return ntName.substring(4);
        }
        return ntName;
    }

    /**
     * The POSIX target a Linux client should see for {@code link}, the link living in share
     * directory {@code linkDir} of a share rooted at {@code shareRoot} (a DOS path such as
     * {@code C:\data}, no \\?\ prefix). LX links are POSIX already. Relative native links get '/'
     * separators and unescaped names. Absolute native targets inside the share become relative
     * to the link's directory (the server does not know where the client mounts the share);
     * targets elsewhere on a drive become WSL's {@code /mnt/<drive>/...}; anything else (UNC,
     * device paths) is returned with '/' separators and cannot resolve on the client.
     */
    public static String toPosixTarget(Link link, String shareRoot, RelPath linkDir) {
        if (link.kind() == Kind.LX_SYMLINK) {
            return link.target();
        }
        String t = link.target();
        if (link.relative()) {
            return unescapeAll(t.replace('\\', '/'));
        }
        // An absolute link goes where its substitute name says; the print name is only what
        // tools show and may differ (B13). The print name only when there is no substitute name.
        if (link.substituteName() != null && !link.substituteName().isEmpty()) {
            t = link.substituteName();
        }
        t = LongPaths.stripPrefix(stripNtPrefix(t));
        String root = shareRoot.endsWith("\\") ? shareRoot.substring(0, shareRoot.length() - 1) : shareRoot;
        if (LongPaths.isUnder(t, root)) {
            List<String> target = new ArrayList<>();
            for (String part : t.substring(root.length()).split("\\\\")) {
                if (!part.isEmpty()) {
                    target.add(NameEscaping.fromWindows(part));
                }
            }
            return relativize(linkDir.names(), target);
        }
        if (t.length() >= 2 && Character.isLetter(t.charAt(0)) && t.charAt(1) == ':') {
            String rest = t.substring(2).replace('\\', '/');
            return "/mnt/" + Character.toLowerCase(t.charAt(0)) + unescapeAll(rest.isEmpty() ? "/" : rest);
        }
        return t.replace('\\', '/');
    }

    /**
     * The share path a relative POSIX link target names, seen from the link's directory
     * {@code linkDir}, resolved by name ("." dropped, ".." one up); null if it is absolute or
     * leaves the share. For asking what the target is through the share's own paths: a
     * {@code \\?\} path would pass ".." to the file system as a name (B13).
     */
    static RelPath targetInShare(RelPath linkDir, String posixTarget) {
        if (posixTarget.startsWith("/")) {
            return null;
        }
        List<String> names = new ArrayList<>(linkDir.names());
        for (String part : posixTarget.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                if (names.isEmpty()) {
                    return null;
                }
                names.remove(names.size() - 1);
            } else {
                names.add(part);
            }
        }
        try {
            return names.isEmpty() ? RelPath.ROOT : RelPath.parse(String.join("/", names));
        } catch (FsException e) {
            return null;
        }
    }

    /** The relative path from directory {@code from} to {@code to} (both as names from the share root). */
    static String relativize(List<String> from, List<String> to) {
        int common = 0;
        while (common < from.size() && common < to.size() && from.get(common).equals(to.get(common))) {
            common++;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = common; i < from.size(); i++) {
            sb.append(sb.isEmpty() ? "" : "/").append("..");
        }
        for (int i = common; i < to.size(); i++) {
            sb.append(sb.isEmpty() ? "" : "/").append(to.get(i));
        }
        return sb.isEmpty() ? "." : sb.toString();
    }

    private static String unescapeAll(String slashPath) {
        return NameEscaping.fromWindows(slashPath);
    }

    /**
     * The native relative target for a POSIX relative target ("../a/b" -> "..\a\b", names
     * escaped), for a link whose directory lies {@code linkDirDepth} levels below the share root;
     * or null when only a WSL-style link can keep it: an absolute target, or one whose ".."
     * climb above the share root (Windows programs would follow a native link out of the share;
     * WSL-style links are only read by the Linux side).
     */
    public static String toNativeRelative(String posixTarget, int linkDirDepth) throws FsException {
        if (posixTarget.startsWith("/")) {
            return null;
        }
        StringBuilder sb = new StringBuilder();
        int depth = linkDirDepth;
        for (String part : posixTarget.split("/", -1)) {
            if (part.equals("..")) {
                if (--depth < 0) {
                    return null;
                }
            } else if (!part.isEmpty() && !part.equals(".")) {
                depth++;
            }
            if (!sb.isEmpty()) {
                sb.append('\\');
            }
            sb.append(part.equals(".") || part.equals("..") || part.isEmpty() ? part : NameEscaping.toWindows(part));
        }
        return sb.toString();
    }
}
