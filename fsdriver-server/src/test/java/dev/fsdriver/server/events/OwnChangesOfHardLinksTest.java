package dev.fsdriver.server.events;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.fsdriver.common.OpenFlags;
import dev.fsdriver.proto.v1.ChangeEvent;
import dev.fsdriver.proto.v1.EventsGrpc;
import dev.fsdriver.proto.v1.FilesGrpc;
import dev.fsdriver.proto.v1.LinkRequest;
import dev.fsdriver.proto.v1.LookupRequest;
import dev.fsdriver.proto.v1.MkdirRequest;
import dev.fsdriver.proto.v1.OpenRequest;
import dev.fsdriver.proto.v1.SetAttrRequest;
import dev.fsdriver.proto.v1.Subscribe;
import dev.fsdriver.proto.v1.WatchReply;
import dev.fsdriver.proto.v1.WatchRequest;
import dev.fsdriver.proto.v1.WriteRequest;
import dev.fsdriver.server.InProcessShare;
import io.grpc.Channel;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A session's own write or truncate through a handle is not sent back to it, whichever name of a
 * file with hard links the handle was opened by: the watcher reports it under that name, which
 * need not be the node's first (DifferentialStressTest seed 18's log showed the mount's own writes
 * coming back as MODIFIED of the second name).
 */
class OwnChangesOfHardLinksTest {
    @TempDir
    Path dir;
    private InProcessShare share;

    @BeforeEach
    void start() throws Exception {
        Files.writeString(dir.resolve("a"), "content");
        share = InProcessShare.serve(dir);
    }

    @AfterEach
    void stop() throws Exception {
        share.close();
    }

    /** A connection that said Hello, its calls carrying the session (null: a client without one). */
    private Channel client(boolean session) {
        return session ? share.hello("").channel() : share.connection(null);
    }

    @Test
    void writesAndTruncatesThroughTheSecondNameAreNotSentBack() throws Exception {
        Channel mine = client(true);
        FilesGrpc.FilesBlockingStub files = FilesGrpc.newBlockingStub(mine);
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        StreamObserver<WatchRequest> watch = EventsGrpc.newStub(mine).watch(new StreamObserver<>() {
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

        long node = files.lookup(LookupRequest.newBuilder().setParent(1).setName("a").build()).getId();
        files.link(LinkRequest.newBuilder().setNode(node).setNewParent(1).setNewName("b").build());
        // opened by its second name (the last looked up is the node's first), then the first
        // name found again: the node's first name is "a" while the handle's file is "b"
        files.lookup(LookupRequest.newBuilder().setParent(1).setName("b").build());
        long handle = files.open(OpenRequest.newBuilder().setNode(node).setFlags(OpenFlags.O_RDWR).build()).getHandle();
        files.lookup(LookupRequest.newBuilder().setParent(1).setName("a").build());
        files.write(WriteRequest.newBuilder().setHandle(handle).setOffset(7).setData(ByteString.copyFromUtf8(" more")).build());
        files.setAttr(SetAttrRequest.newBuilder().setNode(node).setHandle(handle).setSize(3).build());

        FilesGrpc.newBlockingStub(client(false)).mkdir(MkdirRequest.newBuilder().setParent(1).setName("marker").setMode(0755).build());
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!seen.contains("CREATED marker") && System.nanoTime() < end) {
            Thread.sleep(10);
        }
        watch.onCompleted();
        assertThat(Files.readString(dir.resolve("a"))).isEqualTo("con");
        assertThat(seen).contains("CREATED marker").noneMatch(s -> s.endsWith(" a") || s.endsWith(" b"));
    }
}
