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
import dev.fsdriver.fuse.FuseOpen;
import dev.fsdriver.fuse.FuseRequest;
import dev.fsdriver.fuse.FuseSetAttr;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** RemoteFileSystem against a real FsServer + PosixBackend over in-process gRPC (no kernel). */
class RemoteFileSystemTest {
    private static final int BLOCK = 64 << 10;
    private static final long ROOT = FuseFileSystem.ROOT_ID;

    @TempDir
    Path dir;
    private TestServer server;
    private Connection connection;
    private RemoteFileSystem fs;

    @BeforeEach
    void start() throws Exception {
        server = new TestServer(dir, false);
        connection = server.connect(ClientOptions.builder().blockSize(BLOCK).build());
        fs = RemoteFileSystem.connect(connection);
    }

    @AfterEach
    void stop() {
        fs.close();
        connection.close();
        server.close();
    }

    @Test
    void namespaceOperations() throws Exception {
        Files.writeString(dir.resolve("a.txt"), "hello");
        FuseEntry a = Reply.await(r -> fs.lookup(REQ, ROOT, "a.txt", r));
        assertThat(a.nodeId()).isGreaterThan(1);
        assertThat(a.attr().size()).isEqualTo(5);
        assertThat(FileMode.isRegular(a.attr().mode())).isTrue();
        assertThat(Reply.<FuseAttrReply>await(r -> fs.getattr(REQ, a.nodeId(), -1, r)).attr().size()).isEqualTo(5);

        FuseEntry missing = Reply.await(r -> fs.lookup(REQ, ROOT, "nope", r));
        assertThat(missing.nodeId()).isZero();

        FuseEntry d = fs.mkdir(REQ, ROOT, "d", 0777, 022);
        assertThat(Files.isDirectory(dir.resolve("d"))).isTrue();
        assertThat(d.attr().mode() & 0777).isEqualTo(0755);

        FuseEntry link = fs.symlink(REQ, d.nodeId(), "l", "../a.txt");
        assertThat(fs.readlink(REQ, link.nodeId())).isEqualTo("../a.txt");
        fs.link(REQ, a.nodeId(), d.nodeId(), "hard");
        assertThat(Files.readString(dir.resolve("d/hard"))).isEqualTo("hello");

        fs.rename(REQ, ROOT, "a.txt", d.nodeId(), "b.txt", 0);
        assertThat(dir.resolve("d/b.txt")).hasContent("hello");
        assertThatThrownBy(() -> Reply.<Void>await(r -> fs.rmdir(REQ, ROOT, "d", r)))
                .isInstanceOfSatisfying(FuseException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOTEMPTY));
        Reply.<Void>await(r -> fs.unlink(REQ, d.nodeId(), "b.txt", r));
        Reply.<Void>await(r -> fs.unlink(REQ, d.nodeId(), "hard", r));
        Reply.<Void>await(r -> fs.unlink(REQ, d.nodeId(), "l", r));
        Reply.<Void>await(r -> fs.rmdir(REQ, ROOT, "d", r));
        assertThat(dir).isEmptyDirectory();

        FuseEntry node = fs.mknod(REQ, ROOT, "n", FileMode.S_IFREG | 0666, 0, 022);
        assertThat(node.attr().mode() & 0777).isEqualTo(0644);
        FuseEntry fifo = fs.mknod(REQ, ROOT, "fifo", FileMode.S_IFIFO | 0666, 0, 022);
        assertThat(fifo.attr().mode()).isEqualTo(FileMode.S_IFIFO | 0644);
        assertThat(Files.getAttribute(dir.resolve("fifo"), "unix:mode", java.nio.file.LinkOption.NOFOLLOW_LINKS))
                .isEqualTo(FileMode.S_IFIFO | 0644);
        Reply.<Void>await(r -> fs.unlink(REQ, ROOT, "fifo", r));
        assertThatThrownBy(() -> fs.mknod(REQ, ROOT, "null", FileMode.S_IFCHR | 0666, 0x103, 0))
                .isInstanceOfSatisfying(FuseException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EPERM));
        assertThat(dir.resolve("null")).doesNotExist();

        FuseAttrReply changed = Reply.await(r -> fs.setattr(REQ, node.nodeId(), new FuseSetAttr(-1, OptionalLong.of(3), OptionalInt.of(0600),
                OptionalInt.empty(), OptionalInt.empty(), OptionalLong.empty(), false,
                OptionalLong.of(1_000_000_000_000_000_000L), false, false), r));
        assertThat(changed.attr().size()).isEqualTo(3);
        assertThat(changed.attr().mode() & 07777).isEqualTo(0600);
        assertThat(changed.attr().mtimeNs()).isEqualTo(1_000_000_000_000_000_000L);
        assertThat(fs.statfs(REQ, ROOT).bsize()).isPositive();
    }

    @Test
    void createWriteReadBack() throws Exception {
        FuseCreated c = fs.create(REQ, ROOT, "f", FileMode.S_IFREG | 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0);
        long fh = c.open().fh();
        byte[] data = "some bytes".getBytes();
        assertThat(fs.write(REQ, c.entry().nodeId(), fh, 0, ByteBuffer.wrap(data), 0)).isEqualTo(data.length);
        // A stat sees held-back writes.
        assertThat(Reply.<FuseAttrReply>await(r -> fs.getattr(REQ, c.entry().nodeId(), fh, r)).attr().size()).isEqualTo(data.length);
        ByteBuffer dst = ByteBuffer.allocate(100);
        assertThat(fs.read(REQ, c.entry().nodeId(), fh, 0, 100, dst)).isEqualTo(data.length);
        assertThat(Arrays.copyOf(dst.array(), data.length)).isEqualTo(data);
        fs.flush(REQ, c.entry().nodeId(), fh, 0);
        fs.release(REQ, c.entry().nodeId(), fh, 0);
        assertThat(dir.resolve("f")).hasBinaryContent(data);
    }

    @Test
    void readAheadServesOddOffsetsAndSizesCorrectly() throws Exception {
        byte[] content = new byte[5 * BLOCK + 12345];
        new Random(42).nextBytes(content);
        Files.write(dir.resolve("big"), content);
        FuseEntry e = Reply.await(r -> fs.lookup(REQ, ROOT, "big", r));
        FuseOpen open = fs.open(REQ, e.nodeId(), OpenFlags.O_RDONLY);

        // Sequential reads of an odd size, straddling every block boundary, to the end.
        ByteBuffer out = ByteBuffer.allocate(content.length + 10007);
        long offset = 0;
        while (true) {
            ByteBuffer dst = ByteBuffer.allocate(10007);
            int n = fs.read(REQ, e.nodeId(), open.fh(), offset, 10007, dst);
            out.put(dst.array(), 0, n);
            offset += n;
            if (n < 10007) {
                break;
            }
        }
        assertThat(offset).isEqualTo(content.length);
        assertThat(Arrays.copyOf(out.array(), content.length)).isEqualTo(content);

        // Random reads at odd offsets, including past the end.
        Random r = new Random(7);
        for (int i = 0; i < 200; i++) {
            long off = r.nextInt(content.length + 100);
            int size = 1 + r.nextInt(3 * BLOCK);
            ByteBuffer dst = ByteBuffer.allocate(size);
            int n = fs.read(REQ, e.nodeId(), open.fh(), off, size, dst);
            int expected = (int) Math.max(0, Math.min(size, content.length - off));
            assertThat(n).as("read %d at %d", size, off).isEqualTo(expected);
            assertThat(Arrays.copyOf(dst.array(), n))
                    .isEqualTo(Arrays.copyOfRange(content, (int) Math.min(off, content.length),
                            (int) Math.min(off, content.length) + n));
        }
        fs.release(REQ, e.nodeId(), open.fh(), 0);
    }

    @Test
    void readAheadSeesWritesThroughAnotherHandle() throws Exception {
        byte[] content = new byte[3 * BLOCK];
        Files.write(dir.resolve("f"), content);
        FuseEntry e = Reply.await(r -> fs.lookup(REQ, ROOT, "f", r));
        FuseOpen reader = fs.open(REQ, e.nodeId(), OpenFlags.O_RDONLY);
        FuseOpen writer = fs.open(REQ, e.nodeId(), OpenFlags.O_WRONLY);
        ByteBuffer dst = ByteBuffer.allocate(4096);
        fs.read(REQ, e.nodeId(), reader.fh(), 0, 4096, dst); // prefetches the following blocks
        fs.write(REQ, e.nodeId(), writer.fh(), 5000, ByteBuffer.wrap(new byte[] {1, 2, 3}), 0);
        dst = ByteBuffer.allocate(4096);
        fs.read(REQ, e.nodeId(), reader.fh(), 4096, 4096, dst);
        assertThat(dst.array()[5000 - 4096]).isEqualTo((byte) 1);
        assertThat(dst.array()[5002 - 4096]).isEqualTo((byte) 3);
        fs.release(REQ, e.nodeId(), writer.fh(), 0);
        fs.release(REQ, e.nodeId(), reader.fh(), 0);
    }

    /**
     * A small file opened read-only comes whole, with no server handle; once it grew, its reads
     * went through another open file's handle, a write-only one here, and failed EBADF
     * (ConcurrentStress seed 18).
     */
    @Test
    void aFileOpenedWholeReadsWhatItGrewToWhileAWriteOnlyOpenExists() throws Exception {
        Files.writeString(dir.resolve("f"), "small");
        FuseEntry e = Reply.await(r -> fs.lookup(REQ, ROOT, "f", r));
        FuseOpen reader = fs.open(REQ, e.nodeId(), OpenFlags.O_RDONLY);
        FuseOpen writer = fs.open(REQ, e.nodeId(), OpenFlags.O_WRONLY);
        byte[] more = new byte[3 * BLOCK];
        Arrays.fill(more, (byte) 7);
        fs.write(REQ, e.nodeId(), writer.fh(), 5, ByteBuffer.wrap(more), 0);
        fs.flush(REQ, e.nodeId(), writer.fh(), 0);
        ByteBuffer dst = ByteBuffer.allocate(4096);
        assertThat(fs.read(REQ, e.nodeId(), reader.fh(), 0, 4096, dst)).isEqualTo(4096);
        assertThat(new String(dst.array(), 0, 5)).isEqualTo("small");
        assertThat(dst.array()[5]).isEqualTo((byte) 7);
        fs.release(REQ, e.nodeId(), writer.fh(), 0);
        fs.release(REQ, e.nodeId(), reader.fh(), 0);
    }

    @Test
    void writeBehindCoalescesSmallSequentialAndJumpingWrites() throws Exception {
        FuseCreated c = fs.create(REQ, ROOT, "w", FileMode.S_IFREG | 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT, 0);
        long node = c.entry().nodeId();
        long fh = c.open().fh();
        byte[] expected = new byte[4 * BLOCK + 777];
        Random r = new Random(1);
        r.nextBytes(expected);
        for (int off = 0; off < expected.length; ) {
            int n = Math.min(333, expected.length - off);
            fs.write(REQ, node, fh, off, ByteBuffer.wrap(expected, off, n), 0);
            off += n;
        }
        // Jump back and overwrite, overlapping data that may still be in flight.
        byte[] patch = new byte[BLOCK + 10];
        Arrays.fill(patch, (byte) 0x5a);
        fs.write(REQ, node, fh, BLOCK - 5, ByteBuffer.wrap(patch), 0);
        System.arraycopy(patch, 0, expected, BLOCK - 5, patch.length);
        fs.flush(REQ, node, fh, 0);
        assertThat(dir.resolve("w")).hasBinaryContent(expected);
        fs.release(REQ, node, fh, 0);
    }

    @Test
    void appendingWritesStayInOrder() throws Exception {
        Files.writeString(dir.resolve("log"), "start\n");
        FuseEntry e = Reply.await(r -> fs.lookup(REQ, ROOT, "log", r));
        FuseOpen open = fs.open(REQ, e.nodeId(), OpenFlags.O_WRONLY | OpenFlags.O_APPEND);
        StringBuilder expected = new StringBuilder("start\n");
        long pos = 6;
        for (int i = 0; i < 3000; i++) {
            byte[] line = ("line " + i + "\n").getBytes();
            fs.write(REQ, e.nodeId(), open.fh(), pos, ByteBuffer.wrap(line), 0);
            pos += line.length;
            expected.append("line ").append(i).append('\n');
        }
        fs.flush(REQ, e.nodeId(), open.fh(), 0);
        fs.release(REQ, e.nodeId(), open.fh(), 0);
        assertThat(dir.resolve("log")).hasContent(expected.toString());
    }

    @Test
    void readdirPlusPagesAndOffsetsResume() throws Exception {
        for (int i = 0; i < 2500; i++) {
            Files.writeString(dir.resolve("f" + i), "x");
        }
        long fh = fs.opendir(REQ, ROOT, 0).fh();
        List<String> names = new ArrayList<>();
        long offset = 0;
        while (true) {
            List<Long> offsets = new ArrayList<>();
            int before = names.size();
            // A small buffer, as the kernel's: 25 entries per call.
            fs.readdirplus(REQ, ROOT, fh, offset, (name, entry, next) -> {
                if (offsets.size() == 25) {
                    return false;
                }
                if (!name.equals(".") && !name.equals("..")) {
                    assertThat(entry.nodeId()).isPositive();
                    assertThat(entry.attr().size()).isEqualTo(1);
                }
                names.add(name);
                offsets.add(next);
                return true;
            });
            if (names.size() == before) {
                break;
            }
            offset = offsets.getLast();
        }
        fs.releasedir(REQ, ROOT, fh);
        assertThat(names).hasSize(2502).doesNotHaveDuplicates().contains(".", "..", "f0", "f2499");

        // Plain readdir from a fresh handle sees the same names.
        long fh2 = fs.opendir(REQ, ROOT, 0).fh();
        List<String> plain = new ArrayList<>();
        fs.readdir(REQ, ROOT, fh2, 0, (name, ino, mode, next) -> plain.add(name));
        assertThat(plain).containsExactlyInAnyOrderElementsOf(names);
    }

    @Test
    void keepCacheOnlyWhileTheFileIsUnchanged() throws Exception {
        Path f = Files.writeString(dir.resolve("k"), "one");
        FuseEntry e = Reply.await(r -> fs.lookup(REQ, ROOT, "k", r));
        FuseOpen first = fs.open(REQ, e.nodeId(), OpenFlags.O_RDONLY);
        FuseOpen second = fs.open(REQ, e.nodeId(), OpenFlags.O_RDONLY);
        assertThat(first.openFlags() & FuseOpen.FOPEN_KEEP_CACHE).isZero();
        assertThat(second.openFlags() & FuseOpen.FOPEN_KEEP_CACHE).isNotZero();
        Files.writeString(f, "changed");
        FuseOpen third = fs.open(REQ, e.nodeId(), OpenFlags.O_RDONLY);
        assertThat(third.openFlags() & FuseOpen.FOPEN_KEEP_CACHE).isZero();
        for (FuseOpen o : List.of(first, second, third)) {
            fs.release(REQ, e.nodeId(), o.fh(), 0);
        }
    }

    /** Calls of {@code method} ("GetAttr", "Open", ...) this client has started so far. */
    private long calls(String method) {
        return connection.counters().calls(ClientCounters.methods().indexOf(method));
    }

    @Test
    void whileEventsFlowAStatAfterOwnWritesIsAnsweredFromTheWriteReplies() throws Exception {
        boolean[] live = {true};
        fs.events().prefetchWhile(() -> live[0]);
        FuseCreated c = fs.create(REQ, ROOT, "db", FileMode.S_IFREG | 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0);
        long node = c.entry().nodeId();
        long fh = c.open().fh();
        long getAttrs = calls("GetAttr");
        long writes = calls("Write");
        for (int i = 0; i < 3; i++) {
            fs.write(REQ, node, fh, i * 10_000L, ByteBuffer.wrap(new byte[100]), 0);
            fs.fsync(REQ, node, fh, false);
            // what the server says now, without asking it
            assertThat(Reply.<FuseAttrReply>await(r -> fs.getattr(REQ, node, -1, r)).attr().size()).isEqualTo(i * 10_000L + 100);
        }
        assertThat(calls("Write")).isEqualTo(writes + 3);
        assertThat(calls("GetAttr")).as("every stat answered from the writes' replies").isEqualTo(getAttrs);
        assertThat(Reply.<FuseAttrReply>await(r -> fs.getattr(REQ, node, -1, r)).attr().mtimeNs())
                .isEqualTo(Files.getLastModifiedTime(dir.resolve("db")).to(TimeUnit.NANOSECONDS));

        // a change on the server and its event: asked again, and seen
        Files.write(dir.resolve("db"), new byte[7], java.nio.file.StandardOpenOption.APPEND);
        fs.events().changed();
        assertThat(Reply.<FuseAttrReply>await(r -> fs.getattr(REQ, node, -1, r)).attr().size()).isEqualTo(20_107);
        assertThat(calls("GetAttr")).isEqualTo(getAttrs + 1);
        assertThat(Reply.<FuseAttrReply>await(r -> fs.getattr(REQ, node, -1, r)).attr().size()).as("known again").isEqualTo(20_107);
        assertThat(calls("GetAttr")).isEqualTo(getAttrs + 1);

        // a name changed through the mount (its node unknown here): asked again
        fs.link(REQ, node, ROOT, "db-link");
        assertThat(Reply.<FuseAttrReply>await(r -> fs.getattr(REQ, node, -1, r)).attr().nlink()).isEqualTo(2);
        assertThat(calls("GetAttr")).isEqualTo(getAttrs + 2);
        Reply.<Void>await(r -> fs.unlink(REQ, ROOT, "db-link", r));
        assertThat(Reply.<FuseAttrReply>await(r -> fs.getattr(REQ, node, -1, r)).attr().nlink()).isEqualTo(1);
        assertThat(calls("GetAttr")).isEqualTo(getAttrs + 3);

        // events down: nothing known is used
        Files.write(dir.resolve("db"), new byte[3], java.nio.file.StandardOpenOption.APPEND);
        live[0] = false;
        assertThat(Reply.<FuseAttrReply>await(r -> fs.getattr(REQ, node, -1, r)).attr().size()).isEqualTo(20_110);
        assertThat(calls("GetAttr")).isEqualTo(getAttrs + 4);
        fs.release(REQ, node, fh, 0);
    }

    @Test
    void anUnlinkThroughTheMountForgetsTheAttributesOfThatFileOnly() throws Exception {
        fs.events().prefetchWhile(() -> true);
        long db = fs.create(REQ, ROOT, "db", FileMode.S_IFREG | 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0)
                .entry().nodeId();
        FuseCreated journal = fs.create(REQ, ROOT, "db-journal", FileMode.S_IFREG | 0644,
                OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0);
        long j = journal.entry().nodeId();
        fs.events().childrenFrom((parent, name) -> parent == ROOT && name.equals("db-journal") ? j : 0); // the kernel's view
        long getAttrs = calls("GetAttr");
        Reply.<Void>await(r -> fs.unlink(REQ, ROOT, "db-journal", r));
        assertThat(Reply.<FuseAttrReply>await(r -> fs.getattr(REQ, db, -1, r)).attr().size()).isZero();
        assertThat(calls("GetAttr")).as("the other file's attributes still known").isEqualTo(getAttrs);
        assertThat(Reply.<FuseAttrReply>await(r -> fs.getattr(REQ, j, -1, r)).attr().nlink()).as("the unlinked file, open: asked").isZero();
        assertThat(calls("GetAttr")).isGreaterThan(getAttrs);
        fs.release(REQ, j, journal.open().fh(), 0);
    }

    @Test
    void fsyncSendsTheLastHeldBackDataWithTheSyncInOneCall() throws Exception {
        FuseCreated c = fs.create(REQ, ROOT, "journal", FileMode.S_IFREG | 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0);
        long node = c.entry().nodeId();
        long fh = c.open().fh();
        long writes = calls("Write");
        long fsyncs = calls("Fsync");
        fs.write(REQ, node, fh, 0, ByteBuffer.wrap("header".getBytes()), 0);
        fs.write(REQ, node, fh, 6, ByteBuffer.wrap(" page".getBytes()), 0);
        fs.fsync(REQ, node, fh, false);
        assertThat(dir.resolve("journal")).hasContent("header page");
        assertThat(calls("Write")).isEqualTo(writes + 1);
        assertThat(calls("Fsync")).as("synced by the server with the write").isEqualTo(fsyncs);
        // nothing held back: an Fsync of its own
        fs.fsync(REQ, node, fh, true);
        assertThat(calls("Fsync")).isEqualTo(fsyncs + 1);
        // what another open file of it wrote here is made durable too
        FuseOpen other = fs.open(REQ, node, OpenFlags.O_WRONLY);
        fs.write(REQ, node, other.fh(), 11, ByteBuffer.wrap("!".getBytes()), 0);
        fs.fsync(REQ, node, fh, false);
        assertThat(dir.resolve("journal")).hasContent("header page!");
        fs.release(REQ, node, other.fh(), 0);
        fs.release(REQ, node, fh, 0);
    }

    @Test
    void whileEventsFlowAWarmReadOnlyOpenOfAnUnchangedSmallFileNeedsNoServerCall() throws Exception {
        boolean[] live = {true};
        fs.events().prefetchWhile(() -> live[0]);
        Path f = Files.writeString(dir.resolve("src.java"), "class A {}");
        long node = Reply.<FuseEntry>await(r -> fs.lookup(REQ, ROOT, "src.java", r)).nodeId();
        assertThat(readWhole(node)).isEqualTo("class A {}");
        long before = calls("Open") + calls("Release") + calls("GetAttr") + calls("Read");

        FuseOpen warm = fs.open(REQ, node, OpenFlags.O_RDONLY);
        assertThat(warm.openFlags() & FuseOpen.FOPEN_KEEP_CACHE).as("the kernel keeps its pages").isNotZero();
        assertThat(Reply.<FuseAttrReply>await(r -> fs.getattr(REQ, node, -1, r)).attr().size()).isEqualTo(10);
        fs.release(REQ, node, warm.fh(), OpenFlags.O_RDONLY);
        assertThat(calls("Open") + calls("Release") + calls("GetAttr") + calls("Read")).isEqualTo(before);
        // a page the kernel dropped meanwhile is read by node: one Read, still no Open
        long opens = calls("Open");
        long reads = calls("Read");
        assertThat(readWhole(node)).isEqualTo("class A {}");
        assertThat(calls("Open")).isEqualTo(opens);
        assertThat(calls("Read")).isEqualTo(reads + 1);

        // changed on the server, and its event: opened on the server, its pages dropped
        Files.writeString(f, "class B {}");
        fs.events().changed();
        opens = calls("Open");
        FuseOpen fresh = fs.open(REQ, node, OpenFlags.O_RDONLY);
        assertThat(calls("Open")).isEqualTo(opens + 1);
        assertThat(fresh.openFlags() & FuseOpen.FOPEN_KEEP_CACHE).isZero();
        fs.release(REQ, node, fresh.fh(), OpenFlags.O_RDONLY);
        assertThat(readWhole(node)).isEqualTo("class B {}");

        // open for writing here: the next read-only open asks the server
        FuseOpen w = fs.open(REQ, node, OpenFlags.O_WRONLY);
        fs.write(REQ, node, w.fh(), 0, ByteBuffer.wrap("class C {}".getBytes()), 0);
        opens = calls("Open");
        assertThat(readWhole(node)).isEqualTo("class C {}");
        assertThat(calls("Open")).isEqualTo(opens + 1);
        fs.release(REQ, node, w.fh(), OpenFlags.O_WRONLY);
        assertThat(readWhole(node)).isEqualTo("class C {}");

        // events down: every open asks the server
        live[0] = false;
        opens = calls("Open");
        assertThat(readWhole(node)).isEqualTo("class C {}");
        assertThat(calls("Open")).isEqualTo(opens + 1);
    }

    @Test
    void forgetGivesNodesBackToTheServer() throws Exception {
        Files.writeString(dir.resolve("g"), "x");
        FuseEntry e = Reply.await(r -> fs.lookup(REQ, ROOT, "g", r));
        Reply.<FuseEntry>await(r -> fs.lookup(REQ, ROOT, "g", r));
        fs.forget(e.nodeId(), 1);
        Thread.sleep(600); // more than one batch interval: one reference is left
        assertThat(Reply.<FuseAttrReply>await(r -> fs.getattr(REQ, e.nodeId(), -1, r)).attr().size()).isEqualTo(1);
        fs.forget(e.nodeId(), 1);
        FuseException stale = null;
        for (int i = 0; i < 100 && stale == null; i++) {
            try {
                Reply.<FuseAttrReply>await(r -> fs.getattr(REQ, e.nodeId(), -1, r));
                Thread.sleep(50);
            } catch (FuseException x) {
                stale = x;
            }
        }
        assertThat(stale).as("node dropped by the server after the batched Forget").isNotNull();
        assertThat(stale.errno()).isEqualTo(Errno.ESTALE);
    }

    @Test
    void readOnlyShareRefusesMutations(@TempDir Path roDir) throws Exception {
        Files.writeString(roDir.resolve("r"), "data");
        try (TestServer ro = new TestServer(roDir, true);
             Connection c = ro.connect(ClientOptions.defaults())) {
            RemoteFileSystem rfs = RemoteFileSystem.connect(c);
            assertThat(rfs.readOnly()).isTrue();
            FuseEntry e = Reply.await(r -> rfs.lookup(REQ, ROOT, "r", r));
            assertThatThrownBy(() -> rfs.open(REQ, e.nodeId(), OpenFlags.O_WRONLY))
                    .isInstanceOfSatisfying(FuseException.class, x -> assertThat(x.errno()).isEqualTo(Errno.EROFS));
            assertThatThrownBy(() -> rfs.mkdir(REQ, ROOT, "x", 0755, 0))
                    .isInstanceOfSatisfying(FuseException.class, x -> assertThat(x.errno()).isEqualTo(Errno.EROFS));
            FuseOpen open = rfs.open(REQ, e.nodeId(), OpenFlags.O_RDONLY);
            ByteBuffer dst = ByteBuffer.allocate(10);
            assertThat(rfs.read(REQ, e.nodeId(), open.fh(), 0, 10, dst)).isEqualTo(4);
            rfs.close();
        }
    }

    @Test
    void writeErrorIsKeptForFlushNotEatenByStat(@TempDir Path base) throws Exception {
        Path small = tinyTmpfs(base);
        try (TestServer full = new TestServer(small, false);
             Connection c = full.connect(ClientOptions.builder().blockSize(1 << 20).build())) {
            RemoteFileSystem rfs = RemoteFileSystem.connect(c);
            rfs.spaceCheck(bytes -> false); // as if statfs had said there was room: write-behind
            FuseCreated created = rfs.create(REQ, ROOT, "f", FileMode.S_IFREG | 0644,
                    OpenFlags.O_WRONLY | OpenFlags.O_CREAT, 0);
            long node = created.entry().nodeId();
            long fh = created.open().fh();
            // One call: both 1 MiB chunks go out behind it; the second cannot fit in 1 MiB of tmpfs.
            assertThat(rfs.write(REQ, node, fh, 0, ByteBuffer.allocate(2 << 20), 0)).isEqualTo(2 << 20);
            Reply.<FuseAttrReply>await(r -> rfs.getattr(REQ, node, -1, r)); // waits for the chunks, leaves their error for the file
            assertThatThrownBy(() -> rfs.flush(REQ, node, fh, 0))
                    .isInstanceOfSatisfying(FuseException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOSPC));
            rfs.flush(REQ, node, fh, 0); // reported once
            rfs.release(REQ, node, fh, 0);
            rfs.close();
        } finally {
            new ProcessBuilder("umount", "-l", small.toString()).inheritIO().start().waitFor();
        }
    }

    /**
     * A writer's pending error is kept until a close, write or fsync of a process that wrote
     * through that open file sees it: a shell's background jobs each inherit every descriptor,
     * and one job's exit closed (FLUSH) another's file first and took the error, so the writer's
     * own close and 'sync FILE' said 0 for lost data. Others' closes see it too, without taking it;
     * an fsync through another open file of the node sees it as well.
     */
    @Test
    void aWriteErrorIsKeptForTheProcessThatWroteNotTakenByAnotherProcesssClose(@TempDir Path base) throws Exception {
        Path small = tinyTmpfs(base);
        try (TestServer full = new TestServer(small, false);
             Connection c = full.connect(ClientOptions.builder().blockSize(1 << 20).build())) {
            RemoteFileSystem rfs = RemoteFileSystem.connect(c);
            rfs.spaceCheck(bytes -> false); // as if statfs had said there was room: write-behind
            FuseCreated created = rfs.create(REQ, ROOT, "f", FileMode.S_IFREG | 0644,
                    OpenFlags.O_WRONLY | OpenFlags.O_CREAT, 0);
            long node = created.entry().nodeId();
            long fh = created.open().fh();
            assertThat(rfs.write(REQ, node, fh, 0, ByteBuffer.allocate(2 << 20), 0)).isEqualTo(2 << 20);
            Reply.<FuseAttrReply>await(r -> rfs.getattr(REQ, node, -1, r)); // waits for the chunks; the second did not fit
            FuseRequest otherProcess = TestServer.request(2);
            assertThatThrownBy(() -> rfs.flush(otherProcess, node, fh, 0)).as("another process's close sees it")
                    .isInstanceOfSatisfying(FuseException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOSPC));
            long ro = rfs.open(otherProcess, node, OpenFlags.O_RDONLY).fh();
            assertThatThrownBy(() -> rfs.fsync(otherProcess, node, ro, false)).as("'sync FILE' sees it")
                    .isInstanceOfSatisfying(FuseException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOSPC));
            rfs.release(otherProcess, node, ro, 0);
            assertThatThrownBy(() -> rfs.flush(REQ, node, fh, 0)).as("the writer's own close sees it")
                    .isInstanceOfSatisfying(FuseException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOSPC));
            rfs.flush(REQ, node, fh, 0); // taken by the writer: once
            rfs.flush(otherProcess, node, fh, 0);
            rfs.release(REQ, node, fh, 0);
            rfs.close();
        } finally {
            new ProcessBuilder("umount", "-l", small.toString()).inheritIO().start().waitFor();
        }
    }

    /** fsync through any open file of a node sends what another open file of it holds back, as fsync(2) does on Linux. */
    @Test
    void anFsyncThroughAnotherOpenFileSendsWhatTheWriterHoldsBack() throws Exception {
        FuseCreated c = fs.create(REQ, ROOT, "f", FileMode.S_IFREG | 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT, 0);
        long node = c.entry().nodeId();
        long ro = fs.open(REQ, node, OpenFlags.O_RDONLY).fh();
        fs.write(REQ, node, c.open().fh(), 0, ByteBuffer.wrap("held back".getBytes()), 0);
        assertThat(dir.resolve("f")).as("write-behind").isEmptyFile();
        fs.fsync(REQ, node, ro, false);
        assertThat(dir.resolve("f")).hasContent("held back");
        fs.release(REQ, node, ro, 0);
        fs.release(REQ, node, c.open().fh(), 0);
    }

    @Test
    void onAShareWithLessFreeSpaceThanInFlightTheWriteItselfFailsEnospc(@TempDir Path base) throws Exception {
        Path small = tinyTmpfs(base);
        try (TestServer full = new TestServer(small, false);
             Connection c = full.connect(ClientOptions.builder().blockSize(1 << 20).build())) {
            RemoteFileSystem rfs = RemoteFileSystem.connect(c);
            FuseCreated created = rfs.create(REQ, ROOT, "f", FileMode.S_IFREG | 0644,
                    OpenFlags.O_WRONLY | OpenFlags.O_CREAT, 0);
            long node = created.entry().nodeId();
            long fh = created.open().fh();
            assertThatThrownBy(() -> rfs.write(REQ, node, fh, 0, ByteBuffer.allocate(2 << 20), 0))
                    .isInstanceOfSatisfying(FuseException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOSPC));
            rfs.flush(REQ, node, fh, 0); // reported once, by the write
            rfs.release(REQ, node, fh, 0);
            rfs.close();
        } finally {
            new ProcessBuilder("umount", "-l", small.toString()).inheritIO().start().waitFor();
        }
    }

    private static Path tinyTmpfs(Path base) throws Exception {
        Path small = base.resolve("tiny");
        Files.createDirectories(small);
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", small.toString())
                .inheritIO().start();
        assertThat(mount.waitFor()).as("mount tmpfs").isZero();
        return small;
    }

    @Test
    void writeErrorSurfacesAtTheLatestOnFlush(@TempDir Path base) throws Exception {
        Path small = tinyTmpfs(base);
        try (TestServer full = new TestServer(small, false);
             Connection c = full.connect(ClientOptions.builder().blockSize(BLOCK).build())) {
            RemoteFileSystem rfs = RemoteFileSystem.connect(c);
            FuseCreated created = rfs.create(REQ, ROOT, "f", FileMode.S_IFREG | 0644,
                    OpenFlags.O_WRONLY | OpenFlags.O_CREAT, 0);
            long node = created.entry().nodeId();
            long fh = created.open().fh();
            AtomicReference<FuseException> first = new AtomicReference<>();
            byte[] chunk = new byte[4096];
            for (int off = 0; off < 2 << 20 && first.get() == null; off += chunk.length) {
                try {
                    rfs.write(REQ, node, fh, off, ByteBuffer.wrap(chunk), 0);
                } catch (FuseException e) {
                    first.set(e);
                }
            }
            if (first.get() == null) {
                try {
                    rfs.flush(REQ, node, fh, 0);
                } catch (FuseException e) {
                    first.set(e);
                }
            }
            assertThat(first.get()).as("ENOSPC reported by a write or the flush").isNotNull();
            assertThat(first.get().errno()).isEqualTo(Errno.ENOSPC);
            rfs.release(REQ, node, fh, 0);
            rfs.close();
        } finally {
            new ProcessBuilder("umount", "-l", small.toString()).inheritIO().start().waitFor();
        }
    }
    @Test
    void smallFilesReadInListingOrderAreFetchedAheadAndDroppedOnAnyChange() throws Exception {
        for (int i = 0; i < 6; i++) {
            Files.writeString(dir.resolve("f" + i), "content " + i);
        }
        boolean[] live = {true};
        fs.events().prefetchWhile(() -> live[0]);
        long dh = fs.opendir(REQ, ROOT, 0).fh();
        List<String> names = new ArrayList<>();
        Map<String, Long> ids = new HashMap<>();
        fs.readdirplus(REQ, ROOT, dh, 0, (name, entry, next) -> {
            if (!name.equals(".") && !name.equals("..")) {
                names.add(name);
                ids.put(name, entry.nodeId());
            }
            return true;
        });
        fs.releasedir(REQ, ROOT, dh);
        assertThat(names).hasSize(6);

        assertThat(readWhole(ids.get(names.get(0)))).isEqualTo("content " + names.get(0).substring(1));
        assertThat(fs.events().prefetchedWaiting()).as("the next files are on their way").isEqualTo(5);
        assertThat(readWhole(ids.get(names.get(1)))).isEqualTo("content " + names.get(1).substring(1));
        assertThat(fs.events().prefetchedWaiting()).as("taken, not fetched twice").isEqualTo(4);

        // a change on the server, and its event: nothing fetched before it is used
        Files.writeString(dir.resolve(names.get(2)), "changed on the server");
        fs.events().changed();
        assertThat(fs.events().prefetchedWaiting()).isZero();
        assertThat(readWhole(ids.get(names.get(2)))).isEqualTo("changed on the server");
        assertThat(fs.events().prefetchedWaiting()).as("fetching starts over after a drop").isEqualTo(3);

        // events down: nothing fetched ahead is used
        Files.writeString(dir.resolve(names.get(3)), "changed while events were down");
        live[0] = false;
        assertThat(readWhole(ids.get(names.get(3)))).isEqualTo("changed while events were down");
    }

    @Test
    void filesOpenedOutOfListingOrderAreNotFetchedAhead() throws Exception {
        for (int i = 0; i < 6; i++) {
            Files.writeString(dir.resolve("g" + i), "x");
        }
        fs.events().prefetchWhile(() -> true);
        long dh = fs.opendir(REQ, ROOT, 0).fh();
        List<Long> order = new ArrayList<>();
        fs.readdirplus(REQ, ROOT, dh, 0, (name, entry, next) -> {
            if (!name.equals(".") && !name.equals("..")) {
                order.add(entry.nodeId());
            }
            return true;
        });
        fs.releasedir(REQ, ROOT, dh);
        readWhole(order.get(3));
        assertThat(fs.events().prefetchedWaiting()).isZero();
    }

    private String readWhole(long node) throws Exception {
        FuseOpen o = fs.open(REQ, node, OpenFlags.O_RDONLY);
        ByteBuffer dst = ByteBuffer.allocate(1000);
        int n = fs.read(REQ, node, o.fh(), 0, 1000, dst);
        fs.release(REQ, node, o.fh(), OpenFlags.O_RDONLY);
        return new String(dst.array(), 0, n, java.nio.charset.StandardCharsets.UTF_8);
    }
    @Test
    void aProgramDescendingATreeGetsTheSubdirectoriesListedAhead() throws Exception {
        for (int i = 0; i < 5; i++) {
            Files.createDirectories(dir.resolve("top/s" + i));
            Files.writeString(dir.resolve("top/s" + i + "/f" + i), "x");
        }
        fs.events().prefetchWhile(() -> true);
        Map<String, Long> root = listPlus(ROOT);
        assertThat(fs.events().listingsWaiting()).as("a first listing is no descent").isZero();
        Map<String, Long> top = listPlus(root.get("top"));
        assertThat(top.keySet()).containsExactlyInAnyOrder("s0", "s1", "s2", "s3", "s4");
        assertThat(fs.events().listingsWaiting()).as("top was found in a listing: its subdirectories come ahead").isEqualTo(5);

        assertThat(listPlus(top.get("s0")).keySet()).containsExactly("f0");
        assertThat(fs.events().listingsWaiting()).as("taken").isEqualTo(4);

        // a change on the server and its event: pages fetched before it are not used
        Files.writeString(dir.resolve("top/s1/new"), "y");
        fs.events().changed();
        assertThat(fs.events().listingsWaiting()).isZero();
        assertThat(listPlus(top.get("s1")).keySet()).containsExactlyInAnyOrder("f1", "new");
    }

    @Test
    void aListingStartedAgainAtOnceGivesTheKernelEachReferenceOnce() throws Exception {
        Files.createDirectories(dir.resolve("d"));
        for (int i = 0; i < 10; i++) {
            Files.writeString(dir.resolve("d/f" + i), "x");
        }
        long d = Reply.<FuseEntry>await(r -> fs.lookup(REQ, ROOT, "d", r)).nodeId();
        boolean[] live = {true};
        fs.events().prefetchWhile(() -> live[0]);

        // a first pass that stops after four names (as rm's fts does), then a listing from the start
        List<String> firstPass = listPlusUpTo(d, 4).keySet().stream().toList();
        Map<String, Long> again = listPlusUpTo(d, Integer.MAX_VALUE);
        assertThat(again).hasSize(10);
        for (String name : firstPass) {
            assertThat(again.get(name)).as(name + ": the kernel took it already, a name this time").isZero();
        }
        assertThat(again.entrySet().stream().filter(e -> !firstPass.contains(e.getKey())))
                .as("the others come with their nodes").allSatisfy(e -> assertThat(e.getValue()).isNotZero());

        // listed once more at once: the kernel holds every node now, so names only
        assertThat(listPlusUpTo(d, Integer.MAX_VALUE).values()).hasSize(10).allSatisfy(n -> assertThat(n).isZero());
        // never across a change
        fs.events().changed(); // an event
        assertThat(listPlusUpTo(d, Integer.MAX_VALUE).values()).allSatisfy(n -> assertThat(n).isNotZero());
        listPlusUpTo(d, 4);
        Reply.<Void>await(r -> fs.unlink(REQ, d, "f9", r)); // a change through the mount
        Map<String, Long> afterUnlink = listPlusUpTo(d, Integer.MAX_VALUE);
        assertThat(afterUnlink).hasSize(9).doesNotContainKey("f9");
        assertThat(afterUnlink.values()).allSatisfy(n -> assertThat(n).isNotZero());
        live[0] = false; // events down: nothing kept
        listPlusUpTo(d, 4);
        assertThat(listPlusUpTo(d, Integer.MAX_VALUE).values()).allSatisfy(n -> assertThat(n).isNotZero());
    }

    /** A listing through READDIRPLUS that stops after {@code max} names (without "." and ".."). */
    private Map<String, Long> listPlusUpTo(long node, int max) throws Exception {
        Map<String, Long> out = new LinkedHashMap<>();
        long dh = fs.opendir(REQ, node, 0).fh();
        fs.readdirplus(REQ, node, dh, 0, (name, entry, next) -> {
            if (name.equals(".") || name.equals("..")) {
                return true;
            }
            if (out.size() == max) {
                return false;
            }
            out.put(name, entry.nodeId());
            return true;
        });
        fs.releasedir(REQ, node, dh);
        return out;
    }

    /** A program's listing through READDIRPLUS: name -> node. */
    private Map<String, Long> listPlus(long node) throws Exception {
        Map<String, Long> out = new HashMap<>();
        long dh = fs.opendir(REQ, node, 0).fh();
        fs.readdirplus(REQ, node, dh, 0, (name, entry, next) -> {
            if (!name.equals(".") && !name.equals("..")) {
                out.put(name, entry.nodeId());
            }
            return true;
        });
        fs.releasedir(REQ, node, dh);
        return out;
    }
}
