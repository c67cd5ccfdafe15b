package dev.fsdriver.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.common.OpenFlags;
import dev.fsdriver.fuse.FuseEntry;
import dev.fsdriver.fuse.FuseFileSystem.Reply;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * BlockReader through the remote file system's read, against a real in-process server: how many
 * Read calls reach the server for sequential, jumping and end-of-file reads, and that a write
 * through this client drops blocks read ahead.
 */
class BlockReaderTest {
    private static final int BLOCK = 4096;

    @TempDir
    Path served;
    TestServer server;
    Connection connection;
    RemoteFileSystem fs;
    final byte[] content = new byte[16 * BLOCK + 100];

    @BeforeEach
    void start() throws Exception {
        new Random(7).nextBytes(content);
        Files.write(served.resolve("f"), content);
        server = new TestServer(served, false);
        // no inline content, no prefetch of whole files: every byte comes through the reader
        connection = server.connect(ClientOptions.builder().blockSize(BLOCK).readAheadBlocks(4).inlineReadMax(0)
                .prefetchFiles(0).build());
        fs = RemoteFileSystem.connect(connection);
    }

    @AfterEach
    void stop() {
        fs.close();
        connection.close();
        server.close();
    }

    private long readCalls() {
        return connection.counters().calls(ClientCounters.methods().indexOf("Read"));
    }

    private byte[] read(long node, long fh, long offset, int size) throws Exception {
        ByteBuffer dst = ByteBuffer.allocate(size);
        int n = fs.read(TestServer.REQ, node, fh, offset, size, dst);
        return Arrays.copyOf(dst.array(), n);
    }

    @Test
    void aSequentialReaderGetsEachBlockOnce() throws Exception {
        long node = Reply.<FuseEntry>await(r -> fs.lookup(TestServer.REQ, 1, "f", r)).nodeId();
        long fh = fs.open(TestServer.REQ, node, OpenFlags.O_RDONLY).fh();
        long before = readCalls();
        for (long off = 0; off < content.length; off += 1000) {
            int size = (int) Math.min(1000, content.length - off);
            assertThat(read(node, fh, off, size)).isEqualTo(Arrays.copyOfRange(content, (int) off, (int) off + size));
        }
        // 17 blocks hold the file; 1000-byte reads (72 of them) are served from blocks read ahead
        assertThat(readCalls() - before).isBetween(17L, 18L);
        assertThat(read(node, fh, content.length, 1000)).as("at the end").isEmpty();
        fs.release(TestServer.REQ, node, fh, 0);
    }

    @Test
    void aJumpReadsExactlyWhatWasAsked() throws Exception {
        long node = Reply.<FuseEntry>await(r -> fs.lookup(TestServer.REQ, 1, "f", r)).nodeId();
        long fh = fs.open(TestServer.REQ, node, OpenFlags.O_RDONLY).fh();
        long before = readCalls();
        assertThat(read(node, fh, 40_000, 100)).isEqualTo(Arrays.copyOfRange(content, 40_000, 40_100));
        assertThat(readCalls() - before).as("one call, no read-ahead for a reader that jumped").isEqualTo(1);
        assertThat(read(node, fh, 10_000, 10)).isEqualTo(Arrays.copyOfRange(content, 10_000, 10_010));
        assertThat(readCalls() - before).isEqualTo(2);
        fs.release(TestServer.REQ, node, fh, 0);
    }

    @Test
    void aWriteHereDropsBlocksReadAhead() throws Exception {
        long node = Reply.<FuseEntry>await(r -> fs.lookup(TestServer.REQ, 1, "f", r)).nodeId();
        long reader = fs.open(TestServer.REQ, node, OpenFlags.O_RDONLY).fh();
        assertThat(read(node, reader, 0, BLOCK)).isEqualTo(Arrays.copyOf(content, BLOCK));   // blocks 1-4 read ahead
        long writer = fs.open(TestServer.REQ, node, OpenFlags.O_WRONLY).fh();
        byte[] fresh = new byte[BLOCK];
        Arrays.fill(fresh, (byte) 'x');
        fs.write(TestServer.REQ, node, writer, BLOCK, ByteBuffer.wrap(fresh), 0);
        fs.flush(TestServer.REQ, node, writer, 0);
        assertThat(read(node, reader, BLOCK, BLOCK)).as("the write, not the block read ahead before it").isEqualTo(fresh);
        fs.release(TestServer.REQ, node, writer, 0);
        fs.release(TestServer.REQ, node, reader, 0);
    }
}
