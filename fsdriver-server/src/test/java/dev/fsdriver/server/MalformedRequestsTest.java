package dev.fsdriver.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import dev.fsdriver.backend.posix.PosixBackend;
import dev.fsdriver.common.Errno;
import dev.fsdriver.common.FileMode;
import dev.fsdriver.common.OpenFlags;
import dev.fsdriver.proto.v1.CreateRequest;
import dev.fsdriver.proto.v1.DirEntry;
import dev.fsdriver.proto.v1.FilesGrpc;
import dev.fsdriver.proto.v1.ForgetRequest;
import dev.fsdriver.proto.v1.FsyncRequest;
import dev.fsdriver.proto.v1.GetAttrRequest;
import dev.fsdriver.proto.v1.HandleRequest;
import dev.fsdriver.proto.v1.HelloRequest;
import dev.fsdriver.proto.v1.LinkRequest;
import dev.fsdriver.proto.v1.LookupRequest;
import dev.fsdriver.proto.v1.MkdirRequest;
import dev.fsdriver.proto.v1.MknodRequest;
import dev.fsdriver.proto.v1.NameRequest;
import dev.fsdriver.proto.v1.NodeRequest;
import dev.fsdriver.proto.v1.OpenManyRequest;
import dev.fsdriver.proto.v1.OpenRequest;
import dev.fsdriver.proto.v1.ReadDirReply;
import dev.fsdriver.proto.v1.ReadDirRequest;
import dev.fsdriver.proto.v1.ReadRequest;
import dev.fsdriver.proto.v1.RenameRequest;
import dev.fsdriver.proto.v1.SessionGrpc;
import dev.fsdriver.proto.v1.SetAttrRequest;
import dev.fsdriver.proto.v1.SetXattrRequest;
import dev.fsdriver.proto.v1.SymlinkRequest;
import dev.fsdriver.proto.v1.TimeSpec;
import dev.fsdriver.proto.v1.WriteExtent;
import dev.fsdriver.proto.v1.WriteRequest;
import dev.fsdriver.proto.v1.XattrRequest;
import dev.fsdriver.protocol.Protocol;
import dev.fsdriver.protocol.StatusCodec;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Collections;
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
    /** Another connection, and a handle it opened: to this test's connection, another's fd (EBADF). */
    private ManagedChannel otherChannel;
    private FilesGrpc.FilesBlockingStub otherFiles;
    private long foreignHandle;

    /** {@code session}: Session calls with no share header (Hello names its share itself). */
    private record Ctx(FilesGrpc.FilesBlockingStub files, SessionGrpc.SessionBlockingStub session,
            FilesGrpc.FilesBlockingStub unknownShare, long file, long handle, long foreign) {}

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
        otherChannel = InProcessChannelBuilder.forName(name).build();
        otherFiles = FilesGrpc.newBlockingStub(otherChannel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md));
        foreignHandle = otherFiles.open(OpenRequest.newBuilder().setNode(fileNode).setFlags(OpenFlags.O_RDWR).build()).getHandle();
    }

    @AfterEach
    void stop() throws Exception {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        otherChannel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
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
                row("OpenMany of no node", Errno.EINVAL, c -> c.files.openMany(OpenManyRequest.newBuilder().setInlineMax(4096).build())),
                row("OpenMany of 65 nodes", Errno.EINVAL, c -> c.files.openMany(OpenManyRequest.newBuilder().setInlineMax(4096)
                        .addAllNodes(Collections.nCopies(65, c.file)).build())),
                row("OpenMany inline_max 0", Errno.EINVAL, c -> c.files.openMany(OpenManyRequest.newBuilder().addNodes(c.file).build())),
                row("OpenMany inline_max past max_io_bytes", Errno.EINVAL, c -> c.files.openMany(OpenManyRequest.newBuilder()
                        .addNodes(c.file).setInlineMax(Protocol.MAX_IO_BYTES + 1).build())),
                row("Read 2^32-1 bytes", Errno.EINVAL, c -> c.files.read(ReadRequest.newBuilder().setHandle(c.handle).setSize(-1).build())),
                row("Read 1 MiB + 1", Errno.EINVAL, c -> c.files.read(ReadRequest.newBuilder().setHandle(c.handle).setSize(Protocol.MAX_IO_BYTES + 1).build())),
                row("Read at 2^64-1", Errno.EINVAL, c -> c.files.read(ReadRequest.newBuilder().setHandle(c.handle).setSize(1).setOffset(-1).build())),
                row("Read unknown handle", Errno.EBADF, c -> c.files.read(ReadRequest.newBuilder().setHandle(12345).setSize(1).build())),
                row("Write 2 MiB", Errno.EINVAL, c -> c.files.write(WriteRequest.newBuilder().setHandle(c.handle).setData(ByteString.copyFrom(new byte[2 << 20])).build())),
                row("Write at 2^63", Errno.EINVAL, c -> c.files.write(WriteRequest.newBuilder().setHandle(c.handle).setOffset(Long.MIN_VALUE).setData(ByteString.copyFromUtf8("x")).build())),
                row("Write ending beyond 2^63-1", Errno.EFBIG, c -> c.files.write(WriteRequest.newBuilder().setHandle(c.handle).setOffset(Long.MAX_VALUE).setData(ByteString.copyFromUtf8("xy")).build())),
                // the earlier ranges count with the data: 1 MiB in all at most, each range checked as one write
                row("Write 1 MiB + 1 in two ranges", Errno.EINVAL, c -> c.files.write(WriteRequest.newBuilder().setHandle(c.handle).setData(ByteString.copyFrom(new byte[1 << 20]))
                        .addEarlier(WriteExtent.newBuilder().setOffset(2 << 20).setData(ByteString.copyFromUtf8("x"))).build())),
                row("Write with 65 ranges", Errno.EINVAL, c -> {
                    WriteRequest.Builder b = WriteRequest.newBuilder().setHandle(c.handle).setData(ByteString.copyFromUtf8("x"));
                    for (int i = 0; i < 65; i++) {
                        b.addEarlier(WriteExtent.newBuilder().setOffset(i * 2L).setData(ByteString.copyFromUtf8("x")));
                    }
                    return c.files.write(b.build());
                }),
                // the change after the data (WriteRequest.then) is of the handle's node, through no other handle
                row("Write then of another node", Errno.EINVAL, c -> c.files.write(WriteRequest.newBuilder().setHandle(c.handle).setData(ByteString.copyFromUtf8("x"))
                        .setThen(SetAttrRequest.newBuilder().setNode(1).setMode(0700)).build())),
                row("Write then through another handle", Errno.EINVAL, c -> c.files.write(WriteRequest.newBuilder().setHandle(c.handle).setData(ByteString.copyFromUtf8("x"))
                        .setThen(SetAttrRequest.newBuilder().setNode(c.file).setHandle(c.foreign).setMode(0600)).build())),
                row("Write range at 2^63", Errno.EINVAL, c -> c.files.write(WriteRequest.newBuilder().setHandle(c.handle).setData(ByteString.copyFromUtf8("x"))
                        .addEarlier(WriteExtent.newBuilder().setOffset(Long.MIN_VALUE).setData(ByteString.copyFromUtf8("x"))).build())),
                row("Write range ending beyond 2^63-1", Errno.EFBIG, c -> c.files.write(WriteRequest.newBuilder().setHandle(c.handle).setData(ByteString.copyFromUtf8("x"))
                        .addEarlier(WriteExtent.newBuilder().setOffset(Long.MAX_VALUE).setData(ByteString.copyFromUtf8("xy"))).build())),
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
                row("Symlink target 4096 bytes", Errno.ENAMETOOLONG, c -> c.files.symlink(SymlinkRequest.newBuilder().setParent(1).setName("l").setTarget("t".repeat(4096)).build())),
                // mknod(2): devices need CAP_MKNOD (and the mount is nodev), a directory is EPERM (may_mknod), other types EINVAL
                row("Mknod char device", Errno.EPERM, c -> mknod(c, "dev", FileMode.S_IFCHR | 0644)),
                row("Mknod block device", Errno.EPERM, c -> mknod(c, "dev", FileMode.S_IFBLK | 0644)),
                row("Mknod S_IFDIR", Errno.EPERM, c -> mknod(c, "dir", FileMode.S_IFDIR | 0755)),
                row("Mknod S_IFLNK", Errno.EINVAL, c -> mknod(c, "lnk", FileMode.S_IFLNK | 0777)),
                row("Mknod type 0030000", Errno.EINVAL, c -> mknod(c, "odd", 0030000 | 0644)),
                row("Mknod FIFO mode 0210644", Errno.EINVAL, c -> mknod(c, "p", 0200000 | FileMode.S_IFIFO | 0644)),
                row("Mknod FIFO mode 0xFFFFFFFF", Errno.EINVAL, c -> mknod(c, "p", -1)),
                row("Mknod FIFO 04755", Errno.EPERM, c -> mknod(c, "p", FileMode.S_IFIFO | 04755)),
                row("Mknod socket 02755", Errno.EPERM, c -> mknod(c, "s", FileMode.S_IFSOCK | 02755)),
                row("Mknod regular 04755", Errno.EPERM, c -> mknod(c, "r", FileMode.S_IFREG | 04755)),
                row("Mknod empty name", Errno.EINVAL, c -> mknod(c, "", FileMode.S_IFIFO | 0644)),
                row("Mknod '..'", Errno.EINVAL, c -> mknod(c, "..", FileMode.S_IFIFO | 0644)),
                row("Mknod 256 chars", Errno.ENAMETOOLONG, c -> mknod(c, LONG_NAME, FileMode.S_IFIFO | 0644)),
                row("Mknod 300 UTF-8 bytes", Errno.ENAMETOOLONG, c -> mknod(c, LONG_UTF8_NAME, FileMode.S_IFIFO | 0644)),
                row("Mknod unknown parent", Errno.ESTALE, c -> c.files.mknod(MknodRequest.newBuilder().setParent(12345).setName("p").setMode(FileMode.S_IFIFO | 0644).build())),
                // getxattr(2) and friends: name empty or beyond XATTR_NAME_MAX ERANGE, value beyond XATTR_SIZE_MAX E2BIG,
                // unknown flags EINVAL, checked in that order: flags, name, size (setxattr_copy)
                row("GetXattr empty name", Errno.ERANGE, c -> c.files.getXattr(xattr(c.file, ""))),
                row("GetXattr 256-byte name", Errno.ERANGE, c -> c.files.getXattr(xattr(c.file, "user." + "x".repeat(251)))),
                row("GetXattr 300 UTF-8 bytes", Errno.ERANGE, c -> c.files.getXattr(xattr(c.file, "user." + LONG_UTF8_NAME))),
                row("GetXattr bare 'user.'", Errno.EINVAL, c -> c.files.getXattr(xattr(c.file, "user."))),
                row("GetXattr NUL in name", Errno.EINVAL, c -> c.files.getXattr(xattr(c.file, "user.a\0b"))),
                row("GetXattr unknown node", Errno.ESTALE, c -> c.files.getXattr(xattr(12345, "user.a"))),
                row("ListXattr unknown node", Errno.ESTALE, c -> c.files.listXattr(NodeRequest.newBuilder().setNode(12345).build())),
                row("ListXattr node 0", Errno.ESTALE, c -> c.files.listXattr(NodeRequest.newBuilder().setNode(0).build())),
                row("SetXattr empty name", Errno.ERANGE, c -> c.files.setXattr(setXattr(c.file, "", 1, 0))),
                row("SetXattr 256-byte name", Errno.ERANGE, c -> c.files.setXattr(setXattr(c.file, "user." + "x".repeat(251), 1, 0))),
                row("SetXattr bare 'user.'", Errno.EINVAL, c -> c.files.setXattr(setXattr(c.file, "user.", 1, 0))),
                row("SetXattr value 64 KiB + 1", Errno.E2BIG, c -> c.files.setXattr(setXattr(c.file, "user.a", (64 << 10) + 1, 0))),
                row("SetXattr flags 4", Errno.EINVAL, c -> c.files.setXattr(setXattr(c.file, "user.a", 1, 4))),
                row("SetXattr flags 0xFFFFFFFF", Errno.EINVAL, c -> c.files.setXattr(setXattr(c.file, "user.a", 1, -1))),
                row("SetXattr flags 4 and empty name", Errno.EINVAL, c -> c.files.setXattr(setXattr(c.file, "", 1, 4))),
                row("SetXattr flags 4 and 64 KiB + 1", Errno.EINVAL, c -> c.files.setXattr(setXattr(c.file, "user.a", (64 << 10) + 1, 4))),
                row("SetXattr empty name and 64 KiB + 1", Errno.ERANGE, c -> c.files.setXattr(setXattr(c.file, "", (64 << 10) + 1, 0))),
                row("SetXattr unknown node", Errno.ESTALE, c -> c.files.setXattr(setXattr(12345, "user.a", 1, 0))),
                row("RemoveXattr empty name", Errno.ERANGE, c -> c.files.removeXattr(xattr(c.file, ""))),
                row("RemoveXattr 300 UTF-8 bytes", Errno.ERANGE, c -> c.files.removeXattr(xattr(c.file, "user." + LONG_UTF8_NAME))),
                row("RemoveXattr bare 'user.'", Errno.EINVAL, c -> c.files.removeXattr(xattr(c.file, "user."))),
                row("RemoveXattr unknown node", Errno.ESTALE, c -> c.files.removeXattr(xattr(12345, "user.a"))),
                // a cursor is (snapshot << 32 | position): a position from 2^31 on is none the server gave out
                row("ReadDir cursor 2^64-1", Errno.EINVAL, c -> c.files.readDir(ReadDirRequest.newBuilder().setNode(1).setCursor(-1).build())),
                row("ReadDir cursor position 2^31", Errno.EINVAL, c -> c.files.readDir(ReadDirRequest.newBuilder().setNode(1).setCursor((1L << 32) | 0x80000000L).build())),
                row("ReadDir unknown node", Errno.ESTALE, c -> c.files.readDir(ReadDirRequest.newBuilder().setNode(12345).build())),
                row("ReadDir of a file", Errno.ENOTDIR, c -> c.files.readDir(ReadDirRequest.newBuilder().setNode(c.file).build())),
                // handles: 0, never given out, or another connection's (another process's fd number): EBADF
                row("Flush handle 0", Errno.EBADF, c -> c.files.flush(HandleRequest.newBuilder().setHandle(0).build())),
                row("Flush unknown handle", Errno.EBADF, c -> c.files.flush(HandleRequest.newBuilder().setHandle(12345).build())),
                row("Flush foreign handle", Errno.EBADF, c -> c.files.flush(HandleRequest.newBuilder().setHandle(c.foreign).build())),
                row("Fsync handle 0", Errno.EBADF, c -> c.files.fsync(FsyncRequest.newBuilder().setHandle(0).build())),
                row("Fsync unknown handle", Errno.EBADF, c -> c.files.fsync(FsyncRequest.newBuilder().setHandle(-1).setDatasync(true).build())),
                row("Fsync foreign handle", Errno.EBADF, c -> c.files.fsync(FsyncRequest.newBuilder().setHandle(c.foreign).build())),
                row("Fsync handle and dir", Errno.EINVAL, c -> c.files.fsync(FsyncRequest.newBuilder().setHandle(c.handle).setDir(1).build())),
                row("Fsync dir unknown node", Errno.ESTALE, c -> c.files.fsync(FsyncRequest.newBuilder().setDir(987654321L).build())),
                row("Fsync dir of a file", Errno.ENOTDIR, c -> c.files.fsync(FsyncRequest.newBuilder().setDir(c.file).build())),
                row("Fsync also_dir without a handle", Errno.EINVAL, c -> c.files.fsync(FsyncRequest.newBuilder().setAlsoDir(1).build())),
                row("Release handle 0", Errno.EBADF, c -> c.files.release(HandleRequest.newBuilder().setHandle(0).build())),
                row("Release unknown handle", Errno.EBADF, c -> c.files.release(HandleRequest.newBuilder().setHandle(12345).build())),
                row("Release foreign handle", Errno.EBADF, c -> c.files.release(HandleRequest.newBuilder().setHandle(c.foreign).build())),
                row("Read foreign handle", Errno.EBADF, c -> c.files.read(ReadRequest.newBuilder().setHandle(c.foreign).setSize(1).build())),
                row("Write foreign handle", Errno.EBADF, c -> c.files.write(WriteRequest.newBuilder().setHandle(c.foreign).setData(ByteString.copyFromUtf8("x")).build())),
                row("GetAttr foreign handle", Errno.EBADF, c -> c.files.getAttr(GetAttrRequest.newBuilder().setNode(c.file).setHandle(c.foreign).build())),
                row("SetAttr foreign handle", Errno.EBADF, c -> c.files.setAttr(SetAttrRequest.newBuilder().setNode(c.file).setHandle(c.foreign).setSize(0).build())),
                // statfs(2) of a path that is not there; a node id is an NFS file handle: ESTALE
                row("StatFs unknown node", Errno.ESTALE, c -> c.files.statFs(NodeRequest.newBuilder().setNode(12345).build())),
                row("StatFs node 0", Errno.ESTALE, c -> c.files.statFs(NodeRequest.newBuilder().setNode(0).build())),
                // Hello: as FUSE_INIT with an unknown major version (EPROTO); a share that is not there ENOENT
                row("Hello protocol version 0", Errno.EPROTO, c -> c.session.hello(HelloRequest.newBuilder().setShare("s").build())),
                row("Hello protocol version 2", Errno.EPROTO, c -> c.session.hello(HelloRequest.newBuilder().setProtocolVersion(2).setShare("s").build())),
                row("Hello empty share", Errno.ENOENT, c -> c.session.hello(HelloRequest.newBuilder().setProtocolVersion(Protocol.VERSION).build())),
                row("Hello unknown share", Errno.ENOENT, c -> c.session.hello(HelloRequest.newBuilder().setProtocolVersion(Protocol.VERSION).setShare("t").build())),
                row("GetAttr unknown share header", Errno.ENOENT, c -> c.unknownShare.getAttr(GetAttrRequest.newBuilder().setNode(1).build())));
    }

    private static Object mknod(Ctx c, String name, int mode) {
        return c.files.mknod(MknodRequest.newBuilder().setParent(1).setName(name).setMode(mode).build());
    }

    private static XattrRequest xattr(long node, String name) {
        return XattrRequest.newBuilder().setNode(node).setName(name).build();
    }

    private static SetXattrRequest setXattr(long node, String name, int size, int flags) {
        return SetXattrRequest.newBuilder().setNode(node).setName(name).setValue(ByteString.copyFrom(new byte[size])).setFlags(flags).build();
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
            call.apply(new Ctx(files, SessionGrpc.newBlockingStub(channel), unknownShare(), fileNode, handle, foreignHandle));
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
        assertThat(otherFiles.read(ReadRequest.newBuilder().setHandle(foreignHandle).setSize(100).build()).getData().toStringUtf8())
                .isEqualTo("content");
        assertThat(files.listXattr(NodeRequest.newBuilder().setNode(fileNode).build()).getNamesList()).isEmpty();
    }

    private FilesGrpc.FilesBlockingStub unknownShare() {
        Metadata md = new Metadata();
        md.put(Protocol.SHARE, "t");
        return FilesGrpc.newBlockingStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md));
    }

    /** Issue 9: max_entries 2^32-1 gave 0 entries with eof = false; it is a (clamped) page. */
    @Test
    void readDirWithHugeMaxEntriesReturnsAPage() {
        ReadDirReply r = files.readDir(ReadDirRequest.newBuilder().setNode(1).setMaxEntries(-1).build());
        assertThat(r.getEntriesList()).extracting(DirEntry::getName).containsExactly("d", "f");
        assertThat(r.getEof()).isTrue();
    }

    /** mknod(2) makes a regular file of type S_IFREG or 0 (the kernel sends it for mknod and for an open(O_CREAT) without Create). */
    @Test
    void mknodMakesFifosAndRegularFiles() throws Exception {
        files.mknod(MknodRequest.newBuilder().setParent(1).setName("p").setMode(FileMode.S_IFIFO | 0640).build());
        files.mknod(MknodRequest.newBuilder().setParent(1).setName("r").setMode(FileMode.S_IFREG | 0640).build());
        files.mknod(MknodRequest.newBuilder().setParent(1).setName("z").setMode(0640).build());
        assertThat(Files.readAttributes(dir.resolve("p"), "unix:mode", LinkOption.NOFOLLOW_LINKS).get("mode")).isEqualTo(FileMode.S_IFIFO | 0640);
        assertThat(Files.readAttributes(dir.resolve("r"), "unix:mode").get("mode")).isEqualTo(FileMode.S_IFREG | 0640);
        assertThat(Files.readAttributes(dir.resolve("z"), "unix:mode").get("mode")).isEqualTo(FileMode.S_IFREG | 0640);
        assertThat(Files.size(dir.resolve("r"))).isZero();
        StatusRuntimeException again = catchThrowableOfType(StatusRuntimeException.class,
                () -> files.mknod(MknodRequest.newBuilder().setParent(1).setName("r").setMode(FileMode.S_IFREG | 0640).build()));
        assertThat(StatusCodec.toErrno(again)).isEqualTo(Errno.EEXIST);
    }

    /** FUSE FORGET has no answer: ids never given out, 0, the root and more forgets than lookups change nothing. */
    @Test
    void forgetOfBadIdsBreaksNothing() {
        files.forget(ForgetRequest.newBuilder().addNodes(0).addNodes(-1).addNodes(12345).addNodes(Long.MAX_VALUE).build());
        ForgetRequest.Builder root = ForgetRequest.newBuilder();
        for (int i = 0; i < 1000; i++) {
            root.addNodes(1);
        }
        files.forget(root.build());
        assertThat(files.lookup(LookupRequest.newBuilder().setParent(1).setName("d").build()).getAttr().getMode() & FileMode.S_IFMT)
                .isEqualTo(FileMode.S_IFDIR);
        // the file's node forgotten more often than looked up: gone (ESTALE) until looked up again, then whole
        files.forget(ForgetRequest.newBuilder().addNodes(fileNode).addNodes(fileNode).addNodes(fileNode).build());
        StatusRuntimeException stale = catchThrowableOfType(StatusRuntimeException.class,
                () -> files.getAttr(GetAttrRequest.newBuilder().setNode(fileNode).build()));
        assertThat(StatusCodec.toErrno(stale)).isEqualTo(Errno.ESTALE);
        assertThat(files.lookup(LookupRequest.newBuilder().setParent(1).setName("f").build()).getId()).isEqualTo(fileNode);
        assertThat(files.getAttr(GetAttrRequest.newBuilder().setNode(fileNode).build()).getSize()).isEqualTo(7);
        files.forget(ForgetRequest.newBuilder().addNodes(fileNode).build());
        assertThat(StatusCodec.toErrno(catchThrowableOfType(StatusRuntimeException.class,
                () -> files.getAttr(GetAttrRequest.newBuilder().setNode(fileNode).build())))).isEqualTo(Errno.ESTALE);
        // the open handle does not depend on the node
        assertThat(files.read(ReadRequest.newBuilder().setHandle(handle).setSize(100).build()).getData().toStringUtf8()).isEqualTo("content");
    }

    /** A cursor past the last entry is the end of the listing (getdents at EOF), not an error. */
    @Test
    void readDirCursorPastTheEndIsTheEnd() {
        long cursor = files.readDir(ReadDirRequest.newBuilder().setNode(1).build()).getEntries(1).getCursor();
        ReadDirReply r = files.readDir(ReadDirRequest.newBuilder().setNode(1).setCursor(cursor + 1000).build());
        assertThat(r.getEntriesList()).isEmpty();
        assertThat(r.getEof()).isTrue();
    }

    /** fstatfs of an unlinked open file works on Linux: a deleted node the client still holds is answered. */
    @Test
    void statFsOfADeletedNodeIsServed() {
        files.unlink(NameRequest.newBuilder().setParent(1).setName("f").build());
        assertThat(files.statFs(NodeRequest.newBuilder().setNode(fileNode).build()).getBsize()).isPositive();
        assertThat(files.statFs(NodeRequest.newBuilder().setNode(1).build()).getBsize()).isPositive();
    }

    @Test
    void helloSaysWhatIsWrong() {
        SessionGrpc.SessionBlockingStub session = SessionGrpc.newBlockingStub(channel);
        assertThat(catchThrowableOfType(StatusRuntimeException.class,
                () -> session.hello(HelloRequest.newBuilder().setProtocolVersion(2).setShare("s").build())).getStatus().getDescription())
                .isEqualTo("EPROTO: protocol version 2 not supported: this server speaks " + Protocol.VERSION);
        assertThat(catchThrowableOfType(StatusRuntimeException.class,
                () -> session.hello(HelloRequest.newBuilder().setProtocolVersion(Protocol.VERSION).build())).getStatus().getDescription())
                .isEqualTo("ENOENT: Hello names no share");
        assertThat(catchThrowableOfType(StatusRuntimeException.class,
                () -> session.hello(HelloRequest.newBuilder().setProtocolVersion(Protocol.VERSION).setShare("t").build())).getStatus().getDescription())
                .isEqualTo("ENOENT: unknown share 't'");
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
