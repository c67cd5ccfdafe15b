package dev.fsdriver.it;

import static dev.fsdriver.it.Fsdriver.sh;
import static dev.fsdriver.it.Fsdriver.shOk;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every MVP operation through the kernel: `fsdriver serve` and `fsdriver mount` run as real
 * processes over loopback TCP; the test uses java.nio and shell tools on the mount and checks
 * the result on the served directory itself.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MountEndToEndTest {
    @TempDir
    static Path tmp;

    Path share;
    Path mnt;
    Fsdriver.Server server;
    Fsdriver.Mount mount;

    @BeforeAll
    void start() throws Exception {
        share = Files.createDirectories(tmp.resolve("share"));
        mnt = Files.createDirectories(tmp.resolve("mnt"));
        server = Fsdriver.serve(tmp, "--share", "work=" + share);
        mount = Fsdriver.mount(tmp, server, "work", mnt);
    }

    @AfterAll
    void stop() throws Exception {
        if (mount != null) {
            mount.close();
        }
        if (server != null) {
            server.close();
        }
        if (mnt != null) {
            assertThat(Fsdriver.isMounted(mnt)).as("unmounted after SIGTERM of fsdriver mount").isFalse();
        }
    }

    private Path dir(String name) throws IOException {
        return Files.createDirectories(mnt.resolve(name));
    }

    /**
     * A file opened with a server handle and again by the mount alone (reopens of a file known
     * unchanged), deleted on the server while all are open: fstat through any still answers
     * (nlink 0), as for a native file; it did not when a handleless open was the one asked for a
     * server handle (ENOENT; the open files are a hash set, so which one came first varied).
     */
    @Test
    void aFileDeletedOnTheServerWhileOpenedTwiceStillAnswersFstat() throws Exception {
        Path d = dir("deleted-open");
        // larger than an Open's inline data: the first open gets a server handle, the second is the mount's alone
        Files.writeString(d.resolve("f.txt"), "x".repeat(300_000));
        String script = "python3 -c '" + """
                import os, time
                a = os.open("deleted-open/f.txt", os.O_RDONLY)
                more = [os.open("deleted-open/f.txt", os.O_RDONLY) for i in range(7)]
                os.unlink("%s")
                time.sleep(1)
                for fd in more + [a]:
                    s = os.fstat(fd)
                    print(s.st_size, s.st_nlink)
                """.formatted(share.resolve("deleted-open/f.txt")) + "'";
        assertThat(Fsdriver.shOk(mnt, script)).isEqualTo("300000 0\n".repeat(8));
    }

    @Test
    void createWriteReadBack() throws Exception {
        Path d = dir("basic");
        Files.writeString(d.resolve("hello.txt"), "hello, windows\n");
        assertThat(Files.readString(d.resolve("hello.txt"))).isEqualTo("hello, windows\n");
        assertThat(Files.readString(share.resolve("basic/hello.txt"))).isEqualTo("hello, windows\n");
        assertThat(Files.size(d.resolve("hello.txt"))).isEqualTo(15);
        assertThat(Files.isRegularFile(d.resolve("hello.txt"))).isTrue();
    }

    @Test
    void appendAndTruncate() throws Exception {
        Path f = dir("append").resolve("log.txt");
        Files.writeString(f, "one\n");
        Files.writeString(f, "two\n", StandardOpenOption.APPEND);
        shOk(mnt, "echo three >> append/log.txt");
        assertThat(Files.readString(share.resolve("append/log.txt"))).isEqualTo("one\ntwo\nthree\n");
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
            ch.truncate(4);
        }
        assertThat(Files.readString(share.resolve("append/log.txt"))).isEqualTo("one\n");
        shOk(mnt, "truncate -s 10000 append/log.txt");
        assertThat(Files.size(share.resolve("append/log.txt"))).isEqualTo(10000);
        Files.writeString(f, "new", StandardOpenOption.TRUNCATE_EXISTING);
        assertThat(Files.readString(share.resolve("append/log.txt"))).isEqualTo("new");
    }

    @Test
    void renameOverExistingAndAcrossDirectories() throws Exception {
        Path d = dir("rename");
        Files.writeString(d.resolve("a"), "A");
        Files.writeString(d.resolve("b"), "B");
        Files.move(d.resolve("a"), d.resolve("b"), StandardCopyOption.REPLACE_EXISTING);
        assertThat(Files.exists(share.resolve("rename/a"))).isFalse();
        assertThat(Files.readString(share.resolve("rename/b"))).isEqualTo("A");
        Files.createDirectories(d.resolve("sub/deeper"));
        Files.writeString(d.resolve("sub/deeper/f"), "deep");
        shOk(mnt, "mv rename/sub rename/moved && mv rename/b rename/moved/b2");
        assertThat(Files.readString(d.resolve("moved/deeper/f"))).isEqualTo("deep");
        assertThat(Files.readString(share.resolve("rename/moved/deeper/f"))).isEqualTo("deep");
        assertThat(Files.readString(share.resolve("rename/moved/b2"))).isEqualTo("A");
        assertThat(Files.exists(d.resolve("sub"))).isFalse();
    }

    @Test
    void mkdirRmdirAndNotEmpty() throws Exception {
        Path d = dir("dirs");
        Files.createDirectory(d.resolve("x"));
        Files.writeString(d.resolve("x/f"), "f");
        assertThatThrownBy(() -> Files.delete(d.resolve("x"))).isInstanceOf(DirectoryNotEmptyException.class);
        Fsdriver.Result r = sh(mnt, "rmdir dirs/x");
        assertThat(r.exitCode()).isNotZero();
        assertThat(r.output()).contains("not empty");
        Files.delete(d.resolve("x/f"));
        Files.delete(d.resolve("x"));
        assertThat(Files.exists(share.resolve("dirs/x"))).isFalse();
    }

    @Test
    void unlinkWhileOpenKeepsTheOpenFileReadable() throws Exception {
        Path f = dir("unlink").resolve("open.bin");
        Files.writeString(f, "still here");
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            Files.delete(f);
            assertThat(Files.exists(share.resolve("unlink/open.bin"))).isFalse();
            ByteBuffer buf = ByteBuffer.allocate(64);
            ch.read(buf, 0);
            assertThat(new String(buf.array(), 0, buf.position(), UTF_8)).isEqualTo("still here");
        }
    }

    @Test
    void symlinksAndHardLinks() throws Exception {
        Path d = dir("links");
        Files.writeString(d.resolve("target.txt"), "T");
        Files.createSymbolicLink(d.resolve("sym"), Path.of("target.txt"));
        assertThat(Files.isSymbolicLink(share.resolve("links/sym"))).isTrue();
        assertThat(Files.readSymbolicLink(share.resolve("links/sym")).toString()).isEqualTo("target.txt");
        assertThat(Files.readSymbolicLink(d.resolve("sym")).toString()).isEqualTo("target.txt");
        assertThat(Files.readString(d.resolve("sym"))).isEqualTo("T");
        shOk(mnt, "ln links/target.txt links/hard && ln -s /etc links/abs");
        assertThat(Files.getAttribute(share.resolve("links/target.txt"), "unix:nlink")).isEqualTo(2);
        assertThat(Files.getAttribute(d.resolve("hard"), "unix:nlink")).isEqualTo(2);
        assertThat(Files.getAttribute(d.resolve("hard"), "unix:ino"))
                .isEqualTo(Files.getAttribute(d.resolve("target.txt"), "unix:ino"));
        assertThat(Files.readSymbolicLink(share.resolve("links/abs")).toString()).isEqualTo("/etc");
        assertThat(Files.isSymbolicLink(d.resolve("abs"))).isTrue();
    }

    @Test
    void chmodChownUtimens() throws Exception {
        Path f = dir("attrs").resolve("f");
        Files.writeString(f, "x");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwxr-x---"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(share.resolve("attrs/f"))))
                .isEqualTo("rwxr-x---");
        shOk(mnt, "chown 1234:2345 attrs/f");
        assertThat(Files.getAttribute(share.resolve("attrs/f"), "unix:uid")).isEqualTo(1234);
        assertThat(Files.getAttribute(share.resolve("attrs/f"), "unix:gid")).isEqualTo(2345);
        shOk(mnt, "touch -m -d '2001-02-03 04:05:06.5 UTC' attrs/f");
        FileTime expected = FileTime.from(java.time.Instant.parse("2001-02-03T04:05:06.5Z"));
        assertThat(Files.getLastModifiedTime(share.resolve("attrs/f"))).isEqualTo(expected);
        assertThat(Files.getLastModifiedTime(f)).isEqualTo(expected);
        shOk(mnt, "touch attrs/f");
        assertThat(Files.getLastModifiedTime(share.resolve("attrs/f")).toInstant())
                .isAfter(java.time.Instant.now().minusSeconds(3600));
    }

    @Test
    void writeTruncateAndChownClearSetIdBitsAsLinuxDoes() throws Exception {
        int mode;
        // Set on the server's side: without serve --allow-setid no client may set them (docs/server.md)...
        shOk(share, "mkdir setid && for f in w t c; do echo x > setid/$f; done && echo x > setid/g"
                + " && chmod 6755 setid/w setid/c && chmod 4755 setid/t && chmod 2745 setid/g");
        awaitTrue(() -> Files.exists(mnt.resolve("setid/g")));
        assertThat(Fsdriver.sh(mnt, "echo x > setid/n && chmod 4755 setid/n").exitCode()).isNotZero();
        assertThat((Integer) Files.getAttribute(share.resolve("setid/n"), "unix:mode") & 07777).isEqualTo(0644);
        // ...and the server clears them when the kernel says so (FUSE_HANDLE_KILLPRIV_V2): root
        // (CAP_FSETID) keeps them on a write or truncate (a write by others: PermissionsEndToEndTest)
        shOk(mnt, "echo more >> setid/w");
        mode = (Integer) Files.getAttribute(share.resolve("setid/w"), "unix:mode");
        assertThat(mode & 07777).as("a write by root keeps set-user-ID and set-group-ID").isEqualTo(06755);
        shOk(mnt, "truncate -s 1 setid/t");
        mode = (Integer) Files.getAttribute(share.resolve("setid/t"), "unix:mode");
        assertThat(mode & 07777).as("truncate by root").isEqualTo(04755);
        shOk(mnt, "chown 1234:2345 setid/c");
        mode = (Integer) Files.getAttribute(share.resolve("setid/c"), "unix:mode");
        assertThat(mode & 06000).as("chown").isZero();
        shOk(mnt, "echo more >> setid/g");
        mode = (Integer) Files.getAttribute(share.resolve("setid/g"), "unix:mode");
        assertThat(mode & 07777).as("set-group-ID without group execute stays (it means locking)").isEqualTo(02745);
        assertThat((Integer) Files.getAttribute(mnt.resolve("setid/g"), "unix:mode") & 07777).isEqualTo(02745);
        assertThat((Integer) Files.getAttribute(mnt.resolve("setid/w"), "unix:mode") & 07777).isEqualTo(06755);
        assertThat((Integer) Files.getAttribute(mnt.resolve("setid/c"), "unix:mode") & 07777).isEqualTo(0755);
    }

    @Test
    void largeDirectoryIsListedCompletely() throws Exception {
        // Made beside the share and moved in whole: this test is about paging a large listing.
        // Listing at once after a burst of server-side creates races the mount's event applier
        // (the storm tests in ChangeEventsEndToEndTest cover that).
        Path staged = Files.createDirectories(tmp.resolve("staged-many"));
        for (int i = 0; i < 3000; i++) {
            Files.writeString(staged.resolve("file-" + i), Integer.toString(i));
        }
        Files.move(staged, share.resolve("many"));
        Set<String> names = new HashSet<>();
        try (Stream<Path> s = Files.list(mnt.resolve("many"))) {
            s.forEach(p -> assertThat(names.add(p.getFileName().toString())).as("listed once: " + p).isTrue());
        }
        assertThat(names).hasSize(3000).contains("file-0", "file-2999");
        assertThat(shOk(mnt, "ls -l many | grep -c file-").trim()).isEqualTo("3000");
    }

    @Test
    void bigFileRoundTripSequentialAndRandom() throws Exception {
        byte[] data = new byte[24 * 1024 * 1024 + 12345];
        new Random(42).nextBytes(data);
        Path f = dir("big").resolve("blob");
        Files.write(f, data);
        assertThat(sha(Files.readAllBytes(share.resolve("big/blob")))).isEqualTo(sha(data));
        assertThat(sha(Files.readAllBytes(f))).isEqualTo(sha(data));
        Random r = new Random(7);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            for (int i = 0; i < 50; i++) {
                int off = r.nextInt(data.length);
                int len = Math.min(1 + r.nextInt(300_000), data.length - off);
                ByteBuffer buf = ByteBuffer.allocate(len);
                while (buf.hasRemaining() && ch.read(buf, off + buf.position()) > 0) { }
                assertThat(buf.array()).isEqualTo(Arrays.copyOfRange(data, off, off + len));
            }
        }
        // overwrite in the middle with small writes, then check the whole file on the server
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
            for (int i = 0; i < 1000; i++) {
                ch.write(ByteBuffer.wrap(new byte[] {(byte) i}), 1_000_000 + i);
                data[1_000_000 + i] = (byte) i;
            }
        }
        assertThat(sha(Files.readAllBytes(share.resolve("big/blob")))).isEqualTo(sha(data));
    }

    @Test
    void shellToolsCpTarAndGit() throws Exception {
        Path src = Files.createDirectories(tmp.resolve("src-tree"));
        for (int i = 0; i < 40; i++) {
            Path p = Files.createDirectories(src.resolve("pkg" + (i % 5)));
            Files.writeString(p.resolve("f" + i + ".txt"), "content " + i + "\n".repeat(i));
        }
        shOk(tmp, "cp -r src-tree " + mnt.resolve("copied") + " && diff -r src-tree " + share.resolve("copied"));
        shOk(tmp, "tar -C src-tree -cf tree.tar . && mkdir -p " + mnt.resolve("untar") + " && tar -C "
                + mnt.resolve("untar") + " -xf tree.tar && diff -r src-tree " + share.resolve("untar"));
        shOk(tmp, "tar -C " + mnt.resolve("untar") + " -cf back.tar . && mkdir back && tar -C back -xf back.tar && diff -r src-tree back");
        String git = "git -c user.name=t -c user.email=t@example.com -c init.defaultBranch=main ";
        Path repo = mnt.resolve("repo");
        shOk(tmp, "cp -r src-tree " + repo + " && cd " + repo + " && " + git + "init -q && " + git + "add -A && "
                + git + "commit -qm first");
        assertThat(shOk(repo, git + "status --porcelain")).isEmpty();
        Files.writeString(repo.resolve("pkg1/f1.txt"), "changed\n");
        assertThat(shOk(repo, git + "status --porcelain")).contains("pkg1/f1.txt");
        shOk(repo, git + "commit -qam second && " + git + "log --oneline | wc -l | grep -q 2");
        assertThat(shOk(share.resolve("repo"), git + "status --porcelain")).isEmpty();
        assertThat(shOk(share.resolve("repo"), git + "fsck --no-progress 2>&1; echo rc=$?")).contains("rc=0");
    }

    @Test
    void statfsAnswers() throws Exception {
        String df = shOk(mnt, "df -P . | tail -1");
        assertThat(df).contains(mnt.toString());
        assertThat(df.trim().split("\\s+")[1]).isNotEqualTo("0");
        // The server checks StatFs's node (ESTALE for one it never gave out): the kernel's node of a
        // subdirectory, and of an unlinked file still open (fstatfs), must be ones it answers for.
        // Each waits out the client's 1 s statfs cache, so that the call reaches the server.
        Path d = dir("statfs");
        Files.writeString(d.resolve("f"), "x");
        assertThat(shOk(mnt, "/usr/bin/python3 -c 'import os, time; time.sleep(1.1); a = os.statvfs(\"statfs\").f_blocks;"
                + " f = os.open(\"statfs/f\", os.O_RDONLY); os.unlink(\"statfs/f\"); time.sleep(1.1);"
                + " print(a > 0, os.fstatvfs(f).f_blocks > 0)'").trim()).isEqualTo("True True");
    }

    @Test
    void serverSideChangesBecomeVisible() throws Exception {
        Path d = dir("serverside");
        Files.writeString(d.resolve("f"), "before");
        assertThat(Files.readString(d.resolve("f"))).isEqualTo("before");
        Files.writeString(share.resolve("serverside/f"), "after, and longer");
        Files.writeString(share.resolve("serverside/new"), "new");
        // Without change events (issue 4), the mount sees server-side changes once its cache timeouts lapse.
        awaitTrue(() -> Files.readString(d.resolve("f")).equals("after, and longer") && Files.exists(d.resolve("new")));
    }

    @Test
    void pathThatTriesToLeaveTheShareIsRefused() throws Exception {
        Path outside = Files.writeString(tmp.resolve("outside.txt"), "secret");
        Path d = dir("escape");
        // a hard link or a rename from the mount to a file elsewhere crosses file systems: EXDEV, nothing moves
        Fsdriver.Result link = sh(tmp, "ln outside.txt " + d.resolve("l"));
        assertThat(link.exitCode()).isNotZero();
        Files.writeString(d.resolve("mine"), "mine");
        assertThatThrownBy(() -> Files.move(d.resolve("mine"), tmp.resolve("stolen"), StandardCopyOption.ATOMIC_MOVE))
                .isInstanceOf(IOException.class);
        assertThat(Files.readString(share.resolve("escape/mine"))).isEqualTo("mine");
        assertThat(Files.readString(outside)).isEqualTo("secret");
        // a symlink planted on the server pointing outside is shown as a symlink, never resolved by the server
        Files.createSymbolicLink(share.resolve("escape/out"), outside);
        awaitTrue(() -> Files.exists(d.resolve("out"), LinkOption.NOFOLLOW_LINKS));
        assertThat(Files.isSymbolicLink(d.resolve("out"))).isTrue();
        assertThat(Files.readSymbolicLink(d.resolve("out"))).isEqualTo(outside);
    }

    /**
     * A name that is not UTF-8 cannot be stored as such on the server (the protocol and NTFS carry
     * Unicode): refused with EILSEQ, never changed into another name. Before, each bad byte became
     * U+FFFD, so two such names were one file on the server.
     */
    @Test
    void namesThatAreNotUtf8AreRefusedNotChanged() throws Exception {
        Path d = dir("utf8");
        String out = shOk(d, "python3 -c \"import os\n"
                + "def t(n, f):\n"
                + "  try:\n    f(); print(n + '=ok')\n"
                + "  except OSError as e:\n    print(n + '=' + (os.strerror(e.errno)))\n"
                + "t('create', lambda: os.close(os.open(b'bad\\\\xff', os.O_CREAT | os.O_WRONLY, 0o644)))\n"
                + "t('mkdir', lambda: os.mkdir(b'dir\\\\xfe'))\n"
                + "open('ok', 'w').close()\n"
                + "t('rename', lambda: os.rename(b'ok', b'ok\\\\xff'))\n"
                + "t('symlink', lambda: os.symlink(b'tar\\\\xff', b'link'))\n"
                + "t('utf8', lambda: os.close(os.open('caf\\u00e9', os.O_CREAT | os.O_WRONLY, 0o644)))\n"
                + "t('stat', lambda: os.stat(b'bad\\\\xff'))\n\"");
        assertThat(out).contains("create=Invalid or incomplete multibyte or wide character")
                .contains("mkdir=Invalid or incomplete multibyte or wide character")
                .contains("rename=Invalid or incomplete multibyte or wide character")
                .contains("symlink=Invalid or incomplete multibyte or wide character")
                .contains("utf8=ok").contains("stat=No such file or directory");
        try (var names = Files.list(share.resolve("utf8"))) {
            assertThat(names.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("ok", "caf\u00e9");
        }
    }

    static void awaitTrue(Callable<Boolean> condition) throws Exception {
        long end = System.nanoTime() + 30_000_000_000L;
        Throwable last = null;
        while (System.nanoTime() < end) {
            try {
                if (condition.call()) {
                    return;
                }
            } catch (IOException | AssertionError e) {
                last = e;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("condition not met within 30 s", last);
    }

    static String sha(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
