package dev.fsdriver.client.events;

import dev.fsdriver.proto.v1.Ack;
import dev.fsdriver.proto.v1.ChangeEvent;
import dev.fsdriver.proto.v1.EventsGrpc;
import dev.fsdriver.proto.v1.Subscribe;
import dev.fsdriver.proto.v1.WatchReply;
import dev.fsdriver.proto.v1.WatchRequest;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client end of the Watch stream of one share: subscribes with the last sequence it
 * applied (so a reconnect replays what it missed), hands every event to the sink in order,
 * and acknowledges each batch once the sink is done with it (a slow client slows the stream: the
 * server sends at most its unacknowledged window, and its per-client bound turns a slow client
 * into an overflow, never into unbounded buffering). Each batch is taken from the stream as soon
 * as it arrives and waits here, counted in the {@link CachePolicy}'s backlog: left in gRPC's
 * buffer, the events the applier lags behind would be invisible to the mount, which would go on
 * answering from what it keeps.
 *
 * <p>While the stream is down the {@link CachePolicy} is switched to short timeouts; it goes
 * back to long ones once the server answered the new subscription. Reconnects back off from
 * 100 ms to 5 s.
 *
 * <p>Threads: events are applied on one platform thread of this class ("fsdriver-events"), never
 * on gRPC's callback thread: the channel may run callbacks on its network thread, which the
 * applier's own RPCs (and the FUSE requests its injections cause) need free. Injections run
 * on the {@link Injector}'s own thread (their requests are recognised by its thread id).
 */
public final class WatchClient implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WatchClient.class);

    private final EventsGrpc.EventsStub stub;
    private final String share;
    private final Sink sink;
    private final CachePolicy policy;
    private final ScheduledExecutorService timer;
    private final ExecutorService applier;
    private final Consumer<List<ChangeEvent>> arriving;
    private volatile long lastApplied;
    private volatile boolean closed;
    private volatile ClientCallStreamObserver<WatchRequest> current;
    private long backoffMs = 100;
    private final LongAdder received = new LongAdder();
    /** Subscriptions made, the first one included: each one after it follows a broken stream. */
    private final LongAdder subscriptions = new LongAdder();

    /** Receives the events of one reply, in order, with the time (System.nanoTime) it arrived. */
    @FunctionalInterface
    public interface Sink {
        void accept(ChangeEvent event, long arrivedNs);
    }

    public WatchClient(Channel channel, String share, Sink sink, CachePolicy policy) {
        this(channel, share, sink, policy, events -> { });
    }

    /** {@code arriving}: told of each reply's events on the transport's thread, before they are queued to apply (must not block). */
    public WatchClient(Channel channel, String share, Sink sink, CachePolicy policy,
                       Consumer<List<ChangeEvent>> arriving) {
        this.arriving = arriving;
        this.stub = EventsGrpc.newStub(channel);
        this.share = share;
        this.sink = sink;
        this.policy = policy;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "fsdriver-watch-retry");
            t.setDaemon(true);
            return t;
        });
        this.applier = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "fsdriver-events");
            t.setDaemon(true);
            return t;
        });
    }

    public void start() {
        connect();
    }

    long lastApplied() {
        return lastApplied;
    }

    /** Events received since start. */
    long received() {
        return received.sum();
    }

    /** Times the stream was subscribed again after it broke. */
    long resubscriptions() {
        return Math.max(0, subscriptions.sum() - 1);
    }

    private void connect() {
        if (closed) {
            return;
        }
        subscriptions.increment();
        stub.watch(new ClientResponseObserver<WatchRequest, WatchReply>() {
            private ClientCallStreamObserver<WatchRequest> requests;
            /**
             * This stream broke: replies of it still queued for the applier are skipped, so that
             * the next subscription (from lastApplied) neither applies them twice nor finds the
             * mount said live by a dead stream.
             */
            private volatile boolean ended;

            @Override
            public void beforeStart(ClientCallStreamObserver<WatchRequest> r) {
                requests = r;
                current = r;
                r.disableAutoRequestWithInitial(1);
            }

            @Override
            public void onNext(WatchReply reply) {
                long arrived = System.nanoTime();
                received.add(reply.getEventsCount());
                policy.received(reply.getEventsCount()); // the applier's backlog (see CachePolicy)
                arriving.accept(reply.getEventsList());
                applier.execute(() -> applyReply(reply, arrived));
                // the next one at once (bounded by the server's unacknowledged window): counted
                // in the backlog as soon as it arrives, not when the applier gets to it
                requests.request(1);
            }

            private void applyReply(WatchReply reply, long arrived) {
                List<ChangeEvent> events = reply.getEventsList();
                int applied = 0;
                try {
                    if (ended) {
                        return; // this stream broke: the next one replays from lastApplied
                    }
                    if (!policy.live()) {
                        log.info("change events for share '{}' are live (after sequence {})", share, lastApplied);
                        policy.setLive(true);
                    }
                    backoffMs = 100;
                    long last = lastApplied;
                    for (ChangeEvent e : events) {
                        if (ended) {
                            break;
                        }
                        try {
                            sink.accept(e, arrived);
                        } catch (RuntimeException ex) {
                            log.warn("applying event {} failed: {}", e.getSequence(), ex.toString());
                        }
                        applied++;
                        policy.applied();
                        last = Math.max(last, e.getSequence());
                    }
                    if (applied == events.size()) {
                        last = Math.max(last, reply.getLastSequence());
                    }
                    lastApplied = last;
                    if (ended) {
                        return;
                    }
                    try {
                        if (reply.getEventsCount() > 0) {
                            requests.onNext(WatchRequest.newBuilder().setAck(Ack.newBuilder().setSequence(last)).build());
                        }
                    } catch (RuntimeException streamGone) {
                        log.debug("watch stream gone while acknowledging: {}", streamGone.toString());
                    }
                } finally {
                    for (int i = applied; i < events.size(); i++) {
                        policy.applied(); // skipped (or an Error): out of the backlog all the same
                    }
                }
            }

            @Override
            public void onError(Throwable t) {
                ended = true;
                broken(Status.fromThrowable(t).toString());
            }

            @Override
            public void onCompleted() {
                ended = true;
                broken("server ended the stream");
            }
        }).onNext(WatchRequest.newBuilder()
                .setSubscribe(Subscribe.newBuilder().setShare(share).setResumeAfter(lastApplied))
                .build());
    }

    private void broken(String why) {
        if (closed) {
            log.debug("watch stream for '{}' closed: {}", share, why); // the mount ends: nothing is wrong
        } else if (policy.live()) {
            log.warn("change events for share '{}' interrupted ({}); short cache timeouts until resynchronised", share, why);
        } else {
            log.debug("watch stream for '{}' down: {}", share, why);
        }
        policy.setLive(false);
        if (!closed) {
            long delay = backoffMs;
            backoffMs = Math.min(5_000, backoffMs * 2);
            timer.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
        }
    }

    @Override
    public void close() {
        closed = true;
        ClientCallStreamObserver<WatchRequest> c = current;
        if (c != null) {
            c.cancel("closing", null);
        }
        timer.shutdownNow();
        applier.shutdownNow();
    }
}
