package dev.fsdriver.it.stress;

import dev.fsdriver.it.stress.Op.Kind;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Chooses the next operation from a seeded {@link Random} and the current content of the
 * worker's native directory (its model: scanned again before every step, so the choice depends
 * only on the seed and on native results). Most targets are plausible (existing files, free
 * names in existing directories); some are chosen to fail: missing parents, a file used as a
 * directory, a directory moved into itself, names that exist (EEXIST, ENOTEMPTY, EISDIR...).
 * Symlink targets are plain names, so following one never leaves its directory.
 */
public final class OpGenerator {
    /**
     * Which operations, how often. Kinds a profile does not use weigh 0 and take no random
     * draw, so adding kinds (at the end of {@link Kind}) leaves every seed of a profile as it was.
     */
    public enum Profile {
        /** The mix DifferentialStressTest and ConcurrentStress seeds were tuned with: never change it. */
        DEFAULT(new int[] {
                8, 5, 4, 6, 4, 4, 14, 5, 10, 5, 3, 3, 4, // CREAT..STAT
                2, 3, 3, 5, 6, 3, 2, 2, 1, 3, 3, 2,      // READLINK..FSTAT
                0, 0, 0, 0, 0, 0, 0, 0, 0}),             // CHOWN..SYNC
        /**
         * Issue 9's first fsstress case ({@code -z}, then each of chown copyrange creat dread
         * dwrite fdatasync fsync getdents mkdir mread mwrite read readlink readv rename rnoreplace
         * rexchange rmdir splice stat symlink sync truncate unlink write writev at 2): each
         * equally likely; rename's three flavours are three fsstress operations; fsync and
         * fdatasync open a file by name as fsstress does (there is no open in the list).
         */
        FSSTRESS_CASE1(new int[] {
                2, 2, 2, 2, 0, 2, 6, 2, 2, 2, 0, 0, 2,   // CREAT..STAT
                2, 2, 2, 0, 0, 0, 0, 2, 2, 0, 0, 0,      // READLINK..FSTAT
                2, 2, 2, 2, 2, 2, 2, 2, 2});             // CHOWN..SYNC

        private final int[] weight;

        Profile(int[] weight) {
            if (weight.length != Kind.values().length) {
                throw new IllegalStateException(name() + ": a weight for every kind");
            }
            this.weight = weight;
        }
    }

    private static final String[] FILE_NAMES = {"f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7"};
    private static final String[] DIR_NAMES = {"d0", "d1", "d2", "d3", "d4"};
    private static final String[] LINK_NAMES = {"l0", "l1", "l2"};
    private static final int[] MODES = {0644, 0600, 0755, 0400, 0444, 0777, 0, 04755, 02755, 01777};
    private static final int[] OPEN_FLAGS = {Sys.O_RDWR, Sys.O_RDWR | Sys.O_CREAT, Sys.O_RDWR | Sys.O_APPEND,
            Sys.O_RDONLY, Sys.O_WRONLY | Sys.O_TRUNC, Sys.O_RDWR | Sys.O_CREAT | Sys.O_EXCL, Sys.O_RDONLY | Sys.O_DIRECTORY};
    private static final int[] RENAME_FLAGS = {0, Sys.RENAME_NOREPLACE, Sys.RENAME_EXCHANGE};
    private static final int MAX_DEPTH = 4, MANY = 70;
    /** Owners CHOWN gives (-1: unchanged); 0 gives a file back to root. */
    private static final int[] IDS = {0, 0, 1000, 65534, 4242, -1};

    private final Random rnd;
    private final Path dir;
    private final Profile profile;
    private final List<String> dirs = new ArrayList<>(), files = new ArrayList<>(), links = new ArrayList<>(),
            all = new ArrayList<>();
    private final List<Long> sizes = new ArrayList<>();

    OpGenerator(long seed, Path nativeDir, Profile profile) {
        this.rnd = new Random(seed);
        this.dir = nativeDir;
        this.profile = profile;
    }

    /** The next operation. */
    Op next() {
        scan();
        Kind k = pick();
        int slot = rnd.nextInt(Side.SLOTS);
        return switch (k) {
            case CREAT -> new Op(k, maybe(0.8) ? fresh(FILE_NAMES) : any(), "",
                    0644, 0, maybe(0.2) ? Sys.O_EXCL : maybe(0.2) ? Sys.O_TRUNC : 0, 0);
            case MKDIR -> new Op(k, maybe(0.8) ? fresh(DIR_NAMES) : any(), "", mode(), 0, 0, 0);
            case RMDIR -> Op.of(k, maybe(0.7) ? oneOf(dirs, true) : any());
            case UNLINK -> Op.of(k, maybe(0.8) ? nonDir() : any());
            case LINK -> Op.of(k, maybe(0.85) ? nonDir() : any(), maybe(0.8) ? fresh(FILE_NAMES) : any());
            case SYMLINK -> Op.of(k, maybe(0.8) ? fresh(LINK_NAMES) : any(), target());
            case RENAME -> rename();
            case TRUNCATE -> new Op(k, maybe(0.85) ? file() : any(), "", length(), 0, 0, 0);
            case WRITE -> write(k, maybe(0.85) ? file() : any(), 0);
            case READ -> new Op(k, maybe(0.85) ? file() : any(), "", offset(), 0, 1 + rnd.nextInt(65536), 0);
            case CHMOD -> new Op(k, any(), "", mode(), 0, 0, 0);
            // x = mtime seconds, y = atime seconds, n = nanoseconds, slot = utimensat flags
            case UTIMENS -> new Op(k, any(), "", 1_000_000_000L + rnd.nextInt(1_000_000_000),
                    1_000_000_000L + rnd.nextInt(1_000_000_000), rnd.nextInt(1_000_000_000),
                    maybe(0.3) ? Sys.AT_SYMLINK_NOFOLLOW : 0);
            case STAT, READLINK -> Op.of(k, any());
            case GETDENTS -> Op.of(k, maybe(0.8) ? oneOf(dirs, false) : any());
            case COPYRANGE -> new Op(k, file(), file(), offset(), offset(), rnd.nextInt(200_000), 0);
            case OPEN -> new Op(k, maybe(0.8) ? file() : maybe(0.5) ? fresh(FILE_NAMES) : any(), "", 0644, 0,
                    OPEN_FLAGS[rnd.nextInt(OPEN_FLAGS.length)], slot);
            case FWRITE -> write(k, "", slot);
            case FREAD -> new Op(k, "", "", offset(), 0, 1 + rnd.nextInt(65536), slot);
            case FTRUNCATE -> new Op(k, "", "", length(), 0, 0, slot);
            // n = 1: open the file by name, sync, close (fsstress's fsync)
            case FSYNC, FDATASYNC -> profile == Profile.DEFAULT ? new Op(k, "", "", 0, 0, 0, slot)
                    : new Op(k, maybe(0.85) ? file() : any(), "", 0, 0, 1, 0);
            case CLOSE, REOPEN, FSTAT -> new Op(k, "", "", 0, 0, 0, slot);
            // x = uid, y = gid, slot = fchownat flags
            case CHOWN -> new Op(k, any(), "", IDS[rnd.nextInt(IDS.length)], IDS[rnd.nextInt(IDS.length)], 0,
                    maybe(0.5) ? Sys.AT_SYMLINK_NOFOLLOW : 0);
            case DREAD -> new Op(k, maybe(0.85) ? file() : any(), "", offset() & -Sys.BLOCK, 0, blocks(), 0);
            case DWRITE -> new Op(k, maybe(0.85) ? file() : any(), "", offset() & -Sys.BLOCK, rnd.nextLong(), blocks(), 0);
            case MREAD -> new Op(k, maybe(0.85) ? file() : any(), "", offset(), 0, 1 + rnd.nextInt(65536), 0);
            case MWRITE -> new Op(k, maybe(0.85) ? file() : any(), "", offset(), rnd.nextLong(), 1 + rnd.nextInt(65536), 0);
            case SPLICE -> new Op(k, file(), file(), offset(), offset(), rnd.nextInt(200_000), 0);
            case READV -> new Op(k, maybe(0.85) ? file() : any(), "", offset(), 0, 1 + rnd.nextInt(65536),
                    1 + rnd.nextInt(4));
            case WRITEV -> {
                Op w = write(k, maybe(0.85) ? file() : any(), 0);
                yield new Op(k, w.a(), "", w.x(), w.y(), w.n(), 1 + rnd.nextInt(4));
            }
            case SYNC -> Op.of(k, "");
        };
    }

    private Kind pick() {
        Kind[] kinds = Kind.values();
        int[] w = profile.weight.clone();
        if (all.size() > MANY) { // keep the tree small: more removals, fewer creations
            w[Kind.UNLINK.ordinal()] *= 4;
            w[Kind.RMDIR.ordinal()] *= 4;
            w[Kind.CREAT.ordinal()] /= 4;
            w[Kind.MKDIR.ordinal()] /= 4;
            w[Kind.LINK.ordinal()] /= 4;
            w[Kind.SYMLINK.ordinal()] /= 4;
        }
        int total = 0;
        for (int v : w) {
            total += v;
        }
        int r = rnd.nextInt(total);
        for (int i = 0; i < kinds.length; i++) {
            r -= w[i];
            if (r < 0) {
                return kinds[i];
            }
        }
        throw new AssertionError();
    }

    private Op rename() {
        int flags = profile == Profile.FSSTRESS_CASE1 ? RENAME_FLAGS[rnd.nextInt(RENAME_FLAGS.length)]
                : maybe(0.5) ? 0 : maybe(0.5) ? Sys.RENAME_NOREPLACE : Sys.RENAME_EXCHANGE;
        String from = maybe(0.9) ? existing() : invalid();
        double r = rnd.nextDouble();
        String to;
        if (r < 0.08 && !from.isEmpty()) {
            to = from + "/" + DIR_NAMES[rnd.nextInt(DIR_NAMES.length)]; // into itself: EINVAL / ENOTDIR
        } else if (r < 0.15 && !from.isEmpty() && from.contains("/")) {
            to = from.substring(0, from.lastIndexOf('/')); // over its own parent: ENOTEMPTY / EINVAL
        } else if (r < 0.55 || flags == Sys.RENAME_EXCHANGE && r < 0.9) {
            to = existing();
        } else if (r < 0.95) {
            to = fresh(maybe(0.5) ? FILE_NAMES : DIR_NAMES);
        } else {
            to = invalid();
        }
        return Op.rename(from, to, flags);
    }

    private Op write(Kind k, String path, int slot) {
        int len = maybe(0.8) ? 1 + rnd.nextInt(8192) : 1 + rnd.nextInt(200_000);
        return new Op(k, path, "", offset(), rnd.nextLong(), len, slot);
    }

    private long offset() {
        long size = sizes.isEmpty() ? 0 : sizes.get(rnd.nextInt(sizes.size()));
        double r = rnd.nextDouble();
        return r < 0.5 ? (size == 0 ? 0 : (long) (rnd.nextDouble() * size)) : r < 0.8 ? size : rnd.nextInt(600_000);
    }

    /** An O_DIRECT length: whole blocks, as fsstress's dread and dwrite ask for. */
    private int blocks() {
        return Sys.BLOCK * (1 + rnd.nextInt(maybe(0.8) ? 4 : 48));
    }

    private long length() {
        double r = rnd.nextDouble();
        return r < 0.25 ? 0 : r < 0.75 ? rnd.nextInt(10_000) : rnd.nextInt(400_000);
    }

    private int mode() {
        return MODES[rnd.nextInt(MODES.length)];
    }

    private boolean maybe(double p) {
        return rnd.nextDouble() < p;
    }

    private String target() {
        double r = rnd.nextDouble();
        String[] pool = r < 0.5 ? FILE_NAMES : r < 0.8 ? DIR_NAMES : r < 0.95 ? LINK_NAMES : new String[] {"missing"};
        return pool[rnd.nextInt(pool.length)];
    }

    /** A name from {@code pool} in an existing directory not too deep; it may exist (EEXIST). */
    private String fresh(String[] pool) {
        List<String> shallow = dirs.stream().filter(d -> depth(d) < MAX_DEPTH).toList();
        String parent = shallow.get(rnd.nextInt(shallow.size()));
        String name = pool[rnd.nextInt(pool.length)];
        return parent.isEmpty() ? name : parent + "/" + name;
    }

    private static int depth(String rel) {
        return rel.isEmpty() ? 0 : rel.split("/").length;
    }

    private String file() {
        return files.isEmpty() ? fresh(FILE_NAMES) : files.get(rnd.nextInt(files.size()));
    }

    private String nonDir() {
        List<String> c = new ArrayList<>(files);
        c.addAll(links);
        return c.isEmpty() ? fresh(FILE_NAMES) : c.get(rnd.nextInt(c.size()));
    }

    private String existing() {
        return all.isEmpty() ? fresh(FILE_NAMES) : all.get(rnd.nextInt(all.size()));
    }

    private String oneOf(List<String> l, boolean notRoot) {
        List<String> c = notRoot ? l.stream().filter(s -> !s.isEmpty()).toList() : l;
        return c.isEmpty() ? fresh(DIR_NAMES) : c.get(rnd.nextInt(c.size()));
    }

    /** Mostly an existing entry, sometimes a path that cannot work. */
    private String any() {
        return maybe(0.9) ? existing() : invalid();
    }

    private String invalid() {
        double r = rnd.nextDouble();
        if (r < 0.4 || files.isEmpty()) {
            return fresh(DIR_NAMES) + "/missing/f0"; // a parent that does not exist: ENOENT
        } else if (r < 0.8) {
            return file() + "/f0"; // a file as a directory: ENOTDIR
        }
        return fresh(FILE_NAMES); // maybe missing, maybe not
    }

    private void scan() {
        dirs.clear();
        files.clear();
        links.clear();
        all.clear();
        sizes.clear();
        dirs.add("");
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted().toList()) {
                if (p.equals(dir)) {
                    continue;
                }
                String rel = dir.relativize(p).toString();
                long[] rc = new long[1];
                Sys.Stat st = Sys.stat(p.toString(), false, rc);
                if (st == null) {
                    continue;
                }
                all.add(rel);
                switch (st.type()) {
                    case Sys.S_IFDIR -> dirs.add(rel);
                    case Sys.S_IFREG -> {
                        files.add(rel);
                        sizes.add(st.size());
                    }
                    default -> links.add(rel);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
