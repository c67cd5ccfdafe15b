package dev.fsdriver.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.fsdriver.backend.posix.PosixBackend;
import dev.fsdriver.common.Errno;
import dev.fsdriver.common.OpenFlags;
import dev.fsdriver.proto.v1.CreateRequest;
import dev.fsdriver.proto.v1.FilesGrpc;
import dev.fsdriver.proto.v1.GetAttrRequest;
import dev.fsdriver.proto.v1.LinkRequest;
import dev.fsdriver.proto.v1.LookupRequest;
import dev.fsdriver.proto.v1.MkdirRequest;
import dev.fsdriver.proto.v1.NameRequest;
import dev.fsdriver.proto.v1.OpenRequest;
import dev.fsdriver.proto.v1.ReadDirReply;
import dev.fsdriver.proto.v1.ReadDirRequest;
import dev.fsdriver.proto.v1.ReadRequest;
import dev.fsdriver.proto.v1.RenameRequest;
import dev.fsdriver.proto.v1.SetAttrRequest;
import dev.fsdriver.proto.v1.SymlinkRequest;
import dev.fsdriver.proto.v1.TimeSpec;
import dev.fsdriver.proto.v1.WriteRequest;
import dev.fsdriver.protocol.Protocol;
import dev.fsdriver.protocol.StatusCodec;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 9 item 9: every malformed request, sent through the generated stubs, gets the errno
 * POSIX gives for the same mistake, changes nothing, and the server keeps serving.
 */
class MalformedRequestsTest {
    @TempDir
    Path dir;
    private FsServer server;
    private ManagedChannel channel;
    private FilesGrpc.FilesBlockingStub files;
    private long fileNode;
    private long handle;

    private record Ctx(FilesGrpc.FilesBlockingStub files, long file, long handle) {}

    @BeforeEach
    void start() throws Exception {
        Files.writeString(dir.resolve("f"), "content");
        Files.createDirectory(dir.resolve("d"));
        String name = InProcessServerBuilder.generateName();
        server = FsServer.builder().serverBuilder(InProcessServerBuilder.forName(name))
                .share("s", PosixBackend.open(dir, false), false).build();
        server.start();
        channel = InProcessChannelBuilder.forName(name).build();
        Metadata md = new Metadata();
        md.put(Protocol.SHARE, "s");
        files = FilesGrpc.newBlockingStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md));
        fileNode = files.lookup(LookupRequest.newBuilder().setParent(1).setName("f").build()).getId();
        handle = files.open(OpenRequest.newBuilder().setNode(fileNode).setFlags(OpenFlags.O_RDWR).build()).getHandle();
    }

    @AfterEach
    void stop() throws Exception {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.close();
    }

    private static final String LONG_NAME = "n".repeat(256);
    /** 100 characters, 300 UTF-8 bytes: within 255 UTF-16 units, beyond NAME_MAX bytes. */
    private static final String LONG_UTF8_NAME = "\u20ac".repeat(100);

    static Stream<Arguments> malformed() {
        return Stream.of(
                row("Lookup empty name", Errno.EINVAL, c -> c.files.lookup(LookupRequest.newBuilder().setParent(1).setName("").build())),
                row("Lookup '.'", Errno.EINVAL, c -> c.files.lookup(LookupRequest.newBuilder().setParent(1).setName(".").build())),
                row("Lookup '..'", Errno.EINVAL, c -> c.files.lookup(LookupRequest.newBuilder().setParent(1).setName("..").build())),
                row("Lookup 'a/b'", Errno.EINVAL, c -> c.files.lookup(LookupRequest.newBuilder().setParent(1).setName("d/f").build())),
                row("Lookup NUL", Errno.EINVAL, c -> c.files.lookup(LookupRequest.newBuilder().setParent(1).setName("f\0").build())),
                row("Lookup 256 chars", Errno.ENAMETOOLONG, c -> c.files.lookup(LookupRequest.newBuilder().setParent(1).setName(LONG_NAME).build())),
                row("Mkdir 300 UTF-8 bytes", Errno.ENAMETOOLONG, c -> c.files.mkdir(MkdirRequest.newBuilder().setParent(1).setName(LONG_UTF8_NAME).setMode(0755).build())),
                row("Lookup unknown node", Errno.ESTALE, c -> c.files.lookup(LookupRequest.newBuilder().setParent(0).setName("f").build())),
                row("SetAttr size 2^64-1", Errno.EFBIG, c -> c.files.setAttr(SetAttrRequest.newBuilder().setNode(c.file).setSize(-1).build())),
                row("SetAttr size 2^63", Errno.EFBIG, c -> c.files.setAttr(SetAttrRequest.newBuilder().setNode(c.file).setSize(Long.MIN_VALUE).build())),
                row("SetAttr mode 010644", Errno.EINVAL, c -> c.files.setAttr(SetAttrRequest.newBuilder().setNode(c.file).setMode(0100644).build())),
                row("SetAttr uid -1", Errno.EINVAL, c -> c.files.setAttr(SetAttrRequest.newBuilder().setNode(c.file).setUid(-1).build())),
                row("SetAttr gid -1", Errno.EINVAL, c -> c.files.setAttr(SetAttrRequest.newBuilder().setNode(c.file).setGid(-1).build())),
                row("SetAttr empty time", Errno.EINVAL, c -> c.files.setAttr(SetAttrRequest.newBuilder().setNode(c.file).setMtime(TimeSpec.getDefaultInstance()).build())),
                row("SetAttr now=false", Errno.EINVAL, c -> c.files.setAttr(SetAttrRequest.newBuilder().setNode(c.file).setAtime(TimeSpec.newBuilder().setNow(false)).build())),
                row("Open flags 0xFFFFFFFF", Errno.EINVAL, c -> c.files.open(OpenRequest.newBuilder().setNode(c.file).setFlags(-1).build())),
                row("Open access mode 3", Errno.EINVAL, c -> c.files.open(OpenRequest.newBuilder().setNode(c.file).setFlags(3).build())),
                row("Open O_CREAT", Errno.EINVAL, c -> c.files.open(OpenRequest.newBuilder().setNode(c.file).setFlags(OpenFlags.O_CREAT | OpenFlags.O_RDWR).build())),
                row("Open O_TMPFILE", Errno.EINVAL, c -> c.files.open(OpenRequest.newBuilder().setNode(c.file).setFlags(020000000 | OpenFlags.O_RDWR).build())),
                row("Read 2^32-1 bytes", Errno.EINVAL, c -> c.files.read(ReadRequest.newBuilder().setHandle(c.handle).setSize(-1).build())),
                row("Read 1 MiB + 1", Errno.EINVAL, c -> c.files.read(ReadRequest.newBuilder().setHandle(c.handle).setSize(Protocol.MAX_IO_BYTES + 1).build())),
                row("Read at 2^64-1", Errno.EINVAL, c -> c.files.read(ReadRequest.newBuilder().setHandle(c.handle).setSize(1).setOffset(-1).build())),
                row("Read unknown handle", Errno.EBADF, c -> c.files.read(ReadRequest.newBuilder().setHandle(12345).setSize(1).build())),
                row("Write 2 MiB", Errno.EINVAL, c -> c.files.write(WriteRequest.newBuilder().setHandle(c.handle).setData(ByteString.copyFrom(new byte[2 << 20])).build())),
                row("Write at 2^63", Errno.EINVAL, c -> c.files.write(WriteRequest.newBuilder().setHandle(c.handle).setOffset(Long.MIN_VALUE).setData(ByteString.copyFromUtf8("x")).build())),
                row("Write ending beyond 2^63-1", Errno.EFBIG, c -> c.files.write(WriteRequest.newBuilder().setHandle(c.handle).setOffset(Long.MAX_VALUE).setData(ByteString.copyFromUtf8("xy")).build())),
                row("Create mode 0100644", Errno.EINVAL, c -> c.files.create(CreateRequest.newBuilder().setParent(1).setName("new").setMode(0100644).setFlags(OpenFlags.O_RDWR).build())),
                row("Create flags 0xFFFFFFFF", Errno.EINVAL, c -> c.files.create(CreateRequest.newBuilder().setParent(1).setName("new").setMode(0644).setFlags(-1).build())),
                row("Create O_DIRECTORY", Errno.EINVAL, c -> c.files.create(CreateRequest.newBuilder().setParent(1).setName("new").setMode(0644).setFlags(OpenFlags.O_DIRECTORY | OpenFlags.O_RDWR).build())),
                row("Create '..'", Errno.EINVAL, c -> c.files.create(CreateRequest.newBuilder().setParent(1).setName("..").setMode(0644).build())),
                row("Mkdir mode 040755", Errno.EINVAL, c -> c.files.mkdir(MkdirRequest.newBuilder().setParent(1).setName("nd").setMode(040755).build())),
                row("Mkdir '/'", Errno.EINVAL, c -> c.files.mkdir(MkdirRequest.newBuilder().setParent(1).setName("/").setMode(0755).build())),
                row("Unlink empty name", Errno.EINVAL, c -> c.files.unlink(NameRequest.newBuilder().setParent(1).setName("").build())),
                row("Rmdir '.'", Errno.EINVAL, c -> c.files.rmdir(NameRequest.newBuilder().setParent(1).setName(".").build())),
                row("Rename flags 3", Errno.EINVAL, c -> c.files.rename(RenameRequest.newBuilder().setParent(1).setName("f").setNewParent(1).setNewName("g").setFlags(3).build())),
                row("Rename flags 4 (WHITEOUT)", Errno.EINVAL, c -> c.files.rename(RenameRequest.newBuilder().setParent(1).setName("f").setNewParent(1).setNewName("g").setFlags(4).build())),
                row("Rename flags 0xFFFFFFFF", Errno.EINVAL, c -> c.files.rename(RenameRequest.newBuilder().setParent(1).setName("f").setNewParent(1).setNewName("g").setFlags(-1).build())),
                row("Rename new name NUL", Errno.EINVAL, c -> c.files.rename(RenameRequest.newBuilder().setParent(1).setName("f").setNewParent(1).setNewName("a\0b").build())),
                row("Link new name too long", Errno.ENAMETOOLONG, c -> c.files.link(LinkRequest.newBuilder().setNode(c.file).setNewParent(1).setNewName(LONG_NAME).build())),
                row("Symlink empty target", Errno.ENOENT, c -> c.files.symlink(SymlinkRequest.newBuilder().setParent(1).setName("l").setTarget("").build())),
                row("Symlink NUL in target", Errno.EINVAL, c -> c.files.symlink(SymlinkRequest.newBuilder().setParent(1).setName("l").setTarget("a\0b").build())),
                row("Symlink target 4096 bytes", Errno.ENAMETOOLONG, c -> c.files.symlink(SymlinkRequest.newBuilder().setParent(1).setName("l").setTarget("t".repeat(4096)).build())));
    }

    private static Arguments row(String what, int errno, Function<Ctx, Object> call) {
        return Arguments.of(what, errno, call);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void isRefusedWithTheRightErrnoAndChangesNothing(String what, int errno, Function<Ctx, Object> call) throws Exception {
        List<String> before = listing();
        StatusRuntimeException e = null;
        try {
            call.apply(new Ctx(files, fileNode, handle));
        } catch (StatusRuntimeException x) {
            e = x;
        }
        assertThat(e).as(what + " must fail").isNotNull();
        assertThat(Errno.name(StatusCodec.toErrno(e))).as(what + ": " + e.getStatus()).isEqualTo(Errno.name(errno));
        assertThat(e.getStatus().getCode()).isEqualTo(StatusCodec.codeFor(errno));
        // Nothing changed, and the server goes on serving (the handle too).
        assertThat(listing()).isEqualTo(before);
        assertThat(Files.readString(dir.resolve("f"))).isEqualTo("content");
        assertThat(files.read(ReadRequest.newBuilder().setHandle(handle).setSize(100).build()).getData().toStringUtf8())
                .isEqualTo("content");
        assertThat(files.getAttr(GetAttrRequest.newBuilder().setNode(fileNode).build()).getSize()).isEqualTo(7);
    }

    /** Issue 9: max_entries 2^32-1 gave 0 entries with eof = false; it is a (clamped) page. */
    @Test
    void readDirWithHugeMaxEntriesReturnsAPage() {
        ReadDirReply r = files.readDir(ReadDirRequest.newBuilder().setNode(1).setMaxEntries(-1).build());
        assertThat(r.getEntriesList()).extracting(dev.fsdriver.proto.v1.DirEntry::getName).containsExactly("d", "f");
        assertThat(r.getEof()).isTrue();
    }

    @Test
    void theLargestWellFormedWriteAndReadAreServed() {
        byte[] block = new byte[Protocol.MAX_IO_BYTES];
        block[block.length - 1] = 42;
        assertThat(files.write(WriteRequest.newBuilder().setHandle(handle).setData(ByteString.copyFrom(block)).build())
                .getWritten()).isEqualTo(Protocol.MAX_IO_BYTES);
        byte[] back = files.read(ReadRequest.newBuilder().setHandle(handle).setSize(Protocol.MAX_IO_BYTES).build())
                .getData().toByteArray();
        assertThat(back).isEqualTo(block);
    }

    private List<String> listing() throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
