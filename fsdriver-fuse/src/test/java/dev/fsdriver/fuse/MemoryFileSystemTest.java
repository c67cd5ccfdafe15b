package dev.fsdriver.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.common.Errno;
import dev.fsdriver.fuse.examples.MemoryFileSystem;
import dev.fsdriver.fuse.kernel.FuseOpcode;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The contract on the in-memory example file system (files created through the mount). */
class MemoryFileSystemTest extends FileSystemContractTest {
    /** Opcodes of the COPY_FILE_RANGE requests the file system served. */
    final List<Integer> copies = new CopyOnWriteArrayList<>();

    @Override
    FuseFileSystem fileSystem(Path tmp) {
        return new MemoryFileSystem() {
            @Override
            public FuseEntry lookup(FuseRequest req, long parent, String name) throws FuseException {
                RecordingFileSystem.record(name, req);
                return super.lookup(req, parent, name);
            }

            @Override
            public long copyFileRange(FuseRequest req, long nodeIn, long fhIn, long offIn, long nodeOut,
                                      long fhOut, long offOut, long length, int flags) throws FuseException {
                copies.add(req.opcode());
                return super.copyFileRange(req, nodeIn, fhIn, offIn, nodeOut, fhOut, offOut, length, flags);
            }
        };
    }

    /** The file system copies (not the kernel's fallback through read and write), with 64-bit counts. */
    @Test
    void copyFileRangeIsServedByTheFileSystem() throws Exception {
        copyFileRangeCopiesTheRange();
        assertThat(copies).containsExactly(FuseOpcode.COPY_FILE_RANGE_64, FuseOpcode.COPY_FILE_RANGE_64);
    }

    @Test
    void lseekFindsDataAndHoles() throws Exception {
        Path f = mnt.resolve("sparse");
        int mib = 1 << 20;
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap("head".getBytes(StandardCharsets.UTF_8)), 0);
            ch.write(ByteBuffer.wrap("tail".getBytes(StandardCharsets.UTF_8)), mib);
        }
        int fd = Libc.open(f.toString(), Libc.O_RDONLY);
        try {
            assertThat(Libc.lseek(fd, 0, Libc.SEEK_DATA)).isZero();
            assertThat(Libc.lseek(fd, 0, Libc.SEEK_HOLE)).isEqualTo(4096);
            assertThat(Libc.lseek(fd, 4096, Libc.SEEK_DATA)).isEqualTo(mib);
            assertThat(Libc.lseek(fd, mib + 1, Libc.SEEK_DATA)).isEqualTo(mib + 1);
            assertThat(Libc.lseek(fd, mib + 1, Libc.SEEK_HOLE)).as("end of file").isEqualTo(mib + 4);
            assertThat(Libc.lseek(fd, mib + 4, Libc.SEEK_DATA)).isEqualTo(-Errno.ENXIO);
        } finally {
            Libc.close(fd);
        }
        byte[] all = Files.readAllBytes(f);
        assertThat(all).hasSize(mib + 4);
        assertThat(all[4096]).isZero();
    }
}
