package dev.fsdriver.backend.posix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.fsdriver.backend.DirEntry;
import dev.fsdriver.backend.DirNames;
import dev.fsdriver.backend.FileAttributes;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.PageAttributes;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.common.Errno;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * A listing's names and a page's attributes in the libc + lstat-walk mode, where the directory
 * is found by path: one swapped for a symlink right after the walk's check (the hook runs in
 * that window, deterministically) must not be followed. Before, names were read through java.nio
 * (which follows a final symlink) and each name stat-ed by absolute path from the root (through
 * the symlink): the outside directory's names and attributes came back.
 */
@EnabledOnOs(OS.LINUX)
class PosixListingTest {
    @TempDir
    Path tmp;
    private Path share;
    private Path outside;

    @BeforeEach
    void files() throws IOException {
        share = Files.createDirectory(tmp.resolve("share"));
        outside = Files.createDirectory(tmp.resolve("outside"));
        Files.createDirectory(share.resolve("p"));
        Files.writeString(share.resolve("p/g0"), "x");
        Files.writeString(outside.resolve("g0"), "outside".repeat(10));
        Files.writeString(outside.resolve("secret"), "s");
    }

    /** Walking backend whose directory p becomes {@code target} (a symlink) right after openDir's check. */
    private PosixBackend swappedFor(Path target) throws IOException {
        PosixBackend b = PosixBackend.openWalking(share, false);
        b.dirs.afterOpen = () -> {
            try {
                Files.move(share.resolve("p"), share.resolve("q"));
                Files.createSymbolicLink(share.resolve("p"), target);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
        return b;
    }

    /** Refused as the kernel refuses O_DIRECTORY|O_NOFOLLOW of a symlink: ENOTDIR (ELOOP from the walk's own check). */
    private static void assertRefused(ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(FsException.class,
                e -> assertThat(e.errno()).as(e.getMessage()).isIn(Errno.ENOTDIR, Errno.ELOOP));
    }

    @Test
    void namesOfADirectorySwappedForASymlinkAreRefusedNotTheOutsideNames() throws Exception {
        try (PosixBackend b = swappedFor(outside)) {
            assertRefused(() -> b.listNames(RelPath.parse("p")));
        }
    }

    @Test
    void attributesInADirectorySwappedForASymlinkAreRefusedNotTheOutsideFiles() throws Exception {
        try (PosixBackend b = swappedFor(outside)) {
            assertRefused(() -> b.attributes(RelPath.parse("p"), List.of("g0")));
            assertRefused(() -> b.list(RelPath.parse("p")));
        }
    }

    /**
     * A symlink loop put there: refused by the call itself (ELOOP or ENOTDIR), not EIO, which is
     * what java.nio's untyped FileSystemException ("Too many levels of symbolic links") would give.
     */
    @Test
    void aSymlinkLoopSwappedInIsRefusedByTheCall() throws Exception {
        try (PosixBackend b = swappedFor(share.resolve("p"))) {
            assertRefused(() -> b.listNames(RelPath.parse("p")));
        }
    }

    /** Without a swap, the same calls give p's own names and attributes, the directory's with them. */
    @Test
    void namesAndAttributesOfTheDirectoryItself() throws Exception {
        try (PosixBackend b = PosixBackend.openWalking(share, false)) {
            DirNames names = b.listNames(RelPath.parse("p"));
            assertThat(names.entries()).extracting(DirEntry::name).containsExactly("g0");
            assertThat(names.dir().ino()).isEqualTo(b.stat(RelPath.parse("p")).ino());
            PageAttributes page = b.attributes(RelPath.parse("p"), List.of("g0", "gone"));
            assertThat(page.entries().get(0).size()).isEqualTo(1);
            assertThat(page.entries().get(1)).as("a name gone: null").isNull();
            assertThat(page.dir().sameFile(names.dir())).isTrue();
        }
    }

    /**
     * Under LC_ALL=C java.nio decodes file names as ASCII (sun.jnu.encoding follows the locale):
     * a non-ASCII name became U+FFFD, whose lstat then failed ENOENT and the name was left out
     * as gone. getdents64's names are UTF-8 whatever the locale. A JVM started under LC_ALL=C
     * lists p (holding "caf\u00e9") in both native modes ({@link ListUnderLocale}).
     */
    @Test
    void nonAsciiNamesAreListedUnderACLocale() throws Exception {
        assumeTrue("UTF-8".equalsIgnoreCase(System.getProperty("sun.jnu.encoding")),
                "this JVM cannot make the non-ASCII name itself (sun.jnu.encoding not UTF-8)");
        Files.writeString(share.resolve("p/caf\u00e9"), "abc");
        for (String mode : List.of("open", "walking")) {
            ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                    ListUnderLocale.class.getName(), share.toString(), mode);
            pb.environment().keySet().removeIf(k -> k.startsWith("LC_") || k.equals("LANG"));
            pb.environment().put("LC_ALL", "C");
            pb.redirectErrorStream(true);
            Process pr = pb.start();
            String out = new String(pr.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(pr.waitFor()).as(out).isZero();
            assertThat(out).as(mode).contains("encoding ANSI_X3.4-1968").contains("name caf\\u00e9 size 3")
                    .contains("name g0 size 1");
        }
    }

    /** Lists share-relative p with listNames and attributes; prints names escaped to ASCII and sizes. */
    public static final class ListUnderLocale {
        public static void main(String[] args) throws Exception {
            Path root = Path.of(args[0]);
            try (PosixBackend b = args[1].equals("open") ? PosixBackend.open(root, false)
                    : PosixBackend.openWalking(root, false)) {
                System.out.println("encoding " + System.getProperty("sun.jnu.encoding"));
                List<String> names = new ArrayList<>();
                for (DirEntry e : b.listNames(RelPath.parse("p")).entries()) {
                    names.add(e.name());
                }
                List<FileAttributes> attrs = b.attributes(RelPath.parse("p"), names).entries();
                for (int i = 0; i < names.size(); i++) {
                    StringBuilder n = new StringBuilder();
                    names.get(i).chars().forEach(c -> n.append(c < 128 ? String.valueOf((char) c)
                            : String.format("\\u%04x", c)));
                    System.out.println("name " + n + " size " + (attrs.get(i) == null ? "gone" : attrs.get(i).size()));
                }
            }
        }
    }
}
