package dev.fsdriver.it.stress;

/**
 * MREAD and MWRITE (fsstress's mread and mwrite): a shared mapping of part of a file, read, or
 * written then msync'ed; the outcome as {@link Side} compares it. Only pages inside the file
 * are touched (a page past the end would be SIGBUS), so a write past the end grows the file
 * with ftruncate first.
 */
final class Mapped {
    private Mapped() {}

    /** Reads up to {@code len} bytes at {@code offset} wrapped into the file's size. */
    static String read(int fd, long offset, int len) {
        long[] rc = new long[1];
        Sys.Stat st = Sys.fstat(fd, rc);
        if (st == null) {
            return "fstat " + Sys.errno(rc[0]);
        }
        if (st.type() != Sys.S_IFREG) { // mmap says why (ENODEV for a directory); no size to compare
            Sys.mapped(fd, 0, 1, null, rc);
            return "not a file: mmap " + Sys.errno(rc[0]);
        }
        if (st.size() == 0) {
            return "empty";
        }
        long off = offset % st.size();
        int n = (int) Math.min(len, st.size() - off);
        byte[] b = Sys.mapped(fd, off, n, null, rc);
        return b == null ? Sys.errno(rc[0]) : "mapped " + off + "+" + n + " " + Side.hash(b);
    }

    static String write(int fd, long offset, byte[] data) {
        long[] rc = new long[1];
        Sys.Stat st = Sys.fstat(fd, rc);
        if (st == null) {
            return "fstat " + Sys.errno(rc[0]);
        }
        String grown = "";
        if (offset + data.length > st.size()) {
            int t = Sys.ftruncate(fd, offset + data.length);
            if (t < 0) {
                return "ftruncate " + Sys.errno(t);
            }
            grown = "grown ";
        }
        Sys.mapped(fd, offset, data.length, data, rc);
        return grown + "mapped " + Sys.errno(rc[0]);
    }
}
