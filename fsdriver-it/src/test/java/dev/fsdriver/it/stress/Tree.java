package dev.fsdriver.it.stress;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * What a directory tree holds, for comparing sides at the end: per relative path the type,
 * permission bits, link count, and for files the size and a content hash, for symlinks the
 * target, and owners (the tests run as root and so does the server: files made through the
 * mount are the caller's, and CHOWN changes them). Not times or inode numbers (they differ
 * between sides by nature).
 */
final class Tree {
    private Tree() {}

    /** The entries under {@code root} (not following symlinks); an unreadable one says why. */
    static Map<String, String> of(Path root) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.toList()) {
                out.put(root.relativize(p).toString(), describe(p));
            }
        }
        return out;
    }

    static String describe(Path p) {
        long[] rc = new long[1];
        Sys.Stat st = Sys.stat(p.toString(), false, rc);
        if (st == null) {
            return "stat " + Sys.errno(rc[0]);
        }
        String head = "perm " + Integer.toOctalString(st.mode() & 07777) + " nlink " + st.nlink() + " owner " + st.uid()
                + ":" + st.gid();
        return switch (st.type()) {
            case Sys.S_IFDIR -> "dir " + head;
            case Sys.S_IFLNK -> "symlink " + head + " -> " + Sys.readlink(p.toString(), rc);
            case Sys.S_IFREG -> {
                String content;
                try {
                    content = Side.hash(Files.readAllBytes(p));
                } catch (IOException e) {
                    content = "unreadable " + e;
                }
                yield "file " + head + " size " + st.size() + " " + content;
            }
            default -> "type " + Integer.toOctalString(st.type()) + " " + head;
        };
    }

    /** Lines "path: a=... b=..." for every path where the two trees differ; empty if equal. */
    static List<String> diff(Map<String, String> a, String aName, Map<String, String> b, String bName) {
        List<String> out = new ArrayList<>();
        TreeSet<String> paths = new TreeSet<>(a.keySet());
        paths.addAll(b.keySet());
        for (String p : paths) {
            String x = a.getOrDefault(p, "absent"), y = b.getOrDefault(p, "absent");
            if (!x.equals(y)) {
                out.add("'" + p + "': " + aName + "=" + x + " | " + bName + "=" + y);
            }
        }
        return out;
    }
}
