package dev.fsdriver.client.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.proto.v1.ChangeEvent;
import dev.fsdriver.proto.v1.EventsGrpc;
import dev.fsdriver.proto.v1.WatchReply;
import dev.fsdriver.proto.v1.WatchRequest;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Watch stream's client end against a scripted server (in-process gRPC): events reach the
 * sink in order, each batch is acknowledged after it was applied, the stream state drives the
 * cache policy, and a broken stream is subscribed again from the last applied sequence.
 */
class WatchClientTest {
    /** One subscription as the server sees it: what the client sent on it, and its reply stream. */
    record Stream(BlockingQueue<WatchRequest> requests, StreamObserver<WatchReply> replies, CountDownLatch ended) {
        WatchRequest next() throws InterruptedException {
            WatchRequest r = requests.poll(30, TimeUnit.SECONDS);
            assertThat(r).as("a request from the client").isNotNull();
            return r;
        }
    }

    final BlockingQueue<Stream> streams = new LinkedBlockingQueue<>();
    final BlockingQueue<ChangeEvent> applied = new LinkedBlockingQueue<>();
    final CachePolicy policy = new CachePolicy(3_600_000_000_000L, 1_000_000_000L);
    Server server;
    ManagedChannel channel;
    WatchClient client;

    @BeforeEach
    void start() throws Exception {
        String name = InProcessServerBuilder.generateName();
        server = InProcessServerBuilder.forName(name).directExecutor().addService(new EventsGrpc.EventsImplBase() {
            @Override
            public StreamObserver<WatchRequest> watch(StreamObserver<WatchReply> replies) {
                Stream s = new Stream(new LinkedBlockingQueue<>(), replies, new CountDownLatch(1));
                streams.add(s);
                return new StreamObserver<>() {
                    @Override public void onNext(WatchRequest r) { s.requests().add(r); }
                    @Override public void onError(Throwable t) { s.ended().countDown(); }
                    @Override public void onCompleted() { s.ended().countDown(); }
                };
            }
        }).build().start();
        channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    }

    @AfterEach
    void stop() {
        if (client != null) {
            client.close();
        }
        channel.shutdownNow();
        server.shutdownNow();
    }

    void watch(WatchClient.Sink sink) {
        client = new WatchClient(channel, "s", sink, policy);
        client.start();
    }

    Stream nextStream() throws InterruptedException {
        Stream s = streams.poll(30, TimeUnit.SECONDS);
        assertThat(s).as("a subscription").isNotNull();
        return s;
    }

    static ChangeEvent event(long sequence, String path) {
        return ChangeEvent.newBuilder().setSequence(sequence).setKind(ChangeEvent.Kind.CREATED).setPath(path).build();
    }

    static WatchReply reply(long last, ChangeEvent... events) {
        return WatchReply.newBuilder().addAllEvents(List.of(events)).setLastSequence(last).build();
    }

    ChangeEvent nextApplied() throws InterruptedException {
        ChangeEvent e = applied.poll(30, TimeUnit.SECONDS);
        assertThat(e).as("an applied event").isNotNull();
        return e;
    }

    @Test
    void subscribesToTheShareAndGoesLiveWithTheServersFirstAnswer() throws Exception {
        watch((e, arrived) -> applied.add(e));
        Stream s = nextStream();
        WatchRequest subscribe = s.next();
        assertThat(subscribe.getSubscribe().getShare()).isEqualTo("s");
        assertThat(subscribe.getSubscribe().getResumeAfter()).as("live events only").isZero();
        assertThat(policy.live()).as("short timeouts until the server answered").isFalse();

        s.replies().onNext(reply(0)); // an empty answer: nothing to apply, nothing to acknowledge
        s.replies().onNext(reply(1, event(1, "a")));
        assertThat(nextApplied().getPath()).isEqualTo("a");
        assertThat(s.next().getAck().getSequence()).isEqualTo(1);
        assertThat(policy.live()).isTrue();
    }

    @Test
    void eventsReachTheSinkInOrderAndEachBatchIsAcknowledgedOnceApplied() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        watch((e, arrived) -> {
            applied.add(e);
            if (e.getSequence() == 1) {
                try {
                    release.await();
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        Stream s = nextStream();
        s.next(); // subscribe
        s.replies().onNext(reply(2, event(1, "a"), event(2, "b")));
        s.replies().onNext(reply(3, event(3, "c")));
        assertThat(nextApplied().getSequence()).isEqualTo(1);
        // the sink still holds the first event: nothing acknowledged, nothing else handed over
        assertThat(s.requests()).isEmpty();
        assertThat(applied).isEmpty();
        release.countDown();
        assertThat(nextApplied().getSequence()).isEqualTo(2);
        assertThat(s.next().getAck().getSequence()).isEqualTo(2);
        assertThat(nextApplied().getSequence()).isEqualTo(3);
        assertThat(s.next().getAck().getSequence()).isEqualTo(3);
        assertThat(client.received()).isEqualTo(3);
        assertThat(client.lastApplied()).isEqualTo(3);
    }

    /**
     * A burst: while the applier works through many events received, nothing is cacheable (see
     * CachePolicy): a listing kept or fetched ahead since the last applied event misses the
     * changes whose events wait here (CI: 750 of 3,000 files listed right after they were made).
     */
    @Test
    void nothingIsCacheableWhileTheApplierLagsBehindTheEventsReceived() throws Exception {
        List<Boolean> cacheable = new CopyOnWriteArrayList<>();
        watch((e, arrived) -> {
            cacheable.add(policy.cacheable()); // as a listing made while this event is applied finds it
            applied.add(e);
        });
        Stream s = nextStream();
        s.next();
        int n = 20;
        ChangeEvent[] burst = new ChangeEvent[n];
        for (int i = 0; i < n; i++) {
            burst[i] = event(i + 1, "f" + i);
        }
        s.replies().onNext(reply(n, burst));
        for (int i = 0; i < n; i++) {
            nextApplied();
        }
        assertThat(s.next().getAck().getSequence()).isEqualTo(n);
        int lagging = n - CachePolicy.BACKLOG_LIMIT; // the event being applied counts until it is done
        assertThat(cacheable.subList(0, lagging)).as("more than %d events waiting", CachePolicy.BACKLOG_LIMIT)
                .containsOnly(false);
        assertThat(cacheable.subList(lagging, n)).containsOnly(true);
        assertThat(policy.backlog()).isZero();
        assertThat(policy.cacheable()).isTrue();
    }

    /**
     * A reply the server sends while the applier still works on the last one is taken from the
     * stream at once and counted in the backlog: left in gRPC's buffer until the applier got to
     * it, the mount did not know it lagged behind and went on answering from what it keeps.
     */
    @Test
    void aReplyWaitingBehindTheOneBeingAppliedCountsInTheBacklog() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        watch((e, arrived) -> {
            applied.add(e);
            if (e.getSequence() == 1) {
                try {
                    release.await();
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        Stream s = nextStream();
        s.next();
        s.replies().onNext(reply(1, event(1, "a")));
        assertThat(nextApplied().getSequence()).isEqualTo(1);
        ChangeEvent[] burst = new ChangeEvent[20];
        for (int i = 0; i < burst.length; i++) {
            burst[i] = event(i + 2, "f" + i);
        }
        s.replies().onNext(reply(21, burst));
        for (int i = 0; i < 30_000 && policy.backlog() < 21; i++) {
            Thread.sleep(1);
        }
        assertThat(policy.backlog()).as("the event being applied and the reply behind it").isEqualTo(21);
        assertThat(policy.cacheable()).isFalse();
        assertThat(s.requests()).as("nothing acknowledged before it was applied").isEmpty();
        release.countDown();
        assertThat(s.next().getAck().getSequence()).isEqualTo(1);
        assertThat(s.next().getAck().getSequence()).isEqualTo(21);
        assertThat(policy.backlog()).isZero();
        assertThat(policy.cacheable()).isTrue();
    }

    @Test
    void anEventTheSinkFailsOnIsPassedAndTheRestApplied() throws Exception {
        watch((e, arrived) -> {
            if (e.getPath().equals("bad")) {
                throw new IllegalStateException("cannot apply");
            }
            applied.add(e);
        });
        Stream s = nextStream();
        s.next();
        s.replies().onNext(reply(3, event(1, "a"), event(2, "bad"), event(3, "c")));
        assertThat(nextApplied().getSequence()).isEqualTo(1);
        assertThat(nextApplied().getSequence()).isEqualTo(3);
        assertThat(s.next().getAck().getSequence()).isEqualTo(3);
    }

    @Test
    void aBrokenStreamShortensTimeoutsAndIsSubscribedAgainFromTheLastAppliedSequence() throws Exception {
        watch((e, arrived) -> applied.add(e));
        Stream first = nextStream();
        first.next();
        first.replies().onNext(reply(2, event(1, "a"), event(2, "b")));
        nextApplied();
        nextApplied();
        assertThat(first.next().getAck().getSequence()).isEqualTo(2);
        // a reply without events still moves the sequence on (the server skipped this mount's own)
        first.replies().onNext(reply(5));
        awaitLastApplied(5);
        assertThat(policy.live()).isTrue();

        first.replies().onError(Status.UNAVAILABLE.withDescription("server restarting").asRuntimeException());
        Stream second = nextStream();
        assertThat(policy.live()).as("short timeouts while the stream is down").isFalse();
        WatchRequest again = second.next();
        assertThat(again.getSubscribe().getResumeAfter()).as("replays what was missed").isEqualTo(5);
        assertThat(client.resubscriptions()).isEqualTo(1);

        second.replies().onNext(reply(6, event(6, "f")));
        assertThat(nextApplied().getSequence()).isEqualTo(6);
        assertThat(second.next().getAck().getSequence()).isEqualTo(6);
        assertThat(policy.live()).isTrue();
    }

    /**
     * Replies still queued for the applier when their stream breaks are not applied: the next
     * subscription replays them (from the last sequence applied), so nothing is applied twice,
     * and a dead stream's reply never says the mount is live again.
     */
    @Test
    void repliesQueuedWhenTheirStreamBreaksAreLeftToTheReplay() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        watch((e, arrived) -> {
            applied.add(e);
            if (e.getSequence() == 1) {
                try {
                    release.await();
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        Stream first = nextStream();
        first.next();
        first.replies().onNext(reply(2, event(1, "a"), event(2, "b")));
        assertThat(nextApplied().getSequence()).isEqualTo(1);
        first.replies().onNext(reply(3, event(3, "c")));
        for (int i = 0; i < 30_000 && policy.backlog() < 3; i++) {
            Thread.sleep(1);
        }
        first.replies().onError(Status.UNAVAILABLE.withDescription("server restarting").asRuntimeException());
        Stream second = nextStream();
        release.countDown();
        for (int i = 0; i < 30_000 && policy.backlog() > 0; i++) {
            Thread.sleep(1);
        }
        assertThat(policy.backlog()).as("skipped events leave the backlog too").isZero();
        assertThat(applied).as("nothing of the dead stream applied after event 1").isEmpty();
        assertThat(policy.live()).as("a dead stream's reply does not make the mount live").isFalse();
        assertThat(client.lastApplied()).isEqualTo(1);
        assertThat(second.next().getSubscribe().getResumeAfter()).isLessThanOrEqualTo(1);
        second.replies().onNext(reply(3, event(2, "b"), event(3, "c")));
        assertThat(nextApplied().getSequence()).isEqualTo(2);
        assertThat(nextApplied().getSequence()).isEqualTo(3);
        assertThat(second.next().getAck().getSequence()).isEqualTo(3);
        assertThat(policy.live()).isTrue();
    }

    @Test
    void theServerEndingTheStreamIsABreakToo() throws Exception {
        watch((e, arrived) -> applied.add(e));
        Stream first = nextStream();
        first.next();
        first.replies().onNext(reply(1, event(1, "a")));
        nextApplied();
        first.next();
        first.replies().onCompleted();
        assertThat(nextStream().next().getSubscribe().getResumeAfter()).isEqualTo(1);
        assertThat(policy.live()).isFalse();
    }

    @Test
    void closingCancelsTheStreamAndDoesNotSubscribeAgain() throws Exception {
        watch((e, arrived) -> applied.add(e));
        Stream s = nextStream();
        s.next();
        s.replies().onNext(reply(1, event(1, "a")));
        nextApplied();
        s.next();
        client.close();
        assertThat(s.ended().await(30, TimeUnit.SECONDS)).as("the server saw the stream end").isTrue();
        Thread.sleep(500); // a resubscription would follow after 100 ms
        assertThat(client.resubscriptions()).isZero();
        assertThat(streams).isEmpty();
    }

    /** The applier thread sets lastApplied after the sink: waits for it (no ack follows an empty reply). */
    private void awaitLastApplied(long sequence) throws InterruptedException {
        for (int i = 0; i < 30_000 && client.lastApplied() < sequence; i++) {
            Thread.sleep(1);
        }
        assertThat(client.lastApplied()).isEqualTo(sequence);
    }
}
