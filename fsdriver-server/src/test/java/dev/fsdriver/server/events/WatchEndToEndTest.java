package dev.fsdriver.server.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.fsdriver.backend.posix.PosixBackend;
import dev.fsdriver.proto.v1.Ack;
import dev.fsdriver.proto.v1.ChangeEvent;
import dev.fsdriver.proto.v1.EventsGrpc;
import dev.fsdriver.proto.v1.Subscribe;
import dev.fsdriver.proto.v1.WatchReply;
import dev.fsdriver.proto.v1.WatchRequest;
import dev.fsdriver.protocol.Protocol;
import dev.fsdriver.server.FsServer;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** FsServer + PosixBackend + inotify: changes made directly in the served directory arrive on Watch. */
class WatchEndToEndTest {
    private static final long WAIT_NANOS = TimeUnit.SECONDS.toNanos(10);

    @TempDir Path dir;
    private FsServer server;
    private ManagedChannel channel;

    @BeforeEach
    void start() throws Exception {
        String name = InProcessServerBuilder.generateName();
        server = FsServer.builder()
                .serverBuilder(InProcessServerBuilder.forName(name).directExecutor())
                .share("docs", PosixBackend.open(dir, false), false)
                .token("s3cret")
                .build();
        server.start();
        channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    }

    @AfterEach
    void stop() throws Exception {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.close();
    }

    private EventsGrpc.EventsStub stub(String token) {
        Metadata md = new Metadata();
        md.put(Protocol.SHARE, "docs");
        if (token != null) {
            md.put(Protocol.AUTHORIZATION, "Bearer " + token);
        }
        return EventsGrpc.newStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md));
    }

    @Test
    void serverSideChangesArriveOnTheWatchStream() throws Exception {
        Replies r = new Replies();
        StreamObserver<WatchRequest> req = stub("s3cret").watch(r);
        req.onNext(WatchRequest.newBuilder().setSubscribe(Subscribe.newBuilder().setShare("docs")).build());
        r.await(x -> true);

        // One step at a time: a file created and gone before its new directory is watched is
        // (rightly) never reported, since the scan of the new directory no longer finds it.
        Files.createDirectories(dir.resolve("a/b"));
        r.await(e -> e.getKind() == ChangeEvent.Kind.CREATED && e.getPath().equals("a/b"));
        Files.writeString(dir.resolve("a/b/f.txt"), "hello");
        // Reported as CREATED + MODIFIED, or by the scan of a/b as CREATED alone if the write
        // beat the new watch on a/b.
        r.await(e -> e.getKind() == ChangeEvent.Kind.CREATED && e.getPath().equals("a/b/f.txt"));
        Files.move(dir.resolve("a/b/f.txt"), dir.resolve("a/g.txt"));
        r.await(e -> e.getKind() == ChangeEvent.Kind.RENAMED && e.getNewPath().equals("a/g.txt"));
        Files.delete(dir.resolve("a/g.txt"));
        r.await(e -> e.getKind() == ChangeEvent.Kind.DELETED && e.getPath().equals("a/g.txt"));
        List<String> seen = r.events().stream().map(e -> e.getKind() + " " + e.getPath()
                + (e.getNewPath().isEmpty() ? "" : " -> " + e.getNewPath())).toList();
        assertThat(seen).containsSubsequence("CREATED a", "CREATED a/b/f.txt",
                "RENAMED a/b/f.txt -> a/g.txt", "DELETED a/g.txt");
        req.onNext(WatchRequest.newBuilder()
                .setAck(Ack.newBuilder().setSequence(r.events().getLast().getSequence())).build());
        req.onCompleted();
    }

    @Test
    void stormOf10000CreatesIsDeliveredOrCoveredByOverflow() throws Exception {
        Files.createDirectory(dir.resolve("storm"));
        Replies r = new Replies();
        StreamObserver<WatchRequest> req = stub("s3cret").watch(r);
        req.onNext(WatchRequest.newBuilder().setSubscribe(Subscribe.newBuilder().setShare("docs")).build());
        r.await(x -> true);
        int n = 10_000;
        for (int i = 0; i < n; i++) {
            Files.createFile(dir.resolve("storm/f" + i));
        }
        Files.writeString(dir.resolve("done"), "");
        r.await(e -> e.getPath().equals("done"));

        Set<String> created = new HashSet<>();
        List<String> overflows = new ArrayList<>();
        for (ChangeEvent e : r.events()) {
            if (e.getKind() == ChangeEvent.Kind.CREATED) {
                created.add(e.getPath());
            } else if (e.getKind() == ChangeEvent.Kind.OVERFLOW) {
                overflows.add(e.getPath());
            }
        }
        System.out.printf("storm over Watch: %d events, %d creates, overflows %s%n",
                r.events().size(), created.size(), overflows);
        for (int i = 0; i < n; i++) {
            String p = "storm/f" + i;
            if (!created.contains(p) && overflows.stream().noneMatch(o -> o.isEmpty() || p.startsWith(o + "/"))) {
                fail(p + " neither delivered nor covered by an overflow");
            }
        }
        req.onCompleted();
    }

    @Test
    void serverShutdownEndsWatchStreamsAsUnavailable() throws Exception {
        Replies r = new Replies();
        StreamObserver<WatchRequest> req = stub("s3cret").watch(r);
        req.onNext(WatchRequest.newBuilder().setSubscribe(Subscribe.newBuilder().setShare("docs")).build());
        r.await(x -> true);
        server.close();
        Status status = Status.fromThrowable(r.awaitError());
        assertThat(status.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(status.getDescription()).contains("shutting down");
    }

    @Test
    void watchNeedsTheToken() throws Exception {
        Replies r = new Replies();
        StreamObserver<WatchRequest> req = stub("wrong").watch(r);
        req.onNext(WatchRequest.newBuilder().setSubscribe(Subscribe.newBuilder().setShare("docs")).build());
        assertThat(Status.fromThrowable(r.awaitError()).getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    }

    /** Collects replies and waits for a matching event (or the first reply, with a reply predicate). */
    private static final class Replies implements StreamObserver<WatchReply> {
        private final List<WatchReply> replies = new ArrayList<>();
        private Throwable error;

        @Override
        public synchronized void onNext(WatchReply value) {
            replies.add(value);
            notifyAll();
        }

        @Override
        public synchronized void onError(Throwable t) {
            error = t;
            notifyAll();
        }

        @Override
        public void onCompleted() {}

        synchronized List<ChangeEvent> events() {
            List<ChangeEvent> all = new ArrayList<>();
            replies.forEach(r -> all.addAll(r.getEventsList()));
            return all;
        }

        synchronized void await(Predicate<ChangeEvent> p) throws InterruptedException {
            long deadline = System.nanoTime() + WAIT_NANOS;
            while (replies.isEmpty() || (events().stream().noneMatch(p) && !(p.test(ChangeEvent.getDefaultInstance())))) {
                waitUntil(deadline);
            }
        }

        synchronized Throwable awaitError() throws InterruptedException {
            long deadline = System.nanoTime() + WAIT_NANOS;
            while (error == null) {
                waitUntil(deadline);
            }
            return error;
        }

        private void waitUntil(long deadline) throws InterruptedException {
            if (error != null && replies.isEmpty()) {
                fail("stream failed", error);
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                fail("nothing matching within 10 s; have " + events() + (error == null ? "" : ", error " + error));
            }
            wait(Math.max(1, left / 1_000_000));
        }
    }
}
