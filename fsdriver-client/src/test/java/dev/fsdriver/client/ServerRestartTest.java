package dev.fsdriver.client;

import static dev.fsdriver.client.TestServer.REQ;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fsdriver.common.Errno;
import dev.fsdriver.common.FileMode;
import dev.fsdriver.common.OpenFlags;
import dev.fsdriver.fuse.FuseAttrReply;
import dev.fsdriver.fuse.FuseCreated;
import dev.fsdriver.fuse.FuseEntry;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.fuse.FuseFileSystem.Reply;
import dev.fsdriver.fuse.FuseFileSystem;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Open files across a server restart (in-process server stopped and started again): the handle
 * is reopened and write-behind data the server never acknowledged is sent again, in order; a
 * file gone meanwhile fails every later write, flush and fsync with EIO.
 */
class ServerRestartTest {
    private static final long ROOT = FuseFileSystem.ROOT_ID;

    @TempDir
    Path dir;
    private TestServer server;
    private Connection connection;
    private RemoteFileSystem fs;
    private long node;
    private long fh;

    @BeforeEach
    void setUp() throws Exception {
        server = new TestServer(dir, false);
        connection = server.connect(ClientOptions.builder().callDeadline(Duration.ofSeconds(1)).build());
        fs = RemoteFileSystem.connect(connection);
        FuseCreated f = fs.create(REQ, ROOT, "f", FileMode.S_IFREG | 0644,
                OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_TRUNC, 0);
        node = f.entry().nodeId();
        fh = f.open().fh();
        fs.events().pathsFrom(id -> id == node ? "f" : id == ROOT ? "" : null); // what the events layer knows
    }

    @AfterEach
    void tearDown() {
        fs.close();
        connection.close();
        server.close();
    }

    private void write(long offset, String s) throws FuseException {
        fs.write(REQ, node, fh, offset, ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8)), 0);
    }

    @Test
    void heldBackWritesGoToTheRestartedServerThroughTheReopenedFile() throws Exception {
        write(0, "one\n");
        server.stop();
        server.start();
        write(4, "two\n");
        fs.flush(REQ, node, fh, 0);
        assertThat(Files.readString(dir.resolve("f"))).isEqualTo("one\ntwo\n");
        write(8, "three\n"); // the reopened handle goes on working
        fs.fsync(REQ, node, fh, false);
        fs.release(REQ, node, fh, 0);
        assertThat(Files.readString(dir.resolve("f"))).isEqualTo("one\ntwo\nthree\n");
        assertThat(connection.counters().reconnects()).as("a new session with the restarted server").isEqualTo(1);
    }

    @Test
    void writesTheServerNeverAnsweredAreKeptUntilItIsBack() throws Exception {
        write(0, "kept\n");
        server.stop();
        // no server for longer than the call deadline: the flush fails, the data stays
        assertThatThrownBy(() -> fs.flush(REQ, node, fh, 0))
                .isInstanceOfSatisfying(FuseException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOTCONN));
        server.start();
        fs.flush(REQ, node, fh, 0);
        assertThat(Files.readString(dir.resolve("f"))).isEqualTo("kept\n");
        fs.release(REQ, node, fh, 0);
    }

    @Test
    void writesOfAFileClosedWhileTheServerIsAwayAreSentOnceItIsBack() throws Exception {
        write(0, "late\n");
        server.stop();
        fs.release(REQ, node, fh, 0); // close(2) has returned; the data waits for the server
        server.start();
        long end = System.nanoTime() + 60_000_000_000L; // a hang detector, not a speed test
        while (!"late\n".equals(Files.exists(dir.resolve("f")) ? Files.readString(dir.resolve("f")) : null)
                && System.nanoTime() < end) {
            Thread.sleep(50);
        }
        assertThat(Files.readString(dir.resolve("f"))).isEqualTo("late\n");
    }

    @Test
    void aFileGoneAfterTheRestartFailsEveryLaterWriteFlushAndFsyncWithEio() throws Exception {
        write(0, "a\n");
        fs.flush(REQ, node, fh, 0);
        server.stop();
        Files.delete(dir.resolve("f"));
        server.start();
        Reply.<FuseAttrReply>await(r -> fs.getattr(REQ, ROOT, -1, r)); // any answer tells the client the server restarted
        for (int i = 0; i < 2; i++) {
            assertThatThrownBy(() -> write(2, "b\n"))
                    .isInstanceOfSatisfying(FuseException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EIO));
            assertThatThrownBy(() -> fs.flush(REQ, node, fh, 0))
                    .isInstanceOfSatisfying(FuseException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EIO));
            assertThatThrownBy(() -> fs.fsync(REQ, node, fh, false))
                    .isInstanceOfSatisfying(FuseException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EIO));
        }
        fs.release(REQ, node, fh, 0);
        assertThat(dir.resolve("f")).doesNotExist();
    }

    @Test
    void aFileOpenForReadingReadsOnAfterTheRestart() throws Exception {
        byte[] data = new byte[200 << 10]; // larger than what an open brings whole: a real handle
        new Random(1).nextBytes(data);
        Files.write(dir.resolve("big"), data);
        long big = Reply.<FuseEntry>await(r -> fs.lookup(REQ, ROOT, "big", r)).nodeId();
        fs.events().pathsFrom(id -> id == big ? "big" : id == ROOT ? "" : null);
        long rfh = fs.open(REQ, big, OpenFlags.O_RDONLY).fh();
        server.stop();
        server.start();
        ByteBuffer dst = ByteBuffer.allocate(4096);
        assertThat(fs.read(REQ, big, rfh, 100_000, 4096, dst)).isEqualTo(4096);
        assertThat(Arrays.copyOf(dst.array(), 4096))
                .isEqualTo(Arrays.copyOfRange(data, 100_000, 104_096));
        fs.release(REQ, big, rfh, 0);
    }

    @Test
    void heldBackDataOfAFileLostInTheRestartFailsItsFlushNotAStatOfItsNode() throws Exception {
        write(0, "held\n");
        server.stop();
        Files.delete(dir.resolve("f"));
        server.start();
        Reply.<FuseAttrReply>await(r -> fs.getattr(REQ, ROOT, -1, r));
        assertThatThrownBy(() -> fs.flush(REQ, node, fh, 0))
                .isInstanceOfSatisfying(FuseException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EIO));
        // the node is gone, and says so; the lost data is not in the way of every stat
        assertThatThrownBy(() -> Reply.<FuseAttrReply>await(r -> fs.getattr(REQ, node, -1, r)))
                .isInstanceOfSatisfying(FuseException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ESTALE));
        fs.release(REQ, node, fh, 0);
    }

    @Test
    void aNodeIsFoundAgainByItsPathWithTheSameId() throws Exception {
        fs.release(REQ, node, fh, 0);
        fs.sendReleases(); // the close reaches this server before it stops (not its successor in its first moments)
        server.stop();
        server.start();
        // the new server does not know the id until the client looked the path up again
        assertThat(Reply.<FuseAttrReply>await(r -> fs.getattr(REQ, node, -1, r)).attr().ino()).isEqualTo(node);
        assertThat(Reply.<FuseEntry>await(r -> fs.lookup(REQ, ROOT, "f", r)).nodeId()).isEqualTo(node);
    }

    /**
     * Issue 9: the kernel's inode for the node is of another generation than the file its path
     * leads to now with the same id (a reused inode number): the retried getattr must not answer
     * with the other file's attributes.
     */
    @Test
    void aNodeWhosePathLeadsToItsIdWithAnotherGenerationStaysStale() throws Exception {
        fs.release(REQ, node, fh, 0);
        fs.sendReleases(); // as above
        long now = Reply.<FuseEntry>await(r -> fs.lookup(REQ, ROOT, "f", r)).generation();
        assertThat(now).as("the backend gives generations here (statx birth time)").isNotZero();
        fs.events().pathsFrom(id -> id == node ? "f" : id == ROOT ? "" : null, id -> id == node ? now + 1 : 0);
        server.stop();
        server.start();
        assertThatThrownBy(() -> Reply.<FuseAttrReply>await(r -> fs.getattr(REQ, node, -1, r)))
                .isInstanceOfSatisfying(FuseException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ESTALE));
        fs.events().pathsFrom(id -> id == node ? "f" : id == ROOT ? "" : null, id -> id == node ? now : 0);
        assertThat(Reply.<FuseAttrReply>await(r -> fs.getattr(REQ, node, -1, r)).attr().ino()).isEqualTo(node); // its own generation: found again
    }
}
