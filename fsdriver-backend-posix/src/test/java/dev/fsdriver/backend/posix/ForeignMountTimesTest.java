package dev.fsdriver.backend.posix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.fsdriver.backend.DirEntry;
import dev.fsdriver.backend.FileAttributes;
import dev.fsdriver.backend.RelPath;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A directory on another file system mounted below the share root answers for its own file
 * system: a ramfs (not allow-listed) inside an allow-listed share gives timesMove false, while
 * the root and its own directories give true. Needs root for the mount (CI runs as root).
 */
class ForeignMountTimesTest {
    private Path share;
    private Path mount;
    private boolean mounted;

    /** Runs {@code command}; its exit status. */
    private static int run(String... command) throws IOException, InterruptedException {
        return new ProcessBuilder(command).inheritIO().start().waitFor();
    }

    @BeforeEach
    void mountRamfs() throws Exception {
        share = Files.createTempDirectory(Path.of("/tmp"), "foreign-mount");
        Files.createDirectory(share.resolve("d"));
        mount = Files.createDirectory(share.resolve("m"));
        mounted = run("mount", "-t", "ramfs", "none", mount.toString()) == 0;
        assumeTrue(mounted, "mounting a ramfs needs root (CAP_SYS_ADMIN): this test does not run here");
        Files.createDirectory(mount.resolve("x"));
    }

    @AfterEach
    void unmount() throws Exception {
        if (mounted) {
            run("umount", mount.toString());
        }
        Files.deleteIfExists(mount);
        Files.deleteIfExists(share.resolve("d"));
        Files.deleteIfExists(share);
    }

    private static PosixBackend open(String mode, Path root) throws IOException {
        return switch (mode) {
            case "native" -> PosixBackend.open(root, false);
            case "walking" -> PosixBackend.openWalking(root, false);
            default -> PosixBackend.openPortable(root, false);
        };
    }

    /** Failed before (seen: m and m/x said true, the verdict being the share root's for all). */
    @ParameterizedTest
    @ValueSource(strings = {"native", "walking", "portable"})
    void aMountBelowTheRootAnswersForItself(String mode) throws Exception {
        try (PosixBackend backend = open(mode, share)) {
            assumeTrue(backend.directoryTimesMove(),
                    "the share root's file system (" + Files.getFileStore(share).type() + ") is not allow-listed");
            assertThat(backend.stat(RelPath.ROOT).timesMove()).as("root").isTrue();
            assertThat(backend.stat(RelPath.parse("d")).timesMove()).as("d, on the root's file system").isTrue();
            assertThat(backend.stat(RelPath.parse("m")).timesMove()).as("m, the ramfs's root").isFalse();
            assertThat(backend.stat(RelPath.parse("m/x")).timesMove()).as("m/x, in the ramfs").isFalse();
            Map<String, Boolean> listed = backend.list(RelPath.ROOT).stream()
                    .collect(Collectors.toMap(DirEntry::name, e -> e.attributes().timesMove()));
            assertThat(listed).containsEntry("d", true).containsEntry("m", false);
            List<FileAttributes> page = backend.attributes(RelPath.ROOT, List.of("d", "m")).entries();
            assertThat(page).extracting(FileAttributes::timesMove).containsExactly(true, false);
            assertThat(backend.attributes(RelPath.parse("m"), List.of("x")).dir().timesMove()).as("m listed").isFalse();
        }
    }
}
