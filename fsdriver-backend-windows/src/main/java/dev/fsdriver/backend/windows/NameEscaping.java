package dev.fsdriver.backend.windows;

import dev.fsdriver.backend.FsException;
import dev.fsdriver.common.Errno;
import java.util.Locale;
import java.util.Set;

/**
 * Linux names to NTFS names and back, the way WSL's drvfs and Cygwin do it: characters Windows
 * forbids in names ({@code \ : * ? " < > |} and 0x01..0x1F) are stored as U+F000 + char, and
 * shown as the original character again when listed. A trailing dot or space, which Win32 strips
 * (so Explorer and every Win32 program fail on {@code dot.}), is stored the same way (U+F02E,
 * U+F020), as Cygwin does; only in the last position, so those characters elsewhere stay themselves.
 *
 * <p>A Linux name that already contains one of those private-use characters is refused
 * (EINVAL): it would come back as a different name. Reserved DOS device names (CON, PRN, AUX,
 * NUL, COM0-9, LPT0-9, also with an extension such as "nul.txt") are refused for new names:
 * NTFS accepts them through \\?\ paths, but Win32 programs then cannot open or delete them.
 */
public final class NameEscaping {
    private static final int BASE = 0xF000;
    private static final String FORBIDDEN = "\\:*?\"<>|";
    /** NTFS's limit for one component, in UTF-16 code units. */
    static final int MAX_COMPONENT = 255;

    private static final Set<String> RESERVED = Set.of(
            "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
            "COM0", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
            "COM\u00B9", "COM\u00B2", "COM\u00B3",
            "LPT0", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
            "LPT\u00B9", "LPT\u00B2", "LPT\u00B3");

    private NameEscaping() {}

    static boolean isForbidden(char c) {
        return (c >= 0x01 && c <= 0x1F) || FORBIDDEN.indexOf(c) >= 0;
    }

    static boolean isEscape(char c) {
        return c >= BASE && c <= BASE + 0x7F && isForbidden((char) (c - BASE));
    }

    /** A dot or space, which Win32 strips at the end of a name. */
    private static boolean isTrailingStripped(char c) {
        return c == '.' || c == ' ';
    }

    /** The escape of {@code name}'s character {@code i}: forbidden ones anywhere, dot and space only last. */
    private static boolean isEscapeAt(String name, int i) {
        char c = name.charAt(i);
        return isEscape(c) || (i == name.length() - 1 && c >= BASE && isTrailingStripped((char) (c - BASE)));
    }

    /** The on-disk form of a Linux name component (for lookups of existing names). */
    public static String toWindows(String name) throws FsException {
        StringBuilder sb = null;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (isEscapeAt(name, i)) {
                throw new FsException(Errno.EINVAL, "name contains U+" + Integer.toHexString(c).toUpperCase(Locale.ROOT)
                        + ", which is reserved for escaping characters Windows forbids");
            }
            if (Character.isSurrogate(c) && !validSurrogateAt(name, i)) {
                throw new FsException(Errno.EILSEQ, "name is not valid UTF-16");
            }
            if (isForbidden(c) || (i == name.length() - 1 && isTrailingStripped(c))) {
                if (sb == null) {
                    sb = new StringBuilder(name.length()).append(name, 0, i);
                }
                sb.append((char) (BASE + c));
            } else if (sb != null) {
                sb.append(c);
            }
        }
        String out = sb == null ? name : sb.toString();
        if (out.length() > MAX_COMPONENT) {
            // NTFS would answer STATUS_OBJECT_NAME_INVALID (EINVAL); POSIX says ENAMETOOLONG.
            throw new FsException(Errno.ENAMETOOLONG, "name of " + out.length() + " UTF-16 units; NTFS allows " + MAX_COMPONENT);
        }
        return out;
    }

    /** Like {@link #toWindows} for a name about to be created: also refuses reserved device names. */
    public static String toWindowsNewName(String name) throws FsException {
        if (isReservedDeviceName(name)) {
            throw new FsException(Errno.EINVAL, "'" + name + "' is a reserved Windows device name (CON, NUL, COM1, ...)");
        }
        return toWindows(name);
    }

    /** The Linux form of an on-disk name: escapes back to the original characters. */
    public static String fromWindows(String name) {
        StringBuilder sb = null;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (isEscapeAt(name, i)) {
                if (sb == null) {
                    sb = new StringBuilder(name.length()).append(name, 0, i);
                }
                sb.append((char) (c - BASE));
            } else if (sb != null) {
                sb.append(c);
            }
        }
        return sb == null ? name : sb.toString();
    }

    /** CON, COM0, nul.txt, "Com1 .log", LPT9.a.b: the part before the first dot, trailing spaces removed. */
    public static boolean isReservedDeviceName(String name) {
        int dot = name.indexOf('.');
        String base = dot < 0 ? name : name.substring(0, dot);
        int end = base.length();
        while (end > 0 && base.charAt(end - 1) == ' ') {
            end--;
        }
        return RESERVED.contains(base.substring(0, end).toUpperCase(Locale.ROOT));
    }

    private static boolean validSurrogateAt(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
        }
        return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }
}
