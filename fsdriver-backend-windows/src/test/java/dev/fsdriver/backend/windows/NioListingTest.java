package dev.fsdriver.backend.windows;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fsdriver.backend.DirEntry;
import dev.fsdriver.backend.FileAttributes;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.common.Errno;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * B12: the java.nio fallback listing ({@link NioListing}) turns java.nio's refusal of a name
 * (InvalidPathException: WindowsPathParser refuses a trailing space or dot, which only shows on
 * Windows, so it is fed here by hand) into EIO, never an unchecked exception out of list().
 */
class NioListingTest {
    private static final FileAttributes FILE = new FileAttributes(7, 0100644, 1, 1000, 1000, 0, 0, 0, 0, 0, 4096, 0);
    private static final String DOS = "C:\\share\\dir";

    /** What WindowsPathParser throws for "name " (the reason text is the JDK's). */
    private static InvalidPathException trailingSpace(String name) {
        return new InvalidPathException(DOS + "\\" + name, "Trailing char < >", DOS.length() + name.length());
    }

    /** A directory stream over {@code names} whose iteration throws {@code failure} after them (when not null). */
    private static DirectoryStream<Path> stream(List<String> names, RuntimeException failure) {
        return new DirectoryStream<>() {
            @Override
            public Iterator<Path> iterator() {
                Iterator<String> it = names.iterator();
                return new Iterator<>() {
                    @Override
                    public boolean hasNext() {
                        if (!it.hasNext() && failure != null) {
                            throw failure;
                        }
                        return it.hasNext();
                    }

                    @Override
                    public Path next() {
                        return Path.of(it.next());
                    }
                };
            }

            @Override
            public void close() {}
        };
    }

    @Test
    void namesAreUnescapedAndStattedAndOnesGoneMeanwhileLeftOut() throws Exception {
        String escaped = NameEscaping.toWindows("b:c");
        List<DirEntry> entries = NioListing.list(RelPath.parse("dir"), DOS, d -> {
            assertThat(d).isEqualTo(DOS);
            return stream(List.of("a.txt", escaped, "gone"), null);
        }, p -> {
            if (p.toString().endsWith("gone")) {
                throw new FsException(Errno.ENOENT, "deleted meanwhile");
            }
            return FILE;
        });
        assertThat(entries).extracting(DirEntry::name).containsExactly("a.txt", "b:c");
    }

    @Test
    void aNameJavaNioRefusesWhileIteratingIsEio() {
        assertThatThrownBy(() -> NioListing.list(RelPath.parse("dir"), DOS,
                d -> stream(List.of("fine"), trailingSpace("trailing ")), p -> FILE))
                .isInstanceOfSatisfying(FsException.class, e -> {
                    assertThat(e.errno()).isEqualTo(Errno.EIO);
                    assertThat(e).hasMessageContaining("java.nio cannot name it (Trailing char < >)");
                });
    }

    @Test
    void aDirectoryPathJavaNioRefusesIsEio() {
        assertThatThrownBy(() -> NioListing.list(RelPath.parse("dir"), DOS, d -> {
            throw trailingSpace("dir ");
        }, p -> FILE)).isInstanceOfSatisfying(FsException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EIO));
    }

    @Test
    void anIoErrorIsEio() {
        assertThatThrownBy(() -> NioListing.list(RelPath.parse("dir"), DOS, d -> {
            throw new IOException("access denied");
        }, p -> FILE)).isInstanceOfSatisfying(FsException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EIO));
    }
}
