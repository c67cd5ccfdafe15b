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
 * BlockWriter through the remote file system's write and flush, against a real in-process
 * server: small sequential writes gathered into block-size Write calls, writes to distant places
 * kept apart for one call (within a block and 16 ranges), and everything on the server after flush.
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
        node = Reply.<FuseEntry>await(r -> fs.lookup(TestServer.REQ, 1, "f", r)).nodeId();
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

    private static byte[] filled(int n, char c) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) c);
        return b;
    }

    private void write(long fh, long offset, byte[] data) throws Exception {
        assertThat(fs.write(TestServer.REQ, node, fh, offset, ByteBuffer.wrap(data), 0)).isEqualTo(data.length);
    }

    @Test
    void smallSequentialWritesGoOutInBlocks() throws Exception {
        long fh = fs.open(TestServer.REQ, node, OpenFlags.O_WRONLY).fh();
        byte[] all = new byte[64 * 1000];
        new Random(3).nextBytes(all);
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

    private long fsyncCalls() {
        return connection.counters().calls(ClientCounters.methods().indexOf("Fsync"));
    }

    @Test
    void aJumpKeepsWhatWasHeldBackForTheSameCall() throws Exception {
        long fh = fs.open(TestServer.REQ, node, OpenFlags.O_WRONLY).fh();
        long before = writeCalls();
        byte[] a = "first".getBytes();
        byte[] b = "second".getBytes();
        write(fh, 0, a);
        write(fh, 10_000, b);
        assertThat(writeCalls() - before).as("both held back").isZero();
        fs.flush(TestServer.REQ, node, fh, 0);
        assertThat(writeCalls() - before).as("two ranges, one call").isEqualTo(1);
        byte[] on = Files.readAllBytes(served.resolve("f"));
        assertThat(on).hasSize(10_000 + b.length);
        assertThat(Arrays.copyOf(on, a.length)).isEqualTo(a);
        assertThat(Arrays.copyOfRange(on, 10_000, on.length)).isEqualTo(b);
        fs.release(TestServer.REQ, node, fh, 0);
    }

    /** A database's commit: pages and the header written apart, then fsync: one call, which syncs. */
    @Test
    void anFsyncSendsEverythingDirtyInOneCallAndWaitsOnce() throws Exception {
        long fh = fs.open(TestServer.REQ, node, OpenFlags.O_RDWR).fh();
        long writes = writeCalls();
        long fsyncs = fsyncCalls();
        byte[] page = filled(1024, 'p');
        write(fh, 2048, page);
        write(fh, 1024, page);
        write(fh, 0, "header".getBytes());
        fs.fsync(TestServer.REQ, node, fh, false);
        assertThat(writeCalls() - writes).isEqualTo(1);
        assertThat(fsyncCalls() - fsyncs).isZero();
        byte[] on = Files.readAllBytes(served.resolve("f"));
        assertThat(on).hasSize(3072);
        assertThat(Arrays.copyOf(on, 6)).isEqualTo("header".getBytes());
        assertThat(Arrays.copyOfRange(on, 1024, 3072)).containsOnly((byte) 'p');
        fs.release(TestServer.REQ, node, fh, 0);
    }

    /** Ranges kept apart stay within one block in all: past it, what was held goes first. */
    @Test
    void rangesBeyondOneBlockInAllGoInTwoCalls() throws Exception {
        long fh = fs.open(TestServer.REQ, node, OpenFlags.O_WRONLY).fh();
        long before = writeCalls();
        byte[] a = filled(3000, 'a');
        byte[] b = filled(3000, 'b');
        write(fh, 0, a);
        write(fh, 10_000, b);
        fs.flush(TestServer.REQ, node, fh, 0);
        assertThat(writeCalls() - before).isEqualTo(2);
        byte[] on = Files.readAllBytes(served.resolve("f"));
        assertThat(Arrays.copyOf(on, 3000)).containsOnly((byte) 'a');
        assertThat(Arrays.copyOfRange(on, 10_000, 13_000)).containsOnly((byte) 'b');
        fs.release(TestServer.REQ, node, fh, 0);
    }

    /** A write over a range kept apart: what is held goes first, so the later bytes stay. */
    @Test
    void aWriteOverARangeKeptApartLandsAfterIt() throws Exception {
        long fh = fs.open(TestServer.REQ, node, OpenFlags.O_WRONLY).fh();
        write(fh, 0, "aaaa".getBytes());
        write(fh, 100, "bbbb".getBytes());
        write(fh, 1, "cc".getBytes());
        write(fh, 102, "dd".getBytes());
        fs.flush(TestServer.REQ, node, fh, 0);
        byte[] on = Files.readAllBytes(served.resolve("f"));
        assertThat(Arrays.copyOf(on, 4)).isEqualTo("acca".getBytes());
        assertThat(Arrays.copyOfRange(on, 100, 104)).isEqualTo("bbdd".getBytes());
        fs.release(TestServer.REQ, node, fh, 0);
    }

    /**
     * The buffer grows over a range kept apart (a jump back, then a run that reaches it): the
     * server writes the ranges in the order written, the buffer last, so the later bytes stay.
     */
    @Test
    void aRunThatGrowsOverARangeKeptApartWinsOverIt() throws Exception {
        long fh = fs.open(TestServer.REQ, node, OpenFlags.O_WRONLY).fh();
        long before = writeCalls();
        write(fh, 100, "bbbb".getBytes());
        write(fh, 0, "aaaa".getBytes());
        byte[] run = filled(100, 'c');
        write(fh, 4, run);
        fs.flush(TestServer.REQ, node, fh, 0);
        assertThat(writeCalls() - before).isEqualTo(1);
        byte[] on = Files.readAllBytes(served.resolve("f"));
        assertThat(on).hasSize(104);
        assertThat(Arrays.copyOf(on, 4)).isEqualTo("aaaa".getBytes());
        assertThat(Arrays.copyOfRange(on, 4, 104)).containsOnly((byte) 'c');
        fs.release(TestServer.REQ, node, fh, 0);
    }

    /** At most 16 ranges a call: the seventeenth jump sends the sixteen held. */
    @Test
    void seventeenScatteredWritesGoInTwoCalls() throws Exception {
        long fh = fs.open(TestServer.REQ, node, OpenFlags.O_WRONLY).fh();
        long before = writeCalls();
        for (int i = 0; i < 17; i++) {
            write(fh, i * 200L, ("w" + i).getBytes());
        }
        fs.flush(TestServer.REQ, node, fh, 0);
        assertThat(writeCalls() - before).isEqualTo(2);
        byte[] on = Files.readAllBytes(served.resolve("f"));
        for (int i = 0; i < 17; i++) {
            byte[] w = ("w" + i).getBytes();
            assertThat(Arrays.copyOfRange(on, i * 200, i * 200 + w.length)).isEqualTo(w);
        }
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
