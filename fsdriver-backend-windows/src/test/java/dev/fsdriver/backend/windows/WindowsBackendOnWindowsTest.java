package dev.fsdriver.backend.windows;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fsdriver.backend.Backend;
import dev.fsdriver.backend.Change;
import dev.fsdriver.backend.DirEntry;
import dev.fsdriver.backend.FileAttributes;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.OpenFile;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.backend.SetAttributes;
import dev.fsdriver.common.Errno;
import dev.fsdriver.common.OpenFlags;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Windows-only paths of the backend, against a real temp directory: NTFS in the Windows CI job
 * (.github/workflows/windows.yml), and a Linux directory under Wine on every ./test
 * (WindowsTestsUnderWineTest runs it on the Windows JRE there; its Wine gaps are listed in that
 * test). Never on the Linux JVM, where the native calls do not exist.
 */
@EnabledOnOs(OS.WINDOWS)
class WindowsBackendOnWindowsTest {
    @TempDir
    Path dir;
    private Backend b;

    private static RelPath p(String s) throws FsException {
        return RelPath.parse(s);
    }

    private static ByteBuffer utf8(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String read(OpenFile f) throws FsException {
        ByteBuffer buf = ByteBuffer.allocate(4096);
        int n = f.read(0, buf);
        return new String(buf.array(), 0, n, StandardCharsets.UTF_8);
    }

    @BeforeEach
    void open() throws FsException {
        b = WindowsBackend.open(dir, false);
    }

    @AfterEach
    void close() {
        b.close();
    }

    /**
     * Issue 10, B6: a directory renamed behind the backend's back is found by the file id its
     * inode number was made from (NtCreateFile FILE_OPEN_BY_FILE_ID relative to the root; under
     * Wine a search below the root's host directory); the root itself is never an answer, nor a
     * directory that is gone.
     */
    @Test
    void aDirectoryIsLocatedByItsFileIdWhereverItMovedInTheShare() throws Exception {
        b.mkdir(p("work"), 0755);
        b.mkdir(p("a"), 0755);
        b.mkdir(p("a/b"), 0755);
        b.mkdir(p("gone"), 0755);
        long work = b.stat(p("work")).ino();
        long gone = b.stat(p("gone")).ino();
        Files.move(dir.resolve("work"), dir.resolve("a/b/work"));
        Files.delete(dir.resolve("gone"));
        assertThat(b.locate(work)).isEqualTo(p("a/b/work"));
        assertThat(b.locate(b.stat(RelPath.ROOT).ino())).as("the root").isNull();
        assertThat(b.locate(gone)).as("a deleted directory").isNull();
    }

    /**
     * B8: a released file's HANDLE value is free for the next open (Wine and Windows hand out the
     * lowest free slot); a write that arrives after the release must fail EBADF, never reach the
     * file that now owns that value. (The in-flight race itself: CloseOnLastUseTest.)
     */
    @Test
    void aWriteAfterReleaseNeverReachesTheFileThatReusesTheHandle() throws Exception {
        Files.writeString(dir.resolve("a.txt"), "aaaa");
        Files.writeString(dir.resolve("b.txt"), "bbbb");
        OpenFile a = b.open(p("a.txt"), OpenFlags.O_RDWR);
        a.close();
        try (OpenFile other = b.open(p("b.txt"), OpenFlags.O_RDWR)) {
            assertThatThrownBy(() -> a.write(0, utf8("XX")))
                    .isInstanceOfSatisfying(FsException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EBADF));
            assertThatThrownBy(() -> a.read(0, ByteBuffer.allocate(4)))
                    .isInstanceOfSatisfying(FsException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EBADF));
            assertThat(read(other)).isEqualTo("bbbb");
        }
        assertThat(Files.readString(dir.resolve("b.txt"))).isEqualTo("bbbb");
    }

    /**
     * Issue 9: the generation (CreationTime) is known, the same by handle and by listing, and stays
     * through everything that changes a file but not its identity. (Two files made within one clock
     * tick may share it: only (file id, generation) is an identity.)
     */
    @Test
    void theGenerationIsTheCreationTimeAndStaysForTheLifeOfTheFile() throws Exception {
        b.create(p("g"), 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT | OpenFlags.O_EXCL).close();
        long gen = b.stat(p("g")).generation();
        assertThat(gen).isNotZero();
        assertThat(b.list(RelPath.ROOT)).singleElement().satisfies(e -> assertThat(e.attributes().generation()).isEqualTo(gen));
        try (OpenFile f = b.open(p("g"), OpenFlags.O_RDWR)) {
            f.write(0, utf8("changed"));
            assertThat(f.stat().generation()).isEqualTo(gen);
        }
        SetAttributes all = new SetAttributes(OptionalLong.of(3), OptionalInt.of(0600), OptionalInt.empty(), OptionalInt.empty(),
                SetAttributes.TimeChange.at(1_000_000_000L), SetAttributes.TimeChange.NOW);
        assertThat(b.setattr(p("g"), null, all).generation()).isEqualTo(gen);
        b.rename(p("g"), p("h"), 0);
        assertThat(b.stat(p("h")).generation()).isEqualTo(gen);
    }

    /** B11: a file unlinked while open elsewhere (delete pending under the classic delete) is ENOENT, not EACCES. */
    @Test
    void aFileUnlinkedWhileOpenIsGone() throws Exception {
        Files.writeString(dir.resolve("pending"), "x");
        try (OpenFile f = b.open(p("pending"), OpenFlags.O_RDONLY)) {
            b.unlink(p("pending"));
            assertThatThrownBy(() -> b.stat(p("pending")))
                    .isInstanceOfSatisfying(FsException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT));
            assertThatThrownBy(() -> b.open(p("pending"), OpenFlags.O_RDONLY))
                    .isInstanceOfSatisfying(FsException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT));
            assertThat(read(f)).isEqualTo("x");
        }
    }

    /** B12: Win32 strips a trailing dot or space, so such a name is stored escaped and Explorer can delete it. */
    @Test
    void trailingDotAndSpaceAreStoredEscapedAndListedBack() throws Exception {
        b.create(p("dot."), 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT | OpenFlags.O_EXCL).close();
        b.mkdir(p("space "), 0755);
        assertThat(b.list(RelPath.ROOT)).extracting(DirEntry::name).containsExactlyInAnyOrder("dot.", "space ");
        try (var names = Files.list(dir)) {
            assertThat(names.map(x -> x.getFileName().toString())).containsExactlyInAnyOrder("dot\uF02E", "space\uF020");
        }
        assertThat(b.stat(p("dot.")).isRegular()).isTrue();
        b.unlink(p("dot."));
        b.rmdir(p("space "));
        assertThat(b.list(RelPath.ROOT)).isEmpty();
    }

    @Test
    void createWriteReadStatAndList() throws Exception {
        try (OpenFile f = b.create(p("a.txt"), 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT | OpenFlags.O_EXCL)) {
            assertThat(f.write(0, utf8("hello"))).isEqualTo(5);
            assertThat(read(f)).isEqualTo("hello");
        }
        FileAttributes a = b.stat(p("a.txt"));
        assertThat(a.isRegular()).isTrue();
        assertThat(a.size()).isEqualTo(5);
        assertThat(a.ino()).isNotZero();
        b.mkdir(p("d"), 0755);
        List<DirEntry> entries = b.list(RelPath.ROOT);
        assertThat(entries).extracting(DirEntry::name).containsExactlyInAnyOrder("a.txt", "d");
        DirEntry listed = entries.stream().filter(e -> e.name().equals("a.txt")).findFirst().orElseThrow();
        assertThat(listed.attributes().ino()).isEqualTo(a.ino());
        assertThat(listed.attributes().mtimeNs()).isEqualTo(a.mtimeNs());
    }

    @Test
    void forbiddenCharactersRoundTripAndReservedNamesAreRefused() throws Exception {
        b.create(p("what?.txt"), 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT).close();
        assertThat(Files.exists(dir.resolve("what\uF03F.txt"))).isTrue();
        assertThat(b.list(RelPath.ROOT)).extracting(DirEntry::name).contains("what?.txt");
        assertThatThrownBy(() -> b.create(p("nul.txt"), 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT))
                .satisfies(e -> assertThat(((FsException) e).errno()).isEqualTo(Errno.EINVAL));
    }

    @Test
    void caseCollisionIsEexist() throws Exception {
        b.create(p("Readme.md"), 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT).close();
        assertThatThrownBy(() -> b.create(p("README.md"), 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT))
                .satisfies(e -> assertThat(((FsException) e).errno()).isEqualTo(Errno.EEXIST));
        assertThat(((WindowsBackend) b).onDiskName(p("readme.MD"))).isEqualTo("Readme.md");
        assertThat(b.stat(p("README.MD")).ino()).isEqualTo(b.stat(p("Readme.md")).ino());
    }

    @Test
    void renameOverAnOpenFileAndUnlinkWhileOpen() throws Exception {
        b.create(p("src"), 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT).close();
        try (OpenFile target = b.create(p("dst"), 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT)) {
            target.write(0, utf8("old"));
            b.rename(p("src"), p("dst"), 0);
            assertThat(read(target)).isEqualTo("old");
        }
        try (OpenFile open = b.open(p("dst"), OpenFlags.O_RDWR)) {
            b.unlink(p("dst"));
            assertThatThrownBy(() -> b.stat(p("dst"))).satisfies(e -> assertThat(((FsException) e).errno()).isEqualTo(Errno.ENOENT));
            open.write(0, utf8("still"));
        }
    }

    @Test
    void renameNoReplaceAndDirectoryErrors() throws Exception {
        b.create(p("x"), 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT).close();
        b.create(p("y"), 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT).close();
        assertThatThrownBy(() -> b.rename(p("x"), p("y"), OpenFlags.RENAME_NOREPLACE))
                .satisfies(e -> assertThat(((FsException) e).errno()).isEqualTo(Errno.EEXIST));
        b.mkdir(p("d"), 0755);
        b.create(p("d/f"), 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT).close();
        assertThatThrownBy(() -> b.rmdir(p("d"))).satisfies(e -> assertThat(((FsException) e).errno()).isEqualTo(Errno.ENOTEMPTY));
        assertThatThrownBy(() -> b.unlink(p("d"))).satisfies(e -> assertThat(((FsException) e).errno()).isEqualTo(Errno.EISDIR));
        assertThatThrownBy(() -> b.stat(p("x/inner"))).satisfies(e -> assertThat(((FsException) e).errno()).isIn(Errno.ENOTDIR, Errno.ENOENT));
    }

    /** B3 (data loss, seen under Wine): Windows lets a directory replace a file; POSIX says ENOTDIR / EISDIR. */
    @Test
    void renameOfADirectoryOverAFileIsEnotdirAndOfAFileOverADirectoryEisdir() throws Exception {
        b.mkdir(p("d"), 0755);
        try (OpenFile f = b.create(p("f"), 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT)) {
            f.write(0, utf8("keep"));
        }
        assertThatThrownBy(() -> b.rename(p("d"), p("f"), 0))
                .satisfies(e -> assertThat(((FsException) e).errno()).isEqualTo(Errno.ENOTDIR));
        assertThat(Files.readString(dir.resolve("f"))).isEqualTo("keep");
        assertThat(b.stat(p("d")).isDirectory()).isTrue();
        b.mkdir(p("e"), 0755);
        assertThatThrownBy(() -> b.rename(p("f"), p("e"), 0))
                .satisfies(e -> assertThat(((FsException) e).errno()).isEqualTo(Errno.EISDIR));
        assertThat(b.stat(p("e")).isDirectory()).isTrue();
        assertThat(Files.readString(dir.resolve("f"))).isEqualTo("keep");
    }

    /** B9: link(2) on a directory is EPERM on Linux (not EISDIR). */
    @Test
    void hardLinkToADirectoryIsEperm() throws Exception {
        b.mkdir(p("d"), 0755);
        assertThatThrownBy(() -> b.link(p("d"), p("d2")))
                .satisfies(e -> assertThat(((FsException) e).errno()).isEqualTo(Errno.EPERM));
        assertThat(Files.exists(dir.resolve("d2"))).isFalse();
    }

    /** B7: fsync on a read-only open succeeds on Linux; FlushFileBuffers needs write access. */
    @Test
    void fsyncOfAReadOnlyOpenSucceeds() throws Exception {
        b.create(p("f"), 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT).close();
        try (OpenFile f = b.open(p("f"), OpenFlags.O_RDONLY)) {
            f.sync(false);
            f.sync(true);
        }
    }

    @Test
    void wslSymlinkRoundTripAndHardLinkCount() throws Exception {
        FileAttributes l = b.symlink(p("link"), "../somewhere/else");
        assertThat(l.isSymlink()).isTrue();
        assertThat(l.size()).isEqualTo("../somewhere/else".length());
        assertThat(b.readlink(p("link"))).isEqualTo("../somewhere/else");
        b.create(p("f"), 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT).close();
        FileAttributes h = b.link(p("f"), p("g"));
        assertThat(h.nlink()).isEqualTo(2);
        assertThat(h.ino()).isEqualTo(b.stat(p("f")).ino());
    }

    @Test
    void chmodTogglesReadOnlyAndTimesAreSet() throws Exception {
        b.create(p("f"), 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT).close();
        SetAttributes ro = new SetAttributes(OptionalLong.empty(), OptionalInt.of(0444), OptionalInt.empty(), OptionalInt.empty(), null, null);
        assertThat(b.setattr(p("f"), null, ro).mode() & 0222).isZero();
        assertThat(Files.isWritable(dir.resolve("f"))).isFalse();
        SetAttributes rw = new SetAttributes(OptionalLong.empty(), OptionalInt.of(0644), OptionalInt.empty(), OptionalInt.empty(), null, null);
        assertThat(b.setattr(p("f"), null, rw).mode() & 0200).isNotZero();
        long t = 1_600_000_000_123_456_700L;
        SetAttributes times = new SetAttributes(OptionalLong.of(3), OptionalInt.empty(), OptionalInt.empty(), OptionalInt.empty(),
                SetAttributes.TimeChange.at(t), SetAttributes.TimeChange.at(t));
        FileAttributes a = b.setattr(p("f"), null, times);
        assertThat(a.mtimeNs()).isEqualTo(t);
        assertThat(a.size()).isEqualTo(3);
    }

    @Test
    @SuppressWarnings("try") // the watch handle only needs closing
    void watcherReportsCreateRenameDelete() throws Exception {
        LinkedBlockingQueue<Change> q = new LinkedBlockingQueue<>();
        try (AutoCloseable w = b.watch(q::add)) {
            Files.writeString(dir.resolve("w1"), "x");
            Files.move(dir.resolve("w1"), dir.resolve("w2"));
            Files.delete(dir.resolve("w2"));
            List<Change.Kind> seen = new ArrayList<>();
            while (!seen.contains(Change.Kind.DELETED)) {
                Change c = q.poll(10, TimeUnit.SECONDS);
                assertThat(c).as("events so far: %s", seen).isNotNull();
                seen.add(c.kind());
                if (c.kind() == Change.Kind.RENAMED) {
                    assertThat(c.path()).isEqualTo(p("w1"));
                    assertThat(c.newPath()).isEqualTo(p("w2"));
                }
            }
            assertThat(seen).contains(Change.Kind.CREATED, Change.Kind.RENAMED, Change.Kind.DELETED);
        }
    }

    @Test
    void metadataModeStoresWslCompatibleOwnerAndMode() throws Exception {
        WindowsBackend.Options md = new WindowsBackend.Options(true, WindowsBackend.SymlinkStyle.WSL, 1000, 1000, 022, null);
        try (WindowsBackend m = WindowsBackend.open(dir, false, md)) {
            m.create(p("owned"), 0640, OpenFlags.O_WRONLY | OpenFlags.O_CREAT).close();
            assertThat(m.stat(p("owned")).mode()).isEqualTo(0100640);
            SetAttributes chown = new SetAttributes(OptionalLong.empty(), OptionalInt.of(0600), OptionalInt.of(4242), OptionalInt.of(77),
                    null, null);
            FileAttributes a = m.setattr(p("owned"), null, chown);
            assertThat(a.mode()).isEqualTo(0100600);
            assertThat(a.uid()).isEqualTo(4242);
            assertThat(a.gid()).isEqualTo(77);
            assertThat(m.list(RelPath.ROOT)).filteredOn(e -> e.name().equals("owned"))
                    .singleElement().satisfies(e -> assertThat(e.attributes().uid()).isEqualTo(4242));
        }
        // Without metadata, chown to another owner is EPERM.
        SetAttributes chown = new SetAttributes(OptionalLong.empty(), OptionalInt.empty(), OptionalInt.of(4242), OptionalInt.empty(), null, null);
        assertThatThrownBy(() -> b.setattr(p("owned"), null, chown))
                .satisfies(e -> assertThat(((FsException) e).errno()).isEqualTo(Errno.EPERM));
    }

    /** Written without a Windows machine to run it on (issue 9 item 6): LxSpecialFilesTest covers the pure part. */
    @Test
    void newFilesBelongToTheCallerAndFifosAndSocketsAreLxReparsePointsWithMetadata() throws Exception {
        WindowsBackend.Options md = new WindowsBackend.Options(true, WindowsBackend.SymlinkStyle.WSL, 1000, 1000, 022, null);
        dev.fsdriver.backend.Owner caller = new dev.fsdriver.backend.Owner(4242, 77);
        try (WindowsBackend m = WindowsBackend.open(dir, false, md)) {
            m.create(p("f"), 0640, OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_EXCL, caller).close();
            assertThat(m.stat(p("f"))).extracting(FileAttributes::uid, FileAttributes::gid).containsExactly(4242, 77);
            assertThat(m.mkdir(p("d"), 0750, caller)).extracting(FileAttributes::uid, FileAttributes::mode)
                    .containsExactly(4242, 040750);
            assertThat(m.symlink(p("l"), "f", caller).uid()).isEqualTo(4242);
            assertThat(m.mknod(p("fifo"), 010640, caller)).extracting(FileAttributes::uid, FileAttributes::mode)
                    .containsExactly(4242, 010640);
            assertThat(m.mknod(p("sock"), 0140755, null)).extracting(FileAttributes::uid, FileAttributes::mode)
                    .containsExactly(1000, 0140755);
            assertThatThrownBy(() -> m.mknod(p("null"), 020666, caller))
                    .satisfies(e -> assertThat(((FsException) e).errno()).isEqualTo(Errno.EPERM));
        }
        // Without metadata: nowhere to keep a FIFO's mode and owner.
        assertThatThrownBy(() -> b.mknod(p("fifo2"), 010644, caller))
                .satisfies(e -> assertThat(((FsException) e).errno()).isEqualTo(Errno.EPERM));
    }

    /** Set by WindowsTestsUnderWineTest: under Wine 8 (no reparse points) the outcomes are known exactly. */
    private static final boolean WINE = System.getProperty("fsdriver.wine") != null;

    /**
     * Issue 10: a native link is made relative to its verified parent's handle, or (without the
     * privilege) by path and then verified in its parent; one that cannot be made leaves nothing.
     * Wine 8: the handle-relative FSCTL_SET_REPARSE_POINT fails with error 50, EOPNOTSUPP.
     */
    @Test
    void aNativeSymlinkIsMadeInItsDirectoryOrNotAtAll() throws Exception {
        WindowsBackend.Options nat = new WindowsBackend.Options(false, WindowsBackend.SymlinkStyle.NATIVE, 1000, 1000, 022, null);
        try (WindowsBackend n = WindowsBackend.open(dir, false, nat)) {
            n.mkdir(p("sub"), 0755);
            n.create(p("sub/t.txt"), 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT).close();
            try {
                n.symlink(p("sub/native"), "t.txt");
                assertThat(WINE).as("Wine 8 has no reparse points").isFalse();
                assertThat(n.readlink(p("sub/native"))).isEqualTo("t.txt");
            } catch (FsException e) {
                if (WINE) {
                    assertThat(e.errno()).as(e.getMessage()).isEqualTo(Errno.EOPNOTSUPP);
                } else {
                    assertThat(e.errno()).as(e.getMessage()).isEqualTo(Errno.EPERM);
                    assertThat(e).hasMessageContaining("Developer Mode");
                }
                assertThat(n.list(p("sub")).stream().map(DirEntry::name).toList()).as("nothing left behind").containsExactly("t.txt");
            }
        }
    }

    /**
     * Issue 10 (B1 for symlinks): no symlink, of either style, is ever made through a link at the
     * share root or deeper that leads outside. Under Wine the share comes from
     * WindowsTestsUnderWineTest with host symlinks (plain directories to Wine, a stand-in for
     * junctions); on NTFS the test makes junctions with mklink /J.
     */
    @Test
    void noSymlinkIsMadeThroughALinkLeadingOutside() throws Exception {
        String prepared = System.getProperty("fsdriver.wine.linkshare");
        assertThat(prepared != null || !WINE).as("under Wine the test runner prepares the share").isTrue();
        Path share = prepared != null ? Path.of(prepared) : dir.resolve("linkshare");
        Path outside = prepared != null ? Path.of(System.getProperty("fsdriver.wine.outside")) : dir.resolve("outside");
        if (prepared == null) {
            Files.createDirectories(share.resolve("deep/er"));
            Files.createDirectories(outside);
            Files.writeString(outside.resolve("secret"), "outside the share");
            for (String link : List.of("evil", "deep\\er\\evil")) {
                Process mk = new ProcessBuilder("cmd", "/c", "mklink", "/J", share + "\\" + link, outside.toString())
                        .redirectErrorStream(true).start();
                assertThat(mk.waitFor()).as(new String(mk.getInputStream().readAllBytes())).isZero();
            }
        }
        for (WindowsBackend.SymlinkStyle style : WindowsBackend.SymlinkStyle.values()) {
            WindowsBackend.Options o = new WindowsBackend.Options(false, style, 1000, 1000, 022, null);
            try (WindowsBackend w = WindowsBackend.open(share, false, o)) {
                for (String link : List.of("evil", "deep/er/evil")) {
                    assertThatThrownBy(() -> w.symlink(p(link + "/l"), "target"))
                            .as("%s link through %s", style, link)
                            .isInstanceOfSatisfying(FsException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ELOOP));
                }
            }
        }
        try (var names = Files.list(outside)) {
            assertThat(names.map(f -> f.getFileName().toString()).toList()).containsExactly("secret");
        }
    }

    @Test
    void longPathsBeyondMaxPath() throws Exception {
        RelPath deep = RelPath.ROOT;
        for (int i = 0; i < 12; i++) {
            deep = deep.resolve("directory-with-a-long-name-" + i);
            b.mkdir(deep, 0755);
        }
        RelPath f = deep.resolve("file.txt");
        b.create(f, 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT).close();
        assertThat(b.stat(f).isRegular()).isTrue();
    }
}
