package dev.fsdriver.client;

import static dev.fsdriver.client.TestServer.REQ;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fsdriver.common.FileMode;
import dev.fsdriver.common.OpenFlags;
import dev.fsdriver.fuse.FuseAttr;
import dev.fsdriver.fuse.FuseAttrReply;
import dev.fsdriver.fuse.FuseConnection;
import dev.fsdriver.fuse.FuseCreated;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.fuse.FuseFileSystem;
import dev.fsdriver.fuse.FuseFileSystem.Reply;
import dev.fsdriver.fuse.FuseNotifier;
import dev.fsdriver.fuse.FuseOpen;
import dev.fsdriver.fuse.FuseSetAttr;
import dev.fsdriver.proto.v1.WriteRequest;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GETATTR while writes are held back (issue 17, {@link AttrsAhead}), against a real server in-process. */
class AttrsAheadTest {
    private static final long ROOT = FuseFileSystem.ROOT_ID;

    @TempDir
    Path dir;
    private final WriteFaults faults = new WriteFaults();
    /** Nodes the client told the kernel to ask about again (FuseNotifier.invalInode). */
    private final List<Long> invalidated = new CopyOnWriteArrayList<>();
    private TestServer server;
    private Connection connection;
    private RemoteFileSystem fs;

    @BeforeEach
    void start() throws Exception {
        server = new TestServer(dir, false, faults);
        connection = server.connect(ClientOptions.builder().blockSize(64 << 10).build());
        fs = RemoteFileSystem.connect(connection);
        fs.init(new FuseConnection(7, 31, 31, 0, 1 << 20, 1 << 20, 256, new FuseNotifier() {
            @Override public int invalEntry(long parent, String name) { return 0; }
            @Override public int invalInode(long nodeId, long offset, long length) {
                invalidated.add(nodeId);
                return 0;
            }
            @Override public int delete(long parent, long child, String name) { return 0; }
            @Override public int store(long nodeId, long offset, ByteBuffer data) { return 0; }
            @Override public CompletableFuture<byte[]> retrieve(long nodeId, long offset, int size) {
                return CompletableFuture.failedFuture(new UnsupportedOperationException());
            }
        }));
        fs.events().prefetchWhile(() -> true); // events flow: the server's attributes are known
    }

    @AfterEach
    void stop() {
        fs.close();
        connection.close();
        server.close();
    }

    private long calls(String method) {
        return connection.counters().calls(ClientCounters.methods().indexOf(method));
    }

    private long calls() {
        return calls("Write") + calls("GetAttr") + calls("Fsync") + calls("SetAttr");
    }

    private static long nowNs() {
        Instant t = Instant.now();
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }

    private long serverMtime(String name) throws Exception {
        return Files.getLastModifiedTime(dir.resolve(name)).to(TimeUnit.NANOSECONDS);
    }

    private void write(long node, long fh, long offset, int length) throws Exception {
        fs.write(REQ, node, fh, offset, ByteBuffer.wrap(new byte[length]), 0);
    }

    @Test
    void aStatWhileDataIsHeldMakesNoCallAndItsMtimeIsWhatTheServerThenHas() throws Exception {
        FuseCreated c = fs.create(REQ, ROOT, "journal", FileMode.S_IFREG | 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0);
        long node = c.entry().nodeId();
        long fh = c.open().fh();
        write(node, fh, 0, 100);
        fs.fsync(REQ, node, fh, false); // the server's attributes now known (the Write's reply)
        long before = calls();
        long writtenFrom = nowNs();
        write(node, fh, 512, 100); // sqlite: the journal's next record, held back
        long writtenTo = nowNs();
        FuseAttr held = Reply.<FuseAttrReply>await(r -> fs.getattr(REQ, node, -1, r)).attr(); // the kernel's GETATTR before the pread past the end
        assertThat(calls()).as("answered without a call").isEqualTo(before);
        assertThat(held.size()).isEqualTo(612);
        assertThat(held.mtimeNs()).isBetween(writtenFrom - 100, writtenTo);
        assertThat(held.ctimeNs()).isEqualTo(held.mtimeNs());
        assertThat(Files.size(dir.resolve("journal"))).as("still held").isEqualTo(100);

        long writes = calls("Write");
        long fsyncs = calls("Fsync");
        fs.fsync(REQ, node, fh, false);
        assertThat(calls("Write")).as("the held data with the sync").isEqualTo(writes + 1);
        assertThat(calls("Fsync")).isEqualTo(fsyncs);
        assertThat(Files.size(dir.resolve("journal"))).isEqualTo(612);
        assertThat(serverMtime("journal")).as("the server took the mtime answered").isEqualTo(held.mtimeNs());
        long getAttrs = calls("GetAttr");
        assertThat(Reply.<FuseAttrReply>await(r -> fs.getattr(REQ, node, -1, r)).attr().mtimeNs()).isEqualTo(held.mtimeNs());
        assertThat(calls("GetAttr")).isEqualTo(getAttrs);
        fs.release(REQ, node, fh, 0);
    }

    @Test
    void aChangeEventTwoWritingFilesAndAppendsStillPushAndAsk() throws Exception {
        FuseCreated c = fs.create(REQ, ROOT, "f", FileMode.S_IFREG | 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0);
        long node = c.entry().nodeId();
        long fh = c.open().fh();
        write(node, fh, 0, 10);
        fs.fsync(REQ, node, fh, false);

        // a change on the server and its event: the server's truth wins
        Files.write(dir.resolve("f"), new byte[5], StandardOpenOption.APPEND);
        fs.events().changed();
        write(node, fh, 10, 10);
        long writes = calls("Write");
        assertThat(Reply.<FuseAttrReply>await(r -> fs.getattr(REQ, node, -1, r)).attr().size()).isEqualTo(20); // the held bytes land over the 5 appended
        assertThat(calls("Write")).as("pushed: the server's attributes are not known after the event").isEqualTo(writes + 1);

        // two open files hold data: pushed, asked (or answered from the replies)
        FuseOpen other = fs.open(REQ, node, OpenFlags.O_WRONLY);
        write(node, fh, 100, 10);
        write(node, other.fh(), 200, 10);
        writes = calls("Write");
        assertThat(Reply.<FuseAttrReply>await(r -> fs.getattr(REQ, node, -1, r)).attr().size()).isEqualTo(210);
        assertThat(calls("Write")).isEqualTo(writes + 2);
        fs.release(REQ, node, other.fh(), 0);

        // held, then another open file writes: the held data goes first, so the mtimes land in order
        FuseOpen third = fs.open(REQ, node, OpenFlags.O_WRONLY);
        write(node, fh, 300, 10);
        writes = calls("Write");
        FuseAttr ahead = Reply.<FuseAttrReply>await(r -> fs.getattr(REQ, node, -1, r)).attr();
        assertThat(ahead.size()).isEqualTo(310);
        assertThat(calls("Write")).as("answered ahead: the other open file holds nothing").isEqualTo(writes);
        write(node, third.fh(), 400, 10);
        assertThat(calls("Write")).as("the stamped data pushed before the other file's write").isEqualTo(writes + 1);
        assertThat(serverMtime("f")).isEqualTo(ahead.mtimeNs());
        fs.release(REQ, node, third.fh(), 0);
        fs.release(REQ, node, fh, 0);

        // O_APPEND: the server puts the data at its end, so it is pushed
        FuseOpen append = fs.open(REQ, node, OpenFlags.O_WRONLY | OpenFlags.O_APPEND);
        Reply.<FuseAttrReply>await(r -> fs.getattr(REQ, node, -1, r));
        write(node, append.fh(), 410, 10);
        writes = calls("Write");
        assertThat(Reply.<FuseAttrReply>await(r -> fs.getattr(REQ, node, -1, r)).attr().size()).isEqualTo(420);
        assertThat(calls("Write")).isEqualTo(writes + 1);
        fs.release(REQ, node, append.fh(), 0);
    }

    @Test
    void aTruncateAfterAStatAnsweredAheadLandsAfterTheData() throws Exception {
        FuseCreated c = fs.create(REQ, ROOT, "t", FileMode.S_IFREG | 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0);
        long node = c.entry().nodeId();
        long fh = c.open().fh();
        write(node, fh, 0, 10);
        fs.fsync(REQ, node, fh, false);
        write(node, fh, 10, 1000);
        assertThat(Reply.<FuseAttrReply>await(r -> fs.getattr(REQ, node, -1, r)).attr().size()).isEqualTo(1010);
        Reply.<FuseAttrReply>await(r -> fs.setattr(REQ, node, new FuseSetAttr(fh, OptionalLong.of(5), OptionalInt.empty(), OptionalInt.empty(),
                OptionalInt.empty(), OptionalLong.empty(), false, OptionalLong.empty(), false, false), r));
        assertThat(Files.size(dir.resolve("t"))).isEqualTo(5);
        assertThat(Reply.<FuseAttrReply>await(r -> fs.getattr(REQ, node, -1, r)).attr().size()).isEqualTo(5);
        fs.release(REQ, node, fh, 0);
        assertThat(Files.size(dir.resolve("t"))).isEqualTo(5);
    }

    @Test
    void aStatAfterAWrittenThroughWriteIsAnsweredFromItsReply() throws Exception {
        FuseCreated c = fs.create(REQ, ROOT, "big", FileMode.S_IFREG | 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0);
        long node = c.entry().nodeId();
        long fh = c.open().fh();
        long writes = calls("Write");
        long getAttrs = calls("GetAttr");
        write(node, fh, 0, 64 << 10); // a whole block: sent at once
        assertThat(calls("Write")).isEqualTo(writes + 1);
        FuseAttr a = Reply.<FuseAttrReply>await(r -> fs.getattr(REQ, node, -1, r)).attr();
        assertThat(a.size()).isEqualTo(64 << 10);
        assertThat(a.mtimeNs()).isEqualTo(serverMtime("big"));
        assertThat(calls("GetAttr")).as("the Write's reply answers").isEqualTo(getAttrs);
        fs.release(REQ, node, fh, 0);
    }

    /** The push of data a stat was answered ahead for fails: the error reaches fsync as before, the kernel asks again, and so does the next stat. */
    @Test
    void aFailedPushStillFailsTheFsyncAndTheNextStatIsTheServers() throws Exception {
        FuseCreated c = fs.create(REQ, ROOT, "big", FileMode.S_IFREG | 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0);
        long node = c.entry().nodeId();
        long fh = c.open().fh();
        write(node, fh, 0, 10);
        fs.fsync(REQ, node, fh, false);
        faults.next(WriteFaults.Mode.FAIL, WriteRequest::hasSetMtimeNs);
        write(node, fh, 100, 10);
        long before = calls();
        assertThat(Reply.<FuseAttrReply>await(r -> fs.getattr(REQ, node, -1, r)).attr().size()).isEqualTo(110);
        assertThat(calls()).isEqualTo(before);
        invalidated.clear();
        assertThatThrownBy(() -> fs.fsync(REQ, node, fh, false)).isInstanceOf(FuseException.class);
        assertThat(invalidated).as("the kernel told to ask again").contains(node);
        assertThat(Reply.<FuseAttrReply>await(r -> fs.getattr(REQ, node, -1, r)).attr().size()).as("asked: the server's").isEqualTo(10);
        fs.release(REQ, node, fh, 0);
    }

    /** A short answer to the Write that set the mtime answered ahead: an error, and the kernel asks again. */
    @Test
    void aShortWriteOfDataAnsweredAheadTellsTheKernelToAskAgain() throws Exception {
        FuseCreated c = fs.create(REQ, ROOT, "short", FileMode.S_IFREG | 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0);
        long node = c.entry().nodeId();
        long fh = c.open().fh();
        write(node, fh, 0, 10);
        fs.fsync(REQ, node, fh, false);
        faults.next(WriteFaults.Mode.SHORT, WriteRequest::hasSetMtimeNs);
        write(node, fh, 10, 10);
        assertThat(Reply.<FuseAttrReply>await(r -> fs.getattr(REQ, node, -1, r)).attr().size()).isEqualTo(20);
        invalidated.clear();
        assertThatThrownBy(() -> fs.fsync(REQ, node, fh, false)).isInstanceOf(FuseException.class);
        assertThat(invalidated).as("the kernel told to ask again").contains(node);
        fs.release(REQ, node, fh, 0);
    }

    /**
     * The chunk that sets the mtime answered ahead goes out when a block fills, and the next
     * block's chunk after it: the server runs Writes on a pool, so the next one must not go
     * before the first is answered (here the server holds the first back), else the older mtime
     * lands last and the client's known mtime (the later reply's) is not the server's.
     */
    @Test
    void aChunkSettingAnMtimeLandsBeforeTheNextOne() throws Exception {
        FuseCreated c = fs.create(REQ, ROOT, "j", FileMode.S_IFREG | 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0);
        long node = c.entry().nodeId();
        long fh = c.open().fh();
        write(node, fh, 0, 10);
        fs.fsync(REQ, node, fh, false);
        faults.next(WriteFaults.Mode.DELAY, WriteRequest::hasSetMtimeNs);
        write(node, fh, 10, 100);
        long before = calls();
        FuseAttr ahead = Reply.<FuseAttrReply>await(r -> fs.getattr(REQ, node, -1, r)).attr();
        assertThat(calls()).as("answered ahead").isEqualTo(before);
        write(node, fh, 110, (64 << 10) - 100); // the block is full: goes with the mtime
        write(node, fh, 1 << 20, 64 << 10); // the next block, elsewhere
        fs.fsync(REQ, node, fh, false);
        assertThat(faults.arrived.getCount()).as("the stamped Write was held back").isZero();
        long server = serverMtime("j");
        assertThat(server).isGreaterThanOrEqualTo(ahead.mtimeNs());
        assertThat(Reply.<FuseAttrReply>await(r -> fs.getattr(REQ, node, -1, r)).attr().mtimeNs()).as("the client's and the server's mtime").isEqualTo(server);
        fs.release(REQ, node, fh, 0);
    }

    /**
     * The server's mtime of the file is ahead of the client's clock: a stat answered with the
     * client's time would go back, so the data is pushed and the server asked (docs/posix.md).
     */
    @Test
    void aServerMtimeAheadOfTheClientsClockIsNotAnsweredAhead() throws Exception {
        FuseCreated c = fs.create(REQ, ROOT, "skew", FileMode.S_IFREG | 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0);
        long node = c.entry().nodeId();
        long fh = c.open().fh();
        write(node, fh, 0, 10);
        fs.fsync(REQ, node, fh, false);
        long future = nowNs() + TimeUnit.HOURS.toNanos(1);
        Reply.<FuseAttrReply>await(r -> fs.setattr(REQ, node, new FuseSetAttr(fh, OptionalLong.empty(), OptionalInt.empty(), OptionalInt.empty(),
                OptionalInt.empty(), OptionalLong.empty(), false, OptionalLong.of(future), false, false), r));
        assertThat(Reply.<FuseAttrReply>await(r -> fs.getattr(REQ, node, -1, r)).attr().mtimeNs()).isEqualTo(future);
        write(node, fh, 10, 10);
        long writes = calls("Write");
        FuseAttr a = Reply.<FuseAttrReply>await(r -> fs.getattr(REQ, node, -1, r)).attr();
        assertThat(calls("Write")).as("pushed").isEqualTo(writes + 1);
        assertThat(a.size()).isEqualTo(20);
        assertThat(serverMtime("skew")).as("no mtime of the client's set").isLessThan(future);
        fs.release(REQ, node, fh, 0);
    }

    /**
     * Another open file of the node has a chunk on its way but in no list yet (its fsync's
     * synced Write, held back by the server): it is not clean, so the stat is not answered from
     * this file's data alone (which would leave out the other's, whose write(2) returned).
     */
    @Test
    void aChunkOnItsWayThroughAnotherOpenFileIsNotLeftOut() throws Exception {
        FuseCreated c = fs.create(REQ, ROOT, "two", FileMode.S_IFREG | 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0);
        long node = c.entry().nodeId();
        long fh = c.open().fh();
        write(node, fh, 0, 10);
        fs.fsync(REQ, node, fh, false);
        FuseOpen other = fs.open(REQ, node, OpenFlags.O_WRONLY);
        write(node, fh, 100, 10);
        write(node, other.fh(), 1000, 10);
        faults.next(WriteFaults.Mode.DELAY, WriteRequest::getSync);
        CompletableFuture<Void> fsync = CompletableFuture.runAsync(() -> {
            try {
                fs.fsync(REQ, node, other.fh(), false);
            } catch (FuseException e) {
                throw new CompletionException(e);
            }
        });
        faults.arrived.await();
        FuseAttr a = Reply.<FuseAttrReply>await(r -> fs.getattr(REQ, node, -1, r)).attr();
        faults.release.countDown();
        fsync.join();
        assertThat(a.size()).as("the other open file's data counted").isEqualTo(1010);
        fs.release(REQ, node, other.fh(), 0);
        fs.release(REQ, node, fh, 0);
    }

    /**
     * A chmod after close(2) returned (FLUSH came, RELEASE not yet: the kernel sends it after the
     * close returns) is on the server when chmod(2) returns; it was held until the release
     * (MountEndToEndTest#chmodChownUtimens failed in a CI run). Before the close it may be held.
     */
    @Test
    void aChmodAfterACloseIsNotHeldUntilTheRelease() throws Exception {
        FuseCreated c = fs.create(REQ, ROOT, "closed", FileMode.S_IFREG | 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT, 0);
        long node = c.entry().nodeId();
        long fh = c.open().fh();
        write(node, fh, 0, 10);
        fs.flush(REQ, node, fh, 0); // close(2)
        Reply.<FuseAttrReply>await(r -> fs.setattr(REQ, node, new FuseSetAttr(-1, OptionalLong.empty(), OptionalInt.of(0750), OptionalInt.empty(),
                OptionalInt.empty(), OptionalLong.empty(), false, OptionalLong.empty(), false, false), r));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("closed")))).isEqualTo("rwxr-x---");
        fs.release(REQ, node, fh, 0);
    }
}
