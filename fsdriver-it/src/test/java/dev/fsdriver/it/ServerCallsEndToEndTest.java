package dev.fsdriver.it;

import static dev.fsdriver.it.MeteredMount.calls;
import static dev.fsdriver.it.MeteredMount.scrape;
import static dev.fsdriver.it.MeteredMount.since;
import static dev.fsdriver.it.MeteredMount.total;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Server calls per workload (issues 13 and 17), counted by the server's own counters
 * ({@code fsdriver_server_calls_total}) around real programs on a real mount, events on: a warm
 * {@code grep -r} of an unchanged tree, then a change made on the server behind the mount's back
 * (the next grep must see it), then sqlite commits.
 */
class ServerCallsEndToEndTest {
    @TempDir
    Path tmp;

    /** A share of 5 directories of 20 small files (tree/dD/fF.java). */
    private Path smallTree() throws Exception {
        Path s = Files.createDirectories(tmp.resolve("s"));
        for (int d = 0; d < 5; d++) {
            Files.createDirectories(s.resolve("tree/d" + d));
            for (int f = 0; f < 20; f++) {
                Files.writeString(s.resolve("tree/d" + d + "/f" + f + ".java"), "class F" + f + " { int d = " + d + "; }\n");
            }
        }
        return s;
    }

    /**
     * git status looks up every file before it lists a directory, so the listing it reads is the
     * one its lookups made (kept); a grep -r after it made one Open per file: the read-ahead only
     * learned the listing order from listings fetched for the kernel (JDK tree: Open 8,977).
     */
    @Test
    void aWalkOverDirectoriesListedForLookupsStillReadsAhead() throws Exception {
        Path s = smallTree();
        Path mnt = Files.createDirectories(tmp.resolve("mnt-looked-up"));
        int serverPort = Fsdriver.freePort();
        try (Fsdriver.Server server = Fsdriver.serveMetered(tmp, serverPort, "--share", "work=" + s);
                Fsdriver.Mount m = Fsdriver.mount(tmp, server, "work", mnt)) {
            // as git status: every file looked up by name, then each directory listed
            Fsdriver.shOk(mnt, "for d in 0 1 2 3 4; do for f in $(seq 0 19); do stat -c %s tree/d$d/f$f.java; done; ls tree/d$d; done");
            Map<String, Long> before = calls(serverPort);
            assertThat(Fsdriver.shOk(mnt, "grep -r 'int d' tree | sort")).isEqualTo(Fsdriver.shOk(s, "grep -r 'int d' tree | sort"));
            Map<String, Long> grep = since(before, calls(serverPort));
            assertThat(grep.getOrDefault("Open", 0L) + grep.getOrDefault("OpenMany", 0L))
                    .as("grep of 5 directories of 20 files after git status's lookups: " + grep).isLessThanOrEqualTo(5 * 2);
        }
    }

    @Test
    void warmRereadsOfAnUnchangedTreeAndSqliteCommitsCostFewServerCalls() throws Exception {
        Path s = smallTree();
        Path mnt = Files.createDirectories(tmp.resolve("mnt-calls"));
        int serverPort = Fsdriver.freePort();
        int mountPort = Fsdriver.freePort();
        try (Fsdriver.Server server = Fsdriver.serveMetered(tmp, serverPort, "--share", "work=" + s)) {
            try (Fsdriver.Mount m = Fsdriver.mount(tmp, server, "work", mnt, "--metrics-listen", "127.0.0.1:" + mountPort)) {
                awaitLive(mountPort);
                Map<String, Long> fresh = calls(serverPort);
                assertThat(Fsdriver.shOk(mnt, "grep -r 'int d' tree | sort")).isEqualTo(Fsdriver.shOk(s, "grep -r 'int d' tree | sort"));
                Map<String, Long> cold = since(fresh, calls(serverPort));
                // before: an Open per file (100 here); now the program's own Open of each directory's
                // first file, then the other 19 read ahead in one OpenMany (issue 13)
                assertThat(cold.getOrDefault("Open", 0L) + cold.getOrDefault("OpenMany", 0L))
                        .as("a first grep of 5 directories of 20 files: " + cold).isLessThanOrEqualTo(5 * 2);

                Map<String, Long> before = calls(serverPort);
                assertThat(Fsdriver.shOk(mnt, "grep -r -c zzzz tree; true")).contains("tree/d3/f7.java:0");
                Map<String, Long> warm = since(before, calls(serverPort));
                // before: an Open, a Release and a GetAttr per file (300 here)
                assertThat(warm).as("a warm grep of an unchanged tree").doesNotContainKeys("Open", "Release", "GetAttr", "Read");
                assertThat(total(warm)).as(warm.toString()).isLessThanOrEqualTo(5);

                // changed on the server behind the mount's back: the next grep sees it
                changedOnTheServer(mountPort, () -> Files.writeString(s.resolve("tree/d3/f7.java"), "// zzzz\n", StandardOpenOption.APPEND));
                assertThat(Fsdriver.shOk(mnt, "grep -r -l zzzz tree; true").trim()).isEqualTo("tree/d3/f7.java");

                before = calls(serverPort);
                int commits = 50;
                Fsdriver.shOk(mnt, "python3 -c '" + """
                        import sqlite3
                        db = sqlite3.connect("bench.db")
                        db.execute("create table t (k integer primary key, v text)")
                        db.commit()
                        for i in range(%d):
                            db.execute("insert into t (v) values (?)", ("x" * 100,))
                            db.commit()
                        db.close()
                        """.formatted(commits) + "'");
                Map<String, Long> sqlite = since(before, calls(serverPort));
                // before: Fsync 3, GetAttr 4 and Lookup 1 per commit (16 calls in all)
                // one Fsync per commit: the journal's, which syncs its directory too (sqlite syncs
                // the directory after making the journal: then there is nothing left to sync, no
                // call; before, 2 per commit: DirectoryFsyncEndToEndTest)
                assertThat(sqlite.getOrDefault("Fsync", 0L)).as(sqlite.toString()).isLessThanOrEqualTo(commits + 5);
                assertThat(sqlite.getOrDefault("GetAttr", 0L)).as(sqlite.toString()).isLessThanOrEqualTo(2L * commits + 5);
                assertThat(sqlite.getOrDefault("Lookup", 0L)).as(sqlite.toString()).isLessThanOrEqualTo(5);
                assertThat(Fsdriver.shOk(mnt, "python3 -c 'import sqlite3; print(sqlite3.connect(\"bench.db\")"
                        + ".execute(\"select count(*) from t\").fetchone()[0])'").trim()).isEqualTo(String.valueOf(commits));
                assertThat(s.resolve("bench.db")).exists();
            }
        }
    }

    /**
     * Warm walks ask the mount nothing per directory (issue 13, "warm means zero"): directories are
     * listed without OPENDIR (the kernel's zero-message opendir, Linux 5.1+), so a second find over
     * an unchanged tree costs no FUSE request for its directories (before: an OPENDIR and a
     * RELEASEDIR each, answered by the mount, 10-20 us each) and no call; a change made on the
     * server drops the listing the kernel keeps, and the next listing shows it.
     */
    @Test
    void aWarmWalkAsksTheMountNothingPerDirectoryAndAServerChangeDropsTheKeptListing() throws Exception {
        Path s = smallTree();
        withLiveMount(s, "mnt-warm-walk", (mnt, serverPort, mountPort) -> {
            String find = "find tree | sort";
            assertThat(Fsdriver.shOk(mnt, find)).isEqualTo(Fsdriver.shOk(s, find));
            String[] perDirectory = {"OPENDIR", "RELEASEDIR", "READDIR", "READDIRPLUS"};
            Map<String, Double> first = requests(mountPort, perDirectory);
            Map<String, Long> before = calls(serverPort);
            for (int i = 0; i < 3; i++) {
                assertThat(Fsdriver.shOk(mnt, find)).isEqualTo(Fsdriver.shOk(s, find));
            }
            assertThat(requests(mountPort, perDirectory)).as("three warm walks of 6 directories").isEqualTo(first);
            Map<String, Long> warm = since(before, calls(serverPort));
            assertThat(total(warm)).as(warm.toString()).isLessThanOrEqualTo(2);

            changedOnTheServer(mountPort, () -> Files.writeString(s.resolve("tree/d2/new.java"), "class N {}\n"));
            MountEndToEndTest.awaitTrue(() -> Fsdriver.shOk(mnt, "ls tree/d2").contains("new.java"));
            changedOnTheServer(mountPort, () -> Files.delete(s.resolve("tree/d2/f3.java")));
            MountEndToEndTest.awaitTrue(() -> !Fsdriver.shOk(mnt, "ls tree/d2").contains("f3.java"));
            assertThat(Fsdriver.shOk(mnt, find)).isEqualTo(Fsdriver.shOk(s, find));
        });
    }

    /** The mount's FUSE requests of each opcode so far (0 for one never received). */
    private static Map<String, Double> requests(int mountPort, String... opcodes) throws Exception {
        String page = scrape(mountPort);
        Map<String, Double> counts = new java.util.TreeMap<>();
        for (String op : opcodes) {
            Matcher m = Pattern.compile("(?m)^" + Pattern.quote("fsdriver_mount_requests_total{opcode=\"" + op
                    + "\",share=\"work\"}") + " (\\S+)$").matcher(page);
            counts.put(op, m.find() ? Double.parseDouble(m.group(1)) : 0.0);
        }
        return counts;
    }

    /**
     * A grep -r after the kernel dropped the files' pages (memory pressure, drop_caches, as
     * bench/run.sh does before its grep): the files' opens are the mount's alone (known
     * unchanged), and their content comes in an OpenMany per directory, not a Read by node per
     * file (100 Reads here before).
     */
    @Test
    void filesWhosePagesTheKernelDroppedComeBackInOneCallPerDirectory() throws Exception {
        Path s = smallTree();
        Path mnt = Files.createDirectories(tmp.resolve("mnt-dropped"));
        int serverPort = Fsdriver.freePort();
        int mountPort = Fsdriver.freePort();
        String grep = "grep -r 'int d' tree | sort";
        try (Fsdriver.Server server = Fsdriver.serveMetered(tmp, serverPort, "--share", "work=" + s)) {
            try (Fsdriver.Mount m = Fsdriver.mount(tmp, server, "work", mnt, "--metrics-listen", "127.0.0.1:" + mountPort)) {
                awaitLive(mountPort);
                String expected = Fsdriver.shOk(s, grep);
                assertThat(Fsdriver.shOk(mnt, grep)).isEqualTo(expected);
                // the kernel loses the pages of every file (opened by the mount alone: no call)
                Fsdriver.shOk(mnt, "python3 -c 'import os; [os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED) or os.close(fd)"
                        + " for r, ds, fs in os.walk(\"tree\") for f in fs for fd in [os.open(os.path.join(r, f), os.O_RDONLY)]]'");
                Map<String, Long> before = calls(serverPort);
                assertThat(Fsdriver.shOk(mnt, grep)).isEqualTo(expected);
                Map<String, Long> again = since(before, calls(serverPort));
                assertThat(again.getOrDefault("Read", 0L)).as(again.toString()).isLessThanOrEqualTo(5);
                assertThat(again.getOrDefault("OpenMany", 0L)).as(again.toString()).isBetween(1L, 10L);

                // changed on the server behind the mount's back: the next grep sees it
                changedOnTheServer(mountPort, () -> Files.writeString(s.resolve("tree/d2/f5.java"), "class G { int d = 99; }\n"));
                assertThat(Fsdriver.shOk(mnt, grep)).isEqualTo(Fsdriver.shOk(s, grep)).contains("int d = 99");
            }
        }
    }

    /**
     * Files larger than an Open's inline data (grep -r again over the JDK tree: Open 83, Read 42,
     * ReleaseMany 28 of its 155 calls) opened again unchanged, events live: answered by the mount
     * (the kernel keeps their pages); a page the kernel dropped is read by node; a change on the
     * server is seen at the next open.
     */
    @Test
    void reopensOfUnchangedLargerFilesCostNoCall() throws Exception {
        Path s = Files.createDirectories(tmp.resolve("s"));
        Files.createDirectories(s.resolve("big"));
        for (int f = 0; f < 4; f++) {
            Files.writeString(s.resolve("big/f" + f + ".txt"), ("line " + f + " of a larger file\n").repeat(30_000));
        }
        Path mnt = Files.createDirectories(tmp.resolve("mnt-big"));
        int serverPort = Fsdriver.freePort();
        int mountPort = Fsdriver.freePort();
        String grep = "grep -r -c 'of a' big | sort";
        try (Fsdriver.Server server = Fsdriver.serveMetered(tmp, serverPort, "--share", "work=" + s)) {
            try (Fsdriver.Mount m = Fsdriver.mount(tmp, server, "work", mnt, "--metrics-listen", "127.0.0.1:" + mountPort)) {
                awaitLive(mountPort);
                assertThat(Fsdriver.shOk(mnt, grep)).isEqualTo(Fsdriver.shOk(s, grep)).contains("big/f3.txt:30000");
                Map<String, Long> before = calls(serverPort);
                assertThat(Fsdriver.shOk(mnt, grep)).isEqualTo(Fsdriver.shOk(s, grep));
                Map<String, Long> warm = since(before, calls(serverPort));
                // before: Open and Read per file, and their closes (ReleaseMany)
                assertThat(warm).as("a warm grep of unchanged larger files").doesNotContainKeys("Open", "Read", "Release", "ReleaseMany", "GetAttr");

                // the kernel drops the pages of one: read by node, the same bytes
                String dropAndHash = "python3 -c 'import os, hashlib; fd = os.open(\"big/f1.txt\", os.O_RDONLY);"
                        + " os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED); b = b\"\".join(iter(lambda: os.read(fd, 65536), b\"\"));"
                        + " print(len(b), hashlib.sha256(b).hexdigest())'";
                before = calls(serverPort);
                assertThat(Fsdriver.shOk(mnt, dropAndHash)).isEqualTo(Fsdriver.shOk(s, dropAndHash));
                Map<String, Long> dropped = since(before, calls(serverPort));
                assertThat(dropped).as(dropped.toString()).doesNotContainKey("Open").containsKey("Read");

                // such a file held open while other files go (an editor open during rm -rf): no
                // Lookup per removal (before: each removal looked its name up, to keep a handle
                // for the open file had it been that one)
                Fsdriver.shOk(mnt, "mkdir gone && touch gone/a gone/b gone/c gone/d gone/e");
                Path counted = tmp.resolve("rm-counted.txt");
                Fsdriver.shOk(mnt, "python3 -c '" + """
                        import os, urllib.request
                        held = open("big/f0.txt")
                        page = lambda: urllib.request.urlopen("http://127.0.0.1:%d/metrics").read()
                        before = page()
                        for n in "abcde":
                            os.unlink("gone/" + n)
                        after = page()
                        with open("%s", "wb") as out:
                            out.write(before + b"\\n#split\\n" + after)
                        held.close()
                        """.formatted(serverPort, counted) + "'");
                String[] pages = Files.readString(counted).split("#split");
                Map<String, Long> removals = since(MeteredMount.callsIn(pages[0]), MeteredMount.callsIn(pages[1]));
                assertThat(removals).as(removals.toString()).doesNotContainKey("Lookup").containsKey("Unlink");

                // changed on the server behind the mount's back: the next open sees it
                changedOnTheServer(mountPort, () -> Files.writeString(s.resolve("big/f2.txt"), "of a changed file\n", StandardOpenOption.APPEND));
                assertThat(Fsdriver.shOk(mnt, grep)).isEqualTo(Fsdriver.shOk(s, grep)).contains("big/f2.txt:30001");
            }
        }
    }

    /**
     * A program that reads a whole directory and then stats every name (ls -l, find -printf) gets
     * the attributes with the listing: no Lookup per entry, even after a names-only listing (issue
     * 16; with the kernel's READDIRPLUS_AUTO only the first page of a listing carried attributes,
     * and ls -l of 3,000 files after ls -f made 2,798 Lookups).
     */
    @Test
    void statsAfterAListingCostNoLookupPerEntry() throws Exception {
        Path s = Files.createDirectories(tmp.resolve("s"));
        Files.createDirectories(s.resolve("big"));
        for (int i = 0; i < 3000; i++) {
            Files.writeString(s.resolve("big/f" + i), "x");
        }
        for (int d = 0; d < 10; d++) {
            Files.createDirectories(s.resolve("tree/d" + d));
            for (int f = 0; f < 300; f++) {
                Files.writeString(s.resolve("tree/d" + d + "/f" + f), "xy");
            }
        }
        Path mnt = Files.createDirectories(tmp.resolve("mnt-plus"));
        int serverPort = Fsdriver.freePort();
        try (Fsdriver.Server server = Fsdriver.serveMetered(tmp, serverPort, "--share", "work=" + s)) {
            try (Fsdriver.Mount m = Fsdriver.mount(tmp, server, "work", mnt)) {
                assertThat(Fsdriver.shOk(mnt, "ls -f big | wc -l").trim()).isEqualTo("3002");
                Map<String, Long> before = calls(serverPort);
                assertThat(Fsdriver.shOk(mnt, "ls -l big | grep -c '^-'").trim()).isEqualTo("3000");
                Map<String, Long> lsl = since(before, calls(serverPort));
                assertThat(lsl.getOrDefault("Lookup", 0L)).as("ls -l after ls -f: " + lsl).isLessThanOrEqualTo(5);

                before = calls(serverPort);
                assertThat(Fsdriver.shOk(mnt, "find tree -type f -printf '%s\\n' | sort | uniq -c").trim()).isEqualTo("3000 2");
                Map<String, Long> find = since(before, calls(serverPort));
                assertThat(find.getOrDefault("Lookup", 0L)).as("find -printf, first time: " + find).isLessThanOrEqualTo(15);
            }
        }
    }

    /**
     * The kernel asks for a directory's attributes before each create or unlink in it that
     * follows another (its permission check, the attributes having been invalidated by the last
     * change): untar and rm -rf made a GetAttr per name (issues 13 and 17: rm -rf 400 files was
     * slower than sshfs). The replies of calls that change a directory's names carry its
     * attributes after the change, kept while events flow; what the mount then shows of the
     * directory is what the server's directory is.
     */
    @Test
    void namesMadeAndRemovedCostNoGetAttrOfTheirDirectory() throws Exception {
        Path s = Files.createDirectories(tmp.resolve("s"));
        Path src = tmp.resolve("src/pkg");
        Files.createDirectories(src.resolve("sub"));
        for (int i = 0; i < 150; i++) {
            Files.writeString(src.resolve("f" + i), "content " + i);
            Files.writeString(src.resolve("sub/g" + i), "other " + i);
        }
        Fsdriver.shOk(tmp, "tar -C src -cf pkg.tar pkg");
        Path mnt = Files.createDirectories(tmp.resolve("mnt-parents"));
        int serverPort = Fsdriver.freePort();
        int mountPort = Fsdriver.freePort();
        try (Fsdriver.Server server = Fsdriver.serveMetered(tmp, serverPort, "--share", "work=" + s)) {
            try (Fsdriver.Mount m = Fsdriver.mount(tmp, server, "work", mnt, "--metrics-listen", "127.0.0.1:" + mountPort)) {
                awaitLive(mountPort);
                Map<String, Long> before = calls(serverPort);
                Fsdriver.shOk(mnt, "tar -xf " + tmp.resolve("pkg.tar"));
                Map<String, Long> untar = since(before, calls(serverPort));
                assertThat(untar.getOrDefault("Create", 0L)).as(untar.toString()).isEqualTo(300);
                // before: GetAttr 300 (one per file made)
                assertThat(untar.getOrDefault("GetAttr", 0L)).as("untar: " + untar).isLessThanOrEqualTo(10);

                // what the kernel shows of the directories is the server's truth
                Fsdriver.shOk(mnt, "mkdir pkg/d1 pkg/d2 pkg/d3 && rmdir pkg/d2 && mv pkg/f1 pkg/sub/moved && mv pkg/d3 pkg/sub/");
                assertThat(Fsdriver.shOk(mnt, "stat -c '%h %Y %Z' pkg pkg/sub").trim())
                        .isEqualTo(Fsdriver.shOk(s, "stat -c '%h %Y %Z' pkg pkg/sub").trim());

                before = calls(serverPort);
                Fsdriver.shOk(mnt, "rm -rf pkg");
                Map<String, Long> rm = since(before, calls(serverPort));
                // before: Unlink 300; now a directory's first, then batches (HeldUnlinksEndToEndTest)
                assertThat(rm.getOrDefault("Unlink", 0L) + rm.getOrDefault("UnlinkMany", 0L)).as(rm.toString())
                        .isLessThanOrEqualTo(30);
                // before: GetAttr 298 (one per unlink after a directory's first)
                assertThat(rm.getOrDefault("GetAttr", 0L)).as("rm -rf: " + rm).isLessThanOrEqualTo(10);
                assertThat(s.resolve("pkg")).doesNotExist();
                assertThat(Fsdriver.shOk(mnt, "stat -c '%h %Y %Z' .").trim()).isEqualTo(Fsdriver.shOk(s, "stat -c '%h %Y %Z' .").trim());
            }
        }
    }

    /**
     * A fresh mount's first git status costs one call per directory, not one Lookup per file
     * (issue 13: git lstat()s every indexed path before it reads any directory): the first lookup
     * that misses in a directory lists it whole with attributes, the next ones are answered from
     * that listing while events flow; a name made on the server behind the mount's back in a
     * directory so listed is seen by the next lookup.
     */
    @Test
    void aFreshGitStatusCostsAboutOneCallPerDirectory() throws Exception {
        int dirs = 20;
        Path s = gitTree(dirs, 50);
        Path mnt = Files.createDirectories(tmp.resolve("mnt-cold"));
        int serverPort = Fsdriver.freePort();
        int mountPort = Fsdriver.freePort();
        try (Fsdriver.Server server = Fsdriver.serveMetered(tmp, serverPort, "--share", "work=" + s)) {
            try (Fsdriver.Mount m = Fsdriver.mount(tmp, server, "work", mnt, "--metrics-listen", "127.0.0.1:" + mountPort)) {
                awaitLive(mountPort);
                Map<String, Long> before = calls(serverPort);
                assertThat(Fsdriver.shOk(mnt, GIT + " status --porcelain")).isEmpty();
                Map<String, Long> cold = since(before, calls(serverPort));
                // before: a Lookup per file (1,000 here) and a ReadDir per directory; then a ReadDir per
                // directory twice (ReadDir 55 here): git's index.lock, made and renamed between its
                // lstat()s and its scan for untracked files, dropped every kept listing, so the scan
                // listed each directory again. Now it drops the listings of .git only (listed again
                // after each of git's changes there: about 10 ReadDirs for .git and its directories).
                assertThat(cold.getOrDefault("Lookup", 0L)).as("fresh git status: " + cold).isLessThanOrEqualTo(10);
                assertThat(cold.getOrDefault("ReadDir", 0L)).as("fresh git status: " + cold).isLessThanOrEqualTo(dirs + 15);
                assertThat(total(cold)).as("fresh git status: " + cold).isLessThanOrEqualTo(dirs + 30L);

                // made on the server in a directory whose listing answered lookups (absent, just now): seen
                assertThat(Fsdriver.sh(mnt, "test -e d3/new.txt").exitCode()).isEqualTo(1);
                changedOnTheServer(mountPort, () -> Files.writeString(s.resolve("d3/new.txt"), "new\n"));
                assertThat(Fsdriver.shOk(mnt, "cat d3/new.txt")).isEqualTo("new\n");
                assertThat(Fsdriver.shOk(mnt, GIT + " status --porcelain")).isEqualTo("?? d3/new.txt\n");
            }
        }
    }

    /**
     * A git status after the kernel dropped its dentries and inodes (memory pressure; drop_caches,
     * as bench/run.sh does before its first git status) costs about one call per directory, as a
     * fresh mount's does. The listings kept for lookups had given their entries' references to
     * the kernel, which forgot them since, so each name was asked the server one by one (the JDK
     * tree: 9,200 Lookups, where a fresh mount's first git status makes 757 calls in all).
     */
    @Test
    void aGitStatusAfterTheKernelForgotItsEntriesCostsAboutOneCallPerDirectory() throws Exception {
        int dirs = 20;
        Path s = gitTree(dirs, 50);
        withLiveMount(s, "mnt-forgot", (mnt, serverPort, mountPort) -> {
            assertThat(Fsdriver.shOk(mnt, GIT + " status --porcelain")).isEmpty();
            assertThat(Fsdriver.shOk(mnt, GIT + " status --porcelain")).isEmpty();
            Fsdriver.shOk(tmp, "sync && echo 2 > /proc/sys/vm/drop_caches");
            Map<String, Long> before = calls(serverPort);
            assertThat(Fsdriver.shOk(mnt, GIT + " status --porcelain")).isEmpty();
            Map<String, Long> again = since(before, calls(serverPort));
            assertThat(again.getOrDefault("Lookup", 0L)).as("git status after drop_caches: " + again).isLessThanOrEqualTo(10);
            assertThat(total(again)).as("git status after drop_caches: " + again).isLessThanOrEqualTo(2L * dirs + 30);

            // still current: a name made on the server behind the mount's back is seen
            changedOnTheServer(mountPort, () -> Files.writeString(s.resolve("d3/new.txt"), "new\n"));
            assertThat(Fsdriver.shOk(mnt, GIT + " status --porcelain")).isEqualTo("?? d3/new.txt\n");
        });
    }

    /**
     * The same for a directory of several listing pages (2,500 names, pages of 1,000): lstat()s of
     * every name after the kernel forgot them list it again after one such lookup per page, not
     * one Lookup per name.
     */
    @Test
    void statsInABigDirectoryAfterTheKernelForgotItsEntriesListItAgain() throws Exception {
        Path s = Files.createDirectories(tmp.resolve("s/big"));
        for (int i = 0; i < 2500; i++) {
            Files.writeString(s.resolve("f" + i), "x");
        }
        String stats = "python3 -c 'import os; print(sum(os.lstat(\"big/f%d\" % i).st_size for i in range(2500)))'";
        withLiveMount(s.getParent(), "mnt-forgot-big", (mnt, serverPort, mountPort) -> {
            assertThat(Fsdriver.shOk(mnt, stats).trim()).isEqualTo("2500");
            Fsdriver.shOk(tmp, "sync && echo 2 > /proc/sys/vm/drop_caches");
            Map<String, Long> before = calls(serverPort);
            assertThat(Fsdriver.shOk(mnt, stats).trim()).isEqualTo("2500");
            Map<String, Long> again = since(before, calls(serverPort));
            assertThat(again.getOrDefault("Lookup", 0L)).as("lstat()s after drop_caches: " + again).isLessThanOrEqualTo(10);
            assertThat(again.getOrDefault("ReadDir", 0L)).as("lstat()s after drop_caches: " + again).isLessThanOrEqualTo(10);
        });
    }

    /**
     * A find after the kernel dropped its dentries and inodes lists each directory once, with
     * attributes: the listings kept since git status and the last find had given their entries to
     * the kernel, which forgot them since, so they gave names only and the kernel looked each one
     * up (the JDK tree: 439 Lookups, 1.37 s; now none, 0.66 s).
     */
    @Test
    void aFindAfterTheKernelForgotItsEntriesCostsNoLookupPerEntry() throws Exception {
        int dirs = 20;
        Path s = gitTree(dirs, 50);
        String find = "find . -path ./.git -prune -o -printf '%p %s %m\\n' | sort";
        withLiveMount(s, "mnt-forgot-find", (mnt, serverPort, mountPort) -> {
            String expected = Fsdriver.shOk(s, find);
            assertThat(Fsdriver.shOk(mnt, GIT + " status --porcelain")).isEmpty();
            assertThat(Fsdriver.shOk(mnt, find)).isEqualTo(expected);
            Fsdriver.shOk(tmp, "sync && echo 2 > /proc/sys/vm/drop_caches");
            Map<String, Long> before = calls(serverPort);
            assertThat(Fsdriver.shOk(mnt, find)).isEqualTo(expected);
            Map<String, Long> again = since(before, calls(serverPort));
            assertThat(again.getOrDefault("Lookup", 0L)).as("find after drop_caches: " + again).isLessThanOrEqualTo(5);
            assertThat(again.getOrDefault("ReadDir", 0L)).as("find after drop_caches: " + again).isLessThanOrEqualTo(dirs + 5);
        });
    }

    /**
     * A change through the mount drops the kept listing of the directory whose names it changes,
     * and no kept listing answers for a node it changed (its attributes), but the other listings
     * stay: lookups in a directory not touched still cost no call. A file with a second name in
     * another listed directory, changed through its first name (chmod, a third link), shows its
     * new mode and link count under the second; a name moved out of a listed directory is gone there.
     */
    @Test
    void ownChangesDropOnlyTheListingsTheyTouch() throws Exception {
        Path s = Files.createDirectories(tmp.resolve("s"));
        for (String d : new String[] {"p", "q", "r"}) {
            Files.createDirectories(s.resolve(d));
            for (int f = 0; f < 20; f++) {
                Files.writeString(s.resolve(d + "/f" + f), d + f + "\n");
            }
        }
        Files.createLink(s.resolve("q/b"), Files.writeString(s.resolve("p/a"), "linked\n"));
        Path mnt = Files.createDirectories(tmp.resolve("mnt-calls-own"));
        int serverPort = Fsdriver.freePort();
        int mountPort = Fsdriver.freePort();
        try (Fsdriver.Server server = Fsdriver.serveMetered(tmp, serverPort, "--share", "work=" + s)) {
            try (Fsdriver.Mount m = Fsdriver.mount(tmp, server, "work", mnt, "--metrics-listen", "127.0.0.1:" + mountPort)) {
                awaitLive(mountPort);
                // misses list p, q and r (kept, answering the next lookups there)
                Fsdriver.shOk(mnt, "for d in p q r; do test -e $d/none1 || test -e $d/none2 || true; done");
                Map<String, Long> before = calls(serverPort);
                assertThat(Fsdriver.shOk(mnt, "stat -c '%h %a' p/a; test -e q/none3 || test -e r/none3 || echo absent"))
                        .isEqualTo("2 644\nabsent\n");
                Map<String, Long> listed = since(before, calls(serverPort));
                assertThat(listed).as("answered from the listings").doesNotContainKeys("Lookup", "ReadDir");

                // changed through the mount: p's names, the file of p/a and q/b
                Fsdriver.shOk(mnt, "chmod 600 p/a && ln p/a p/c && mv p/f1 p/g1 && touch p/new");
                before = calls(serverPort);
                assertThat(Fsdriver.shOk(mnt, "test -e r/none4 || test -e r/none5 || echo absent")).isEqualTo("absent\n");
                Map<String, Long> untouched = since(before, calls(serverPort));
                // before: every kept listing was dropped, and r was listed again (ReadDir 1)
                assertThat(untouched).as("a directory the changes did not touch: " + untouched)
                        .doesNotContainKeys("Lookup", "ReadDir");
                assertThat(Fsdriver.shOk(mnt, "stat -c '%h %a' q/b")).isEqualTo("3 600\n");
                assertThat(Fsdriver.sh(mnt, "test -e p/f1").exitCode()).isEqualTo(1);
                assertThat(Fsdriver.shOk(mnt, "cat p/g1 p/new q/f3")).isEqualTo("p1\nq3\n");
                assertThat(Fsdriver.shOk(mnt, "ls p | wc -l").trim()).isEqualTo("23");
            }
        }
    }

    /** Events off: nothing is answered from a listing (every file of a fresh git status is a Lookup). */
    @Test
    void withoutEventsLookupsAreNotAnsweredFromListings() throws Exception {
        Path s = gitTree(4, 50);
        Path mnt = Files.createDirectories(tmp.resolve("mnt-cold-off"));
        int serverPort = Fsdriver.freePort();
        try (Fsdriver.Server server = Fsdriver.serveMetered(tmp, serverPort, "--share", "work=" + s)) {
            try (Fsdriver.Mount m = Fsdriver.mount(tmp, server, "work", mnt, "--no-events")) {
                Map<String, Long> before = calls(serverPort);
                assertThat(Fsdriver.shOk(mnt, GIT + " status --porcelain")).isEmpty();
                Map<String, Long> off = since(before, calls(serverPort));
                assertThat(off.getOrDefault("Lookup", 0L)).as(off.toString()).isGreaterThanOrEqualTo(200);

                Files.writeString(s.resolve("d1/new.txt"), "new\n");
                assertThat(Fsdriver.shOk(mnt, "cat d1/new.txt")).isEqualTo("new\n");
            }
        }
    }

    private static final String GIT = "git -c safe.directory='*' -c core.untrackedCache=false";

    /** A git repository of {@code dirs} directories of {@code files} files each, committed. */
    private Path gitTree(int dirs, int files) throws Exception {
        Path s = Files.createDirectories(tmp.resolve("s"));
        for (int d = 0; d < dirs; d++) {
            Files.createDirectories(s.resolve("d" + d));
            for (int f = 0; f < files; f++) {
                Files.writeString(s.resolve("d" + d + "/f" + f + ".txt"), "file " + d + "/" + f + "\n");
            }
        }
        // files older than the index: not "racily clean", so git status trusts their stat data and reads none
        Fsdriver.shOk(s, "find . -type f -exec touch -d @1600000000 {} + && git init -q . && git add -A"
                + " && git -c user.name=t -c user.email=t@t commit -q -m tree");
        return s;
    }

    /** The mount's sample of {@code name} for the share. */
    static double value(String body, String name) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name + "{share=\"work\"}") + " (\\S+)$").matcher(body);
        assertThat(m.find()).as(name + " in\n" + body).isTrue();
        return Double.parseDouble(m.group(1));
    }

    static void awaitLive(int mountPort) throws Exception {
        awaitAbove(mountPort, "fsdriver_mount_events_live", 0);
    }

    /** Scrapes the mount until the sample is above {@code than} (an event travels from the server's watcher). */
    /** A test's work on a live mount: its mount point, the server's and the mount's metrics ports. */
    interface LiveMount {
        void run(Path mnt, int serverPort, int mountPort) throws Exception;
    }

    /** Serves {@code share} (metered), mounts it at {@code name} under tmp with metrics, waits until events flow, runs {@code body}. */
    private void withLiveMount(Path share, String name, LiveMount body) throws Exception {
        Path mnt = Files.createDirectories(tmp.resolve(name));
        int serverPort = Fsdriver.freePort();
        int mountPort = Fsdriver.freePort();
        try (Fsdriver.Server server = Fsdriver.serveMetered(tmp, serverPort, "--share", "work=" + share);
             Fsdriver.Mount m = Fsdriver.mount(tmp, server, "work", mnt, "--metrics-listen", "127.0.0.1:" + mountPort)) {
            awaitLive(mountPort);
            body.run(mnt, serverPort, mountPort);
        }
    }

    /** A change made in the served directory behind the mount's back. */
    interface ServerChange {
        void make() throws Exception;
    }

    /** Makes {@code change} and waits until the mount has received an event since. */
    static void changedOnTheServer(int mountPort, ServerChange change) throws Exception {
        double received = value(scrape(mountPort), "fsdriver_mount_events_received_total");
        change.make();
        awaitAbove(mountPort, "fsdriver_mount_events_received_total", received);
    }

    static void awaitAbove(int port, String name, double than) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (value(scrape(port), name) <= than && System.nanoTime() < end) {
            Thread.sleep(50);
        }
        assertThat(value(scrape(port), name)).as(name).isGreaterThan(than);
    }
}
