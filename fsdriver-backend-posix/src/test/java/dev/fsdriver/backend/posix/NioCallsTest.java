package dev.fsdriver.backend.posix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The portable mode's guess at a refused rename's errno lists the target directory; a symlink
 * swapped in at its name after the lstat must not make it read a directory outside the share.
 */
class NioCallsTest {
    @TempDir
    Path share;
    @TempDir
    Path outside;

    @Test
    void aDirectoryWithNamesHoldsThem() throws Exception {
        Path d = Files.createDirectory(share.resolve("d"));
        assertThat(NioCalls.holdsNames(d)).isFalse();
        Files.writeString(d.resolve("x"), "x");
        assertThat(NioCalls.holdsNames(d)).isTrue();
    }

    /** Failed before (seen: the listing followed the symlink and found the outside name). */
    @Test
    void aSymlinkAtTheNameIsNotFollowed() throws Exception {
        Files.writeString(outside.resolve("secret"), "x");
        Path link = Files.createSymbolicLink(share.resolve("d"), outside);
        assertThatThrownBy(() -> NioCalls.holdsNames(link)).as("ELOOP: the name is a symlink")
                .isInstanceOf(IOException.class);
    }
}
