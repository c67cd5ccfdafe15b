package dev.fsdriver.it.stress;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * One step of a stress run: a system call (or a short fixed sequence of them, such as
 * open-pwrite-close) on paths relative to a worker's own directory ("" is that directory).
 * The text form ({@link #toString}, {@link #parse}) is what replay logs show and what a
 * hand-written reproduction lists.
 *
 * @param a    the (first) path
 * @param b    the second path (rename, link, copy destination) or a symlink's target
 * @param x    offset, length or mode, by kind
 * @param y    a second offset, the data seed of a write, or a time, by kind
 * @param n    a length or flags, by kind
 * @param slot the descriptor slot of the fd kinds; the number of buffers of READV and WRITEV
 */
public record Op(Kind kind, String a, String b, long x, long y, int n, int slot) {
    public enum Kind {
        CREAT, MKDIR, RMDIR, UNLINK, LINK, SYMLINK, RENAME, TRUNCATE, WRITE, READ, CHMOD, UTIMENS, STAT,
        READLINK, GETDENTS, COPYRANGE, OPEN, FWRITE, FREAD, FTRUNCATE, FSYNC, FDATASYNC, CLOSE, REOPEN, FSTAT,
        // fsstress's other operations (OpGenerator.Profile.FSSTRESS_CASE1); new kinds go last: the
        // default mix picks by position
        CHOWN, DREAD, DWRITE, MREAD, MWRITE, SPLICE, READV, WRITEV, SYNC
    }

    public static Op of(Kind k, String a) {
        return new Op(k, a, "", 0, 0, 0, 0);
    }

    public static Op of(Kind k, String a, String b) {
        return new Op(k, a, "", 0, 0, 0, 0).withB(b);
    }

    public static Op mkdir(String path) {
        return new Op(Kind.MKDIR, path, "", 0755, 0, 0, 0);
    }

    public static Op creat(String path) {
        return new Op(Kind.CREAT, path, "", 0644, 0, 0, 0);
    }

    public static Op rename(String from, String to, int flags) {
        return new Op(Kind.RENAME, from, to, 0, 0, flags, 0);
    }

    Op withB(String v) {
        return new Op(kind, a, v, x, y, n, slot);
    }

    /** The bytes a write of this op puts: a function of its seed and length only. */
    byte[] data() {
        byte[] d = new byte[n];
        new Random(y).nextBytes(d);
        return d;
    }

    @Override
    public String toString() {
        return kind + " a=" + quote(a) + " b=" + quote(b) + " x=" + x + " y=" + y + " n=" + n + " slot=" + slot;
    }

    private static String quote(String s) {
        return "'" + s + "'";
    }

    /** The inverse of {@link #toString} (names never contain quotes or spaces). */
    public static Op parse(String line) {
        String[] f = line.trim().split(" ");
        List<String> v = new ArrayList<>();
        for (int i = 1; i < f.length; i++) {
            String s = f[i].substring(f[i].indexOf('=') + 1);
            v.add(s.startsWith("'") ? s.substring(1, s.length() - 1) : s);
        }
        return new Op(Kind.valueOf(f[0]), v.get(0), v.get(1), Long.parseLong(v.get(2)), Long.parseLong(v.get(3)),
                Integer.parseInt(v.get(4)), Integer.parseInt(v.get(5)));
    }
}
