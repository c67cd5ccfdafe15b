package dev.fsdriver.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fsdriver.common.Errno;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/** The native layer against the real kernel: results, and the errno each failed call itself set. */
@EnabledOnOs(OS.LINUX)
class NativeCallsTest {
    @TempDir
    Path tmp;

    private static void assertErrno(ThrowingCallable call, int errno, String function) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ErrnoException.class, e -> {
            assertThat(Errno.name(e.errno())).isEqualTo(Errno.name(errno));
            assertThat(e.function()).startsWith(function);
            assertThat(e.getStackTrace()).as("cheap: no stack trace").isEmpty();
        });
    }

    @Test
    void anAnonymousMappingIsZeroWritableAlignedAndGoneWithItsArena() throws Exception {
        MemorySegment m;
        try (Arena arena = Arena.ofConfined()) {
            m = MemoryCalls.mapAnonymous((1 << 20) + 4096 + 16, arena);
            assertThat(m.byteSize()).isEqualTo((1 << 20) + 4096 + 16);
            assertThat(m.address() % 4096).isZero();
            assertThat(m.get(ValueLayout.JAVA_LONG_UNALIGNED, m.byteSize() - 8)).isZero();
            m.set(ValueLayout.JAVA_LONG_UNALIGNED, m.byteSize() - 8, 42L);
            assertThat(m.get(ValueLayout.JAVA_LONG_UNALIGNED, m.byteSize() - 8)).isEqualTo(42L);
        }
        MemorySegment closed = m;
        assertThatThrownBy(() -> closed.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
        try (Arena arena = Arena.ofConfined()) {
            assertErrno(() -> MemoryCalls.mapAnonymous(0, arena), Errno.EINVAL, "mmap");
        }
    }

    @Test
    void eachFailureCarriesTheErrnoOfItsOwnCall() throws Exception {
        String missing = tmp.resolve("missing").toString();
        assertErrno(() -> FileCalls.open(missing, FileCalls.O_RDONLY, 0), Errno.ENOENT, "open " + missing);
        FileCalls.mkdir(tmp.resolve("d").toString(), 0755);
        assertErrno(() -> FileCalls.mkdir(tmp.resolve("d").toString(), 0755), Errno.EEXIST, "mkdir");
        Files.writeString(tmp.resolve("d/f"), "x");
        assertErrno(() -> FileCalls.rmdir(tmp.resolve("d").toString()), Errno.ENOTEMPTY, "rmdir");
        assertErrno(() -> FileCalls.unlink(tmp.resolve("d").toString()), Errno.EISDIR, "unlink");
        assertErrno(() -> FileCalls.close(-1), Errno.EBADF, "close");
        // the next call's success leaves no stale errno behind
        FileCalls.unlink(tmp.resolve("d/f").toString());
        FileCalls.rmdir(tmp.resolve("d").toString());
        assertThat(tmp.resolve("d")).doesNotExist();
    }

    @Test
    void fileDescriptorsReadAndWrite() throws Exception {
        Path f = tmp.resolve("f");
        Files.writeString(f, "hello");
        int fd = FileCalls.open(f.toString(), FileCalls.O_RDWR, 0);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(16);
            assertThat(FileCalls.read(fd, buf, 16)).isEqualTo(5);
            assertThat(new String(buf.asSlice(0, 5).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8)).isEqualTo("hello");
            assertThat(FileCalls.write(fd, a.allocateFrom("!", StandardCharsets.UTF_8), 1)).isEqualTo(1);
            assertThat(FileCalls.lseek(fd, 0, 2 /* SEEK_END */)).isEqualTo(6);
        } finally {
            FileCalls.close(fd);
        }
        assertThat(Files.readString(f)).isEqualTo("hello!");
        assertErrno(() -> FileCalls.read(fd, MemorySegment.NULL, 0), Errno.EBADF, "read");
    }

    /** The posix backend's open files: openat beneath a directory, positional I/O, ftruncate, fsync. */
    @Test
    void positionalIoThroughOpenat() throws Exception {
        int dir = FileCalls.open(tmp.toString(), AtCalls.O_PATH | AtCalls.O_DIRECTORY, 0);
        try (Arena a = Arena.ofConfined()) {
            int fd = AtCalls.openat(dir, "f", FileCalls.O_RDWR | FileCalls.O_CREAT | FileCalls.O_EXCL | AtCalls.O_NOFOLLOW, 0600);
            try {
                assertThat(FileCalls.pwrite(fd, a.allocateFrom("world", StandardCharsets.UTF_8), 5, 6)).isEqualTo(5);
                MemorySegment buf = a.allocate(16);
                assertThat(FileCalls.pread(fd, buf, 16, 6)).isEqualTo(5);
                assertThat(FileCalls.lseek(fd, 0, 1 /* SEEK_CUR */)).as("the position stays").isZero();
                FileCalls.ftruncate(fd, 3);
                FileCalls.fdatasync(fd);
                FileCalls.fsync(fd);
                assertThat(FileCalls.pread(fd, buf, 16, 0)).isEqualTo(3);
                assertErrno(() -> FileCalls.ftruncate(fd, -1), Errno.EINVAL, "ftruncate");
                assertErrno(() -> FileCalls.pread(fd, buf, 1, -1), Errno.EINVAL, "pread");
            } finally {
                FileCalls.close(fd);
            }
            assertErrno(() -> AtCalls.openat(dir, "f", FileCalls.O_RDWR | FileCalls.O_CREAT | FileCalls.O_EXCL, 0600),
                    Errno.EEXIST, "openat");
            Files.createSymbolicLink(tmp.resolve("l"), tmp.resolve("f"));
            assertErrno(() -> AtCalls.openat(dir, "l", FileCalls.O_RDONLY | AtCalls.O_NOFOLLOW, 0), Errno.ELOOP, "openat");
            assertErrno(() -> FileCalls.fsync(-1), Errno.EBADF, "fsync");
        } finally {
            FileCalls.close(dir);
        }
        assertThat(Files.size(tmp.resolve("f"))).isEqualTo(3);
    }

    /** Every entry of a directory bigger than one getdents64 buffer, with its inode number and type. */
    @Test
    void readdirListsEveryEntryWithItsType() throws Exception {
        Path d = Files.createDirectory(tmp.resolve("d"));
        for (int i = 0; i < 1500; i++) {
            Files.writeString(d.resolve("file-with-a-longish-name-" + i), "");
        }
        Files.createDirectory(d.resolve("sub"));
        Files.createSymbolicLink(d.resolve("ln"), Path.of("sub"));
        // made natively: the name is UTF-8 whatever the locale (java.nio would use sun.jnu.encoding)
        String ete = d + "/\u00e9t\u00e9";
        FileCalls.close(AtCalls.openat(AtCalls.AT_FDCWD, ete, FileCalls.O_WRONLY | FileCalls.O_CREAT, 0644));
        int fd = AtCalls.openat(AtCalls.AT_FDCWD, d.toString(), AtCalls.O_RDONLY | AtCalls.O_DIRECTORY, 0);
        List<DirCalls.Entry> entries;
        try {
            entries = DirCalls.readdir(fd);
        } finally {
            FileCalls.close(fd);
        }
        assertThat(entries).hasSize(1503);
        assertThat(entries).extracting(DirCalls.Entry::name).doesNotHaveDuplicates().doesNotContain(".", "..")
                .contains("\u00e9t\u00e9", "file-with-a-longish-name-1499");
        assertThat(entries).filteredOn(e -> e.name().equals("sub")).singleElement()
                .satisfies(e -> assertThat(e.ino()).isEqualTo(Files.getAttribute(d.resolve("sub"), "unix:ino")));
        assertThat(entries).filteredOn(e -> e.name().equals("ln")).extracting(DirCalls.Entry::type)
                .containsExactly(DirCalls.DT_LNK);
        int file = AtCalls.openat(AtCalls.AT_FDCWD, ete, AtCalls.O_RDONLY, 0);
        try {
            assertErrno(() -> DirCalls.readdir(file), Errno.ENOTDIR, "getdents64");
        } finally {
            FileCalls.close(file);
        }
    }

    @Test
    void atCallsStayBeneathTheirDirectory() throws Exception {
        assertThat(AtCalls.AVAILABLE).isTrue();
        Files.createDirectory(tmp.resolve("share"));
        Files.writeString(tmp.resolve("secret"), "no");
        int root = AtCalls.openat2(AtCalls.AT_FDCWD, tmp.resolve("share").toString(),
                AtCalls.O_PATH | AtCalls.O_DIRECTORY | AtCalls.O_CLOEXEC, 0);
        try {
            long beneath = AtCalls.RESOLVE_BENEATH | AtCalls.RESOLVE_NO_SYMLINKS;
            assertErrno(() -> AtCalls.openat2(root, "../secret", AtCalls.O_RDONLY, beneath), Errno.EXDEV, "openat2");
            AtCalls.symlinkat("../secret", root, "link");
            assertErrno(() -> AtCalls.openat2(root, "link", AtCalls.O_RDONLY, beneath), Errno.ELOOP, "openat2");
            assertThat(AtCalls.readlinkat(root, "link")).isEqualTo("../secret");

            AtCalls.mkdirat(root, "dir", 0750);
            assertErrno(() -> AtCalls.unlinkat(root, "dir", 0), Errno.EISDIR, "unlinkat");
            long[] st = new long[AtCalls.ST_FIELDS];
            AtCalls.fstatat(root, "dir", st, AtCalls.AT_SYMLINK_NOFOLLOW);
            assertThat(st[AtCalls.ST_MODE] & 0170000).isEqualTo(0040000);
            assertThat(st[AtCalls.ST_INO]).isEqualTo(((Number) Files.getAttribute(tmp.resolve("share/dir"), "unix:ino")).longValue());

            Files.writeString(tmp.resolve("share/a"), "abc");
            AtCalls.linkat(root, "a", root, "b");
            AtCalls.fstatat(root, "b", st, AtCalls.AT_SYMLINK_NOFOLLOW);
            assertThat(st[AtCalls.ST_SIZE]).isEqualTo(3);
            assertThat(st[AtCalls.ST_NLINK]).isEqualTo(2);
            assertErrno(() -> AtCalls.renameat2(root, "a", root, "b", AtCalls.RENAME_NOREPLACE), Errno.EEXIST, "renameat2");
            assertErrno(() -> AtCalls.fchmodat(root, "link", 0600, AtCalls.AT_SYMLINK_NOFOLLOW), Errno.EOPNOTSUPP, "fchmodat");
            AtCalls.utimensat(root, "a", 0, AtCalls.UTIME_OMIT, 1_500_000_000_123_456_789L, 0, AtCalls.AT_SYMLINK_NOFOLLOW);
            AtCalls.fstatat(root, "a", st, AtCalls.AT_SYMLINK_NOFOLLOW);
            assertThat(st[AtCalls.ST_MTIME]).isEqualTo(1_500_000_000L);
            assertThat(st[AtCalls.ST_MTIME_NS]).isEqualTo(123_456_789L);
            // the rest as java.nio's stat says (statx fills them: its layout and st_dev's encoding)
            Path a = tmp.resolve("share/a");
            assertThat(st[AtCalls.ST_DEV]).isEqualTo(((Number) Files.getAttribute(a, "unix:dev")).longValue());
            assertThat(st[AtCalls.ST_UID]).isEqualTo(((Number) Files.getAttribute(a, "unix:uid")).longValue());
            assertThat(st[AtCalls.ST_GID]).isEqualTo(((Number) Files.getAttribute(a, "unix:gid")).longValue());
            java.time.Instant ctime = ((java.nio.file.attribute.FileTime) Files.getAttribute(a, "unix:ctime")).toInstant();
            assertThat(st[AtCalls.ST_CTIME]).isEqualTo(ctime.getEpochSecond());
            assertThat(st[AtCalls.ST_CTIME_NS]).isEqualTo(ctime.getNano());
            // issue 9: the birth time tells apart files that had one inode number one after the other
            assertThat(st[AtCalls.ST_BTIME]).as("birth time (ext4, tmpfs, btrfs, xfs give one)").isPositive();
            java.time.Instant born = Files.readAttributes(a, java.nio.file.attribute.BasicFileAttributes.class).creationTime().toInstant();
            assertThat(st[AtCalls.ST_BTIME]).isEqualTo(born.getEpochSecond());
            assertThat(st[AtCalls.ST_BTIME_NS]).isEqualTo(born.getNano());

            long[] vfs = new long[11];
            AtCalls.statvfs(tmp.toString(), vfs);
            assertThat(vfs[0]).as("bsize").isPositive();
        } finally {
            FileCalls.close(root);
        }
    }

    @Test
    void inotifyReportsACreate() throws Exception {
        int fd = InotifyCalls.inotify_init1(InotifyCalls.IN_NONBLOCK | InotifyCalls.IN_CLOEXEC);
        try (Arena a = Arena.ofConfined()) {
            assertErrno(() -> InotifyCalls.inotify_add_watch(fd, tmp.resolve("missing").toString(), InotifyCalls.IN_CREATE),
                    Errno.ENOENT, "inotify_add_watch");
            int wd = InotifyCalls.inotify_add_watch(fd, tmp.toString(), InotifyCalls.IN_CREATE);
            MemorySegment buf = a.allocate(4096, 8);
            assertErrno(() -> FileCalls.read(fd, buf, 4096), Errno.EAGAIN, "read");
            Files.writeString(tmp.resolve("new"), "");
            MemorySegment pfd = a.allocate(InotifyCalls.POLLFD);
            pfd.set(ValueLayout.JAVA_INT, 0, fd);
            pfd.set(ValueLayout.JAVA_SHORT, 4, InotifyCalls.POLLIN);
            assertThat(InotifyCalls.poll(pfd, 1, -1)).isEqualTo(1);
            assertThat(FileCalls.read(fd, buf, 4096)).isGreaterThan(InotifyCalls.EVENT_HEADER_BYTES);
            assertThat(buf.get(ValueLayout.JAVA_INT, 0)).isEqualTo(wd);
            assertThat(buf.get(ValueLayout.JAVA_INT, 4) & InotifyCalls.IN_CREATE).isNotZero();
        } finally {
            FileCalls.close(fd);
        }
    }

    @Test
    void processesAreSpawnedAndReaped() throws Exception {
        int pid = ProcessCalls.posix_spawnp(List.of("sh", "-c", "exit 3"), List.of("PATH=/usr/bin:/bin"));
        assertThat((ProcessCalls.waitpid(pid) >> 8) & 0xff).isEqualTo(3);
        assertErrno(() -> ProcessCalls.posix_spawnp(List.of("no-such-program-fsdriver"), List.of("PATH=/usr/bin:/bin")),
                Errno.ENOENT, "posix_spawnp");
        assertThat(ProcessCalls.gettid()).isPositive();
        assertThat(ProcessCalls.getuid()).isEqualTo(ProcessCalls.geteuid());
    }

    @Test
    void socketPairsAndMounts() throws Exception {
        int[] pair = MountCalls.socketpair(MountCalls.AF_UNIX, MountCalls.SOCK_STREAM | MountCalls.SOCK_CLOEXEC, 0);
        FileCalls.close(pair[1]);
        assertThat(MountCalls.recvmsgFd(pair[0])).as("the peer closed without sending a descriptor").isEqualTo(-1);
        FileCalls.close(pair[0]);
        // not a mount point: EINVAL as root, EPERM otherwise
        assertThatThrownBy(() -> MountCalls.umount2(tmp.toString(), 0)).isInstanceOfSatisfying(ErrnoException.class,
                e -> assertThat(e.errno()).isIn(Errno.EINVAL, Errno.EPERM));
    }
}
