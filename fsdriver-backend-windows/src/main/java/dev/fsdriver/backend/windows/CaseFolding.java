package dev.fsdriver.backend.windows;

import java.util.Collection;

/**
 * Name comparison as a case-insensitive NTFS directory does it (the volume's $UpCase table is a
 * simple 1:1 uppercasing of UTF-16 units; {@link Character#toUpperCase(char)} is that table for
 * all practical names), and the decisions that keep Linux's view single-spelled:
 * a lookup answers with the on-disk spelling, and creating a name that differs from an existing
 * one only in case is EEXIST rather than opening the other file.
 */
public final class CaseFolding {
    /** What a create of a name should do in a case-insensitive directory. */
    public enum CreateDecision {
        /** No file answers to the name: create it. */
        CREATE,
        /** The exact name exists: the usual EEXIST / open-existing rules apply. */
        EXISTS,
        /** A file whose name differs only in case exists: EEXIST, never open it instead. */
        CASE_COLLISION
    }

    private CaseFolding() {}

    public static boolean equalsIgnoreCase(String a, String b) {
        return a.length() == b.length() && regionEqualsIgnoreCase(a, 0, b, b.length());
    }

    static boolean regionEqualsIgnoreCase(String a, int offset, String b, int len) {
        for (int i = 0; i < len; i++) {
            char x = a.charAt(offset + i);
            char y = b.charAt(i);
            if (x != y && Character.toUpperCase(x) != Character.toUpperCase(y)) {
                return false;
            }
        }
        return true;
    }

    /** The on-disk spelling among {@code names} answering to {@code requested} (exact match wins), or null. */
    public static String onDiskSpelling(String requested, Collection<String> names) {
        String folded = null;
        for (String n : names) {
            if (n.equals(requested)) {
                return n;
            }
            if (folded == null && equalsIgnoreCase(n, requested)) {
                folded = n;
            }
        }
        return folded;
    }

    /** Decision for creating {@code requested} when {@code onDisk} (null if none) answers to it. */
    public static CreateDecision decideCreate(String requested, String onDisk) {
        if (onDisk == null) {
            return CreateDecision.CREATE;
        }
        if (onDisk.equals(requested)) {
            return CreateDecision.EXISTS;
        }
        if (equalsIgnoreCase(onDisk, requested)) {
            return CreateDecision.CASE_COLLISION;
        }
        // A different name answered (8.3 short name alias such as PROGRA~1): also a collision.
        return CreateDecision.CASE_COLLISION;
    }

    /**
     * B5: true if creating {@code requested} (on-disk form) opened an existing file whose final
     * path ({@code GetFinalPathNameByHandleW}) ends in another spelling (case or 8.3 alias). Asked
     * for every existing file a create opens, whatever the share root's case flag: a directory
     * below may be case-insensitive when the root is not.
     */
    public static boolean openedAnotherSpelling(String requested, String finalPath) {
        String onDisk = finalPath.substring(finalPath.lastIndexOf('\\') + 1);
        return decideCreate(requested, onDisk) == CreateDecision.CASE_COLLISION;
    }
}
