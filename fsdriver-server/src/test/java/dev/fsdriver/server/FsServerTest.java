package dev.fsdriver.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.fsdriver.backend.posix.PosixBackend;
import dev.fsdriver.common.Errno;
import dev.fsdriver.common.OpenFlags;
import dev.fsdriver.proto.v1.CreateReply;
import dev.fsdriver.proto.v1.CreateRequest;
import dev.fsdriver.proto.v1.DirEntry;
import dev.fsdriver.proto.v1.EventsGrpc;
import dev.fsdriver.proto.v1.FilesGrpc;
import dev.fsdriver.proto.v1.HandleRequest;
import dev.fsdriver.proto.v1.LookupRequest;
import dev.fsdriver.proto.v1.OpenReply;
import dev.fsdriver.proto.v1.OpenRequest;
import dev.fsdriver.proto.v1.ReadDirReply;
import dev.fsdriver.proto.v1.ReadDirRequest;
import dev.fsdriver.proto.v1.ReadReply;
import dev.fsdriver.proto.v1.ReadRequest;
import dev.fsdriver.proto.v1.WatchReply;
import dev.fsdriver.proto.v1.WriteExtent;
import dev.fsdriver.proto.v1.WriteReply;
import dev.fsdriver.proto.v1.WriteRequest;
import dev.fsdriver.protocol.Protocol;
import dev.fsdriver.protocol.StatusCodec;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Server behaviour beyond one backend: cursors, concurrency, the Events service being served. */
class FsServerTest {
    @TempDir
    Path dir;
    private FsServer server;
    private ManagedChannel channel;
    private FilesGrpc.FilesBlockingStub files;

    @BeforeEach
    void start() throws Exception {
        String name = InProcessServerBuilder.generateName();
        // a real executor (not direct): calls run concurrently on server threads
        server = FsServer.builder().serverBuilder(InProcessServerBuilder.forName(name))
                .share("s", PosixBackend.open(dir, false), false).build();
        server.start();
        channel = InProcessChannelBuilder.forName(name).build();
        Metadata md = new Metadata();
        md.put(Protocol.SHARE, "s");
        files = FilesGrpc.newBlockingStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md));
    }

    @AfterEach
    void stop() throws Exception {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.close();
    }

    /** WriteRequest.earlier: ranges written in the order given, before the call's own; written counts them all. */
    @Test
    void aWriteWithEarlierRangesWritesThemInOrderBeforeItsOwn() throws Exception {
        CreateReply c = files.create(CreateRequest.newBuilder().setParent(1).setName("db")
                .setMode(0644).setFlags(OpenFlags.O_RDWR | OpenFlags.O_CREAT).build());
        WriteReply r = files.write(WriteRequest.newBuilder().setHandle(c.getHandle()).setOffset(3)
                .setData(ByteString.copyFromUtf8("z"))
                .addEarlier(WriteExtent.newBuilder().setOffset(0).setData(ByteString.copyFromUtf8("aaaa")))
                .addEarlier(WriteExtent.newBuilder().setOffset(2).setData(ByteString.copyFromUtf8("bb")))
                .setSync(true).build());
        assertThat(r.getWritten()).isEqualTo(7);
        assertThat(r.getAttr().getSize()).isEqualTo(4);
        assertThat(Files.readAllBytes(dir.resolve("db"))).as("the ranges in order, the data last").isEqualTo("aabz".getBytes());
        assertThat(SessionService.CAPABILITIES).contains("write-extents");
    }

    /**
     * WriteRequest.set_mtime_ns (issue 17): the client answered stat with that mtime while it held
     * the data back; the server sets it after writing, through the open file (so also once the
     * file has no name), the atime left as it was.
     */
    @Test
    void aWriteWithSetMtimeLeavesTheFileWithThatMtime() throws Exception {
        CreateReply c = files.create(CreateRequest.newBuilder().setParent(1).setName("journal")
                .setMode(0644).setFlags(OpenFlags.O_RDWR | OpenFlags.O_CREAT).build());
        FileTime atime = FileTime.from(1_000_000_000L, TimeUnit.SECONDS);
        Files.setAttribute(dir.resolve("journal"), "lastAccessTime", atime);
        long mtime = 1_700_000_000_123_456_700L;
        WriteReply r = files.write(WriteRequest.newBuilder().setHandle(c.getHandle()).setOffset(0)
                .setData(ByteString.copyFromUtf8("record")).setSetMtimeNs(mtime).setSync(true).build());
        assertThat(r.getWritten()).isEqualTo(6);
        assertThat(r.getAttr().getMtimeNs()).as("the reply's attributes are after it").isEqualTo(mtime);
        assertThat(Files.getLastModifiedTime(dir.resolve("journal")).to(TimeUnit.NANOSECONDS)).isEqualTo(mtime);
        assertThat(Files.getAttribute(dir.resolve("journal"), "lastAccessTime")).isEqualTo(atime);
        assertThat(Files.readString(dir.resolve("journal"))).isEqualTo("record");
        assertThat(SessionService.WRITE_MTIME).isEqualTo("write-mtime");

        // unlinked while open: still through the open file
        Files.delete(dir.resolve("journal"));
        WriteReply gone = files.write(WriteRequest.newBuilder().setHandle(c.getHandle()).setOffset(6)
                .setData(ByteString.copyFromUtf8("!")).setSetMtimeNs(mtime + 1000).build());
        assertThat(gone.getAttr().getMtimeNs()).isEqualTo(mtime + 1000);
        assertThat(gone.getAttr().getSize()).isEqualTo(7);
    }

    /** A set mtime is part of the write: not through a handle that cannot write, nor on a read-only share. */
    @Test
    void aSetMtimeIsRefusedWhereTheWriteIs() throws Exception {
        Files.writeString(dir.resolve("ro"), "old");
        FileTime before = Files.getLastModifiedTime(dir.resolve("ro"));
        long node = files.lookup(LookupRequest.newBuilder().setParent(1).setName("ro").build()).getId();
        OpenReply o = files.open(OpenRequest.newBuilder().setNode(node).setFlags(OpenFlags.O_RDONLY).build());
        assertThatThrownBy(() -> files.write(WriteRequest.newBuilder().setHandle(o.getHandle())
                .setData(ByteString.EMPTY).setSetMtimeNs(1_000_000_000L).build()))
                .satisfies(e -> assertThat(StatusCodec.toErrno(e)).isEqualTo(Errno.EBADF));
        assertThat(Files.getLastModifiedTime(dir.resolve("ro"))).isEqualTo(before);

        String name = InProcessServerBuilder.generateName();
        try (FsServer readOnly = FsServer.builder().serverBuilder(InProcessServerBuilder.forName(name))
                .share("s", PosixBackend.open(dir, false), true).build()) {
            readOnly.start();
            ManagedChannel ch = InProcessChannelBuilder.forName(name).build();
            try {
                Metadata md = new Metadata();
                md.put(Protocol.SHARE, "s");
                FilesGrpc.FilesBlockingStub ro = FilesGrpc.newBlockingStub(ch)
                        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md));
                assertThatThrownBy(() -> ro.write(WriteRequest.newBuilder().setHandle(o.getHandle())
                        .setData(ByteString.EMPTY).setSetMtimeNs(1_000_000_000L).build()))
                        .satisfies(e -> assertThat(StatusCodec.toErrno(e)).isEqualTo(Errno.EROFS));
            } finally {
                ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
        assertThat(Files.getLastModifiedTime(dir.resolve("ro"))).isEqualTo(before);
    }

    /** Ranges at offsets mean nothing through an O_APPEND handle: refused, nothing written. */
    @Test
    void earlierRangesThroughAnAppendHandleAreRefused() throws Exception {
        CreateReply c = files.create(CreateRequest.newBuilder().setParent(1).setName("log")
                .setMode(0644).setFlags(OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_APPEND).build());
        assertThatThrownBy(() -> files.write(WriteRequest.newBuilder().setHandle(c.getHandle())
                .setData(ByteString.copyFromUtf8("z"))
                .addEarlier(WriteExtent.newBuilder().setOffset(0).setData(ByteString.copyFromUtf8("a"))).build()))
                .satisfies(e -> assertThat(StatusCodec.toErrno(e)).isEqualTo(Errno.EINVAL));
        assertThat(Files.size(dir.resolve("log"))).isZero();
    }

    /**
     * A write that fails after some of its ranges were written still clears the set-group-ID bit
     * of a group-executable file, as Linux does before it writes (here: the data's offset is past
     * the largest file the disk's file system takes, EFBIG, after the range at 0 was written).
     */
    @Test
    void aWriteFailingAfterARangeWasWrittenStillClearsTheSetIdBits() throws Exception {
        CreateReply c = files.create(CreateRequest.newBuilder().setParent(1).setName("tool")
                .setMode(0775).setFlags(OpenFlags.O_RDWR | OpenFlags.O_CREAT).build());
        Files.setAttribute(dir.resolve("tool"), "unix:mode", 02775);
        assertThatThrownBy(() -> files.write(WriteRequest.newBuilder().setHandle(c.getHandle())
                .setOffset(1L << 50).setData(ByteString.copyFromUtf8("y")).setKillSuidgid(true)
                .addEarlier(WriteExtent.newBuilder().setOffset(0).setData(ByteString.copyFromUtf8("x"))).build()))
                .isInstanceOf(StatusRuntimeException.class);
        assertThat(Files.readString(dir.resolve("tool"))).isEqualTo("x");
        assertThat((Integer) Files.getAttribute(dir.resolve("tool"), "unix:mode") & 07777).isEqualTo(0775);
    }

    @Test
    void aWriteWithSyncMakesTheFileDurableBeforeItIsAnswered() throws Exception {
        // the backend's syncs, recorded: "data" for fdatasync, "all" for fsync
        List<String> syncs = Collections.synchronizedList(new ArrayList<>());
        dev.fsdriver.backend.Backend posix = PosixBackend.open(dir, false);
        dev.fsdriver.backend.Backend recorded = proxy(dev.fsdriver.backend.Backend.class, posix, (m, result) ->
                result instanceof dev.fsdriver.backend.OpenFile f ? proxy(dev.fsdriver.backend.OpenFile.class, f,
                        (fm, r) -> r, (fm, args) -> {
                            if (fm.getName().equals("sync")) {
                                syncs.add((Boolean) args[0] ? "data" : "all");
                            }
                        }) : result, (m, args) -> { });
        String name = InProcessServerBuilder.generateName();
        try (FsServer own = FsServer.builder().serverBuilder(InProcessServerBuilder.forName(name))
                .share("s", recorded, false).build()) {
            own.start();
            ManagedChannel ch = InProcessChannelBuilder.forName(name).build();
            try {
                Metadata md = new Metadata();
                md.put(Protocol.SHARE, "s");
                FilesGrpc.FilesBlockingStub f = FilesGrpc.newBlockingStub(ch)
                        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md));
                CreateReply c = f.create(CreateRequest.newBuilder().setParent(1).setName("journal")
                        .setMode(0644).setFlags(OpenFlags.O_RDWR | OpenFlags.O_CREAT).build());
                f.write(WriteRequest.newBuilder().setHandle(c.getHandle()).setOffset(0)
                        .setData(ByteString.copyFromUtf8("plain")).build());
                assertThat(syncs).isEmpty();
                f.write(WriteRequest.newBuilder().setHandle(c.getHandle()).setOffset(5)
                        .setData(ByteString.copyFromUtf8(" synced")).setSync(true).build());
                f.write(WriteRequest.newBuilder().setHandle(c.getHandle()).setOffset(12)
                        .setData(ByteString.copyFromUtf8("!")).setSync(true).setDatasync(true).build());
                assertThat(syncs).containsExactly("all", "data");
                assertThat(dir.resolve("journal")).hasContent("plain synced!");
                assertThat(SessionService.CAPABILITIES).contains("write-sync");
            } finally {
                ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }

    /** {@code target} seen through {@code type}: each call is shown to {@code before}, each result passed through {@code after}. */
    @SuppressWarnings("unchecked")
    private static <T> T proxy(Class<T> type, T target,
                               BiFunction<java.lang.reflect.Method, Object, Object> after,
                               BiConsumer<java.lang.reflect.Method, Object[]> before) {
        return (T) java.lang.reflect.Proxy.newProxyInstance(FsServerTest.class.getClassLoader(), new Class<?>[] {type},
                (p, m, args) -> {
                    before.accept(m, args);
                    try {
                        return after.apply(m, m.invoke(target, args));
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    @Test
    void aListingCarriesTheEventSequenceItWasMadeAfterOnEveryPage() throws Exception {
        for (int i = 0; i < 3; i++) {
            Files.createFile(dir.resolve("s" + i));
        }
        ReadDirReply first = files.readDir(ReadDirRequest.newBuilder().setNode(1).setMaxEntries(1).build());
        ReadDirReply second = files.readDir(ReadDirRequest.newBuilder().setNode(1)
                .setCursor(first.getEntries(0).getCursor()).setMaxEntries(1).build());
        assertThat(first.getEventSequence()).as("the share is watched: its hub numbers events").isPositive();
        assertThat(second.getEventSequence()).as("the same snapshot").isEqualTo(first.getEventSequence());
    }

    /**
     * Attributes are read page by page (Backend#listNames): a name deleted after the listing
     * was made and before its page is read is left out, and a page all of whose names are gone
     * gives the next names instead of an empty page (which would end the client's listing).
     */
    @Test
    void namesGoneBeforeTheirPageIsReadAreLeftOutAndAnEmptiedPageDoesNotEndTheListing() throws Exception {
        Files.createDirectory(dir.resolve("p"));
        for (int i = 0; i < 6; i++) {
            Files.writeString(dir.resolve("p/g" + i), "x".repeat(i));
        }
        long p = files.lookup(LookupRequest.newBuilder().setParent(1).setName("p").build()).getId();
        ReadDirReply first = files.readDir(ReadDirRequest.newBuilder().setNode(p).setMaxEntries(2).setPlus(true).build());
        assertThat(first.getEntriesList()).extracting(DirEntry::getName).containsExactly("g0", "g1");
        assertThat(first.getEntries(1).getNode().getAttr().getSize()).isEqualTo(1);
        for (String gone : List.of("g2", "g3", "g5")) {
            Files.delete(dir.resolve("p").resolve(gone));
        }
        ReadDirReply second = files.readDir(ReadDirRequest.newBuilder().setNode(p)
                .setCursor(first.getEntries(1).getCursor()).setMaxEntries(2).setPlus(true).build());
        assertThat(second.getEntriesList()).extracting(DirEntry::getName).containsExactly("g4");
        assertThat(second.getEntries(0).getNode().getAttr().getSize()).isEqualTo(4);
        assertThat(second.getEventSequence()).isEqualTo(first.getEventSequence());
        assertThat(second.getEof()).isTrue();
    }

    @Test
    void readdirCursorSurvivesAnEvictedSnapshot() throws Exception {
        for (int i = 0; i < 300; i++) {
            Files.createFile(dir.resolve(String.format("e%03d", i)));
        }
        ReadDirReply first = files.readDir(ReadDirRequest.newBuilder().setNode(1).setMaxEntries(100).build());
        long cursor = first.getEntries(99).getCursor();
        // 300 fresh listings push the first snapshot out of the 256-entry cache
        for (int i = 0; i < 300; i++) {
            files.readDir(ReadDirRequest.newBuilder().setNode(1).setMaxEntries(1).build());
        }
        List<DirEntry> rest = new ArrayList<>();
        while (true) {
            ReadDirReply r = files.readDir(ReadDirRequest.newBuilder().setNode(1).setCursor(cursor).setMaxEntries(100).build());
            rest.addAll(r.getEntriesList());
            if (r.getEof()) {
                break;
            }
            cursor = r.getEntries(r.getEntriesCount() - 1).getCursor();
        }
        Set<String> names = new HashSet<>();
        first.getEntriesList().forEach(e -> names.add(e.getName()));
        for (DirEntry e : rest) {
            assertThat(names.add(e.getName())).as("no duplicate " + e.getName()).isTrue();
        }
        assertThat(names).hasSize(300);
    }

    @Test
    void idsFromAnEarlierServerInstanceNameTheSameFileOnceFoundAgainHandlesAreStale() throws Exception {
        Files.writeString(dir.resolve("a"), "A");
        Files.writeString(dir.resolve("b"), "BB");
        long oldId = files.lookup(LookupRequest.newBuilder().setParent(1).setName("a").build()).getId();
        long oldHandle = files.open(dev.fsdriver.proto.v1.OpenRequest.newBuilder().setNode(oldId).build()).getHandle();
        Thread.sleep(5); // a later millisecond: the next instance's handle range
        String name = InProcessServerBuilder.generateName();
        try (FsServer restarted = FsServer.builder().serverBuilder(InProcessServerBuilder.forName(name))
                .share("s", PosixBackend.open(dir, false), false).build()) {
            restarted.start();
            ManagedChannel ch = InProcessChannelBuilder.forName(name).build();
            try {
                Metadata md = new Metadata();
                md.put(Protocol.SHARE, "s");
                var again = FilesGrpc.newBlockingStub(ch).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md));
                // unknown to the new instance until found by name (the client does that by the path it knows)
                var stale = org.assertj.core.api.Assertions.catchThrowableOfType(io.grpc.StatusRuntimeException.class,
                        () -> again.getAttr(dev.fsdriver.proto.v1.GetAttrRequest.newBuilder().setNode(oldId).build()));
                assertThat(dev.fsdriver.protocol.StatusCodec.toErrno(stale)).isEqualTo(dev.fsdriver.common.Errno.ESTALE);
                long bId = again.lookup(LookupRequest.newBuilder().setParent(1).setName("b").build()).getId();
                assertThat(bId).isNotEqualTo(oldId);
                long aId = again.lookup(LookupRequest.newBuilder().setParent(1).setName("a").build()).getId();
                assertThat(aId).as("ids come from the file's identity").isEqualTo(oldId);
                assertThat(again.getAttr(dev.fsdriver.proto.v1.GetAttrRequest.newBuilder().setNode(oldId).build()).getSize())
                        .isEqualTo(1);
                var badf = org.assertj.core.api.Assertions.catchThrowableOfType(io.grpc.StatusRuntimeException.class,
                        () -> again.read(ReadRequest.newBuilder().setHandle(oldHandle).setSize(10).build()));
                assertThat(dev.fsdriver.protocol.StatusCodec.toErrno(badf)).isEqualTo(dev.fsdriver.common.Errno.EBADF);
            } finally {
                ch.shutdownNow();
            }
        }
    }

    @Test
    void manyConcurrentRequests() throws Exception {
        int threads = 16;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<CompletableFuture<Void>> all = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                String name = "file" + t;
                all.add(CompletableFuture.runAsync(() -> {
                    CreateReply c = files.create(CreateRequest.newBuilder().setParent(1).setName(name)
                            .setMode(0644).setFlags(OpenFlags.O_RDWR | OpenFlags.O_CREAT).build());
                    for (int i = 0; i < 50; i++) {
                        files.write(WriteRequest.newBuilder().setHandle(c.getHandle()).setOffset(i * 4L)
                                .setData(ByteString.copyFromUtf8(String.format("%04d", i))).build());
                        files.lookup(LookupRequest.newBuilder().setParent(1).setName(name).build());
                        files.readDir(ReadDirRequest.newBuilder().setNode(1).setPlus(true).build());
                    }
                    String back = files.read(ReadRequest.newBuilder().setHandle(c.getHandle()).setSize(1000).build())
                            .getData().toStringUtf8();
                    assertThat(back).hasSize(200).startsWith("0000").endsWith("0049");
                    files.release(HandleRequest.newBuilder().setHandle(c.getHandle()).build());
                }, pool));
            }
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        try (var list = Files.list(dir)) {
            assertThat(list.count()).isEqualTo(threads);
        }
    }

    @Test
    void eventsWatchOfAnUnknownShareIsNotFound() throws Exception {
        // Events.Watch is implemented (dev.fsdriver.server.events; tests there): here only that
        // FsServer serves it, with the share taken from the Subscribe message.
        CompletableFuture<Status> done = new CompletableFuture<>();
        StreamObserver<dev.fsdriver.proto.v1.WatchRequest> req = EventsGrpc.newStub(channel).watch(new StreamObserver<WatchReply>() {
            @Override
            public void onNext(WatchReply value) {}

            @Override
            public void onError(Throwable t) {
                done.complete(Status.fromThrowable(t));
            }

            @Override
            public void onCompleted() {
                done.complete(Status.OK);
            }
        });
        req.onNext(dev.fsdriver.proto.v1.WatchRequest.newBuilder()
                .setSubscribe(dev.fsdriver.proto.v1.Subscribe.newBuilder().setShare("nope")).build());
        assertThat(done.get(10, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.NOT_FOUND);
    }
    @Test
    void readOnlyOpenOfASmallFileBringsItWholeAndKeepsNothingOpen() throws Exception {
        Files.writeString(dir.resolve("small.txt"), "hello, inline");
        Files.write(dir.resolve("big.bin"), new byte[300_000]);
        long small = files.lookup(LookupRequest.newBuilder().setParent(1).setName("small.txt").build()).getId();
        long big = files.lookup(LookupRequest.newBuilder().setParent(1).setName("big.bin").build()).getId();

        OpenReply whole = files.open(OpenRequest.newBuilder().setNode(small).setFlags(OpenFlags.O_RDONLY)
                .setInlineMax(128 << 10).build());
        assertThat(whole.hasData()).isTrue();
        assertThat(whole.getData().toStringUtf8()).isEqualTo("hello, inline");
        assertThat(whole.getHandle()).as("nothing kept open").isZero();

        // the file grows after that open: the client reads the rest by node, without a handle
        Files.writeString(dir.resolve("small.txt"), "hello, inline, and more");
        ReadReply rest = files.read(ReadRequest.newBuilder().setHandle(0).setNode(small).setOffset(13).setSize(100).build());
        assertThat(rest.getData().toStringUtf8()).isEqualTo(", and more");

        // another file put at its path (a replace the watcher may not have reported yet): never
        // its bytes for this node (before: read from whatever the path held)
        Files.writeString(dir.resolve("other.txt"), "another file's bytes");
        Files.move(dir.resolve("other.txt"), dir.resolve("small.txt"), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        assertThatThrownBy(() -> files.read(ReadRequest.newBuilder().setHandle(0).setNode(small).setOffset(0).setSize(100).build()))
                .satisfies(e -> assertThat(StatusCodec.toErrno(e)).isIn(Errno.ESTALE, Errno.ENOENT));

        OpenReply large = files.open(OpenRequest.newBuilder().setNode(big).setFlags(OpenFlags.O_RDONLY)
                .setInlineMax(128 << 10).build());
        assertThat(large.hasData()).as("larger than inline_max").isFalse();
        assertThat(large.getHandle()).isNotZero();
        files.release(HandleRequest.newBuilder().setHandle(large.getHandle()).build());

        OpenReply asked = files.open(OpenRequest.newBuilder().setNode(small).setFlags(OpenFlags.O_RDONLY).build());
        assertThat(asked.hasData()).as("inline_max 0: never").isFalse();
        files.release(HandleRequest.newBuilder().setHandle(asked.getHandle()).build());

        OpenReply writable = files.open(OpenRequest.newBuilder().setNode(small).setFlags(OpenFlags.O_RDWR)
                .setInlineMax(128 << 10).build());
        assertThat(writable.hasData()).as("only read-only opens").isFalse();
        assertThat(writable.getHandle()).isNotZero();
        files.release(HandleRequest.newBuilder().setHandle(writable.getHandle()).build());
    }

    /**
     * inline_max 0 means never, for an empty file too: the client asks so for a handle to keep
     * reading a file whose last name goes, and an empty file came back "whole" with none, so an
     * fstat after the unlink said ENOENT (ConcurrentStress seed 27).
     */
    @Test
    void anEmptyFileOpenedWithInlineMaxZeroGetsAHandle() throws Exception {
        Files.write(dir.resolve("empty"), new byte[0]);
        long node = files.lookup(LookupRequest.newBuilder().setParent(1).setName("empty").build()).getId();
        OpenReply asked = files.open(OpenRequest.newBuilder().setNode(node).setFlags(OpenFlags.O_RDONLY).build());
        assertThat(asked.hasData()).isFalse();
        assertThat(asked.getHandle()).isNotZero();
        files.release(HandleRequest.newBuilder().setHandle(asked.getHandle()).build());
        OpenReply whole = files.open(OpenRequest.newBuilder().setNode(node).setFlags(OpenFlags.O_RDONLY)
                .setInlineMax(128 << 10).build());
        assertThat(whole.hasData()).isTrue();
        assertThat(whole.getHandle()).isZero();
    }

    @Test
    void aReadOfAFewBytesReturnsExactlyThem() throws Exception {
        Files.writeString(dir.resolve("f"), "0123456789");
        long node = files.lookup(LookupRequest.newBuilder().setParent(1).setName("f").build()).getId();
        long h = files.open(OpenRequest.newBuilder().setNode(node).setFlags(OpenFlags.O_RDONLY).build()).getHandle();
        assertThat(files.read(ReadRequest.newBuilder().setHandle(h).setOffset(3).setSize(1 << 20).build())
                .getData().toStringUtf8()).isEqualTo("3456789");
        assertThat(files.read(ReadRequest.newBuilder().setHandle(h).setOffset(10).setSize(1 << 20).build())
                .getData().size()).isZero();
        files.release(HandleRequest.newBuilder().setHandle(h).build());
    }
}
