package dev.fsdriver.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.fuse.examples.MemoryFileSystem;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MountBasicsTest {
    @TempDir
    Path tmp;

    @Test
    void mountsWritesReadsAndUnmounts() throws Exception {
        Path mnt = Files.createDirectory(tmp.resolve("mnt")).toRealPath();
        try (FuseMount mount = FuseMount.mount(mnt, new MemoryFileSystem(), MountOptions.builder().build())) {
            Path f = mnt.resolve("hello.txt");
            Files.writeString(f, "hello fuse");
            assertThat(Files.readString(f)).isEqualTo("hello fuse");
            assertThat(Files.readAllLines(Path.of("/proc/self/mountinfo")))
                    .anyMatch(l -> l.contains(" " + mnt + " ") && l.contains("fuse.fsdriver"));
        }
        assertThat(Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8))
                .noneMatch(l -> l.contains(" " + mnt + " "));
    }
}
