package dev.fsdriver.client;

import static dev.fsdriver.client.TestServer.REQ;
import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.common.FileMode;
import dev.fsdriver.common.OpenFlags;
import dev.fsdriver.fuse.FuseCreated;
import dev.fsdriver.fuse.FuseFileSystem;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fsync of a file whose name this mount made in a directory not synced since syncs the
 * directory in the same call (FsyncRequest.also_dir); a directory the server cannot sync then
 * must not fail the file's fsync.
 */
class FsyncAlsoDirTest {
    private static final long ROOT = FuseFileSystem.ROOT_ID;

    @TempDir
    Path dir;
    private TestServer server;
    private Connection connection;
    private RemoteFileSystem fs;

    @BeforeEach
    void start() throws Exception {
        server = new TestServer(dir, false);
        connection = server.connect(ClientOptions.builder().build());
        fs = RemoteFileSystem.connect(connection);
    }

    @AfterEach
    void stop() {
        fs.close();
        connection.close();
        server.close();
    }

    @Test
    void aFileWhoseDirectoryWentMeanwhileIsSyncedAlone() throws Exception {
        long sub = fs.mkdir(REQ, ROOT, "sub", 0755, 0).nodeId();
        FuseCreated g = fs.create(REQ, sub, "g", FileMode.S_IFREG | 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT, 0);
        long node = g.entry().nodeId();
        long fh = g.open().fh();
        fs.write(REQ, node, fh, 0, ByteBuffer.wrap("x".getBytes(StandardCharsets.UTF_8)), 0);
        fs.flush(REQ, node, fh, 0); // the data goes now: the fsync is an Fsync, as sqlite's
        // moved out and its directory removed on the server's side, not through the mount
        Files.move(dir.resolve("sub/g"), dir.resolve("g"));
        Files.delete(dir.resolve("sub"));
        fs.fsync(REQ, node, fh, false);
        fs.release(REQ, node, fh, 0);
        assertThat(Files.readString(dir.resolve("g"))).isEqualTo("x");
    }

    @Test
    void aDirectoryTheServerCouldNotSyncStaysPendingAndFailsNotTheFile() throws Exception {
        long sub = fs.mkdir(REQ, ROOT, "sub", 0755, 0).nodeId();
        FuseCreated g = fs.create(REQ, sub, "g", FileMode.S_IFREG | 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT, 0);
        long node = g.entry().nodeId();
        long fh = g.open().fh();
        fs.write(REQ, node, fh, 0, ByteBuffer.wrap("x".getBytes(StandardCharsets.UTF_8)), 0);
        fs.flush(REQ, node, fh, 0);
        // on the server's side the directory becomes a file: whatever the server then knows of
        // the node (the old path, now ENOTDIR, or gone), it cannot sync it
        Files.move(dir.resolve("sub/g"), dir.resolve("g"));
        Files.delete(dir.resolve("sub"));
        Files.writeString(dir.resolve("sub"), "not a directory");
        fs.fsync(REQ, node, fh, false);
        fs.release(REQ, node, fh, 0);
        // still pending: the directory's own fsync goes to the server (0 without a call else); the
        // directory is gone there, which fsync(2) of a removed directory's descriptor answers 0
        int fsyncs = ClientCounters.methods().indexOf("Fsync");
        long before = connection.counters().calls(fsyncs);
        fs.fsyncdir(REQ, sub, 0, false);
        assertThat(connection.counters().calls(fsyncs) - before).isEqualTo(1);
    }
}
