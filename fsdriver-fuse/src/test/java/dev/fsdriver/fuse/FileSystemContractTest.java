package dev.fsdriver.fuse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fsdriver.common.Errno;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * What every file system must do through a real mount, with tools and java.nio: the examples
 * here, and fsdriver's remote file system (RemoteFileSystemContractTest in fsdriver-client, which
 * uses this class from the test jar; EventsFileSystemContractTest, the same with the change-events
 * layer on top, as a mount builds it). Where file systems differ, a capability method says which
 * behaviour this one has.
 */
abstract class FileSystemContractTest extends ContractMount {
    @Test
    void createWriteReadAppendTruncate() throws Exception {
        Path f = mnt.resolve("a.txt");
        Files.writeString(f, "hello");
        assertThat(Files.readString(f)).isEqualTo("hello");
        Files.writeString(f, " world", StandardOpenOption.APPEND);
        assertThat(Files.readString(f)).isEqualTo("hello world");
        Tools.ok(mnt, "sh", "-c", "echo -n '!' >> a.txt");
        assertThat(Files.readString(f)).isEqualTo("hello world!");
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
            ch.truncate(5);
        }
        assertThat(Files.readString(f)).isEqualTo("hello");
        Tools.ok(mnt, "truncate", "-s", "3", "a.txt");
        assertThat(Files.size(f)).isEqualTo(3);
        Files.writeString(f, "xy", StandardOpenOption.TRUNCATE_EXISTING);   // O_TRUNC on open
        assertThat(Files.readString(f)).isEqualTo("xy");

        byte[] big = new byte[3 * 1024 * 1024 + 17];
        new Random(42).nextBytes(big);
        Files.write(mnt.resolve("big.bin"), big);
        assertThat(Files.readAllBytes(mnt.resolve("big.bin"))).isEqualTo(big);
        Tools.ok(mnt, "cp", "big.bin", "copy.bin");
        assertThat(Tools.ok(mnt, "cmp", "big.bin", "copy.bin")).isEmpty();
        assertThat(Tools.ok(mnt, "stat", "-c", "%s %F", "copy.bin")).isEqualTo(big.length + " regular file");
    }

    @Test
    void renameOverExistingAndMv() throws Exception {
        Files.writeString(mnt.resolve("src"), "new");
        Files.writeString(mnt.resolve("dst"), "old content");
        Files.move(mnt.resolve("src"), mnt.resolve("dst"), StandardCopyOption.REPLACE_EXISTING);
        assertThat(Files.exists(mnt.resolve("src"))).isFalse();
        assertThat(Files.readString(mnt.resolve("dst"))).isEqualTo("new");
        Files.createDirectory(mnt.resolve("d1"));
        Files.writeString(mnt.resolve("d1/inner"), "in");
        Tools.ok(mnt, "mv", "d1", "d2");
        assertThat(Files.readString(mnt.resolve("d2/inner"))).isEqualTo("in");
        Tools.ok(mnt, "mv", "dst", "d2/moved");
        assertThat(Files.readString(mnt.resolve("d2/moved"))).isEqualTo("new");
    }

    @Test
    void rename2NoreplaceAndExchange() throws Exception {
        String keep = Files.writeString(mnt.resolve("keep"), "keep").toString();
        String other = Files.writeString(mnt.resolve("other"), "other").toString();
        // RENAME_EXCHANGE reaches the file system (FUSE_RENAME2 with its flags), which may refuse it
        if (exchangesNames()) {
            assertThat(Libc.renameat2(other, keep, Libc.RENAME_EXCHANGE)).isZero();
            assertThat(Files.readString(mnt.resolve("keep"))).isEqualTo("other");
            assertThat(Files.readString(mnt.resolve("other"))).isEqualTo("keep");
            assertThat(Libc.renameat2(other, keep, Libc.RENAME_EXCHANGE)).isZero();
        } else {
            assertThat(Libc.renameat2(other, keep, Libc.RENAME_EXCHANGE)).isEqualTo(-Errno.EINVAL);
        }
        assertThat(Files.readString(mnt.resolve("keep"))).isEqualTo("keep");
        assertThat(Files.readString(mnt.resolve("other"))).isEqualTo("other");
        // NOREPLACE onto a name the kernel sees is refused by the kernel itself (the file system's
        // part: LoopbackFileSystemTest#renameNoreplaceIsEnforcedByTheFileSystem)
        assertThat(Libc.renameat2(other, keep, Libc.RENAME_NOREPLACE)).isEqualTo(-Errno.EEXIST);
        assertThat(Files.readString(mnt.resolve("keep"))).isEqualTo("keep");
        String fresh = mnt.resolve("fresh").toString();
        assertThat(Libc.renameat2(other, fresh, Libc.RENAME_NOREPLACE)).isZero();
        assertThat(Files.readString(mnt.resolve("fresh"))).isEqualTo("other");
        assertThat(Files.exists(mnt.resolve("other"))).isFalse();
    }

    @Test
    void mknodMakesRegularFiles() throws Exception {
        assertThat(Libc.mknod(mnt.resolve("node").toString(), Libc.S_IFREG | 0640, 0)).isZero();
        assertThat(Tools.ok(mnt, "stat", "-c", "%F %a", "node")).isEqualTo("regular empty file 640");
        Files.writeString(mnt.resolve("node"), "n");
        assertThat(Files.readString(mnt.resolve("node"))).isEqualTo("n");
    }

    @Test
    void copyFileRangeCopiesTheRange() throws Exception {
        Path src = Files.writeString(mnt.resolve("src"), "0123456789");
        Path dst = Files.writeString(mnt.resolve("dst"), "abcdefghij");
        int in = Libc.open(src.toString(), Libc.O_RDONLY);
        int out = Libc.open(dst.toString(), Libc.O_RDWR);
        try {
            assertThat(Libc.copyFileRange(in, 2, out, 3, 5)).isEqualTo(5);
            assertThat(Libc.copyFileRange(in, 8, out, 12, 100)).as("stops at the end of the source").isEqualTo(2);
        } finally {
            Libc.close(in);
            Libc.close(out);
        }
        assertThat(Files.readString(dst)).isEqualTo("abc23456ij\0\089");
    }

    @Test
    void unlinkWhileOpenStillReads() throws Exception {
        Path f = mnt.resolve("open.txt");
        Files.writeString(f, "still here");
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            Tools.ok(mnt, "rm", "open.txt");
            assertThat(Files.exists(f)).isFalse();
            ByteBuffer b = ByteBuffer.allocate(64);
            ch.read(b, 0);
            assertThat(new String(b.array(), 0, b.position(), StandardCharsets.UTF_8)).isEqualTo("still here");
        }
    }

    @Test
    void hardLinkSymlinkReadlink() throws Exception {
        Files.writeString(mnt.resolve("orig"), "data");
        Tools.ok(mnt, "ln", "orig", "hard");
        assertThat(Tools.ok(mnt, "stat", "-c", "%h", "orig")).isEqualTo("2");
        assertThat(Files.readString(mnt.resolve("hard"))).isEqualTo("data");
        assertThat(Files.getAttribute(mnt.resolve("hard"), "unix:nlink")).isEqualTo(2);
        Tools.ok(mnt, "ln", "-s", "orig", "sym");
        assertThat(Files.readSymbolicLink(mnt.resolve("sym")).toString()).isEqualTo("orig");
        assertThat(Tools.ok(mnt, "readlink", "sym")).isEqualTo("orig");
        assertThat(Files.readString(mnt.resolve("sym"))).isEqualTo("data");
        Tools.ok(mnt, "rm", "hard");
        assertThat(Tools.ok(mnt, "stat", "-c", "%h", "orig")).isEqualTo("1");
    }

    @Test
    void mkdirRmdirNonEmpty() throws Exception {
        Tools.ok(mnt, "mkdir", "-p", "x/y/z");
        Files.writeString(mnt.resolve("x/y/z/f"), "f");
        Tools.Result r = Tools.run(mnt, "rmdir", "x/y/z");
        assertThat(r.code()).isNotZero();
        assertThat(r.output()).contains("Directory not empty");
        Tools.ok(mnt, "rm", "x/y/z/f");
        Tools.ok(mnt, "rmdir", "x/y/z");
        assertThat(Files.exists(mnt.resolve("x/y/z"))).isFalse();
        Tools.ok(mnt, "rm", "-r", "x");
        try (Stream<Path> s = Files.list(mnt)) {
            assertThat(s).isEmpty();
        }
    }

    @Test
    void chmodChownUtimensStatfsXattr() throws Exception {
        Path f = mnt.resolve("perm");
        Files.writeString(f, "p");
        Tools.ok(mnt, "chmod", "640", "perm");
        assertThat(Tools.ok(mnt, "stat", "-c", "%a", "perm")).isEqualTo("640");
        Tools.ok(mnt, "chown", "1234:2345", "perm");
        assertThat(Tools.ok(mnt, "stat", "-c", "%u:%g", "perm")).isEqualTo("1234:2345");
        Tools.ok(mnt, "touch", "-m", "-d", "2001-02-03 04:05:06.123456789 UTC", "perm");
        assertThat(Files.getLastModifiedTime(f)).isEqualTo(FileTime.from(Instant.parse("2001-02-03T04:05:06.123456789Z")));
        Files.setAttribute(f, "lastAccessTime", FileTime.from(Instant.parse("2002-01-01T00:00:00Z")));
        assertThat(Files.getAttribute(f, "lastAccessTime", LinkOption.NOFOLLOW_LINKS))
                .isEqualTo(FileTime.from(Instant.parse("2002-01-01T00:00:00Z")));
        Tools.ok(mnt, "touch", "perm");   // UTIME_NOW for both
        assertThat(Files.getLastModifiedTime(f).toInstant()).isAfter(Instant.parse("2020-01-01T00:00:00Z"));
        assertThat(((FileTime) Files.getAttribute(f, "lastAccessTime")).toInstant())
                .isAfter(Instant.parse("2020-01-01T00:00:00Z"));
        String df = Tools.ok(mnt, "df", "-P", ".");
        assertThat(df).contains(mnt.toString());
        assertThat(Tools.ok(mnt, "stat", "-f", "-c", "%S", ".")).isEqualTo("4096");

        if (!keepsXattrs()) {
            return;
        }
        UserDefinedFileAttributeView xv = Files.getFileAttributeView(f, UserDefinedFileAttributeView.class);
        xv.write("color", StandardCharsets.UTF_8.encode("blue"));
        assertThat(xv.list()).contains("color");
        ByteBuffer v = ByteBuffer.allocate(xv.size("color"));
        xv.read("color", v);
        assertThat(new String(v.array(), StandardCharsets.UTF_8)).isEqualTo("blue");
        xv.delete("color");
        assertThat(xv.list()).doesNotContain("color");
    }

    @Test
    void fifoIsMadeOrRefusedWithEperm() throws Exception {
        Tools.Result r = Tools.run(mnt, "mkfifo", "p");
        if (makesFifos()) {
            assertThat(r.code()).as(r.output()).isZero();
            assertThat(Tools.ok(mnt, "stat", "-c", "%F", "p")).isEqualTo("fifo");
            return;
        }
        assertThat(r.code()).isNotZero();
        assertThat(r.output()).contains("Operation not permitted");
    }

    @Test
    void tarRoundTrip() throws Exception {
        Path src = Files.createDirectories(tmp.resolve("src/tree/sub"));
        for (int i = 0; i < 50; i++) {
            Files.writeString(src.resolve("f" + i), "file " + i);
        }
        Files.createSymbolicLink(src.resolve("link"), Path.of("f1"));
        Tools.ok(tmp, "tar", "-cf", "t.tar", "-C", tmp.resolve("src").toString(), "tree");
        Tools.ok(mnt, "tar", "-xf", tmp.resolve("t.tar").toString());
        assertThat(Files.readString(mnt.resolve("tree/sub/f7"))).isEqualTo("file 7");
        assertThat(Files.readSymbolicLink(mnt.resolve("tree/sub/link")).toString()).isEqualTo("f1");
        Tools.ok(mnt, "tar", "-cf", tmp.resolve("back.tar").toString(), "tree");
        assertThat(Tools.ok(tmp, "tar", "-tf", "back.tar").lines().count()).isEqualTo(Tools.ok(tmp, "tar", "-tf", "t.tar").lines().count());
    }

    @Test
    void readdirOfManyEntriesSeesEachOnce() throws Exception {
        int count = 10_000;
        Path dir = createManyFiles(count);
        Set<String> seen = new HashSet<>();
        int total = 0;
        try (var ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                seen.add(p.getFileName().toString());
                total++;
            }
        }
        assertThat(total).isEqualTo(count);
        assertThat(seen).hasSize(count).contains("n0", "n" + (count - 1));
        assertThat(Tools.ok(dir, "sh", "-c", "ls -f | wc -l")).isEqualTo(String.valueOf(count + 2));
    }

    /** Creates {@code count} files in a directory visible in the mount; returns its mounted path. */
    Path createManyFiles(int count) throws IOException {
        Path dir = Files.createDirectory(mnt.resolve("many"));
        for (int i = 0; i < count; i++) {
            Files.createFile(dir.resolve("n" + i));
        }
        return dir;
    }

    @Test
    void requestCarriesCallerPid() throws Exception {
        Process p = new ProcessBuilder("sh", "-c", "echo $$; exec stat " + mnt.resolve("whoami-probe"))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String pid = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().findFirst().orElse("");
        p.waitFor();
        // The subclasses' file systems record the FuseRequest of each LOOKUP by name.
        assertThat(RecordingFileSystem.lastLookupPid("whoami-probe")).isEqualTo(Integer.parseInt(pid));
        assertThat(RecordingFileSystem.lastLookupUid("whoami-probe")).isZero();   // tests run as root
    }

    @Test
    void errorsCarryTheirErrno() throws Exception {
        String file = Files.writeString(mnt.resolve("file"), "f").toString();
        String full = Files.createDirectories(mnt.resolve("full/inner")).getParent().toString();
        String empty = Files.createDirectory(mnt.resolve("empty")).toString();
        assertThat(Libc.open(mnt.resolve("missing").toString(), Libc.O_RDONLY)).isEqualTo(-Errno.ENOENT);
        assertThat(Libc.open(file + "/child", Libc.O_RDONLY)).isEqualTo(-Errno.ENOTDIR);
        assertThat(Libc.open(empty, Libc.O_RDWR)).isEqualTo(-Errno.EISDIR);
        assertThatThrownBy(() -> Files.createFile(mnt.resolve("file"))).isInstanceOf(FileAlreadyExistsException.class);
        assertThatThrownBy(() -> Files.createDirectory(mnt.resolve("empty"))).isInstanceOf(FileAlreadyExistsException.class);
        assertThat(Libc.unlink(mnt.resolve("missing").toString())).isEqualTo(-Errno.ENOENT);
        assertThat(Libc.unlink(empty)).isEqualTo(-Errno.EISDIR);
        assertThat(Libc.rmdir(file)).isEqualTo(-Errno.ENOTDIR);
        assertThat(Libc.rmdir(full)).isEqualTo(-Errno.ENOTEMPTY);
        assertThat(Libc.rename(file, empty)).isEqualTo(-Errno.EISDIR);
        assertThat(Libc.rename(empty, file)).isEqualTo(-Errno.ENOTDIR);
        // only the file system knows the target directory is not empty
        assertThat(Libc.rename(empty, full)).isEqualTo(-Errno.ENOTEMPTY);
        assertThat(Libc.rename(full, full + "/inner/under")).isEqualTo(-Errno.EINVAL);
        assertThat(Files.readString(mnt.resolve("file"))).isEqualTo("f");
        assertThat(Files.isDirectory(mnt.resolve("full/inner"))).isTrue();
        // a directory replaces an empty one
        assertThat(Libc.rename(full, empty)).isZero();
        assertThat(Files.isDirectory(mnt.resolve("empty/inner"))).isTrue();
        assertThat(names(mnt)).containsExactlyInAnyOrder("file", "empty");
    }

    @Test
    void writesThroughOneDescriptorAreSeenThroughAnother() throws Exception {
        Path f = mnt.resolve("shared");
        try (FileChannel w = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            w.write(ascii("abc"), 0);
            assertThat(Files.size(f)).as("size while the writer is open").isEqualTo(3);
            assertThat(Files.readString(f)).isEqualTo("abc");
            w.write(ascii("xyz"), 10);   // past the end: a hole of zeros
            assertThat(Files.size(f)).isEqualTo(13);
            assertThat(Files.readString(f)).isEqualTo("abc\0\0\0\0\0\0\0xyz");
            try (FileChannel rw = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                assertThat(read(rw, 9, 100)).isEqualTo("\0xyz");
                rw.truncate(5);
                rw.write(ascii("Q"), 1);
            }
            assertThat(Files.size(f)).isEqualTo(5);
            w.write(ascii("!"), 4);
            w.force(true);
            Tools.ok(mnt, "truncate", "-s", "8", "shared");   // extending: zeros
            assertThat(Files.readString(f)).isEqualTo("aQc\0!\0\0\0");
        }
        assertThat(Tools.ok(mnt, "stat", "-c", "%s", "shared")).isEqualTo("8");
    }

    @Test
    void appendsFromTwoDescriptorsLandAtTheEnd() throws Exception {
        Path f = Files.writeString(mnt.resolve("log"), "start;");
        try (FileChannel a = FileChannel.open(f, StandardOpenOption.APPEND);
             FileChannel b = FileChannel.open(f, StandardOpenOption.APPEND)) {
            for (int i = 0; i < 3; i++) {
                a.write(ascii("a" + i + ";"));
                b.write(ascii("b" + i + ";"));
            }
        }
        assertThat(Files.readString(f)).isEqualTo("start;a0;b0;a1;b1;a2;b2;");
    }

    @Test
    void openDescriptorFollowsItsFileThroughRenameAndUnlink() throws Exception {
        Path f = Files.writeString(mnt.resolve("before"), "12345");
        Files.createDirectory(mnt.resolve("dir"));
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            Files.move(f, mnt.resolve("dir/after"));
            ch.write(ascii("AB"), 0);
            assertThat(read(ch, 0, 100)).isEqualTo("AB345");
            Files.move(mnt.resolve("dir"), mnt.resolve("moved"));
            ch.write(ascii("C"), 5);
            ch.force(true);
            assertThat(Files.readString(mnt.resolve("moved/after"))).isEqualTo("AB345C");
            Files.delete(mnt.resolve("moved/after"));
            ch.write(ascii("D"), 6);
            assertThat(read(ch, 0, 100)).isEqualTo("AB345CD");
        }
        assertThat(names(mnt.resolve("moved"))).isEmpty();
    }

    @Test
    void hardLinksShareContentAndAttributes() throws Exception {
        Path a = Files.writeString(mnt.resolve("a"), "one");
        Path b = Files.createLink(mnt.resolve("b"), a);
        Files.writeString(b, "two");
        assertThat(Files.readString(a)).isEqualTo("two");
        Tools.ok(mnt, "chmod", "600", "b");
        assertThat(Tools.ok(mnt, "stat", "-c", "%a %h %s", "a")).isEqualTo("600 2 3");
        Files.writeString(a, "three", StandardOpenOption.APPEND);
        assertThat(Files.readString(b)).isEqualTo("twothree");
        assertThat(Tools.ok(mnt, "stat", "-c", "%s", "b")).isEqualTo("8");
        assertThat(Files.getAttribute(a, "unix:ino")).isEqualTo(Files.getAttribute(b, "unix:ino"));
    }

    @Test
    void listingsFollowChanges() throws Exception {
        Path d = Files.createDirectory(mnt.resolve("d"));
        for (String n : List.of("a", "b", "c")) {
            Files.writeString(d.resolve(n), n);
        }
        assertThat(names(d)).containsExactlyInAnyOrder("a", "b", "c");
        Files.move(d.resolve("b"), d.resolve("bb"));
        Files.delete(d.resolve("c"));
        Files.createDirectory(d.resolve("e"));
        Files.writeString(d.resolve("bb"), "longer");
        Files.move(d.resolve("a"), mnt.resolve("a-out"));
        assertThat(names(d)).containsExactlyInAnyOrder("bb", "e");
        assertThat(names(mnt)).containsExactlyInAnyOrder("d", "a-out");
        // find's sizes and types come from the listing's attributes where the kernel has them
        assertThat(Tools.ok(mnt, "find", ".", "-mindepth", "1", "-printf", "%p %y %s\\n")
                .lines().filter(l -> !l.contains(" d ")).sorted()).containsExactly("./a-out f 1", "./d/bb f 6");
    }

    @Test
    void symlinksToDirectoriesAndDanglingOnes() throws Exception {
        Files.createDirectories(mnt.resolve("real/sub"));
        Files.writeString(mnt.resolve("real/sub/f"), "via link");
        Files.createSymbolicLink(mnt.resolve("ld"), Path.of("real/sub"));
        Files.createSymbolicLink(mnt.resolve("dangling"), Path.of("nowhere/at/all"));
        assertThat(Files.readString(mnt.resolve("ld/f"))).isEqualTo("via link");
        assertThat(names(mnt.resolve("ld"))).containsExactly("f");
        assertThat(Files.isSymbolicLink(mnt.resolve("ld"))).isTrue();
        assertThat(Files.isDirectory(mnt.resolve("ld"))).isTrue();
        assertThat(Files.exists(mnt.resolve("dangling"))).isFalse();
        assertThat(Files.exists(mnt.resolve("dangling"), LinkOption.NOFOLLOW_LINKS)).isTrue();
        assertThat(Tools.ok(mnt, "stat", "-c", "%F %s", "dangling")).isEqualTo("symbolic link 14");
        Files.delete(mnt.resolve("ld"));   // the link, not what it points to
        assertThat(Files.readString(mnt.resolve("real/sub/f"))).isEqualTo("via link");
    }

    @Test
    void sharedMappingsMeetReadsAndWrites() throws Exception {
        Path f = Files.write(mnt.resolve("mapped"), new byte[8192]);
        try (Arena arena = Arena.ofConfined(); FileChannel ch = FileChannel.open(f, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            MemorySegment m = ch.map(FileChannel.MapMode.READ_WRITE, 0, 8192, arena);
            m.set(ValueLayout.JAVA_BYTE, 100, (byte) 'M');
            m.set(ValueLayout.JAVA_BYTE, 5000, (byte) 'N');
            m.force();
        }
        byte[] b = Files.readAllBytes(f);
        assertThat(new String(b, 100, 1, StandardCharsets.US_ASCII) + new String(b, 5000, 1, StandardCharsets.US_ASCII))
                .isEqualTo("MN");
        try (FileChannel w = FileChannel.open(f, StandardOpenOption.WRITE)) {
            w.write(ascii("fresh"), 0);
        }
        try (Arena arena = Arena.ofConfined(); FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            MemorySegment m = ch.map(FileChannel.MapMode.READ_ONLY, 0, 8192, arena);
            assertThat(m.get(ValueLayout.JAVA_BYTE, 0)).isEqualTo((byte) 'f');
            assertThat(m.get(ValueLayout.JAVA_BYTE, 5000)).isEqualTo((byte) 'N');
        }
    }

    @Test
    void directoriesTakeModesAndTimes() throws Exception {
        Files.createDirectory(mnt.resolve("d"));
        Tools.ok(mnt, "chmod", "750", "d");
        Tools.ok(mnt, "touch", "-m", "-d", "2003-04-05 06:07:08 UTC", "d");
        assertThat(Tools.ok(mnt, "stat", "-c", "%a %F %Y", "d")).isEqualTo("750 directory 1049522828");
        Files.writeString(mnt.resolve("d/new"), "x");   // a new entry moves its directory's mtime
        assertThat(Long.parseLong(Tools.ok(mnt, "stat", "-c", "%Y", "d"))).isGreaterThan(1049522828L);
    }

    @Test
    void renameOverAnOpenFileLeavesItsReaderTheOldContent() throws Exception {
        Path target = Files.writeString(mnt.resolve("target"), "old content");
        Files.writeString(mnt.resolve("new"), "new");
        try (FileChannel reader = FileChannel.open(target, StandardOpenOption.READ)) {
            Files.move(mnt.resolve("new"), target, StandardCopyOption.REPLACE_EXISTING);
            assertThat(read(reader, 0, 100)).isEqualTo("old content");
            assertThat(Files.readString(target)).isEqualTo("new");
        }
    }

    @Test
    void newFilesAndDirectoriesTakeTheModeAsked() throws Exception {
        Files.createFile(mnt.resolve("private"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.createDirectory(mnt.resolve("closed"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        assertThat(Tools.ok(mnt, "stat", "-c", "%a %F", "private", "closed")).isEqualTo("600 regular empty file\n700 directory");
    }

    @Test
    void namesAreKeptAsGiven() throws Exception {
        // NFC and NFD spellings of one word are two names on Linux; spaces, a leading dash, a 255-byte name
        List<String> given = List.of("caf\u00e9", "cafe\u0301", "with space", "-dash", "\u65e5\u672c\u8a9e", "n".repeat(255));
        for (String n : given) {
            Files.writeString(mnt.resolve(n), n);
        }
        assertThat(names(mnt)).containsExactlyInAnyOrderElementsOf(given);
        for (String n : given) {
            assertThat(Files.readString(mnt.resolve(n))).isEqualTo(n);
        }
    }
}
