package dev.fsdriver.fuse;

import dev.fsdriver.fuse.examples.LoopbackFileSystem;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/** The contract on the passthrough example file system over a temp directory. */
class LoopbackFileSystemTest extends FileSystemContractTest {
    Path backing;

    @Override
    FuseFileSystem fileSystem(Path tmp) throws IOException {
        backing = Files.createDirectory(tmp.resolve("backing"));
        return new LoopbackFileSystem(backing, Duration.ofSeconds(1), false) {
            @Override
            public FuseEntry lookup(FuseRequest req, long parent, String name) throws FuseException {
                RecordingFileSystem.record(name, req);
                return super.lookup(req, parent, name);
            }
        };
    }

    @org.junit.jupiter.api.Test
    void fallocateExtendsTheBackingFile() throws Exception {
        Files.writeString(mnt.resolve("alloc"), "x");
        Tools.ok(mnt, "fallocate", "-l", "1048576", "alloc");
        org.assertj.core.api.Assertions.assertThat(Files.size(backing.resolve("alloc"))).isEqualTo(1048576);
        org.assertj.core.api.Assertions.assertThat(Files.size(mnt.resolve("alloc"))).isEqualTo(1048576);
    }

    /**
     * RENAME_NOREPLACE is the file system's to enforce when the target appears after the kernel's
     * lookup of it (the kernel refuses a target it sees itself): here "late" is created by another
     * party right after the file system answered the kernel that it does not exist.
     */
    @org.junit.jupiter.api.Test
    void renameNoreplaceIsEnforcedByTheFileSystem() throws Exception {
        Path back = Files.createDirectory(tmp.resolve("back-noreplace"));
        Path m = Files.createDirectory(tmp.resolve("mnt-noreplace")).toRealPath();
        AtomicBoolean armed = new AtomicBoolean();
        LoopbackFileSystem racing = new LoopbackFileSystem(back, Duration.ofHours(1), false) {
            @Override
            public FuseEntry lookup(FuseRequest req, long parent, String name) throws FuseException {
                FuseEntry e = super.lookup(req, parent, name);
                if (name.equals("late") && armed.getAndSet(false)) {
                    try {
                        Files.writeString(back.resolve("late"), "late");
                    } catch (IOException ex) {
                        throw new java.io.UncheckedIOException(ex);
                    }
                }
                return e;
            }
        };
        try (FuseMount mount = FuseMount.mount(m, racing, MountOptions.builder().build())) {
            Files.writeString(m.resolve("early"), "early");
            armed.set(true);

            org.assertj.core.api.Assertions.assertThat(Libc.renameat2(m.resolve("early").toString(),
                    m.resolve("late").toString(), Libc.RENAME_NOREPLACE)).isEqualTo(-dev.fsdriver.common.Errno.EEXIST);

            org.assertj.core.api.Assertions.assertThat(armed).isFalse();
            org.assertj.core.api.Assertions.assertThat(Files.readString(back.resolve("late"))).isEqualTo("late");
            org.assertj.core.api.Assertions.assertThat(Files.readString(back.resolve("early"))).isEqualTo("early");
        }
    }

    /** Without an lseek of its own (ENOSYS), the kernel answers SEEK_DATA/SEEK_HOLE itself: all data. */
    @org.junit.jupiter.api.Test
    void lseekWithoutSupportFallsBackToTheKernel() throws Exception {
        Path f = Files.writeString(mnt.resolve("plain"), "0123456789");
        int fd = Libc.open(f.toString(), Libc.O_RDONLY);
        try {
            org.assertj.core.api.Assertions.assertThat(Libc.lseek(fd, 3, Libc.SEEK_DATA)).isEqualTo(3);
            org.assertj.core.api.Assertions.assertThat(Libc.lseek(fd, 3, Libc.SEEK_HOLE)).isEqualTo(10);
        } finally {
            Libc.close(fd);
        }
    }

    /** Many files are made in the backing directory directly (fast); listing goes through the mount. */
    @Override
    Path createManyFiles(int count) throws IOException {
        Path dir = Files.createDirectory(backing.resolve("many"));
        for (int i = 0; i < count; i++) {
            Files.createFile(dir.resolve("n" + i));
        }
        return mnt.resolve("many");
    }
}
