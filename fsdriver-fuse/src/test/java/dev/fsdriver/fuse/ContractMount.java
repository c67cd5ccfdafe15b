package dev.fsdriver.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * One file system mounted through the kernel for each contract case: what a subclass of
 * {@link FileSystemContractTest} gives (the file system, its mount options, its capabilities) and
 * the hooks around the mount.
 */
abstract class ContractMount {
    @TempDir
    Path tmp;
    Path mnt;
    FuseMount mount;

    abstract FuseFileSystem fileSystem(Path tmp) throws IOException;

    MountOptions options() {
        return MountOptions.builder().fsName("contract").subtype("test").build();
    }

    /** Whether RENAME_EXCHANGE swaps the two names (else the file system refuses it with EINVAL). */
    boolean exchangesNames() {
        return false;
    }

    /** Whether mkfifo makes a FIFO (else the file system refuses it with EPERM). */
    boolean makesFifos() {
        return false;
    }

    /** Whether user extended attributes are kept. */
    boolean keepsXattrs() {
        return true;
    }

    /** Called once the mount is live: what the file system starts then (the remote one's event stream). */
    void mounted(FuseMount mount) {}

    /** Called before the unmount: what must stop while the mount is still live. */
    void beforeUnmount() {}

    /** Called after the unmount: what the file system needs closed afterwards. */
    void afterUnmount() throws Exception {}

    @BeforeEach
    void mount() throws IOException {
        mnt = Files.createDirectory(tmp.resolve("mnt")).toRealPath();
        mount = FuseMount.mount(mnt, fileSystem(tmp), options());
        mounted(mount);
    }

    @AfterEach
    void unmount() throws Exception {
        try {
            beforeUnmount();
            mount.close();
            assertThat(mount.isUnmounted()).isTrue();
        } finally {
            afterUnmount();
        }
    }

    static ByteBuffer ascii(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII));
    }

    /** Up to {@code max} bytes from {@code position}, as text. */
    static String read(FileChannel ch, long position, int max) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(max);
        while (ch.read(b, position + b.position()) > 0) {
            // until the end of the file
        }
        return new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII);
    }

    static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).toList();
        }
    }
}
