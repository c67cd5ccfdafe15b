package dev.fsdriver.it;

import dev.fsdriver.it.stress.Op;
import dev.fsdriver.it.stress.OpGenerator;
import dev.fsdriver.it.stress.StressRun;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The differential stress test: seeded random operations on a native directory and on an
 * fsdriver mount (real `fsdriver serve` and `fsdriver mount` processes, change events on),
 * result codes compared after every step, trees compared at the end with the native directory,
 * the mount and the served directory itself. See {@link StressRun}.
 *
 * <p>Seeds and sizes: {@code -Dfsdriver.stress.seeds=1-20} and {@code -Dfsdriver.stress.ops=N}
 * (operations per worker). ./test runs seeds 1 to 20 (see {@link StressMount#seeds()}) and, with fsstress case 1's
 * operations, seeds 202-204 ({@link #fsstressCase1}); bench/stress.sh runs long ones, and with
 * several workers at once ({@link ConcurrentStressTest}, seeds 1-10 in ./test).
 */
class DifferentialStressTest extends StressMount {
    /** One worker through the mount, as `fsstress -p 1` (issue 9's first fsstress case). */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void oneWorker(long seed) throws Exception {
        assertNoDifference(engine.run(new StressRun.Config(seed, 1, 0, OPS, 0)));
    }

    /**
     * Issue 9's first fsstress case as this engine runs it: one worker, the operations of
     * {@code fsstress -z} with chown copyrange creat dread dwrite fdatasync fsync getdents mkdir
     * mread mwrite read readlink readv rename rnoreplace rexchange rmdir splice stat symlink sync
     * truncate unlink write writev, each equally likely ({@link OpGenerator.Profile#FSSTRESS_CASE1}).
     * O_DIRECT reads and writes use aligned buffers, offsets and lengths, as fsstress does: the
     * native directory (ext4 under /tmp) refuses unaligned ones with EINVAL where FUSE asks no
     * alignment, a difference by nature that is not generated. Other seeds and sizes:
     * {@code -Dfsdriver.stress.case1.seeds=205-240 -Dfsdriver.stress.case1.ops=2000}.
     *
     * <p>Seeds 205-254 passed too (600 operations; 202-211 also at 2000). Seed 244's step 217
     * faulted with SIGBUS on the mount about every other run until issue 9's injected-size fix:
     * {@link #mmapWriteAfterTheParentDirectoryWasRenamed}.
     */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("case1Seeds")
    void fsstressCase1(long seed) throws Exception {
        assertNoDifference(engine.run(new StressRun.Config(seed, 1, 0, CASE1_OPS, 0, OpGenerator.Profile.FSSTRESS_CASE1)));
    }

    private static final int CASE1_OPS = Integer.getInteger("fsdriver.stress.case1.ops", 600);

    static LongStream case1Seeds() {
        return seeds("fsdriver.stress.case1.seeds", "202,203,204");
    }

    /**
     * fsstressCase1 seed 244, step 217, shrunk by hand: a file truncated by name to 4227 bytes,
     * synced, its parent directory renamed, then open O_RDWR, ftruncate to 61390 and a shared
     * mapping written from 3599: on the mount the write faulted with SIGBUS (native: fine), in
     * one round of 15 or so (the script stops at the first). The server sent the mount MODIFIED
     * events of its own changes to that file (its own-change records did not follow the parent's
     * rename), and EventApplier#modified injected a "truncate to the same size" answered with the
     * event's older size: the kernel took 4227 as i_size and dropped the pages past it. Now the
     * injected size is the server's, never while a program here writes the file (LocalWrites, kept by OpenFiles).
     */
    @Test
    void mmapWriteAfterTheParentDirectoryWasRenamed() throws Exception {
        List<Op> ops = new ArrayList<>();
        for (int i = 0; i < 15; i++) {
            String d = "d" + i, f = d + "/f", e = "e" + i + "/f";
            ops.addAll(List.of(Op.mkdir(d), Op.creat(f), new Op(Op.Kind.TRUNCATE, f, "", 4227, 0, 0, 0),
                    new Op(Op.Kind.FSYNC, f, "", 0, 0, 1, 0), new Op(Op.Kind.FDATASYNC, f, "", 0, 0, 1, 0),
                    Op.rename(d, "e" + i, 0), new Op(Op.Kind.FDATASYNC, e, "", 0, 0, 1, 0),
                    Op.of(Op.Kind.SYNC, ""),
                    new Op(Op.Kind.MWRITE, e, "", 3599, 3848671623118996418L, 57791, 0)));
        }
        assertNoDifference(engine.script("mmapafterrename", ops));
    }

    /**
     * Issue 9's third fsstress case: directories exchanged, then files inside them exchanged
     * across them, then everything removed; the server's events named wrong paths.
     */
    @Test
    void exchangeOfDirectoriesThenOfFilesInsideThemThenRemoval() throws Exception {
        int x = 2; // RENAME_EXCHANGE
        assertNoDifference(engine.script("x1", List.of(
                Op.mkdir("P"), Op.mkdir("P/Q"), Op.creat("P/Q/f"), write("P/Q/f", 1, 100),
                Op.mkdir("R"), Op.mkdir("R/T"), Op.creat("R/T/g"), write("R/T/g", 2, 200),
                Op.rename("P", "R", x),
                Op.rename("R/Q/f", "P/T/g", x),
                Op.of(Op.Kind.STAT, "R/Q/f"), Op.of(Op.Kind.STAT, "P/T/g"),
                read("R/Q/f"), read("P/T/g"),
                Op.of(Op.Kind.UNLINK, "R/Q/f"), Op.of(Op.Kind.UNLINK, "P/T/g"),
                Op.of(Op.Kind.RMDIR, "R/Q"), Op.of(Op.Kind.RMDIR, "P/T"),
                Op.of(Op.Kind.RMDIR, "R"), Op.of(Op.Kind.RMDIR, "P"))));
    }

    /** O_RDWR|O_APPEND: the posix backend failed every such open with EIO (java.nio refuses READ + APPEND). */
    @Test
    void openForReadingAndAppending() throws Exception {
        int rdwrAppend = 02002;
        assertNoDifference(engine.script("append", List.of(
                Op.creat("f"), write("f", 3, 1000),
                new Op(Op.Kind.OPEN, "f", "", 0, 0, rdwrAppend, 0),
                new Op(Op.Kind.FWRITE, "", "", 10, 4, 300, 0),
                new Op(Op.Kind.FREAD, "", "", 0, 0, 4096, 0),
                new Op(Op.Kind.FWRITE, "", "", 0, 5, 20, 0),
                new Op(Op.Kind.CLOSE, "", "", 0, 0, 0, 0),
                Op.of(Op.Kind.STAT, "f"), read("f"))));
    }

    /** fstat and a read past the end of a file unlinked while open: the mount said ENOENT. */
    @Test
    void fileUnlinkedWhileOpenStaysUsable() throws Exception {
        int rdwrCreat = 0102;
        assertNoDifference(engine.script("unlinked", List.of(
                new Op(Op.Kind.OPEN, "f", "", 0644, 0, rdwrCreat, 0),
                new Op(Op.Kind.FWRITE, "", "", 0, 6, 5000, 0),
                Op.of(Op.Kind.UNLINK, "f"),
                new Op(Op.Kind.FSTAT, "", "", 0, 0, 0, 0),
                new Op(Op.Kind.FREAD, "", "", 100_000, 0, 4096, 0),
                new Op(Op.Kind.FWRITE, "", "", 6000, 7, 100, 0),
                new Op(Op.Kind.FSTAT, "", "", 0, 0, 0, 0),
                new Op(Op.Kind.FREAD, "", "", 0, 0, 8192, 0),
                new Op(Op.Kind.CLOSE, "", "", 0, 0, 0, 0))));
    }

    /**
     * After two directories are exchanged, a file made in one of them through the mount also
     * appeared in the other one on the server (the server's event named the old path and the
     * mount's event thread made the file there). Seen failing on 2 December 2026.
     */
    @Test
    void createInADirectoryAfterExchangingIt() throws Exception {
        assertNoDifference(engine.script("xdir", List.of(
                Op.mkdir("a"), Op.mkdir("b"),
                Op.rename("a", "b", 2),
                Op.creat("b/x"), Op.mkdir("a/y"),
                Op.of(Op.Kind.GETDENTS, "a"), Op.of(Op.Kind.GETDENTS, "b"))));
    }

    /** A write by root keeps a setuid/setgid file's bits (CAP_FSETID); through the mount they were dropped. */
    @Test
    void setuidAndSetgidSurviveAWriteByRoot() throws Exception {
        assertNoDifference(engine.script("suid", List.of(
                Op.creat("u"), new Op(Op.Kind.CHMOD, "u", "", 04755, 0, 0, 0), write("u", 8, 100),
                Op.of(Op.Kind.STAT, "u"),
                Op.creat("g"), new Op(Op.Kind.CHMOD, "g", "", 02755, 0, 0, 0), write("g", 9, 100),
                Op.of(Op.Kind.STAT, "g"))));
    }

    /**
     * chown to other owners and back: set-user-ID always goes from a file, set-group-ID only
     * with group execute, a directory keeps both; lchown of a symlink changes the link only.
     */
    @Test
    void chownToOtherOwnersAndBack() throws Exception {
        int nofollow = 0x100;
        assertNoDifference(engine.script("chown", List.of(
                Op.creat("u"), new Op(Op.Kind.CHMOD, "u", "", 04755, 0, 0, 0), chown("u", 1000, -1, 0),
                Op.creat("g"), new Op(Op.Kind.CHMOD, "g", "", 02755, 0, 0, 0), chown("g", -1, 1000, 0),
                Op.creat("h"), new Op(Op.Kind.CHMOD, "h", "", 06745, 0, 0, 0), chown("h", 65534, 65534, 0),
                Op.mkdir("d"), new Op(Op.Kind.CHMOD, "d", "", 06755, 0, 0, 0), chown("d", 4242, 4242, 0),
                Op.of(Op.Kind.SYMLINK, "l", "u"), chown("l", 1000, 1000, nofollow), chown("l", 4242, -1, 0),
                chown("u", 0, 0, 0), chown("g", 0, 0, 0), chown("h", 0, 0, 0), chown("d", 0, 0, 0),
                Op.of(Op.Kind.STAT, "u"), Op.of(Op.Kind.STAT, "h"), Op.of(Op.Kind.STAT, "l"))));
    }

    /** A directory made in a setgid directory inherits the setgid bit; on the server it did not. */
    @Test
    void directoryInASetgidDirectoryInheritsIt() throws Exception {
        assertNoDifference(engine.script("sgid", List.of(
                Op.mkdir("p"), new Op(Op.Kind.CHMOD, "p", "", 02755, 0, 0, 0),
                Op.mkdir("p/c"), Op.of(Op.Kind.STAT, "p/c"))));
    }

    /** A hard link to a symlink: the first name's link count stayed 1 on the mount (seed 8, step 59). */
    @Test
    void hardLinkToASymlinkCountsOnBothNames() throws Exception {
        assertNoDifference(engine.script("lnsym", List.of(
                Op.of(Op.Kind.SYMLINK, "l0", "f1"), Op.of(Op.Kind.STAT, "l0"),
                Op.mkdir("d1"), Op.of(Op.Kind.LINK, "l0", "d1/f2"),
                Op.of(Op.Kind.STAT, "l0"), Op.of(Op.Kind.STAT, "d1/f2"))));
    }

    /**
     * A new file that gets a deleted file's inode number (ext4 hands it out again at once, while
     * the kernel may still hold the deleted file's node): a hard link to it was a node of its
     * own, so a chmod through the link left the first name's mode and link count stale (seeds
     * 1, 3, 10, 17, 18; seed 1 step 278).
     */
    @Test
    void hardLinkToAFileWithAReusedInodeNumber() throws Exception {
        List<Op> ops = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ops.addAll(List.of(Op.creat("a" + i), Op.of(Op.Kind.STAT, "a" + i), Op.of(Op.Kind.UNLINK, "a" + i),
                    Op.creat("b" + i), Op.of(Op.Kind.STAT, "b" + i), Op.of(Op.Kind.LINK, "b" + i, "c" + i),
                    new Op(Op.Kind.CHMOD, "c" + i, "", 0600, 0, 0, 0),
                    Op.of(Op.Kind.STAT, "b" + i), Op.of(Op.Kind.STAT, "c" + i)));
        }
        assertNoDifference(engine.script("reused", ops));
    }

    /**
     * A listing (readdirplus) while a file has held-back writes: its entry carried the server's
     * older size, and an fstat right after it showed that instead of what was written (seed 19
     * step 265, shrunk to these steps).
     */
    @Test
    void listingWhileWritesAreHeldBack() throws Exception {
        int wronlyTrunc = 01001;
        assertNoDifference(engine.script("heldback", List.of(
                new Op(Op.Kind.MKDIR, "d0", "", 01777, 0, 0, 0), new Op(Op.Kind.CREAT, "d0/f7", "", 0644, 0, 0200, 0),
                Op.creat("f1"), Op.rename("d0/f7", "f1", 2),
                new Op(Op.Kind.OPEN, "d0/f7", "", 0644, 0, wronlyTrunc, 1),
                new Op(Op.Kind.FWRITE, "", "", 16538, 14, 802, 1),
                Op.of(Op.Kind.GETDENTS, "d0"), new Op(Op.Kind.FSTAT, "", "", 0, 0, 0, 1),
                new Op(Op.Kind.FWRITE, "", "", 20000, 15, 700, 1),
                Op.of(Op.Kind.GETDENTS, "d0"), Op.of(Op.Kind.STAT, "d0/f7"),
                new Op(Op.Kind.CLOSE, "", "", 0, 0, 0, 1),
                Op.of(Op.Kind.STAT, "d0/f7"))));
    }

    /**
     * A file opened read-only when it was small (its whole content came with the open, no server
     * handle), then grown through another open and unlinked: a read through the first
     * descriptor said ENOENT (ConcurrentStress seed 9, shrunk to these steps).
     */
    @Test
    void readThroughAWholeContentOpenAfterTheFileGrewAndWasUnlinked() throws Exception {
        int trunc = 01000;
        assertNoDifference(engine.script("wholegone", List.of(
                Op.mkdir("d4"), new Op(Op.Kind.CREAT, "f4", "", 0644, 0, trunc, 0),
                Op.rename("f4", "d4/d0", 0),
                new Op(Op.Kind.OPEN, "d4/d0", "", 0, 0, 0, 0),
                new Op(Op.Kind.WRITE, "d4/d0", "", 7315, 13, 175807, 0),
                Op.of(Op.Kind.UNLINK, "d4/d0"),
                new Op(Op.Kind.FREAD, "", "", 256, 0, 4003, 0),
                new Op(Op.Kind.FSTAT, "", "", 0, 0, 0, 0),
                new Op(Op.Kind.FREAD, "", "", 180_000, 0, 4096, 0),
                new Op(Op.Kind.CLOSE, "", "", 0, 0, 0, 0))));
    }

    /**
     * On the server's side, two renames in a row over one name, then a new file that likely gets
     * a freed inode number, each round checked through the mount: the server took the new file
     * for another name of a symlink whose rename event it skipped, and the mount listed a file it
     * could not open for good (ConcurrentStress seed 2, shrunk and repeated).
     */
    @Test
    void serverSideRenamesOverOneNameThenANewFile() throws Exception {
        List<Op> ops = new ArrayList<>();
        for (int i = 0; i <= 5; i++) {
            String prev = "r" + (i - 1) + "/", cur = "r" + i + "/";
            if (i > 0) {
                ops.addAll(List.of(Op.rename(prev + "l1", prev + "f1", 0), Op.rename(prev + "l2", prev + "f1", 0),
                        Op.creat(prev + "f4")));
            } else {
                ops.addAll(List.of(Op.mkdir("x"), Op.mkdir("y"), Op.mkdir("z")));
            }
            // the symlink made first has the lower number: ext4 gives it to f4 once both are freed
            ops.addAll(List.of(Op.mkdir(cur), Op.of(Op.Kind.SYMLINK, cur + "l1", "f3"),
                    Op.of(Op.Kind.SYMLINK, cur + "l2", "f2"), Op.creat(cur + "f1"), Op.of(Op.Kind.STAT, cur + "l1")));
        }
        assertNoDifference(engine.serverScript("srvren", ops, 8));
    }

    /**
     * On the server's side, a directory (holding a symlink and a hard link of a file elsewhere)
     * exchanged with a file in another directory, both held by the mount's kernel; the mount must
     * show the directory at the file's name and the file at the directory's (ConcurrentStress
     * seed 5, step 298: the name stayed the file on the mount).
     */
    @Test
    void serverSideExchangeOfADirectoryWithAFileElsewhere() throws Exception {
        List<Op> ops = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            String r = "r" + i + "/";
            ops.addAll(List.of(Op.mkdir("r" + i), Op.mkdir(r + "d3"), Op.mkdir(r + "d3/d4"), Op.mkdir(r + "d3/d4/d0"),
                    Op.mkdir(r + "f2"), Op.creat(r + "f2/f0"), Op.of(Op.Kind.LINK, r + "f2/f0", r + "d3/d4/d0/f6"),
                    Op.of(Op.Kind.SYMLINK, r + "d3/d4/d0/f3", "d0"), Op.creat(r + "f2/l0"), write(r + "f2/l0", 10, 7644)));
            // the mount compared here: its kernel holds every name
            ops.addAll(List.of(new Op(Op.Kind.TRUNCATE, r + "f2/l0", "", 6465, 0, 0, 0), write(r + "f2/f0", 11, 7247),
                    Op.of(Op.Kind.STAT, r + "f2"), Op.of(Op.Kind.STAT, r + "d3"), Op.of(Op.Kind.STAT, r + "d3/d4"),
                    Op.of(Op.Kind.STAT, r + "f2/f0"), Op.of(Op.Kind.STAT, r + "f2/l0"), Op.of(Op.Kind.STAT, r + "d3/d4/d0"),
                    Op.rename(r + "d3/d4/d0", r + "f2/l0", 2), Op.of(Op.Kind.STAT, r + "f2/l0")));
        }
        assertNoDifference(engine.serverScript("xdirfile", ops, 10));
    }

    /**
     * Two descriptors of one file, the first O_APPEND: its append, held back, went to the server
     * after the other's later write (full blocks, sent at once; or pushed first by the fstat)
     * and landed past its end: the file grew by the append's length (seed 33, step 73, where a
     * rename had replaced the file's name; it needs no rename).
     */
    @Test
    void appendHeldBackThenAnotherDescriptorsWrite() throws Exception {
        int rdwrCreatAppend = 02102;
        int rdwr = 02;
        assertNoDifference(engine.script("appendorder", List.of(
                new Op(Op.Kind.OPEN, "f", "", 0644, 0, rdwrCreatAppend, 0),
                new Op(Op.Kind.OPEN, "f", "", 0, 0, rdwr, 1),
                new Op(Op.Kind.FWRITE, "", "", 0, 16, 100, 0),
                // a full block goes at once; the second waits for the first (they overlap)
                new Op(Op.Kind.FWRITE, "", "", 0, 17, 1 << 20, 1), new Op(Op.Kind.FWRITE, "", "", 0, 20, 1 << 20, 1),
                new Op(Op.Kind.FSTAT, "", "", 0, 0, 0, 1),
                new Op(Op.Kind.FWRITE, "", "", 5000, 18, 300, 1),
                new Op(Op.Kind.FWRITE, "", "", 0, 19, 200, 0),
                new Op(Op.Kind.FSTAT, "", "", 0, 0, 0, 0),
                new Op(Op.Kind.CLOSE, "", "", 0, 0, 0, 0), new Op(Op.Kind.CLOSE, "", "", 0, 0, 0, 1),
                Op.of(Op.Kind.STAT, "f"), new Op(Op.Kind.READ, "f", "", (1 << 20) - 100, 0, 4096, 0))));
    }

    /**
     * A small file opened read-only (its whole content came with the open, no server handle),
     * then unlinked: a read past its end (the kernel asks for the size first) and an fstat said
     * ENOENT (ConcurrentStress seed 27, step 180).
     */
    @Test
    void readPastTheEndOfAWholeContentOpenAfterItsUnlink() throws Exception {
        assertNoDifference(engine.script("wholeunlinked", List.of(
                Op.creat("f"), write("f", 21, 100), Op.creat("g"),
                new Op(Op.Kind.OPEN, "f", "", 0, 0, 0, 0), new Op(Op.Kind.OPEN, "g", "", 0, 0, 0, 1),
                Op.of(Op.Kind.UNLINK, "f"), Op.of(Op.Kind.UNLINK, "g"),
                new Op(Op.Kind.FREAD, "", "", 32345, 0, 4096, 0),
                new Op(Op.Kind.FREAD, "", "", 32345, 0, 4096, 1),
                new Op(Op.Kind.FSTAT, "", "", 0, 0, 0, 0), new Op(Op.Kind.FSTAT, "", "", 0, 0, 0, 1),
                new Op(Op.Kind.FREAD, "", "", 0, 0, 4096, 0),
                new Op(Op.Kind.CLOSE, "", "", 0, 0, 0, 0), new Op(Op.Kind.CLOSE, "", "", 0, 0, 0, 1))));
    }

    private static Op chown(String path, int uid, int gid, int flags) {
        return new Op(Op.Kind.CHOWN, path, "", uid, gid, 0, flags);
    }

    private static Op read(String path) {
        return new Op(Op.Kind.READ, path, "", 0, 0, 4096, 0);
    }

    private static Op write(String path, long dataSeed, int length) {
        return new Op(Op.Kind.WRITE, path, "", 0, dataSeed, length, 0);
    }
}
