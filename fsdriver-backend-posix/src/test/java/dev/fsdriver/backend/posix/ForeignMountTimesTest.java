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
 * the root and its own directories give true. Needs root and mount(8) (CI has both): without, the
 * tests are skipped as assumptions that say why.
 */
class ForeignMountTimesTest {
    private Path share;
    private Path mount;
    private boolean mounted;

    /** Runs {@code command}; its exit status, or an assumption failure where the program is missing. */
    static int run(String... command) throws InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(command).inheritIO().start();
        } catch (IOException e) {
            assumeTrue(false, "no " + command[0] + " program (" + e.getMessage() + "): this test does not run here");
            return -1;
        }
        return p.waitFor();
    }

    /** Mounts a file system of {@code type} at {@code at}, or fails the assumption (needs root). */
    static void mount(String type, Path at) throws InterruptedException {
        assumeTrue(run("mount", "-t", type, "none", at.toString()) == 0,
                "mounting a " + type + " needs root (CAP_SYS_ADMIN): this test does not run here");
    }

    @BeforeEach
    void mountRamfs() throws Exception {
        share = Files.createTempDirectory(Path.of("/tmp"), "foreign-mount");
        Files.createDirectory(share.resolve("d"));
        mount = Files.createDirectory(share.resolve("m"));
        mount("ramfs", mount);
        mounted = true;
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

    /**
     * Failed before (seen: m and m/x said true, the verdict being the share root's for all). Each
     * way of reading a directory asks for the foreign device's verdict on its own (none is kept):
     * stat (an entry's O_PATH descriptor), a listing's entries and a page's, and a listed
     * directory's own fstat.
     */
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
            assertThat(backend.list(RelPath.parse("m")).stream().filter(e -> e.name().equals("x")))
                    .extracting(e -> e.attributes().timesMove()).as("m/x listed").containsExactly(false);
        }
    }

    /**
     * The ramfs unmounted and a tmpfs (allow-listed) mounted in its place while the share is open:
     * m answers for the tmpfs. Linux usually gives the tmpfs the ramfs's freed anonymous device
     * number; a verdict kept by device number answered the ramfs's "no" (DirectoryTimesTest).
     */
    @ParameterizedTest
    @ValueSource(strings = {"native", "walking", "portable"})
    void anotherFileSystemMountedInTheSamePlaceAnswersForItself(String mode) throws Exception {
        try (PosixBackend backend = open(mode, share)) {
            assumeTrue(backend.directoryTimesMove(),
                    "the share root's file system (" + Files.getFileStore(share).type() + ") is not allow-listed");
            assertThat(backend.stat(RelPath.parse("m")).timesMove()).as("m, a ramfs").isFalse();
            assertThat(run("umount", mount.toString())).isZero();
            mounted = false;
            mount("tmpfs", mount);
            mounted = true;
            assertThat(backend.stat(RelPath.parse("m")).timesMove()).as("m, now a tmpfs").isTrue();
            assertThat(backend.attributes(RelPath.ROOT, List.of("m")).entries())
                    .extracting(FileAttributes::timesMove).as("m in a page").containsExactly(true);
        }
    }
}
