package dev.fsdriver.server;

import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * A share as given on the command line: {@code NAME=DIR[:ro]}.
 *
 * @param name     the name clients mount, {@code [A-Za-z0-9._-]+}
 * @param dir      the served directory
 * @param readOnly whether every mutation answers EROFS
 */
public record ShareSpec(String name, Path dir, boolean readOnly) {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]+");

    public ShareSpec {
        checkName(name);
        if (dir == null) {
            throw new IllegalArgumentException("share '" + name + "': no directory");
        }
    }

    /** Parses {@code NAME=DIR[:ro]}; throws IllegalArgumentException saying what is wrong. */
    public static ShareSpec parse(String spec) {
        if (spec == null) {
            throw new IllegalArgumentException("share: expected NAME=DIR[:ro], got nothing");
        }
        int eq = spec.indexOf('=');
        if (eq < 0) {
            throw new IllegalArgumentException("share '" + spec + "': expected NAME=DIR[:ro]");
        }
        String name = spec.substring(0, eq);
        String dir = spec.substring(eq + 1);
        boolean ro = false;
        if (dir.endsWith(":ro")) {
            ro = true;
            dir = dir.substring(0, dir.length() - 3);
        } else if (dir.endsWith(":rw")) {
            dir = dir.substring(0, dir.length() - 3);
        }
        if (dir.isEmpty()) {
            throw new IllegalArgumentException("share '" + spec + "': empty directory (expected NAME=DIR[:ro])");
        }
        checkName(name);
        return new ShareSpec(name, Path.of(dir), ro);
    }

    static void checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("share name '" + name + "': use only letters, digits, '.', '_' and '-'");
        }
    }
}
