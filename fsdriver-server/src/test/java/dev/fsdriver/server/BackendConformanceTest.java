package dev.fsdriver.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.google.protobuf.ByteString;
import dev.fsdriver.backend.Backend;
import dev.fsdriver.common.Errno;
import dev.fsdriver.common.FileMode;
import dev.fsdriver.common.OpenFlags;
import dev.fsdriver.common.Xattrs;
import dev.fsdriver.proto.v1.Attr;
import dev.fsdriver.proto.v1.CreateReply;
import dev.fsdriver.proto.v1.CreateRequest;
import dev.fsdriver.proto.v1.DirEntry;
import dev.fsdriver.proto.v1.Empty;
import dev.fsdriver.proto.v1.FilesGrpc;
import dev.fsdriver.proto.v1.ForgetRequest;
import dev.fsdriver.proto.v1.FsyncRequest;
import dev.fsdriver.proto.v1.GetAttrRequest;
import dev.fsdriver.proto.v1.HandleRequest;
import dev.fsdriver.proto.v1.HelloReply;
import dev.fsdriver.proto.v1.HelloRequest;
import dev.fsdriver.proto.v1.LinkRequest;
import dev.fsdriver.proto.v1.LookupRequest;
import dev.fsdriver.proto.v1.MkdirRequest;
import dev.fsdriver.proto.v1.MknodRequest;
import dev.fsdriver.proto.v1.NameRequest;
import dev.fsdriver.proto.v1.Node;
import dev.fsdriver.proto.v1.NodeRequest;
import dev.fsdriver.proto.v1.OpenReply;
import dev.fsdriver.proto.v1.OpenRequest;
import dev.fsdriver.proto.v1.ParentAttrs;
import dev.fsdriver.proto.v1.ReadDirReply;
import dev.fsdriver.proto.v1.ReadDirRequest;
import dev.fsdriver.proto.v1.ReadRequest;
import dev.fsdriver.proto.v1.RenameRequest;
import dev.fsdriver.proto.v1.SessionGrpc;
import dev.fsdriver.proto.v1.SetAttrRequest;
import dev.fsdriver.proto.v1.SetXattrRequest;
import dev.fsdriver.proto.v1.StatFsReply;
import dev.fsdriver.proto.v1.SymlinkRequest;
import dev.fsdriver.proto.v1.UnlinkManyReply;
import dev.fsdriver.proto.v1.UnlinkManyRequest;
import dev.fsdriver.proto.v1.TimeSpec;
import dev.fsdriver.proto.v1.WriteReply;
import dev.fsdriver.proto.v1.WriteRequest;
import dev.fsdriver.proto.v1.XattrRequest;
import dev.fsdriver.protocol.Protocol;
import dev.fsdriver.protocol.StatusCodec;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The backend conformance suite, at the gRPC level: a real {@link FsServer} over the backend
 * under test, called through the in-process transport exactly as the client calls it. Every
 * Files RPC and its errors, read-only enforcement, auth, and containment (symlinks out of the
 * share must never be traversed). Subclasses supply the backend.
 */
public abstract class BackendConformanceTest {
    protected static final String TOKEN = "conformance-token";
    private static final long ROOT = 1;

    /** Opens the backend under test on {@code dir}. */
    protected abstract Backend openBackend(Path dir, boolean readOnly) throws Exception;

    /**
     * Whether the backend keeps all permission bits (chmod 0600 reads back 0600). A backend
     * that maps them onto something coarser (Windows: the read-only attribute) says false.
     */
    protected boolean keepsModeBits() {
        return true;
    }

    /** Whether the backend keeps user.* extended attributes (else every xattr call is EOPNOTSUPP). */
    protected boolean keepsUserXattrs() {
        return true;
    }

    /** Whether the test machine's own file system has the POSIX attribute views (not Windows). */
    private static boolean posixHost() {
        return java.nio.file.FileSystems.getDefault().supportedFileAttributeViews().contains("unix");
    }

    @TempDir
    Path tmp;
    protected Path share;
    protected Path outside;
    private FsServer server;
    private ManagedChannel channel;
    private FilesGrpc.FilesBlockingStub files;
    private FilesGrpc.FilesBlockingStub roFiles;

    @BeforeEach
    void start() throws Exception {
        share = Files.createDirectory(tmp.resolve("share"));
        outside = Files.createDirectory(tmp.resolve("outside"));
        Files.writeString(outside.resolve("secret.txt"), "SECRET");
        String name = InProcessServerBuilder.generateName();
        server = FsServer.builder()
                .serverBuilder(InProcessServerBuilder.forName(name).directExecutor())
                .share("s", openBackend(share, false), false)
                .share("ro", openBackend(share, true), true)
                .token(TOKEN)
                .build();
        server.start();
        channel = InProcessChannelBuilder.forName(name).directExecutor().build();
        files = stub(FilesGrpc.newBlockingStub(channel), "s", TOKEN, false);
        roFiles = stub(FilesGrpc.newBlockingStub(channel), "ro", TOKEN, false);
    }

    @AfterEach
    void stop() {
        channel.shutdownNow();
        server.close();
    }

    // ------------------------------------------------------------------------------- helpers

    private static <S extends AbstractStub<S>> S stub(S stub, String share, String token, boolean readOnly) {
        Metadata md = new Metadata();
        if (share != null) {
            md.put(Protocol.SHARE, share);
        }
        if (token != null) {
            md.put(Protocol.AUTHORIZATION, "Bearer " + token);
        }
        if (readOnly) {
            md.put(Protocol.READ_ONLY, "1");
        }
        return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md));
    }

    /** The errno the call fails with; fails the test if it succeeds. */
    private static int errno(Supplier<?> call) {
        try {
            Object r = call.get();
            fail("expected failure, got " + r);
            return 0;
        } catch (StatusRuntimeException e) {
            return StatusCodec.toErrno(e);
        }
    }

    private static void assertErrno(int expected, Supplier<?> call) {
        int got = errno(call);
        assertThat(Errno.name(got)).as("errno").isEqualTo(Errno.name(expected));
    }

    private static Status.Code code(Supplier<?> call) {
        try {
            call.get();
            fail("expected failure");
            return Status.Code.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        }
    }

    private Node lookup(long parent, String name) {
        return files.lookup(LookupRequest.newBuilder().setParent(parent).setName(name).build());
    }

    private Attr getattr(long node) {
        return files.getAttr(GetAttrRequest.newBuilder().setNode(node).build());
    }

    private Node mkdir(long parent, String name) {
        return files.mkdir(MkdirRequest.newBuilder().setParent(parent).setName(name).setMode(0755).build());
    }

    private CreateReply create(long parent, String name, int flags) {
        return files.create(CreateRequest.newBuilder().setParent(parent).setName(name).setMode(0644).setFlags(flags).build());
    }

    private void release(long handle) {
        files.release(HandleRequest.newBuilder().setHandle(handle).build());
    }

    private Node createFile(long parent, String name, String content) {
        CreateReply c = create(parent, name, OpenFlags.O_RDWR | OpenFlags.O_CREAT);
        if (!content.isEmpty()) {
            write(c.getHandle(), 0, content);
        }
        release(c.getHandle());
        return c.getNode();
    }

    private WriteReply write(long handle, long offset, String data) {
        return files.write(WriteRequest.newBuilder().setHandle(handle).setOffset(offset)
                .setData(ByteString.copyFromUtf8(data)).build());
    }

    private String read(long handle, long offset, int size) {
        return files.read(ReadRequest.newBuilder().setHandle(handle).setOffset(offset).setSize(size).build())
                .getData().toStringUtf8();
    }

    private long open(long node, int flags) {
        return files.open(OpenRequest.newBuilder().setNode(node).setFlags(flags).build()).getHandle();
    }

    private Node symlink(long parent, String name, String target) {
        return files.symlink(SymlinkRequest.newBuilder().setParent(parent).setName(name).setTarget(target).build());
    }

    private ParentAttrs rename(long parent, String name, long newParent, String newName, int flags) {
        return files.rename(RenameRequest.newBuilder().setParent(parent).setName(name).setNewParent(newParent)
                .setNewName(newName).setFlags(flags).build());
    }

    private List<DirEntry> readAll(FilesGrpc.FilesBlockingStub stub, long dir, int page, boolean plus, int[] pages) {
        List<DirEntry> all = new ArrayList<>();
        long cursor = 0;
        while (true) {
            ReadDirReply r = stub.readDir(ReadDirRequest.newBuilder().setNode(dir).setCursor(cursor)
                    .setMaxEntries(page).setPlus(plus).build());
            pages[0]++;
            assertThat(r.getEntriesCount()).isLessThanOrEqualTo(page);
            all.addAll(r.getEntriesList());
            if (r.getEof()) {
                return all;
            }
            assertThat(r.getEntriesCount()).as("a page that is not the last is not empty").isPositive();
            cursor = r.getEntries(r.getEntriesCount() - 1).getCursor();
        }
    }

    // ------------------------------------------------------------------------------- session

    @Test
    void helloDescribesTheShare() {
        SessionGrpc.SessionBlockingStub session = stub(SessionGrpc.newBlockingStub(channel), null, TOKEN, false);
        HelloReply r = session.hello(HelloRequest.newBuilder().setProtocolVersion(Protocol.VERSION).setShare("s").build());
        assertThat(r.getProtocolVersion()).isEqualTo(Protocol.VERSION);
        assertThat(r.getRoot().getId()).isEqualTo(ROOT);
        assertThat(FileMode.isDirectory(r.getRoot().getAttr().getMode())).isTrue();
        assertThat(r.getReadOnly()).isFalse();
        assertThat(r.getMaxIoBytes()).isEqualTo(Protocol.MAX_IO_BYTES);
        assertThat(r.getMaxMessageBytes()).isEqualTo(Protocol.MAX_MESSAGE_BYTES);
        assertThat(r.getCapabilitiesList()).contains("readdirplus");
        assertThat(r.getBackend()).isNotEmpty();

        assertThat(session.hello(HelloRequest.newBuilder().setProtocolVersion(1).setShare("ro").build()).getReadOnly()).isTrue();
        assertThat(session.hello(HelloRequest.newBuilder().setProtocolVersion(1).setShare("s").setReadOnly(true).build())
                .getReadOnly()).isTrue();
        assertThat(code(() -> session.hello(HelloRequest.newBuilder().setProtocolVersion(1).setShare("nope").build())))
                .isEqualTo(Status.Code.NOT_FOUND);
        assertThat(errno(() -> session.hello(HelloRequest.newBuilder().setProtocolVersion(99).setShare("s").build())))
                .isEqualTo(Errno.EPROTO);
    }

    @Test
    void wrongOrMissingTokenIsUnauthenticatedAndServesNothing() throws Exception {
        Files.writeString(share.resolve("f"), "x");
        for (String token : new String[] {"wrong", null, TOKEN + "x", ""}) {
            FilesGrpc.FilesBlockingStub bad = stub(FilesGrpc.newBlockingStub(channel), "s", token, false);
            StatusRuntimeException e = catchStatus(() -> bad.lookup(LookupRequest.newBuilder().setParent(ROOT).setName("f").build()));
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
            assertThat(e.getStatus().getDescription()).isEqualTo("invalid or missing token");
            SessionGrpc.SessionBlockingStub session = stub(SessionGrpc.newBlockingStub(channel), null, token, false);
            assertThat(code(() -> session.hello(HelloRequest.newBuilder().setProtocolVersion(1).setShare("s").build())))
                    .isEqualTo(Status.Code.UNAUTHENTICATED);
        }
    }

    private static StatusRuntimeException catchStatus(Supplier<?> call) {
        try {
            call.get();
        } catch (StatusRuntimeException e) {
            return e;
        }
        throw new AssertionError("expected a failing call");
    }

    @Test
    void unknownShareIsNotFound() {
        FilesGrpc.FilesBlockingStub bad = stub(FilesGrpc.newBlockingStub(channel), "nope", TOKEN, false);
        StatusRuntimeException e = catchStatus(() -> bad.getAttr(GetAttrRequest.newBuilder().setNode(ROOT).build()));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(StatusCodec.toErrno(e)).isEqualTo(Errno.ENOENT);
        FilesGrpc.FilesBlockingStub none = stub(FilesGrpc.newBlockingStub(channel), null, TOKEN, false);
        assertErrno(Errno.ENOENT, () -> none.getAttr(GetAttrRequest.newBuilder().setNode(ROOT).build()));
    }

    // ------------------------------------------------------------------------------- lookup, attributes

    @Test
    void lookupAndGetattr() throws Exception {
        Files.writeString(share.resolve("file.txt"), "hello");
        Files.createDirectory(share.resolve("dir"));
        Node f = lookup(ROOT, "file.txt");
        assertThat(f.getId()).isNotEqualTo(ROOT).isPositive();
        assertThat(FileMode.isRegular(f.getAttr().getMode())).isTrue();
        assertThat(f.getAttr().getSize()).isEqualTo(5);
        assertThat(f.getAttr().getNlink()).isEqualTo(1);
        assertThat(f.getAttr().getIno()).isNotZero();
        assertThat(lookup(ROOT, "file.txt").getId()).as("same file, same id").isEqualTo(f.getId());
        assertThat(getattr(f.getId())).isEqualTo(f.getAttr());
        Node d = lookup(ROOT, "dir");
        assertThat(FileMode.isDirectory(d.getAttr().getMode())).isTrue();
        assertThat(getattr(ROOT).getMode() & FileMode.S_IFMT).isEqualTo(FileMode.S_IFDIR);

        assertErrno(Errno.ENOENT, () -> lookup(ROOT, "missing"));
        assertErrno(Errno.ENOTDIR, () -> lookup(f.getId(), "child"));
        assertErrno(Errno.ESTALE, () -> getattr(987654321L));
    }

    @Test
    void setattrSizeModeAndTimes() throws Exception {
        Node f = createFile(ROOT, "f", "0123456789");
        Attr a = files.setAttr(SetAttrRequest.newBuilder().setNode(f.getId()).setSize(4).build());
        assertThat(a.getSize()).isEqualTo(4);
        assertThat(Files.readString(share.resolve("f"))).isEqualTo("0123");
        a = files.setAttr(SetAttrRequest.newBuilder().setNode(f.getId()).setSize(4096).build());
        assertThat(a.getSize()).isEqualTo(4096);
        byte[] content = Files.readAllBytes(share.resolve("f"));
        assertThat(content).hasSize(4096);
        assertThat(content[100]).isZero();

        a = files.setAttr(SetAttrRequest.newBuilder().setNode(f.getId()).setMode(0600).build());
        if (keepsModeBits()) {
            assertThat(a.getMode() & FileMode.PERMISSIONS).isEqualTo(0600);
        }
        assertThat(FileMode.isRegular(a.getMode())).isTrue();

        long t1 = 1_600_000_000_123_456_789L;
        long t2 = 1_500_000_000_000_000_000L;
        a = files.setAttr(SetAttrRequest.newBuilder().setNode(f.getId())
                .setAtime(TimeSpec.newBuilder().setNs(t1)).setMtime(TimeSpec.newBuilder().setNs(t2)).build());
        assertThat(a.getMtimeNs()).isEqualTo(t2);
        assertThat(Math.abs(a.getAtimeNs() - t1)).isLessThan(1_000_000L); // some file systems keep microseconds
        // mtime = now, atime omitted (stays)
        long before = System.currentTimeMillis() * 1_000_000L - 5_000_000_000L;
        a = files.setAttr(SetAttrRequest.newBuilder().setNode(f.getId()).setMtime(TimeSpec.newBuilder().setNow(true)).build());
        assertThat(a.getMtimeNs()).isGreaterThan(before);
        assertThat(Math.abs(a.getAtimeNs() - t1)).isLessThan(1_000_000L);

        if (posixHost() && keepsModeBits()) {
            // owner and group in one change, then the group alone (the owner stays); only root may give away
            int uid = (Integer) Files.getAttribute(share.resolve("f"), "unix:uid", LinkOption.NOFOLLOW_LINKS);
            int gid = (Integer) Files.getAttribute(share.resolve("f"), "unix:gid", LinkOption.NOFOLLOW_LINKS);
            boolean root = uid == 0;
            a = files.setAttr(SetAttrRequest.newBuilder().setNode(f.getId())
                    .setUid(root ? 4321 : uid).setGid(root ? 8765 : gid).build());
            assertThat(a.getUid()).isEqualTo(root ? 4321 : uid);
            assertThat(a.getGid()).isEqualTo(root ? 8765 : gid);
            a = files.setAttr(SetAttrRequest.newBuilder().setNode(f.getId()).setGid(gid).build());
            assertThat(a.getUid()).isEqualTo(root ? 4321 : uid);
            assertThat(a.getGid()).isEqualTo(gid);
            assertThat(Files.getAttribute(share.resolve("f"), "unix:gid", LinkOption.NOFOLLOW_LINKS)).isEqualTo(gid);
            if (root) {
                files.setAttr(SetAttrRequest.newBuilder().setNode(f.getId()).setUid(uid).build());
            }
        }

        // through an open handle
        long h = open(f.getId(), OpenFlags.O_RDWR);
        a = files.setAttr(SetAttrRequest.newBuilder().setNode(f.getId()).setHandle(h).setSize(1).build());
        assertThat(a.getSize()).isEqualTo(1);
        release(h);
        // a no-op setattr is allowed even on a read-only share
        Node rf = roFiles.lookup(LookupRequest.newBuilder().setParent(ROOT).setName("f").build());
        assertThat(roFiles.setAttr(SetAttrRequest.newBuilder().setNode(rf.getId()).build()).getSize()).isEqualTo(1);
    }

    // ------------------------------------------------------------------------------- readdir

    @Test
    void readdirPaginatesLargeDirectoryWithPlus() throws Exception {
        Path big = Files.createDirectory(share.resolve("big"));
        int n = 2500;
        for (int i = 0; i < n; i++) {
            Files.createFile(big.resolve(String.format("f%05d", i)));
        }
        Files.createDirectory(big.resolve("sub"));
        Node dir = lookup(ROOT, "big");
        int[] pages = {0};
        List<DirEntry> all = readAll(files, dir.getId(), 100, true, pages);
        assertThat(all).hasSize(n + 1);
        assertThat(pages[0]).isBetween((n + 1) / 100, (n + 1) / 100 + 2);
        Set<String> names = new HashSet<>();
        for (DirEntry e : all) {
            assertThat(names.add(e.getName())).as("listed once: " + e.getName()).isTrue();
            assertThat(e.hasNode()).isTrue();
            assertThat(e.getNode().getAttr().getIno()).isEqualTo(e.getIno());
            assertThat(e.getName()).isNotIn(".", "..");
        }
        assertThat(names).contains("f00000", "f02499", "sub");
        DirEntry sub = all.stream().filter(e -> e.getName().equals("sub")).findFirst().orElseThrow();
        assertThat(sub.getType()).isEqualTo(FileMode.S_IFDIR);
        assertThat(all.get(0).getType()).isEqualTo(FileMode.S_IFREG);
        // the nodes handed out are registered: usable by id, and the same as a lookup's
        DirEntry some = all.get(1234);
        assertThat(getattr(some.getNode().getId()).getIno()).isEqualTo(some.getIno());
        assertThat(lookup(dir.getId(), some.getName()).getId()).isEqualTo(some.getNode().getId());

        // without plus: names and types only; an empty directory is one eof page
        int[] p2 = {0};
        List<DirEntry> plain = readAll(files, dir.getId(), 1000, false, p2);
        assertThat(plain).hasSize(n + 1);
        assertThat(plain.get(0).hasNode()).isFalse();
        Node empty = mkdir(ROOT, "empty");
        ReadDirReply r = files.readDir(ReadDirRequest.newBuilder().setNode(empty.getId()).build());
        assertThat(r.getEntriesCount()).isZero();
        assertThat(r.getEof()).isTrue();
        Node file = createFile(ROOT, "plain", "");
        assertErrno(Errno.ENOTDIR, () -> files.readDir(ReadDirRequest.newBuilder().setNode(file.getId()).build()));
    }

    // ------------------------------------------------------------------------------- I/O

    @Test
    void openReadWriteFlushFsyncRelease() throws Exception {
        CreateReply c = create(ROOT, "io.txt", OpenFlags.O_RDWR | OpenFlags.O_CREAT);
        assertThat(c.getHandle()).isNotZero();
        if (keepsModeBits()) {
            assertThat(c.getNode().getAttr().getMode() & FileMode.PERMISSIONS).isEqualTo(0644);
        }
        WriteReply w = write(c.getHandle(), 0, "hello world");
        assertThat(w.getWritten()).isEqualTo(11);
        assertThat(w.getAttr().getSize()).isEqualTo(11);
        write(c.getHandle(), 6, "WORLD");
        assertThat(read(c.getHandle(), 0, 100)).isEqualTo("hello WORLD");
        assertThat(read(c.getHandle(), 6, 3)).isEqualTo("WOR");
        assertThat(read(c.getHandle(), 50, 10)).isEmpty();
        files.flush(HandleRequest.newBuilder().setHandle(c.getHandle()).build());
        files.fsync(FsyncRequest.newBuilder().setHandle(c.getHandle()).build());
        files.fsync(FsyncRequest.newBuilder().setHandle(c.getHandle()).setDatasync(true).build());
        assertThat(files.getAttr(GetAttrRequest.newBuilder().setNode(c.getNode().getId()).setHandle(c.getHandle()).build())
                .getSize()).isEqualTo(11);
        release(c.getHandle());
        assertThat(Files.readString(share.resolve("io.txt"))).isEqualTo("hello WORLD");

        long ro = open(c.getNode().getId(), OpenFlags.O_RDONLY);
        assertThat(read(ro, 0, 5)).isEqualTo("hello");
        assertErrno(Errno.EBADF, () -> write(ro, 0, "x"));
        release(ro);

        long app = open(c.getNode().getId(), OpenFlags.O_WRONLY | OpenFlags.O_APPEND);
        write(app, 0, "!");
        release(app);
        assertThat(Files.readString(share.resolve("io.txt"))).isEqualTo("hello WORLD!");

        OpenReply tr = files.open(OpenRequest.newBuilder().setNode(c.getNode().getId())
                .setFlags(OpenFlags.O_WRONLY | OpenFlags.O_TRUNC).build());
        assertThat(Files.size(share.resolve("io.txt"))).isZero();
        release(tr.getHandle());

        Node dir = mkdir(ROOT, "d");
        long dh = files.open(OpenRequest.newBuilder().setNode(dir.getId()).setDirectory(true).build()).getHandle();
        assertThat(dh).isNotZero();
        files.fsync(FsyncRequest.newBuilder().setHandle(dh).build());
        release(dh);
        assertErrno(Errno.ENOTDIR, () -> files.open(OpenRequest.newBuilder().setNode(c.getNode().getId()).setDirectory(true).build()));
        assertErrno(Errno.EISDIR, () -> open(dir.getId(), OpenFlags.O_WRONLY));
    }

    @Test
    @org.junit.jupiter.api.condition.EnabledOnOs(org.junit.jupiter.api.condition.OS.LINUX)
    void specialFilesAreListedButNeverOpened() throws Exception {
        Process p = new ProcessBuilder("mkfifo", share.resolve("fifo").toString()).start();
        assertThat(p.waitFor()).isZero();
        Node fifo = lookup(ROOT, "fifo");
        assertThat(fifo.getAttr().getMode() & FileMode.S_IFMT).isEqualTo(FileMode.S_IFIFO);
        // would block a server thread forever if it were opened
        assertErrno(Errno.ENXIO, () -> open(fifo.getId(), OpenFlags.O_RDONLY));
        assertErrno(Errno.ENXIO, () -> open(fifo.getId(), OpenFlags.O_WRONLY));
    }

    @Test
    void unknownHandleIsEbadf() {
        long bogus = 424242;
        assertErrno(Errno.EBADF, () -> read(bogus, 0, 1));
        assertErrno(Errno.EBADF, () -> write(bogus, 0, "x"));
        assertErrno(Errno.EBADF, () -> files.flush(HandleRequest.newBuilder().setHandle(bogus).build()));
        assertErrno(Errno.EBADF, () -> files.fsync(FsyncRequest.newBuilder().setHandle(bogus).build()));
        assertErrno(Errno.EBADF, () -> files.release(HandleRequest.newBuilder().setHandle(bogus).build()));
        assertErrno(Errno.EBADF, () -> files.getAttr(GetAttrRequest.newBuilder().setNode(ROOT).setHandle(bogus).build()));
        CreateReply c = create(ROOT, "x", OpenFlags.O_RDWR);
        release(c.getHandle());
        assertErrno(Errno.EBADF, () -> read(c.getHandle(), 0, 1));
        assertErrno(Errno.EBADF, () -> files.release(HandleRequest.newBuilder().setHandle(c.getHandle()).build()));
        Node d = mkdir(ROOT, "d");
        long dh = files.open(OpenRequest.newBuilder().setNode(d.getId()).setDirectory(true).build()).getHandle();
        assertErrno(Errno.EBADF, () -> read(dh, 0, 1));
        release(dh);
    }

    @Test
    void createExclusive() throws Exception {
        CreateReply c = create(ROOT, "x", OpenFlags.O_RDWR | OpenFlags.O_CREAT | OpenFlags.O_EXCL);
        write(c.getHandle(), 0, "abc");
        release(c.getHandle());
        assertErrno(Errno.EEXIST, () -> create(ROOT, "x", OpenFlags.O_RDWR | OpenFlags.O_CREAT | OpenFlags.O_EXCL));
        // without O_EXCL an existing file is opened (same node), O_TRUNC honoured
        CreateReply again = create(ROOT, "x", OpenFlags.O_RDWR | OpenFlags.O_CREAT);
        assertThat(again.getNode().getId()).isEqualTo(c.getNode().getId());
        assertThat(read(again.getHandle(), 0, 10)).isEqualTo("abc");
        release(again.getHandle());
        CreateReply trunc = create(ROOT, "x", OpenFlags.O_RDWR | OpenFlags.O_CREAT | OpenFlags.O_TRUNC);
        release(trunc.getHandle());
        assertThat(Files.size(share.resolve("x"))).isZero();
        mkdir(ROOT, "dir");
        assertErrno(Errno.EEXIST, () -> create(ROOT, "dir", OpenFlags.O_RDWR | OpenFlags.O_EXCL));
    }

    // ------------------------------------------------------------------------------- namespace

    @Test
    void mkdirRmdirUnlink() throws Exception {
        Node d = mkdir(ROOT, "d");
        assertThat(FileMode.isDirectory(d.getAttr().getMode())).isTrue();
        if (keepsModeBits()) {
            assertThat(d.getAttr().getMode() & FileMode.PERMISSIONS).isEqualTo(0755);
        }
        assertThat(Files.isDirectory(share.resolve("d"))).isTrue();
        assertErrno(Errno.EEXIST, () -> mkdir(ROOT, "d"));
        Node f = createFile(d.getId(), "f", "x");
        assertErrno(Errno.ENOTEMPTY, () -> files.rmdir(NameRequest.newBuilder().setParent(ROOT).setName("d").build()));
        assertErrno(Errno.ENOTDIR, () -> files.rmdir(NameRequest.newBuilder().setParent(d.getId()).setName("f").build()));
        assertErrno(Errno.EISDIR, () -> files.unlink(NameRequest.newBuilder().setParent(ROOT).setName("d").build()));
        assertErrno(Errno.ENOENT, () -> files.unlink(NameRequest.newBuilder().setParent(ROOT).setName("nope").build()));

        files.unlink(NameRequest.newBuilder().setParent(d.getId()).setName("f").build());
        assertThat(Files.exists(share.resolve("d/f"))).isFalse();
        assertErrno(Errno.ENOENT, () -> lookup(d.getId(), "f"));
        assertErrno(Errno.ENOENT, () -> getattr(f.getId()));
        files.rmdir(NameRequest.newBuilder().setParent(ROOT).setName("d").build());
        assertThat(Files.exists(share.resolve("d"))).isFalse();
        assertErrno(Errno.ENOENT, () -> mkdir(d.getId(), "under-deleted"));
    }

    /**
     * UnlinkMany: each unlink as Unlink makes it, in order, one that fails (a directory, a name
     * gone, a bad name) leaving the rest to go, with every directory named as it is after them.
     */
    @Test
    void unlinkManyUnlinksEachAndTellsEachOnesErrno() throws Exception {
        Node d = mkdir(ROOT, "d");
        createFile(d.getId(), "a", "1");
        createFile(d.getId(), "b", "2");
        createFile(ROOT, "c", "3");
        mkdir(d.getId(), "sub");
        UnlinkManyReply r = files.unlinkMany(UnlinkManyRequest.newBuilder()
                .addUnlinks(NameRequest.newBuilder().setParent(d.getId()).setName("a"))
                .addUnlinks(NameRequest.newBuilder().setParent(d.getId()).setName("sub"))
                .addUnlinks(NameRequest.newBuilder().setParent(d.getId()).setName("nope"))
                .addUnlinks(NameRequest.newBuilder().setParent(d.getId()).setName("../c"))
                .addUnlinks(NameRequest.newBuilder().setParent(d.getId()).setName("b"))
                .addUnlinks(NameRequest.newBuilder().setParent(ROOT).setName("c"))
                .build());
        assertThat(r.getErrnoList().stream().map(e -> e == 0 ? "0" : Errno.name(e)).toList())
                .containsExactly("0", Errno.name(Errno.EISDIR), Errno.name(Errno.ENOENT), Errno.name(Errno.EINVAL), "0", "0");
        try (var left = Files.list(share.resolve("d"))) {
            assertThat(left.map(p -> p.getFileName().toString()).toList()).containsExactly("sub");
        }
        assertThat(Files.exists(share.resolve("c"))).isFalse();
        assertErrno(Errno.ENOENT, () -> lookup(d.getId(), "a"));
        assertThat(r.getParentsMap()).containsOnlyKeys(d.getId(), ROOT);
        assertThat(r.getParentsMap().get(d.getId()).getMtimeNs()).isEqualTo(getattr(d.getId()).getMtimeNs());
        assertErrno(Errno.EINVAL, () -> files.unlinkMany(UnlinkManyRequest.getDefaultInstance()));
    }

    /** UnlinkMany's last entry may be an rmdir (rm -rf: a directory's last files, then it), made as Rmdir makes it. */
    @Test
    void unlinkManyCarriesAnRmdirAfterTheUnlinksThatEmptyIt() throws Exception {
        Node e = mkdir(ROOT, "e");
        Node x = createFile(e.getId(), "x", "1");
        Node full = mkdir(ROOT, "full");
        createFile(full.getId(), "y", "2");
        UnlinkManyReply r = files.unlinkMany(UnlinkManyRequest.newBuilder()
                .addUnlinks(NameRequest.newBuilder().setParent(e.getId()).setName("x").setNode(x.getId()))
                .addUnlinks(NameRequest.newBuilder().setParent(ROOT).setName("e").setDir(true))
                .addUnlinks(NameRequest.newBuilder().setParent(ROOT).setName("full").setDir(true))
                .build());
        assertThat(r.getErrnoList().stream().map(n -> n == 0 ? "0" : Errno.name(n)).toList())
                .containsExactly("0", "0", Errno.name(Errno.ENOTEMPTY));
        assertThat(Files.exists(share.resolve("e"))).isFalse();
        assertThat(Files.exists(share.resolve("full/y"))).isTrue();
        assertThat(r.getParentsMap().get(ROOT).getNlink()).isEqualTo(getattr(ROOT).getNlink());
        assertErrno(Errno.ENOENT, () -> lookup(ROOT, "e"));
    }

    /**
     * An unlink of UnlinkMany names the node the client held at the name: a file put at the name
     * since (a program's atomic save on the server, after the client answered its unlink) is
     * another file, left alone; the unlink is ENOENT (the file asked for is gone).
     */
    @Test
    void unlinkManyLeavesAFileThatTookTheNameSince() throws Exception {
        Node old = createFile(ROOT, "f", "old");
        Node kept = createFile(ROOT, "g", "kept");
        Path saved = share.resolve(".f.new");
        Files.writeString(saved, "saved on the server");
        Files.move(saved, share.resolve("f"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        UnlinkManyReply r = files.unlinkMany(UnlinkManyRequest.newBuilder()
                .addUnlinks(NameRequest.newBuilder().setParent(ROOT).setName("f").setNode(old.getId()))
                .addUnlinks(NameRequest.newBuilder().setParent(ROOT).setName("g").setNode(kept.getId()))
                .build());
        assertThat(r.getErrnoList()).containsExactly(Errno.ENOENT, 0);
        assertThat(Files.readString(share.resolve("f"))).isEqualTo("saved on the server");
        assertThat(Files.exists(share.resolve("g"))).isFalse();
    }

    @Test
    void unlinkedOpenFileStaysUsable() throws Exception {
        CreateReply c = create(ROOT, "tmpfile", OpenFlags.O_RDWR);
        write(c.getHandle(), 0, "still here");
        files.unlink(NameRequest.newBuilder().setParent(ROOT).setName("tmpfile").build());
        assertThat(read(c.getHandle(), 0, 100)).isEqualTo("still here");
        assertThat(files.getAttr(GetAttrRequest.newBuilder().setNode(c.getNode().getId()).setHandle(c.getHandle()).build())
                .getSize()).isEqualTo(10);
        release(c.getHandle());
    }

    @Test
    void renameOverExistingAndNoReplace() throws Exception {
        Node a = createFile(ROOT, "a", "AAA");
        Node b = createFile(ROOT, "b", "B");
        assertErrno(Errno.EEXIST, () -> {
            rename(ROOT, "a", ROOT, "b", OpenFlags.RENAME_NOREPLACE);
            return null;
        });
        assertThat(Files.readString(share.resolve("b"))).isEqualTo("B");
        ParentAttrs renamed = rename(ROOT, "a", ROOT, "b", 0);
        // the moved file's attributes just after (its ctime moved): a client keeps them for it
        assertThat(renamed.getMoved()).isEqualTo(getattr(a.getId()));
        assertThat(Files.exists(share.resolve("a"))).isFalse();
        assertThat(Files.readString(share.resolve("b"))).isEqualTo("AAA");
        assertThat(getattr(a.getId()).getSize()).as("a's node follows the rename").isEqualTo(3);
        assertErrno(Errno.ENOENT, () -> getattr(b.getId()));
        assertThat(lookup(ROOT, "b").getId()).isEqualTo(a.getId());
        rename(ROOT, "b", ROOT, "c", OpenFlags.RENAME_NOREPLACE);
        assertThat(Files.readString(share.resolve("c"))).isEqualTo("AAA");
        assertErrno(Errno.ENOENT, () -> {
            rename(ROOT, "nope", ROOT, "x", 0);
            return null;
        });
        mkdir(ROOT, "dir");
        createFile(ROOT, "file", "");
        assertThat(errno(() -> {
            rename(ROOT, "dir", ROOT, "file", 0);
            return null;
        })).isEqualTo(Errno.ENOTDIR);
        assertThat(errno(() -> {
            rename(ROOT, "file", ROOT, "dir", 0);
            return null;
        })).isEqualTo(Errno.EISDIR);
        Node dir = lookup(ROOT, "dir");
        assertErrno(Errno.EINVAL, () -> {
            rename(ROOT, "dir", dir.getId(), "inside", 0);
            return null;
        });
    }

    @Test
    void renameOfDirectoryKeepsChildNodesValid() throws Exception {
        Node d = mkdir(ROOT, "d");
        Node sub = mkdir(d.getId(), "sub");
        Node f = createFile(sub.getId(), "f", "deep");
        Node other = mkdir(ROOT, "other");
        rename(ROOT, "d", other.getId(), "moved", 0);
        assertThat(Files.readString(share.resolve("other/moved/sub/f"))).isEqualTo("deep");
        assertThat(getattr(f.getId()).getSize()).isEqualTo(4);
        long h = open(f.getId(), OpenFlags.O_RDONLY);
        assertThat(read(h, 0, 10)).isEqualTo("deep");
        release(h);
        Node g = createFile(sub.getId(), "g", "new");
        assertThat(Files.readString(share.resolve("other/moved/sub/g"))).isEqualTo("new");
        assertThat(lookup(lookup(other.getId(), "moved").getId(), "sub").getId()).isEqualTo(sub.getId());
        assertThat(g.getId()).isNotEqualTo(f.getId());
        assertErrno(Errno.ENOENT, () -> lookup(ROOT, "d"));
    }

    @Test
    void hardLink() throws Exception {
        Node f = createFile(ROOT, "f", "data");
        Node l = files.link(LinkRequest.newBuilder().setNode(f.getId()).setNewParent(ROOT).setNewName("l").build());
        assertThat(l.getAttr().getNlink()).isEqualTo(2);
        assertThat(l.getAttr().getIno()).isEqualTo(f.getAttr().getIno());
        assertThat(getattr(f.getId()).getNlink()).isEqualTo(2);
        assertThat(Files.readString(share.resolve("l"))).isEqualTo("data");
        assertErrno(Errno.EEXIST, () -> files.link(LinkRequest.newBuilder().setNode(f.getId()).setNewParent(ROOT).setNewName("l").build()));
        Node d = mkdir(ROOT, "d");
        assertErrno(Errno.EPERM, () -> files.link(LinkRequest.newBuilder().setNode(d.getId()).setNewParent(ROOT).setNewName("dl").build()));
        files.unlink(NameRequest.newBuilder().setParent(ROOT).setName("f").build());
        assertThat(getattr(l.getId()).getNlink()).isEqualTo(1);
    }

    @Test
    void symlinkAndReadlink() throws Exception {
        Node s = symlink(ROOT, "s", "some/target/../x");
        assertThat(FileMode.isSymlink(s.getAttr().getMode())).isTrue();
        assertThat(Files.isSymbolicLink(share.resolve("s"))).isTrue();
        assertThat(files.readlink(NodeRequest.newBuilder().setNode(s.getId()).build()).getTarget()).isEqualTo("some/target/../x");
        Node found = lookup(ROOT, "s");
        assertThat(found.getId()).isEqualTo(s.getId());
        assertThat(FileMode.isSymlink(found.getAttr().getMode())).isTrue();
        assertErrno(Errno.EEXIST, () -> symlink(ROOT, "s", "t"));
        Node f = createFile(ROOT, "f", "x");
        assertErrno(Errno.EINVAL, () -> files.readlink(NodeRequest.newBuilder().setNode(f.getId()).build()));
        // a symlink to a file inside the share is still never opened through
        Node toF = symlink(ROOT, "tof", "f");
        assertErrno(Errno.ELOOP, () -> open(toF.getId(), OpenFlags.O_RDONLY));
    }

    @Test
    void statfs() {
        StatFsReply r = files.statFs(NodeRequest.newBuilder().setNode(ROOT).build());
        assertThat(r.getBlocks()).isPositive();
        assertThat(r.getBsize()).isPositive();
        assertThat(r.getBavail()).isLessThanOrEqualTo(r.getBlocks());
        assertThat(r.getNamelen()).isPositive();
    }

    @Test
    void forgetDropsUnreferencedNodes() throws Exception {
        Files.writeString(share.resolve("f"), "x");
        Node once = lookup(ROOT, "f");
        Node twice = lookup(ROOT, "f");
        assertThat(twice.getId()).isEqualTo(once.getId());
        files.forget(ForgetRequest.newBuilder().addNodes(once.getId()).build());
        assertThat(getattr(once.getId()).getSize()).as("one reference left").isEqualTo(1);
        files.forget(ForgetRequest.newBuilder().addNodes(once.getId()).build());
        assertErrno(Errno.ESTALE, () -> getattr(once.getId()));
        Node again = lookup(ROOT, "f");
        assertThat(again.getId()).as("the same file: the same id (its inode number)").isEqualTo(once.getId());
        // counts in one request; unknown ids and the root are ignored
        lookup(ROOT, "f");
        files.forget(ForgetRequest.newBuilder().addNodes(again.getId()).addNodes(again.getId()).addNodes(ROOT).addNodes(999999).build());
        assertErrno(Errno.ESTALE, () -> getattr(again.getId()));
        assertThat(getattr(ROOT).getMode() & FileMode.S_IFMT).isEqualTo(FileMode.S_IFDIR);
    }

    @Test
    void deviceNodesAreRefused() {
        assertErrno(Errno.EPERM, () -> files.mknod(MknodRequest.newBuilder().setParent(ROOT).setName("null")
                .setMode(FileMode.S_IFCHR | 0666).build()));
        assertErrno(Errno.EPERM, () -> files.mknod(MknodRequest.newBuilder().setParent(ROOT).setName("sda")
                .setMode(FileMode.S_IFBLK | 0660).build()));
        assertThat(Files.exists(share.resolve("null"))).isFalse();
    }

    @Test
    void badNamesAreEinval() {
        createFile(ROOT, "f", "x");
        Node f = lookup(ROOT, "f");
        for (String bad : new String[] {"", ".", "..", "a/b", "/etc", "a\0b", "../outside"}) {
            assertErrno(Errno.EINVAL, () -> lookup(ROOT, bad));
            assertErrno(Errno.EINVAL, () -> create(ROOT, bad, OpenFlags.O_RDWR));
            assertErrno(Errno.EINVAL, () -> mkdir(ROOT, bad));
            assertErrno(Errno.EINVAL, () -> symlink(ROOT, bad, "x"));
            assertErrno(Errno.EINVAL, () -> files.unlink(NameRequest.newBuilder().setParent(ROOT).setName(bad).build()));
            assertErrno(Errno.EINVAL, () -> files.rmdir(NameRequest.newBuilder().setParent(ROOT).setName(bad).build()));
            assertErrno(Errno.EINVAL, () -> files.link(LinkRequest.newBuilder().setNode(f.getId()).setNewParent(ROOT).setNewName(bad).build()));
            assertErrno(Errno.EINVAL, () -> {
                rename(ROOT, "f", ROOT, bad, 0);
                return null;
            });
        }
        assertErrno(Errno.ENAMETOOLONG, () -> lookup(ROOT, "n".repeat(300)));
        assertThat(Files.exists(share.resolve("f"))).isTrue();
    }

    // ------------------------------------------------------------------------------- xattrs

    private byte[] getxattr(long node, String name) {
        return files.getXattr(XattrRequest.newBuilder().setNode(node).setName(name).build()).getValue().toByteArray();
    }

    private Empty setxattr(FilesGrpc.FilesBlockingStub stub, long node, String name, byte[] value, int flags) {
        return stub.setXattr(SetXattrRequest.newBuilder().setNode(node).setName(name)
                .setValue(ByteString.copyFrom(value)).setFlags(flags).build());
    }

    private List<String> listxattr(long node) {
        return files.listXattr(NodeRequest.newBuilder().setNode(node).build()).getNamesList();
    }

    private Empty removexattr(long node, String name) {
        return files.removeXattr(XattrRequest.newBuilder().setNode(node).setName(name).build());
    }

    @Test
    void userXattrsOfFilesDirectoriesAndTheRoot() {
        Node f = createFile(ROOT, "f", "x");
        Node d = mkdir(ROOT, "d");
        byte[] bin = {0, 1, (byte) 0xff, 'v'};
        if (!keepsUserXattrs()) {
            assertErrno(Errno.EOPNOTSUPP, () -> setxattr(files, f.getId(), "user.k", bin, 0));
            return;
        }
        for (long node : new long[] {f.getId(), d.getId(), ROOT}) {
            assertThat(listxattr(node)).isEmpty();
            assertErrno(Errno.ENODATA, () -> getxattr(node, "user.k"));
            setxattr(files, node, "user.k", bin, 0);
            setxattr(files, node, "user.Mixed.Case-name_2", new byte[0], Xattrs.XATTR_CREATE);
            assertThat(getxattr(node, "user.k")).isEqualTo(bin);
            assertThat(getxattr(node, "user.Mixed.Case-name_2")).isEmpty();
            assertErrno(Errno.ENODATA, () -> getxattr(node, "user.mixed.case-name_2"));
            assertThat(listxattr(node)).containsExactlyInAnyOrder("user.k", "user.Mixed.Case-name_2");
            assertErrno(Errno.EEXIST, () -> setxattr(files, node, "user.k", bin, Xattrs.XATTR_CREATE));
            assertErrno(Errno.ENODATA, () -> setxattr(files, node, "user.none", bin, Xattrs.XATTR_REPLACE));
            setxattr(files, node, "user.k", "second".getBytes(StandardCharsets.UTF_8), Xattrs.XATTR_REPLACE);
            assertThat(new String(getxattr(node, "user.k"), StandardCharsets.UTF_8)).isEqualTo("second");
            removexattr(node, "user.k");
            assertErrno(Errno.ENODATA, () -> removexattr(node, "user.k"));
            assertThat(listxattr(node)).containsExactly("user.Mixed.Case-name_2");
            removexattr(node, "user.Mixed.Case-name_2");
            assertThat(listxattr(node)).isEmpty();
        }
        // the file keeps them across a rename
        setxattr(files, f.getId(), "user.kept", bin, 0);
        rename(ROOT, "f", d.getId(), "g", 0);
        assertThat(getxattr(lookup(d.getId(), "g").getId(), "user.kept")).isEqualTo(bin);
    }

    @Test
    void otherNamespacesAndBadXattrRequestsAnswerAsLinux() {
        Node f = createFile(ROOT, "f", "x");
        byte[] v = {'v'};
        // as a local file system without ACLs or a security module answers
        assertErrno(Errno.ENODATA, () -> getxattr(f.getId(), "security.capability"));
        assertErrno(Errno.ENODATA, () -> getxattr(f.getId(), "trusted.k"));
        assertErrno(Errno.EOPNOTSUPP, () -> getxattr(f.getId(), "system.posix_acl_access"));
        assertErrno(Errno.EOPNOTSUPP, () -> setxattr(files, f.getId(), "system.posix_acl_access", v, 0));
        assertErrno(Errno.EOPNOTSUPP, () -> setxattr(files, f.getId(), "security.selinux", v, 0));
        assertErrno(Errno.EOPNOTSUPP, () -> setxattr(files, f.getId(), "nonamespace", v, 0));
        // sizes and flags, checked before the file
        assertErrno(Errno.ERANGE, () -> getxattr(f.getId(), ""));
        assertErrno(Errno.ERANGE, () -> setxattr(files, f.getId(), "user." + "n".repeat(251), v, 0));
        assertErrno(Errno.E2BIG, () -> setxattr(files, f.getId(), "user.big", new byte[Xattrs.SIZE_MAX_BYTES + 1], 0));
        assertErrno(Errno.EINVAL, () -> setxattr(files, f.getId(), "user.k", v, 4));
        assertErrno(Errno.EINVAL, () -> setxattr(files, f.getId(), "user.", v, 0));
        assertErrno(Errno.ESTALE, () -> getxattr(999_999, "user.k"));
        assertThat(listxattr(f.getId())).isEmpty();
    }

    @Test
    void userXattrsOfASymlinkAreRefusedAsLinuxDoes() {
        Node s = symlink(ROOT, "s", "f");
        createFile(ROOT, "f", "x");
        if (keepsUserXattrs()) {
            assertErrno(Errno.EPERM, () -> setxattr(files, s.getId(), "user.k", new byte[] {'v'}, 0));
            assertErrno(Errno.ENODATA, () -> getxattr(s.getId(), "user.k"));
        }
        assertThat(files.readlink(NodeRequest.newBuilder().setNode(s.getId()).build()).getTarget()).isEqualTo("f");
    }

    // ------------------------------------------------------------------------------- read-only

    @Test
    void readOnlyShareRefusesEveryMutation() throws Exception {
        Files.writeString(share.resolve("f"), "keep");
        Files.createDirectory(share.resolve("d"));
        assertReadOnly(roFiles);
        // a read-only session on a writable share is refused the same way
        assertReadOnly(stub(FilesGrpc.newBlockingStub(channel), "s", TOKEN, true));
        assertThat(Files.readString(share.resolve("f"))).isEqualTo("keep");
        assertThat(Files.list(share).map(p -> p.getFileName().toString()).sorted().toList()).containsExactly("d", "f");
    }

    private void assertReadOnly(FilesGrpc.FilesBlockingStub ro) {
        Node f = ro.lookup(LookupRequest.newBuilder().setParent(ROOT).setName("f").build());
        long h = ro.open(OpenRequest.newBuilder().setNode(f.getId()).setFlags(OpenFlags.O_RDONLY).build()).getHandle();
        assertThat(ro.read(ReadRequest.newBuilder().setHandle(h).setSize(10).build()).getData().toStringUtf8()).isEqualTo("keep");
        assertErrno(Errno.EROFS, () -> ro.write(WriteRequest.newBuilder().setHandle(h).setData(ByteString.copyFromUtf8("x")).build()));
        ro.release(HandleRequest.newBuilder().setHandle(h).build());
        assertThat(ro.readDir(ReadDirRequest.newBuilder().setNode(ROOT).setPlus(true).build()).getEntriesCount()).isEqualTo(2);
        assertErrno(Errno.EROFS, () -> ro.open(OpenRequest.newBuilder().setNode(f.getId()).setFlags(OpenFlags.O_WRONLY).build()));
        assertErrno(Errno.EROFS, () -> ro.open(OpenRequest.newBuilder().setNode(f.getId()).setFlags(OpenFlags.O_RDWR).build()));
        assertErrno(Errno.EROFS, () -> ro.open(OpenRequest.newBuilder().setNode(f.getId()).setFlags(OpenFlags.O_RDONLY | OpenFlags.O_TRUNC).build()));
        assertErrno(Errno.EROFS, () -> ro.create(CreateRequest.newBuilder().setParent(ROOT).setName("n").setMode(0644).setFlags(OpenFlags.O_RDWR).build()));
        assertErrno(Errno.EROFS, () -> ro.mkdir(MkdirRequest.newBuilder().setParent(ROOT).setName("n").setMode(0755).build()));
        assertErrno(Errno.EROFS, () -> ro.unlink(NameRequest.newBuilder().setParent(ROOT).setName("f").build()));
        assertErrno(Errno.EROFS, () -> ro.rmdir(NameRequest.newBuilder().setParent(ROOT).setName("d").build()));
        assertErrno(Errno.EROFS, () -> ro.unlinkMany(UnlinkManyRequest.newBuilder()
                .addUnlinks(NameRequest.newBuilder().setParent(ROOT).setName("f")).build()));
        assertErrno(Errno.EROFS, () -> ro.rename(RenameRequest.newBuilder().setParent(ROOT).setName("f").setNewParent(ROOT).setNewName("g").build()));
        assertErrno(Errno.EROFS, () -> ro.link(LinkRequest.newBuilder().setNode(f.getId()).setNewParent(ROOT).setNewName("l").build()));
        assertErrno(Errno.EROFS, () -> ro.symlink(SymlinkRequest.newBuilder().setParent(ROOT).setName("s").setTarget("f").build()));
        assertErrno(Errno.EROFS, () -> ro.mknod(MknodRequest.newBuilder().setParent(ROOT).setName("p").setMode(FileMode.S_IFIFO | 0644).build()));
        assertErrno(Errno.EROFS, () -> ro.setAttr(SetAttrRequest.newBuilder().setNode(f.getId()).setSize(0).build()));
        assertErrno(Errno.EROFS, () -> setxattr(ro, f.getId(), "user.k", new byte[] {'v'}, 0));
        assertErrno(Errno.EROFS, () -> ro.removeXattr(XattrRequest.newBuilder().setNode(f.getId()).setName("user.k").build()));
        assertErrno(Errno.EROFS, () -> ro.setAttr(SetAttrRequest.newBuilder().setNode(f.getId()).setMode(0600).build()));
        assertErrno(Errno.EROFS, () -> ro.setAttr(SetAttrRequest.newBuilder().setNode(f.getId())
                .setMtime(TimeSpec.newBuilder().setNow(true)).build()));
    }

    // ------------------------------------------------------------------------------- containment

    @Test
    void dotDotIsRefused() {
        assertErrno(Errno.EINVAL, () -> lookup(ROOT, ".."));
        Node d = mkdir(ROOT, "d");
        assertErrno(Errno.EINVAL, () -> lookup(d.getId(), ".."));
    }

    @Test
    void absoluteSymlinkOutIsNeverTraversed() throws Exception {
        // "etc" points at the system's own configuration: /etc, or C:\Windows on Windows
        Path system = posixHost() ? Path.of("/etc") : Path.of(System.getenv().getOrDefault("SystemRoot", "C:\\Windows"));
        Files.createSymbolicLink(share.resolve("etc"), system);
        Files.createSymbolicLink(share.resolve("out"), outside);
        for (String name : new String[] {"etc", "out"}) {
            Node link = lookup(ROOT, name);
            assertThat(FileMode.isSymlink(link.getAttr().getMode())).as("returned as a symlink").isTrue();
            String child = name.equals("etc") ? (posixHost() ? "passwd" : "win.ini") : "secret.txt";
            assertThat(errno(() -> lookup(link.getId(), child))).isIn(Errno.ENOTDIR, Errno.ELOOP);
            assertThat(errno(() -> files.readDir(ReadDirRequest.newBuilder().setNode(link.getId()).setPlus(true).build())))
                    .isIn(Errno.ENOTDIR, Errno.ELOOP);
            assertThat(errno(() -> create(link.getId(), "planted", OpenFlags.O_RDWR))).isIn(Errno.ENOTDIR, Errno.ELOOP);
            assertThat(errno(() -> mkdir(link.getId(), "planted"))).isIn(Errno.ENOTDIR, Errno.ELOOP);
            assertThat(errno(() -> symlink(link.getId(), "planted", "x"))).isIn(Errno.ENOTDIR, Errno.ELOOP);
            assertThat(errno(() -> files.unlink(NameRequest.newBuilder().setParent(link.getId()).setName(child).build())))
                    .isIn(Errno.ENOTDIR, Errno.ELOOP);
            assertThat(errno(() -> files.open(OpenRequest.newBuilder().setNode(link.getId()).setDirectory(true).build())))
                    .isIn(Errno.ENOTDIR, Errno.ELOOP);
            assertThat(errno(() -> {
                rename(ROOT, "etc".equals(name) ? "out" : "etc", link.getId(), "moved", 0);
                return null;
            })).isIn(Errno.ENOTDIR, Errno.ELOOP);
            assertThat(files.readlink(NodeRequest.newBuilder().setNode(link.getId()).build()).getTarget())
                    .isEqualTo(name.equals("etc") ? system.toString() : outside.toString());
        }
        assertThat(Files.list(outside).map(p -> p.getFileName().toString()).toList()).containsExactly("secret.txt");
        assertThat(Files.readString(outside.resolve("secret.txt"))).isEqualTo("SECRET");
    }

    @Test
    void symlinkedFileOutsideIsNeitherOpenedNorChanged() throws Exception {
        Path secret = outside.resolve("secret.txt");
        if (posixHost()) {
            Files.setPosixFilePermissions(secret, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----"));
        }
        Node s = symlink(ROOT, "s", secret.toString());
        assertErrno(Errno.ELOOP, () -> open(s.getId(), OpenFlags.O_RDONLY));
        assertErrno(Errno.ELOOP, () -> open(s.getId(), OpenFlags.O_WRONLY | OpenFlags.O_TRUNC));
        assertThat(errno(() -> create(ROOT, "s", OpenFlags.O_RDWR | OpenFlags.O_TRUNC))).isIn(Errno.ELOOP, Errno.EEXIST);
        // chmod/truncate of the link never reaches the target
        try {
            files.setAttr(SetAttrRequest.newBuilder().setNode(s.getId()).setMode(0777).build());
        } catch (StatusRuntimeException expected) {
            // Linux cannot chmod a symlink (ELOOP/EOPNOTSUPP): refusing is fine, following is not
        }
        try {
            files.setAttr(SetAttrRequest.newBuilder().setNode(s.getId()).setSize(0).build());
        } catch (StatusRuntimeException expected) {
            // same for truncate
        }
        java.nio.file.attribute.FileTime mtime = Files.getLastModifiedTime(secret);
        Object uid = posixHost() ? Files.getAttribute(secret, "unix:uid") : null;
        try {
            files.setAttr(SetAttrRequest.newBuilder().setNode(s.getId())
                    .setMtime(TimeSpec.newBuilder().setNs(1_000_000_000L)).setAtime(TimeSpec.newBuilder().setNs(1_000_000_000L))
                    .build());
            files.setAttr(SetAttrRequest.newBuilder().setNode(s.getId()).setUid(12345).setGid(12345).build());
        } catch (StatusRuntimeException expected) {
            // refusing is fine (e.g. not root); following is not
        }
        assertThat(Files.getLastModifiedTime(secret)).isEqualTo(mtime);
        if (posixHost()) {
            assertThat(Files.getAttribute(secret, "unix:uid")).isEqualTo(uid);
        }
        assertThat(Files.readString(secret)).isEqualTo("SECRET");
        if (posixHost()) {
            assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(secret)))
                    .isEqualTo("rw-r-----");
        }
    }

    @Test
    void relativeSymlinkClimbingOutIsNeverTraversed() throws Exception {
        Node d = mkdir(ROOT, "d");
        Node up = symlink(d.getId(), "up", "../../..");
        Node sib = symlink(ROOT, "sib", "../outside");
        assertThat(errno(() -> lookup(up.getId(), "etc"))).isIn(Errno.ENOTDIR, Errno.ELOOP);
        assertThat(errno(() -> lookup(sib.getId(), "secret.txt"))).isIn(Errno.ENOTDIR, Errno.ELOOP);
        assertThat(errno(() -> files.readDir(ReadDirRequest.newBuilder().setNode(sib.getId()).build()))).isIn(Errno.ENOTDIR, Errno.ELOOP);
        assertThat(errno(() -> create(sib.getId(), "planted", OpenFlags.O_RDWR))).isIn(Errno.ENOTDIR, Errno.ELOOP);
        assertThat(Files.exists(outside.resolve("planted"))).isFalse();
    }

    @Test
    void hardLinkOfSymlinkPointingOutsideLinksTheSymlink() throws Exception {
        Path secret = outside.resolve("secret.txt");
        Node s = symlink(ROOT, "s", secret.toString());
        Node l = files.link(LinkRequest.newBuilder().setNode(s.getId()).setNewParent(ROOT).setNewName("hl").build());
        assertThat(FileMode.isSymlink(l.getAttr().getMode())).as("the link is the symlink itself").isTrue();
        assertThat(Files.isSymbolicLink(share.resolve("hl"))).isTrue();
        assertThat(l.getAttr().getIno()).isEqualTo(s.getAttr().getIno());
        assertThat(files.readlink(NodeRequest.newBuilder().setNode(l.getId()).build()).getTarget()).isEqualTo(secret.toString());
        if (posixHost()) {
            assertThat(Files.getAttribute(secret, "unix:nlink")).isEqualTo(1);
        }
        assertThat(Files.readString(secret)).isEqualTo("SECRET");
        assertErrno(Errno.ELOOP, () -> open(l.getId(), OpenFlags.O_RDONLY));
    }

    @Test
    void renameOutsideIsImpossibleByConstruction() throws Exception {
        createFile(ROOT, "f", "x");
        // The outside path with '/' separators on every host: on Windows, "C:\...\escaped" is one
        // legal Linux name (stored escaped inside the share), not a way out.
        String outsidePath = outside.resolve("escaped").toString().replace('\\', '/');
        for (String bad : new String[] {"../escaped", "/tmp/escaped", "..", outsidePath}) {
            assertErrno(Errno.EINVAL, () -> {
                rename(ROOT, "f", ROOT, bad, 0);
                return null;
            });
        }
        assertThat(Files.exists(share.resolve("f"))).isTrue();
        assertThat(Files.exists(tmp.resolve("escaped"))).isFalse();
        assertThat(Files.exists(outside.resolve("escaped"))).isFalse();
        assertThat(Files.exists(share.resolve("f"), LinkOption.NOFOLLOW_LINKS)).isTrue();
        assertThat(new String(Files.readAllBytes(share.resolve("f")), StandardCharsets.UTF_8)).isEqualTo("x");
    }
}
