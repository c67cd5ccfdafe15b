package dev.fsdriver.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.common.OpenFlags;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * BlockWriter through the remote file system's write and flush, against a real in-process
 * server: small sequential writes gathered into block-size Write calls, a jump sending what was
 * held back, and everything on the server after flush.
 */
class BlockWriterTest {
    private static final int BLOCK = 4096;

    @TempDir
    Path served;
    TestServer server;
    Connection connection;
    RemoteFileSystem fs;
    long node;

    @BeforeEach
    void start() throws Exception {
        Files.write(served.resolve("f"), new byte[0]);
        server = new TestServer(served, false);
        connection = server.connect(ClientOptions.builder().blockSize(BLOCK).writeBehindChunks(4).build());
        fs = RemoteFileSystem.connect(connection);
        node = fs.lookup(TestServer.REQ, 1, "f").nodeId();
    }

    @AfterEach
    void stop() {
        fs.close();
        connection.close();
        server.close();
    }

    private long writeCalls() {
        return connection.counters().calls(ClientCounters.methods().indexOf("Write"));
    }

    private void write(long fh, long offset, byte[] data) throws Exception {
        assertThat(fs.write(TestServer.REQ, node, fh, offset, ByteBuffer.wrap(data), 0)).isEqualTo(data.length);
    }

    @Test
    void smallSequentialWritesGoOutInBlocks() throws Exception {
        long fh = fs.open(TestServer.REQ, node, OpenFlags.O_WRONLY).fh();
        byte[] all = new byte[64 * 1000];
        new java.util.Random(3).nextBytes(all);
        long before = writeCalls();
        for (int off = 0; off < all.length; off += 1000) {
            write(fh, off, Arrays.copyOfRange(all, off, off + 1000));
        }
        fs.flush(TestServer.REQ, node, fh, 0);
        assertThat(Files.readAllBytes(served.resolve("f"))).isEqualTo(all);
        // 64,000 bytes in 4 KiB chunks: 16 calls (15 full, one short at flush), not 64
        assertThat(writeCalls() - before).isEqualTo(16);
        fs.release(TestServer.REQ, node, fh, 0);
    }

    @Test
    void aJumpSendsWhatWasHeldBack() throws Exception {
        long fh = fs.open(TestServer.REQ, node, OpenFlags.O_WRONLY).fh();
        long before = writeCalls();
        byte[] a = "first".getBytes();
        byte[] b = "second".getBytes();
        write(fh, 0, a);
        write(fh, 10_000, b);
        fs.flush(TestServer.REQ, node, fh, 0);
        assertThat(writeCalls() - before).as("one call per run of bytes").isEqualTo(2);
        byte[] on = Files.readAllBytes(served.resolve("f"));
        assertThat(on).hasSize(10_000 + b.length);
        assertThat(Arrays.copyOf(on, a.length)).isEqualTo(a);
        assertThat(Arrays.copyOfRange(on, 10_000, on.length)).isEqualTo(b);
        fs.release(TestServer.REQ, node, fh, 0);
    }

    /**
     * Two open files of one file, the first appending: its held-back append went to the server
     * after the other's later write when that one was pushed first (a flush, or the order a stat
     * pushed them in), and landed past it (seed 33: an fstat showed the size plus the append).
     */
    @Test
    void anAppendHeldBackGoesBeforeAnotherOpenFilesLaterWrite() throws Exception {
        long appending = fs.open(TestServer.REQ, node, OpenFlags.O_WRONLY | OpenFlags.O_APPEND).fh();
        long other = fs.open(TestServer.REQ, node, OpenFlags.O_WRONLY).fh();
        write(appending, 0, "aaaa".getBytes());
        write(other, 100, "bbbbbbbb".getBytes());
        fs.flush(TestServer.REQ, node, other, 0);
        fs.flush(TestServer.REQ, node, appending, 0);
        byte[] on = Files.readAllBytes(served.resolve("f"));
        assertThat(on).hasSize(108);
        assertThat(Arrays.copyOf(on, 4)).isEqualTo("aaaa".getBytes());
        fs.release(TestServer.REQ, node, appending, 0);
        fs.release(TestServer.REQ, node, other, 0);
    }

    /** The other way round: a write held back goes before another open file's later append. */
    @Test
    void aWriteHeldBackGoesBeforeAnotherOpenFilesLaterAppend() throws Exception {
        long appending = fs.open(TestServer.REQ, node, OpenFlags.O_WRONLY | OpenFlags.O_APPEND).fh();
        long other = fs.open(TestServer.REQ, node, OpenFlags.O_WRONLY).fh();
        write(other, 100, "bbbbbbbb".getBytes());
        write(appending, 0, "aaaa".getBytes());
        fs.flush(TestServer.REQ, node, appending, 0);
        fs.flush(TestServer.REQ, node, other, 0);
        byte[] on = Files.readAllBytes(served.resolve("f"));
        assertThat(on).hasSize(112);
        assertThat(Arrays.copyOfRange(on, 108, 112)).isEqualTo("aaaa".getBytes());
        fs.release(TestServer.REQ, node, appending, 0);
        fs.release(TestServer.REQ, node, other, 0);
    }

    /** Overlapping writes through two open files: the later one's bytes stay, whatever is pushed first. */
    @Test
    void overlappingWritesOfTwoOpenFilesLandInTheOrderWritten() throws Exception {
        long first = fs.open(TestServer.REQ, node, OpenFlags.O_WRONLY).fh();
        long second = fs.open(TestServer.REQ, node, OpenFlags.O_WRONLY).fh();
        write(first, 0, "xxxxxx".getBytes());
        write(second, 2, "yy".getBytes());
        fs.flush(TestServer.REQ, node, second, 0);
        fs.flush(TestServer.REQ, node, first, 0);
        assertThat(Files.readAllBytes(served.resolve("f"))).isEqualTo("xxyyxx".getBytes());
        fs.release(TestServer.REQ, node, first, 0);
        fs.release(TestServer.REQ, node, second, 0);
    }

    /** Writes of two open files to separate ranges need no order: both stay held back (no call per write). */
    @Test
    void separateRangesOfTwoOpenFilesStayHeldBack() throws Exception {
        long first = fs.open(TestServer.REQ, node, OpenFlags.O_WRONLY).fh();
        long second = fs.open(TestServer.REQ, node, OpenFlags.O_WRONLY).fh();
        long before = writeCalls();
        write(first, 0, "xxxx".getBytes());
        write(second, 8, "zzzz".getBytes());
        write(first, 4, "yyyy".getBytes());
        assertThat(writeCalls() - before).isZero();
        fs.flush(TestServer.REQ, node, second, 0);
        fs.flush(TestServer.REQ, node, first, 0);
        assertThat(Files.readAllBytes(served.resolve("f"))).isEqualTo("xxxxyyyyzzzz".getBytes());
        fs.release(TestServer.REQ, node, first, 0);
        fs.release(TestServer.REQ, node, second, 0);
    }
}
