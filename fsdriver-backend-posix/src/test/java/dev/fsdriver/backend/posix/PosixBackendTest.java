package dev.fsdriver.backend.posix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fsdriver.backend.DirEntry;
import dev.fsdriver.backend.FileAttributes;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.Owner;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.common.Errno;
import dev.fsdriver.common.FileMode;
import dev.fsdriver.common.OpenFlags;
import dev.fsdriver.linux.AtCalls;
import dev.fsdriver.linux.ProcessCalls;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/** Backend-level checks the gRPC conformance suite cannot see directly. */
class PosixBackendTest {
    @TempDir
    Path dir;

    @Test
    @EnabledOnOs(OS.LINUX)
    void nativeCallsAndRaceFreeContainmentOnLinux() throws Exception {
        assertThat(AtCalls.AVAILABLE).isTrue();
        try (PosixBackend b = PosixBackend.open(dir, false)) {
            assertThat(b.raceFreeContainment()).as("openat2 on this kernel").isTrue();
        }
    }

    /**
     * The check-then-use race a client could try through the protocol: swap directory "a" for a
     * symlink to outside while creating files under "a". With openat2 the kernel resolves "a"
     * beneath the root without following symlinks, so nothing may ever land outside.
     */
    @Test
    @EnabledOnOs(OS.LINUX)
    void concurrentSymlinkSwapNeverRedirectsOutside() throws Exception {
        Path share = Files.createDirectory(dir.resolve("share"));
        Path outside = Files.createDirectory(dir.resolve("outside"));
        try (PosixBackend b = PosixBackend.open(share, false)) {
            RelPath a = RelPath.parse("a");
            RelPath a2 = RelPath.parse("a2");
            b.mkdir(a, 0755);
            AtomicBoolean stop = new AtomicBoolean();
            Thread swapper = Thread.ofPlatform().start(() -> {
                while (!stop.get()) {
                    try {
                        b.rename(a, a2, 0);
                        b.symlink(a, outside.toString());
                        b.unlink(a);
                        b.rename(a2, a, 0);
                        Thread.yield(); // leave the creator a moment with "a" a real directory
                    } catch (FsException ignored) {
                        // lost a race with ourselves: go on
                    }
                }
            });
            int created = 0;
            try {
                // at least 3,000 rounds, and on until some creates went through (the race ran both ways)
                for (int i = 0; i < 3000 || (created < 20 && i < 100_000); i++) {
                    try {
                        b.create(RelPath.parse("a/p" + i), 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT).close();
                        created++;
                    } catch (FsException expected) {
                        // "a" was a symlink or missing at that moment
                    }
                    try {
                        b.mkdir(RelPath.parse("a/d" + i), 0755);
                    } catch (FsException expected) {
                        // same
                    }
                }
            } finally {
                stop.set(true);
                swapper.join();
            }
            try (var list = Files.list(outside)) {
                assertThat(list.toList()).as("nothing created outside the share").isEmpty();
            }
            assertThat(created).as("the race was actually run").isPositive();
        }
    }

    @Test
    void statAgreesWithJavaNio() throws Exception {
        Path f = Files.writeString(dir.resolve("f"), "hello world");
        Files.setLastModifiedTime(f, FileTime.from(Instant.ofEpochSecond(1_700_000_000L, 123_456_789)));
        Files.createLink(dir.resolve("l"), f);
        Files.createSymbolicLink(dir.resolve("s"), Path.of("f"));
        PosixBackend b = PosixBackend.open(dir, false);
        for (String name : List.of("f", "s", "")) {
            Path p = name.isEmpty() ? dir : dir.resolve(name);
            Map<String, Object> m = Files.readAttributes(p, "unix:*", LinkOption.NOFOLLOW_LINKS);
            FileAttributes a = b.stat(RelPath.parse(name));
            assertThat(a.ino()).as(name).isEqualTo(((Number) m.get("ino")).longValue());
            assertThat(a.mode()).as(name).isEqualTo(m.get("mode"));
            assertThat(a.nlink()).as(name).isEqualTo(m.get("nlink"));
            assertThat(a.uid()).as(name).isEqualTo(m.get("uid"));
            assertThat(a.gid()).as(name).isEqualTo(m.get("gid"));
            assertThat(a.size()).as(name).isEqualTo(m.get("size"));
            assertThat(a.mtimeNs()).as(name).isEqualTo(NioCalls.ns((FileTime) m.get("lastModifiedTime")));
            assertThat(a.ctimeNs()).as(name).isEqualTo(NioCalls.ns((FileTime) m.get("ctime")));
            assertThat(a.blksize()).as(name).isPositive();
        }
        FileAttributes fa = b.stat(RelPath.parse("f"));
        assertThat(fa.nlink()).isEqualTo(2);
        assertThat(fa.mtimeNs()).isEqualTo(1_700_000_000_123_456_789L);
        assertThat(fa.isRegular()).isTrue();
        assertThat(b.stat(RelPath.parse("s")).isSymlink()).isTrue();
        assertThat(b.stat(RelPath.parse("s")).size()).isEqualTo(1);
    }

    @Test
    void listGivesEveryNameWithAttributes() throws Exception {
        for (int i = 0; i < 50; i++) {
            Files.writeString(dir.resolve("n" + i), "x".repeat(i));
        }
        PosixBackend b = PosixBackend.open(dir, false);
        List<DirEntry> entries = b.list(RelPath.ROOT);
        assertThat(entries).hasSize(50);
        for (DirEntry e : entries) {
            assertThat(e.attributes().size()).isEqualTo(Integer.parseInt(e.name().substring(1)));
        }
    }

    @Test
    void readOnlyBackendRefusesMutationsItself() throws Exception {
        Files.writeString(dir.resolve("f"), "x");
        PosixBackend b = PosixBackend.open(dir, true);
        RelPath f = RelPath.parse("f");
        for (var call : List.<ThrowingCall>of(
                () -> b.open(f, OpenFlags.O_WRONLY),
                () -> b.open(f, OpenFlags.O_RDONLY | OpenFlags.O_TRUNC),
                () -> b.create(RelPath.parse("n"), 0644, OpenFlags.O_RDWR),
                () -> b.mkdir(RelPath.parse("d"), 0755),
                () -> { b.unlink(f); return null; },
                () -> { b.rmdir(f); return null; },
                () -> { b.rename(f, RelPath.parse("g"), 0); return null; },
                () -> b.link(f, RelPath.parse("g")),
                () -> b.symlink(RelPath.parse("s"), "f"),
                () -> b.setattr(f, null, new dev.fsdriver.backend.SetAttributes(OptionalLong.of(0),
                        OptionalInt.empty(), OptionalInt.empty(), OptionalInt.empty(), null, null)))) {
            assertThatThrownBy(call::run).isInstanceOfSatisfying(FsException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EROFS));
        }
        b.open(f, OpenFlags.O_RDONLY).close();
        assertThat(Files.readString(dir.resolve("f"))).isEqualTo("x");
    }

    @Test
    void renameExchangeSwapsAtomically() throws Exception {
        Files.writeString(dir.resolve("a"), "A");
        Files.createDirectory(dir.resolve("b"));
        PosixBackend b = PosixBackend.open(dir, false);
        b.rename(RelPath.parse("a"), RelPath.parse("b"), OpenFlags.RENAME_EXCHANGE);
        assertThat(Files.isDirectory(dir.resolve("a"))).isTrue();
        assertThat(Files.readString(dir.resolve("b"))).isEqualTo("A");
        assertThatThrownBy(() -> b.rename(RelPath.parse("a"), RelPath.parse("b"), 3))
                .isInstanceOfSatisfying(FsException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
    }

    /**
     * A refused rename says why in every mode: the libc modes from the call's errno, the portable
     * mode from the two names (java.nio gives these errnos no type; its text is not read).
     */
    @Test
    void aRefusedRenameSaysWhyInEveryMode() throws Exception {
        Files.createDirectory(dir.resolve("d"));
        Files.createDirectory(dir.resolve("full"));
        Files.writeString(dir.resolve("full/x"), "x");
        Files.writeString(dir.resolve("f"), "f");
        for (PosixBackend b : new PosixBackend[] {PosixBackend.open(dir, false), PosixBackend.openPortable(dir, false)}) {
            try (b) {
                assertThatThrownBy(() -> b.rename(RelPath.parse("d"), RelPath.parse("f"), 0))
                        .isInstanceOfSatisfying(FsException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOTDIR));
                assertThatThrownBy(() -> b.rename(RelPath.parse("f"), RelPath.parse("d"), 0))
                        .isInstanceOfSatisfying(FsException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EISDIR));
                assertThatThrownBy(() -> b.rename(RelPath.parse("d"), RelPath.parse("full"), 0))
                        .isInstanceOfSatisfying(FsException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOTEMPTY));
            }
        }
        assertThat(dir.resolve("full/x")).exists();
    }

    /** By type only (issue 12): an untyped exception is EIO whatever its strerror text says (docs/errors.md). */
    @Test
    void errnoTable() {
        assertThat(PosixErrors.errno(new NoSuchFileException("x"))).isEqualTo(Errno.ENOENT);
        assertThat(PosixErrors.errno(new DirectoryNotEmptyException("x"))).isEqualTo(Errno.ENOTEMPTY);
        assertThat(PosixErrors.errno(new AtomicMoveNotSupportedException("x", "y", "Invalid cross-device link")))
                .isEqualTo(Errno.EXDEV);
        assertThat(PosixErrors.errno(new FileSystemException("x", null, "No space left on device"))).isEqualTo(Errno.EIO);
        assertThat(PosixErrors.errno(new FileSystemException("x", null, "Is a directory"))).isEqualTo(Errno.EIO);
        assertThat(PosixErrors.errno(new IOException("Read-only file system"))).isEqualTo(Errno.EIO);
        assertThat(PosixErrors.errno(new FileSystemException("x"))).isEqualTo(Errno.EIO);
    }

    @FunctionalInterface
    interface ThrowingCall {
        Object run() throws Exception;
    }

    /** As root (the build runs so), a directory "sgid" of group 100 with the set-group-ID bit. */
    private void rootWithSetGroupIdDir() throws Exception {
        assertThat(ProcessCalls.geteuid()).as("this test runs as root").isZero();
        Files.createDirectory(dir.resolve("sgid"));
        Files.setAttribute(dir.resolve("sgid"), "unix:gid", 100);
        Files.setAttribute(dir.resolve("sgid"), "unix:mode", 02777);
    }

    /**
     * A new file has the mode and owner asked whether the server's own user and umask gave them
     * already (then nothing is changed after the create) or not (then they are set), in either
     * mode of the backend.
     */
    @Test
    @EnabledOnOs(OS.LINUX)
    void newFilesHaveTheModeAndOwnerAskedWhateverTheUmaskGave() throws Exception {
        rootWithSetGroupIdDir();
        Owner root = new Owner(0, 0);
        int flags = OpenFlags.O_CREAT | OpenFlags.O_EXCL | OpenFlags.O_WRONLY;
        for (boolean portable : new boolean[] {false, true}) {
            try (PosixBackend b = portable ? PosixBackend.openPortable(dir, false) : PosixBackend.open(dir, false)) {
                String p = portable ? "p-" : "n-";
                for (int mode : new int[] {0644, 0600, 0666, 0755}) {
                    b.create(RelPath.parse(p + Integer.toOctalString(mode)), mode, flags, root).close();
                    assertThat(b.stat(RelPath.parse(p + Integer.toOctalString(mode))))
                            .extracting(FileAttributes::uid, FileAttributes::gid, FileAttributes::mode)
                            .as(p + Integer.toOctalString(mode))
                            .containsExactly(0, 0, FileMode.S_IFREG | mode);
                }
                b.create(RelPath.parse("sgid/" + p + "f"), 0644, flags, root).close();
                assertThat(b.stat(RelPath.parse("sgid/" + p + "f")))
                        .extracting(FileAttributes::uid, FileAttributes::gid, FileAttributes::mode)
                        .containsExactly(0, 100, FileMode.S_IFREG | 0644);
                b.create(RelPath.parse(p + "none"), 0640, flags, null).close();
                assertThat(b.stat(RelPath.parse(p + "none")).mode()).isEqualTo(FileMode.S_IFREG | 0640);
            }
        }
    }

    /** Run as root (as the build does): new files go to the caller; a set-group-ID parent keeps its group. */
    @Test
    @EnabledOnOs(OS.LINUX)
    void newFilesBelongToTheCallerWhenTheServerIsRoot() throws Exception {
        rootWithSetGroupIdDir();
        Owner nobody = new Owner(65534, 65534);
        try (PosixBackend b = PosixBackend.open(dir, false)) {
            b.create(RelPath.parse("f"), 0640, OpenFlags.O_CREAT | OpenFlags.O_EXCL | OpenFlags.O_WRONLY, nobody).close();
            FileAttributes d = b.mkdir(RelPath.parse("d"), 0750, nobody);
            FileAttributes l = b.symlink(RelPath.parse("l"), "f", nobody);
            FileAttributes p = b.mknod(RelPath.parse("sgid/p"), FileMode.S_IFIFO | 0640, nobody);
            FileAttributes sd = b.mkdir(RelPath.parse("sgid/d"), 0755, nobody);
            FileAttributes s = b.mknod(RelPath.parse("s"), FileMode.S_IFSOCK | 0755, null);
            assertThat(b.stat(RelPath.parse("f"))).extracting(FileAttributes::uid, FileAttributes::gid, FileAttributes::mode)
                    .containsExactly(65534, 65534, FileMode.S_IFREG | 0640);
            assertThat(d).extracting(FileAttributes::uid, FileAttributes::gid, FileAttributes::mode)
                    .containsExactly(65534, 65534, FileMode.S_IFDIR | 0750);
            assertThat(l).extracting(FileAttributes::uid, FileAttributes::gid).containsExactly(65534, 65534);
            assertThat(p).extracting(FileAttributes::uid, FileAttributes::gid, FileAttributes::mode)
                    .containsExactly(65534, 100, FileMode.S_IFIFO | 0640);
            assertThat(sd).extracting(FileAttributes::uid, FileAttributes::gid, FileAttributes::mode)
                    .containsExactly(65534, 100, FileMode.S_IFDIR | 02755);
            assertThat(s).extracting(FileAttributes::uid, FileAttributes::mode).containsExactly(0, FileMode.S_IFSOCK | 0755);
            assertThatThrownBy(() -> b.mknod(RelPath.parse("null"), FileMode.S_IFCHR | 0666, nobody))
                    .isInstanceOfSatisfying(FsException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EPERM));
        }
        try (PosixBackend portable = PosixBackend.openPortable(dir, false)) {
            FileAttributes d = portable.mkdir(RelPath.parse("pd"), 0700, nobody);
            assertThat(d).extracting(FileAttributes::uid, FileAttributes::gid).containsExactly(65534, 65534);
            assertThatThrownBy(() -> portable.mknod(RelPath.parse("pp"), FileMode.S_IFIFO | 0666, nobody))
                    .isInstanceOfSatisfying(FsException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EPERM));
        }
        assertThat(dir.resolve("null")).doesNotExist();
    }

    /** An open file's attributes are the file's own, whatever became of the name it was opened by. */
    @Test
    @EnabledOnOs(OS.LINUX)
    void anOpenFileIsStattedItselfAfterItsNameIsGone() throws Exception {
        Files.writeString(dir.resolve("f"), "data");
        try (PosixBackend b = PosixBackend.open(dir, false)) {
            dev.fsdriver.backend.OpenFile open = b.open(RelPath.parse("f"), dev.fsdriver.common.OpenFlags.O_RDWR);
            try {
                b.link(RelPath.parse("f"), RelPath.parse("g"));
                Files.setPosixFilePermissions(dir.resolve("g"), java.nio.file.attribute.PosixFilePermissions.fromString("r--------"));
                b.unlink(RelPath.parse("f"));
                dev.fsdriver.backend.FileAttributes a = open.stat();
                assertThat(a.mode() & 07777).as("mode set through the other name").isEqualTo(0400);
                assertThat(a.nlink()).as("links left").isEqualTo(1);
                b.unlink(RelPath.parse("g"));
                assertThat(open.stat().nlink()).as("links left once every name is gone").isZero();
            } finally {
                open.close();
            }
        }
    }
}
