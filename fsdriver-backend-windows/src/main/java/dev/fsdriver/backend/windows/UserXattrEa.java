package dev.fsdriver.backend.windows;

import dev.fsdriver.backend.FsException;
import dev.fsdriver.common.Errno;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Linux user.* extended attributes as NTFS extended attributes, one EA each, next to WSL's
 * $LX* (drvfs metadata) and LXATTRB (WSL 1) EAs, which never start like ours.
 *
 * <p><b>Names.</b> NTFS keeps EA names as upper-case ASCII and compares them case-insensitively,
 * while Linux names are case-sensitive bytes. So {@code user.NAME} becomes
 * {@code FSDX.} + NAME with each byte of NAME (UTF-8) written as: a-z as A-Z, 0-9 . _ - as
 * themselves, anything else (upper-case letters too) as %XX (two upper-case hex digits). Example:
 * {@code user.mime_type} is {@code FSDX.MIME_TYPE}, {@code user.Key} is {@code FSDX.%4BEY}. An EA
 * name holds at most 255 bytes: a name whose encoding is longer is refused with ERANGE, which
 * Linux gives for a name too long.
 *
 * <p><b>Values</b> are stored after one byte (0): an EA with an empty value does not exist on
 * NTFS (NtSetEaFile deletes it), while an empty xattr value does on Linux. An EA value holds at
 * most 65535 bytes, so a value holds 65534 (E2BIG beyond); NTFS also limits all of a file's EAs
 * together to about 64 KiB (ENOSPC).
 */
final class UserXattrEa {
    static final String PREFIX = "FSDX.";
    static final int EA_NAME_MAX = 255;
    static final int VALUE_MAX = 65534;
    private static final String USER = "user.";
    private static final byte[] HEX = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);

    private UserXattrEa() {}

    /** The EA name of the Linux xattr {@code name} (user.*). */
    static String eaName(String name) throws FsException {
        if (!name.startsWith(USER)) {
            throw new FsException(Errno.EOPNOTSUPP, "xattr " + name + ": only user.* is kept");
        }
        StringBuilder b = new StringBuilder(PREFIX);
        for (byte c : name.substring(USER.length()).getBytes(StandardCharsets.UTF_8)) {
            if (c >= 'a' && c <= 'z') {
                b.append((char) (c - 'a' + 'A'));
            } else if ((c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-') {
                b.append((char) c);
            } else {
                b.append('%').append((char) HEX[(c >> 4) & 0xf]).append((char) HEX[c & 0xf]);
            }
        }
        if (b.length() > EA_NAME_MAX) {
            throw new FsException(Errno.ERANGE, "xattr " + name + ": its EA name would be " + b.length() + " bytes");
        }
        return b.toString();
    }

    /** The Linux name of EA {@code ea}, or null when it is not one of ours ($LX*, LXATTRB, others'). */
    static String xattrName(String ea) {
        if (ea.length() <= PREFIX.length() || !ea.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
            return null;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = PREFIX.length(); i < ea.length(); i++) {
            char c = ea.charAt(i);
            if (c == '%') {
                if (i + 2 >= ea.length()) {
                    return null;
                }
                int hi = Character.digit(ea.charAt(i + 1), 16);
                int lo = Character.digit(ea.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    return null;
                }
                out.write(hi << 4 | lo);
                i += 2;
            } else {
                out.write(Character.toLowerCase(c));
            }
        }
        return USER + out.toString(StandardCharsets.UTF_8);
    }

    /** The EA value that stores xattr value {@code value}. */
    static byte[] stored(byte[] value) throws FsException {
        if (value.length > VALUE_MAX) {
            throw new FsException(Errno.E2BIG, "xattr value of " + value.length + " bytes: NTFS keeps " + VALUE_MAX);
        }
        byte[] v = new byte[value.length + 1];
        System.arraycopy(value, 0, v, 1, value.length);
        return v;
    }

    /** The xattr value in EA value {@code ea}, or null: absent (NtQueryEaFile answers a missing name with no value). */
    static byte[] value(byte[] ea) {
        return ea == null || ea.length == 0 ? null : Arrays.copyOfRange(ea, 1, ea.length);
    }

    /** The user.* names among a file's EAs (decoded FILE_FULL_EA_INFORMATION), in their order. */
    static List<String> names(Map<String, byte[]> eas) {
        List<String> names = new ArrayList<>();
        for (Map.Entry<String, byte[]> e : eas.entrySet()) {
            String n = xattrName(e.getKey().toUpperCase(Locale.ROOT));
            if (n != null && e.getValue().length > 0) {
                names.add(n);
            }
        }
        return names;
    }
}
