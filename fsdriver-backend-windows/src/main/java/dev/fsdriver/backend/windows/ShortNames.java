package dev.fsdriver.backend.windows;

import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * 8.3 short names in change notifications. Windows reports a change under the name the changing
 * program used, which can be a short name ({@code LONGFI~1.TXT}, {@code PROGRA~1\x}); the client
 * knows files only by their long names, so such names are turned into long ones with
 * GetLongPathNameW (the {@code resolve} function here) before they become changes.
 */
final class ShortNames {
    /** At most 8 + 3 characters, one dot at most, a '~' followed by a digit: what Windows generates. */
    private static final Pattern SHORT = Pattern.compile("(?=[^.]*~[0-9])[^.]{1,8}(\\.[^.]{1,3})?");

    private ShortNames() {}

    /** True if {@code component} may be a generated short name (a long name can look like one too). */
    static boolean looksShort(String component) {
        return component.indexOf('~') >= 0 && SHORT.matcher(component).matches();
    }

    /**
     * The long form of a watch-relative name ({@code a\b\c}), or null if a component that looks
     * short could not be resolved (the file is gone already, e.g. deleted through its short name).
     *
     * @param resolve the long form of a watch-relative name with the same number of components,
     *     or null if it does not exist (GetLongPathNameW)
     */
    static String toLong(String relative, UnaryOperator<String> resolve) {
        String[] parts = relative.split("\\\\", -1);
        boolean any = false;
        for (String p : parts) {
            any |= looksShort(p);
        }
        if (!any) {
            return relative;
        }
        String whole = resolve.apply(relative);
        if (whole != null) {
            return whole;
        }
        int slash = relative.lastIndexOf('\\');
        String leaf = relative.substring(slash + 1);
        if (looksShort(leaf) || slash < 0) {
            return null; // gone: its long name cannot be known any more
        }
        String parent = toLong(relative.substring(0, slash), resolve);
        return parent == null ? null : parent + "\\" + leaf;
    }

    /** The longest ancestor of {@code relative} ("" for the root) whose long form is known. */
    static String knownAncestor(String relative, UnaryOperator<String> resolve) {
        String r = relative;
        while (true) {
            int slash = r.lastIndexOf('\\');
            if (slash < 0) {
                return "";
            }
            r = r.substring(0, slash);
            String l = toLong(r, resolve);
            if (l != null) {
                return l;
            }
        }
    }
}
