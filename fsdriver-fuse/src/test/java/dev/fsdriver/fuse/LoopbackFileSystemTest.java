package dev.fsdriver.fuse;

import dev.fsdriver.fuse.examples.LoopbackFileSystem;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

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
