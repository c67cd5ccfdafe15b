package dev.fsdriver.server.events;

import static dev.fsdriver.server.events.EventHubTest.rel;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.fsdriver.backend.Change;
import dev.fsdriver.backend.Change.Kind;
import dev.fsdriver.proto.v1.Ack;
import dev.fsdriver.proto.v1.ChangeEvent;
import dev.fsdriver.proto.v1.EventsGrpc;
import dev.fsdriver.proto.v1.Subscribe;
import dev.fsdriver.proto.v1.WatchReply;
import dev.fsdriver.proto.v1.WatchRequest;
import dev.fsdriver.protocol.StatusCodec;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Watch stream over grpc-java's in-process transport, with a hand-ticked hub. */
class EventsServiceTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final long FIRST = 5000;

    private final EventHub hub = new EventHub("docs", EventHub.Config.DEFAULTS, System::nanoTime, FIRST, null);
    private ExecutorService executor;
    private Server server;
    private ManagedChannel channel;
    private EventCounts counts;

    private void start(EventsService.Limits limits) throws Exception {
        String name = InProcessServerBuilder.generateName();
        executor = Executors.newVirtualThreadPerTaskExecutor();
        counts = new EventCounts();
        EventsService svc = new EventsService(Map.of("docs", hub)::get, share -> null, null, limits, executor, counts);
        server = InProcessServerBuilder.forName(name).directExecutor().addService(svc).build().start();
        channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    }

    @BeforeEach
    void defaults() throws Exception {
        start(EventsService.Limits.DEFAULTS);
    }

    @AfterEach
    void stop() throws Exception {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        executor.shutdownNow();
    }

    @Test
    void subscribeReceivesLiveEventsInBatches() throws Exception {
        Watch w = new Watch(true).subscribe("docs", 0);
        WatchReply hello = w.awaitReply(r -> true);
        assertThat(hello.getEventsList()).isEmpty();
        assertThat(hello.getLastSequence()).isEqualTo(FIRST - 1);

        hub.onChange(Change.of(Kind.CREATED, rel("d"), true));
        hub.onChange(new Change(Kind.RENAMED, rel("d"), rel("e"), true));
        hub.onChange(Change.of(Kind.DELETED, rel("e"), true));
        List<ChangeEvent> got = w.awaitEvents(3);
        assertThat(got).extracting(ChangeEvent::getKind).containsExactly(
                ChangeEvent.Kind.CREATED, ChangeEvent.Kind.RENAMED, ChangeEvent.Kind.DELETED);
        assertThat(got.get(1).getPath()).isEqualTo("d");
        assertThat(got.get(1).getNewPath()).isEqualTo("e");
        assertThat(got.get(1).getDirectory()).isTrue();
        assertThat(got).extracting(ChangeEvent::getSequence).containsExactly(FIRST, FIRST + 1, FIRST + 2);
        assertThat(w.replies().getLast().getLastSequence()).isEqualTo(FIRST + 2);
        w.cancel();
    }

    @Test
    void resumeAfterReconnectReplaysWhatWasMissed() throws Exception {
        Watch first = new Watch(true).subscribe("docs", 0);
        hub.onChange(Change.of(Kind.CREATED, rel("a"), false));
        long applied = first.awaitEvents(1).getLast().getSequence();
        first.cancel();
        awaitSubscribers(0);

        hub.onChange(Change.of(Kind.CREATED, rel("b"), false));
        hub.onChange(Change.of(Kind.DELETED, rel("a"), false));

        Watch second = new Watch(true).subscribe("docs", applied);
        List<ChangeEvent> replay = second.awaitEvents(2);
        assertThat(replay).extracting(e -> e.getKind() + " " + e.getPath()).containsExactly("CREATED b", "DELETED a");
        hub.onChange(Change.of(Kind.CREATED, rel("c"), false));
        assertThat(second.awaitEvents(3).getLast().getPath()).isEqualTo("c");

        Watch stale = new Watch(true).subscribe("docs", 42); // a cursor from another server process
        ChangeEvent overflow = stale.awaitEvents(1).getFirst();
        assertThat(overflow.getKind()).isEqualTo(ChangeEvent.Kind.OVERFLOW);
        assertThat(overflow.getPath()).isEmpty();
        assertThat(overflow.getSequence()).isEqualTo(hub.lastSequence());
    }

    @Test
    void acksOpenTheWindowAndUnackedEventsAreBounded() throws Exception {
        stop();
        start(new EventsService.Limits(1000, 4, 100));
        Watch w = new Watch(false, 4).subscribe("docs", 0);
        for (int i = 0; i < 10; i++) {
            hub.onChange(Change.of(Kind.CREATED, rel("f" + i), false));
        }
        w.awaitEvents(4);
        w.ack(w.events().getLast().getSequence());
        w.awaitEvents(8);
        w.ack(w.events().getLast().getSequence());
        List<ChangeEvent> all = w.awaitEvents(10);
        assertThat(all).extracting(ChangeEvent::getPath)
                .containsExactly("f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9");
        assertThat(w.windowViolations()).isZero();
    }

    @Test
    void slowClientGetsOneOverflowInsteadOfAnUnboundedQueue() throws Exception {
        stop();
        start(new EventsService.Limits(50, 10, 100));
        Watch slow = new Watch(false, 10).subscribe("docs", 0);
        for (int i = 0; i < 500; i++) {
            hub.onChange(Change.of(Kind.CREATED, rel("f" + i), false));
        }
        slow.awaitEvents(10);
        slow.ack(slow.events().getLast().getSequence());
        slow.awaitReply(r -> r.getEventsList().stream().anyMatch(e -> e.getKind() == ChangeEvent.Kind.OVERFLOW));
        // Ack until the queue is drained: the client ends at the share's last sequence, covered by
        // the overflow, having received far fewer than 500 events.
        while (slow.events().getLast().getSequence() < hub.lastSequence()) {
            int have = slow.events().size();
            slow.ack(slow.events().getLast().getSequence());
            slow.awaitEvents(have + 1);
        }
        List<ChangeEvent> got = slow.events();
        ChangeEvent overflow = got.stream().filter(e -> e.getKind() == ChangeEvent.Kind.OVERFLOW).findFirst().get();
        assertThat(overflow.getPath()).isEmpty();
        assertThat(got.size()).isLessThanOrEqualTo(10 + 2 + 50);
        // Every event is either delivered or before an overflow that covers it.
        assertThat(got.getLast().getSequence()).isEqualTo(hub.lastSequence());
        assertThat(slow.windowViolations()).isZero();
        // counted for metrics: what was sent, the overflows, and what they replaced (usually one
        // overflow; a second when the queue filled again after the first was sent, as the drain
        // runs on grpc's thread while the 500 changes are still coming: seen once in CI)
        long overflows = got.stream().filter(e -> e.getKind() == ChangeEvent.Kind.OVERFLOW).count();
        assertThat(counts.sent()).isEqualTo(got.size());
        assertThat(counts.overflows()).isPositive().isEqualTo(overflows);
        assertThat(counts.dropped()).isPositive().isEqualTo(500 - (got.size() - overflows));
    }

    @Test
    void aStormsBeginningDroppedWithASlowClientsQueueIsOnTheOverflowThatReplacesIt() throws Exception {
        stop();
        start(new EventsService.Limits(50, 10, 100));
        Watch slow = new Watch(false, 10).subscribe("docs", 0);
        for (int i = 0; i < 1200; i++) { // the hub's storm threshold is 1,000 a second
            hub.onChange(Change.of(Kind.CREATED, rel("s/f" + i), false));
        }
        for (int i = 0; i < 100; i++) { // elsewhere, after it: the queue overflows past the beginning
            hub.onChange(Change.of(Kind.CREATED, rel("t" + i), false));
        }
        // how many events the queue holds depends on how fast the hub saw the storm (a loaded
        // machine: the whole queue collapsed into one OVERFLOW, seen in CI): read them all
        slow.awaitEvents(1);
        while (slow.events().getLast().getSequence() < hub.lastSequence()) {
            int have = slow.events().size();
            slow.ack(slow.events().getLast().getSequence());
            slow.awaitEvents(have + 1);
        }
        // the client must learn that a storm began, or it would cache what no event will correct
        assertThat(slow.events()).filteredOn(e -> e.getKind() == ChangeEvent.Kind.OVERFLOW)
                .anyMatch(e -> e.getStorm() == ChangeEvent.Storm.STORM_BEGINS);
        assertThat(counts.dropped()).as("the queue overflowed").isPositive();
    }

    @Test
    void unknownShareIsNotFoundAndCancelLeavesTheHub() throws Exception {
        Watch w = new Watch(true).subscribe("nope", 0);
        Throwable t = w.awaitError();
        assertThat(Status.fromThrowable(t).getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(StatusCodec.toErrno(t)).isEqualTo(2);

        Watch ok = new Watch(true).subscribe("docs", 0);
        ok.awaitReply(r -> true);
        assertThat(hub.subscriberCount()).isEqualTo(1);
        ok.cancel();
        awaitSubscribers(0);
    }

    private void awaitSubscribers(int n) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (hub.subscriberCount() != n) {
            if (System.nanoTime() > deadline) {
                fail("hub still has " + hub.subscriberCount() + " subscribers");
            }
            Thread.sleep(10);
        }
    }

    /** A client end of one Watch stream that records replies; optionally acks each reply at once. */
    private final class Watch implements ClientResponseObserver<WatchRequest, WatchReply> {
        private final boolean autoAck;
        private final List<WatchReply> replies = new ArrayList<>();
        private ClientCallStreamObserver<WatchRequest> requests;
        private Throwable error;
        private long acked;
        private int windowViolations;

        /** @param window the server's maxUnacked: more unacked events than this is a violation */
        private final long window;

        Watch(boolean autoAck) {
            this(autoAck, Long.MAX_VALUE);
        }

        Watch(boolean autoAck, long window) {
            this.autoAck = autoAck;
            this.window = window;
        }

        Watch subscribe(String share, long resumeAfter) {
            EventsGrpc.newStub(channel).watch(this);
            send(WatchRequest.newBuilder()
                    .setSubscribe(Subscribe.newBuilder().setShare(share).setResumeAfter(resumeAfter)).build());
            return this;
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<WatchRequest> r) {
            requests = r;
        }

        @Override
        public void onNext(WatchReply reply) {
            boolean ack;
            synchronized (this) {
                replies.add(reply);
                long unacked = events().stream().filter(e -> e.getSequence() > acked).count();
                if (unacked > window) {
                    windowViolations++;
                }
                notifyAll();
                ack = autoAck && reply.getEventsCount() > 0;
            }
            if (ack) {
                ack(reply.getLastSequence());
            }
        }

        @Override
        public synchronized void onError(Throwable t) {
            error = t;
            notifyAll();
        }

        @Override
        public void onCompleted() {}

        void ack(long sequence) {
            synchronized (this) {
                acked = Math.max(acked, sequence);
            }
            send(WatchRequest.newBuilder().setAck(Ack.newBuilder().setSequence(sequence)).build());
        }

        private synchronized void send(WatchRequest r) {
            requests.onNext(r);
        }

        void cancel() {
            requests.cancel("test done", null);
        }

        synchronized List<WatchReply> replies() {
            return List.copyOf(replies);
        }

        synchronized List<ChangeEvent> events() {
            List<ChangeEvent> all = new ArrayList<>();
            replies.forEach(r -> all.addAll(r.getEventsList()));
            return all;
        }

        synchronized int windowViolations() {
            return windowViolations;
        }

        synchronized WatchReply awaitReply(Predicate<WatchReply> p) throws InterruptedException {
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (true) {
                for (WatchReply r : replies) {
                    if (p.test(r)) {
                        return r;
                    }
                }
                waitUntil(deadline, "reply");
            }
        }

        synchronized List<ChangeEvent> awaitEvents(int n) throws InterruptedException {
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (events().size() < n) {
                waitUntil(deadline, n + " events");
            }
            return events();
        }

        synchronized Throwable awaitError() throws InterruptedException {
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (error == null) {
                waitUntil(deadline, "error");
            }
            return error;
        }

        private void waitUntil(long deadline, String what) throws InterruptedException {
            long left = deadline - System.nanoTime();
            if (error != null) {
                fail("stream failed while waiting for " + what, error);
            }
            if (left <= 0) {
                fail("no " + what + " within " + WAIT + "; have " + events());
            }
            wait(Math.max(1, left / 1_000_000));
        }
    }
}
