package dev.fsdriver.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.common.Errno;
import dev.fsdriver.common.OpenFlags;
import dev.fsdriver.proto.v1.ChangeEvent;
import dev.fsdriver.proto.v1.CreateRequest;
import dev.fsdriver.proto.v1.EventsGrpc;
import dev.fsdriver.proto.v1.FilesGrpc;
import dev.fsdriver.proto.v1.HandleRequest;
import dev.fsdriver.proto.v1.HelloReply;
import dev.fsdriver.proto.v1.LookupRequest;
import dev.fsdriver.proto.v1.MkdirRequest;
import dev.fsdriver.proto.v1.OpenRequest;
import dev.fsdriver.proto.v1.ReadRequest;
import dev.fsdriver.proto.v1.SetAttrRequest;
import dev.fsdriver.proto.v1.Subscribe;
import dev.fsdriver.proto.v1.WatchReply;
import dev.fsdriver.proto.v1.WatchRequest;
import dev.fsdriver.protocol.Protocol;
import dev.fsdriver.protocol.StatusCodec;
import io.grpc.Channel;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9 item 7: handles belong to the session (or, without one, the connection) that opened
 * them; a session id counts only on the connection its Hello came on (or a Hello's resume);
 * set-id bits cannot be set through the server. Each client is its own in-process connection.
 */
class SessionOwnershipTest {
    @TempDir
    Path dir;
    private InProcessShare share;

    @BeforeEach
    void start() throws Exception {
        Files.writeString(dir.resolve("f"), "content");
        share = InProcessShare.serve(dir);
    }

    @AfterEach
    void stop() throws Exception {
        share.close();
    }

    /** A new connection whose calls carry {@code session} (null: none). */
    private Channel connection(String session) {
        return share.connection(session);
    }

    /** A connection that said Hello (resuming {@code resumeKey} if not empty), and its session's headers. */
    private record Client(HelloReply hello, FilesGrpc.FilesBlockingStub files, Channel channel) {}

    private Client hello(String resumeKey) {
        InProcessShare.Client c = share.hello(resumeKey);
        return new Client(c.hello(), FilesGrpc.newBlockingStub(c.channel()), c.channel());
    }

    private static long openFile(FilesGrpc.FilesBlockingStub files) {
        long node = files.lookup(LookupRequest.newBuilder().setParent(1).setName("f").build()).getId();
        return files.open(OpenRequest.newBuilder().setNode(node).setFlags(OpenFlags.O_RDWR).build()).getHandle();
    }

    private static String read(FilesGrpc.FilesBlockingStub files, long handle) {
        return files.read(ReadRequest.newBuilder().setHandle(handle).setSize(100).build()).getData().toStringUtf8();
    }

    /** True when the server refused the call, unexecuted, for naming a session bound to another open connection. */
    private static boolean refused(Runnable call) {
        try {
            call.run();
            return false;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode() == io.grpc.Status.Code.UNAVAILABLE && e.getTrailers() != null
                    && e.getTrailers().containsKey(Protocol.SESSION_ELSEWHERE);
        }
    }

    private static int errno(Runnable call) {
        try {
            call.run();
            return 0;
        } catch (StatusRuntimeException e) {
            return StatusCodec.toErrno(e);
        }
    }

    @Test
    void aHandleIsEbadfForAnotherConnection() {
        FilesGrpc.FilesBlockingStub a = FilesGrpc.newBlockingStub(connection(null));
        FilesGrpc.FilesBlockingStub b = FilesGrpc.newBlockingStub(connection(null));
        long h = openFile(a);
        assertThat(errno(() -> read(b, h))).isEqualTo(Errno.EBADF);
        assertThat(errno(() -> b.release(HandleRequest.newBuilder().setHandle(h).build()))).isEqualTo(Errno.EBADF);
        assertThat(errno(() -> b.flush(HandleRequest.newBuilder().setHandle(h).build()))).isEqualTo(Errno.EBADF);
        assertThat(read(a, h)).as("still the owner's").isEqualTo("content");
        a.release(HandleRequest.newBuilder().setHandle(h).build());
    }

    @Test
    void aHandleIsEbadfForAnotherSessionEvenWithItsId() {
        Client a = hello("");
        Client b = hello("");
        assertThat(a.hello.getSession()).isNotEmpty().isNotEqualTo(b.hello.getSession());
        long h = openFile(a.files);
        assertThat(errno(() -> read(b.files, h))).isEqualTo(Errno.EBADF);
        // b sends a's session id on its own connection: it is not a's session there
        FilesGrpc.FilesBlockingStub impostor = FilesGrpc.newBlockingStub(connection(a.hello.getSession()));
        // while a's connection is open, the id is refused there unexecuted (a's own client would say Hello with
        // its resume key, which the impostor does not have)
        assertThat(refused(() -> read(impostor, h))).isTrue();
        assertThat(refused(() -> impostor.release(HandleRequest.newBuilder().setHandle(h).build()))).isTrue();
        assertThat(read(a.files, h)).isEqualTo("content");
    }

    @Test
    void anotherConnectionPresentingASessionIdDoesNotHideItsChangesFromThatSession() throws Exception {
        Client a = hello("");
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        StreamObserver<WatchRequest> watch = EventsGrpc.newStub(a.channel).watch(new StreamObserver<>() {
            @Override
            public void onNext(WatchReply r) {
                for (ChangeEvent e : r.getEventsList()) {
                    seen.add(e.getKind() + " " + e.getPath());
                }
            }

            @Override
            public void onError(Throwable t) {
                seen.add("failed " + t);
            }

            @Override
            public void onCompleted() {}
        });
        watch.onNext(WatchRequest.newBuilder().setSubscribe(Subscribe.newBuilder().setShare("s")).build());
        // a's own change first (never sent back to a), then the impostor's, then a marker from a third client
        a.files.mkdir(MkdirRequest.newBuilder().setParent(1).setName("by-a").setMode(0755).build());
        FilesGrpc.FilesBlockingStub impostor = FilesGrpc.newBlockingStub(connection(a.hello.getSession()));
        assertThat(refused(() -> impostor.mkdir(MkdirRequest.newBuilder().setParent(1).setName("by-impostor")
                .setMode(0755).build()))).isTrue();
        assertThat(dir.resolve("by-impostor")).doesNotExist();
        FilesGrpc.FilesBlockingStub other = FilesGrpc.newBlockingStub(connection(null));
        other.mkdir(MkdirRequest.newBuilder().setParent(1).setName("marker").setMode(0755).build());
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!seen.contains("CREATED marker") && System.nanoTime() < end) {
            Thread.sleep(10);
        }
        watch.onCompleted();
        assertThat(seen).contains("CREATED marker").doesNotContain("CREATED by-a");
    }

    @Test
    void aHelloWithTheResumeKeyTakesTheSessionAndItsHandlesToTheNewConnection() {
        Client a = hello("");
        long h = openFile(a.files);
        Client again = hello(a.hello.getResumeKey());
        assertThat(again.hello.getSession()).isEqualTo(a.hello.getSession());
        assertThat(read(again.files, h)).isEqualTo("content");
        assertThat(refused(() -> read(a.files, h))).as("the old connection lost the session").isTrue();
        Client other = hello("not-a-key");
        assertThat(other.hello.getSession()).isNotEqualTo(a.hello.getSession());
    }

    @Test
    void setIdBitsCannotBeSetThroughTheServer() throws Exception {
        Client a = hello("");
        assertThat(errno(() -> a.files.create(CreateRequest.newBuilder().setParent(1).setName("suid")
                .setMode(04755).setFlags(OpenFlags.O_RDWR).build()))).isEqualTo(Errno.EPERM);
        assertThat(errno(() -> a.files.create(CreateRequest.newBuilder().setParent(1).setName("sgid")
                .setMode(02755).setFlags(OpenFlags.O_RDWR).build()))).isEqualTo(Errno.EPERM);
        assertThat(dir.resolve("suid")).doesNotExist();
        assertThat(dir.resolve("sgid")).doesNotExist();
        long f = a.files.lookup(LookupRequest.newBuilder().setParent(1).setName("f").build()).getId();
        assertThat(errno(() -> a.files.setAttr(SetAttrRequest.newBuilder().setNode(f).setMode(04755).build())))
                .isEqualTo(Errno.EPERM);
        assertThat(errno(() -> a.files.setAttr(SetAttrRequest.newBuilder().setNode(f).setMode(02711).build())))
                .isEqualTo(Errno.EPERM);
        assertThat(Files.getPosixFilePermissions(dir.resolve("f"))).isEqualTo(PosixFilePermissions.fromString("rw-r--r--"));
        assertThat(a.files.setAttr(SetAttrRequest.newBuilder().setNode(f).setMode(0700).build()).getMode() & 07777)
                .isEqualTo(0700);
        // a set-uid program made on the server side may keep its bit through a chmod
        Path prog = dir.resolve("prog");
        Files.writeString(prog, "#!/bin/sh\n");
        new ProcessBuilder("chmod", "4755", prog.toString()).inheritIO().start().waitFor();
        long p = a.files.lookup(LookupRequest.newBuilder().setParent(1).setName("prog").build()).getId();
        assertThat(a.files.setAttr(SetAttrRequest.newBuilder().setNode(p).setMode(04750).build()).getMode() & 07777)
                .isEqualTo(04750);
        // directories may be set-group-ID (new entries inherit the group)
        long d = a.files.mkdir(MkdirRequest.newBuilder().setParent(1).setName("d").setMode(0755).build()).getId();
        assertThat(a.files.setAttr(SetAttrRequest.newBuilder().setNode(d).setMode(02775).build()).getMode() & 07777)
                .isEqualTo(02775);
    }

    @Test
    void setIdBitsPassWhenTheServerTrustsItsClients() throws Exception {
        share.close();
        share = InProcessShare.serve(dir, b -> b.allowSetId(true));
        Client a = hello("");
        long f = a.files.lookup(LookupRequest.newBuilder().setParent(1).setName("f").build()).getId();
        assertThat(a.files.setAttr(SetAttrRequest.newBuilder().setNode(f).setMode(04755).build()).getMode() & 07777)
                .isEqualTo(04755);
        assertThat(a.files.create(CreateRequest.newBuilder().setParent(1).setName("sgid")
                .setMode(02755).setFlags(OpenFlags.O_RDWR).build()).getNode().getAttr().getMode() & 07777)
                .isEqualTo(02755);
    }
}
