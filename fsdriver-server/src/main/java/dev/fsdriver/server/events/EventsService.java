package dev.fsdriver.server.events;

import dev.fsdriver.backend.Change.Kind;
import dev.fsdriver.backend.Change;
import dev.fsdriver.backend.FileAttributes;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.common.Errno;
import dev.fsdriver.proto.v1.Attr;
import dev.fsdriver.proto.v1.ChangeEvent;
import dev.fsdriver.proto.v1.EventsGrpc;
import dev.fsdriver.proto.v1.WatchReply;
import dev.fsdriver.proto.v1.WatchRequest;
import dev.fsdriver.protocol.StatusCodec;
import dev.fsdriver.server.events.EventHub.Event;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Watch stream: one per mount. The client's first message is Subscribe{share,
 * resume_after}; the server answers with a first WatchReply carrying the current
 * last_sequence (and the replay, if resuming), then batches of live events. The client acks
 * what it applied; at most {@link Limits#maxUnacked} events are in flight, and at most
 * {@link Limits#maxQueued} wait to be sent: past that the client's queue is dropped and
 * replaced by one OVERFLOW(root), so a slow client costs bounded memory.
 */
public final class EventsService extends EventsGrpc.EventsImplBase {
    private static final Logger log = LoggerFactory.getLogger(EventsService.class);

    /** Per-client bounds. */
    public record Limits(int maxQueued, int maxUnacked, int maxBatch) {
        public static final Limits DEFAULTS = new Limits(32_768, 8_192, 2_048);
    }

    /** How long a stream waits before it looks again at an event its own client is still making. */
    private static final long WAIT_FOR_CALL_MILLIS = 2;
    /**
     * How long a stream that skipped only its client's own events waits before it tells the
     * client how far it got (an empty reply): not at once, which would wake the client for
     * every change it makes, but soon enough that its resume cursor stays close.
     */
    private static final long PROGRESS_DELAY_MILLIS = 500;

    private final Function<String, EventHub> hubs;
    private final Function<String, Origins> origins;
    private final Function<FileAttributes, Attr> toWire;
    private final Limits limits;
    private final Executor executor;
    private final EventCounts counts;

    /** @param hubs share name -> its hub, or null for an unknown share */
    public EventsService(Function<String, EventHub> hubs) {
        this(hubs, share -> null, null);
    }

    /**
     * @param origins share name -> who changed what (null: every event goes to every client)
     * @param toWire  attributes as sent: CREATED, MODIFIED and ATTRIB carry the path's
     *                attributes as they are when sent (a client then need not ask)
     */
    public EventsService(Function<String, EventHub> hubs, Function<String, Origins> origins,
                         Function<FileAttributes, Attr> toWire) {
        this(hubs, origins, toWire, Limits.DEFAULTS, Executors.newVirtualThreadPerTaskExecutor());
    }

    /** @param executor runs sends triggered by new events (never on the watcher's thread) */
    public EventsService(Function<String, EventHub> hubs, Limits limits, Executor executor) {
        this(hubs, share -> null, null, limits, executor);
    }

    public EventsService(Function<String, EventHub> hubs, Function<String, Origins> origins,
                         Function<FileAttributes, Attr> toWire, Limits limits, Executor executor) {
        this(hubs, origins, toWire, limits, executor, new EventCounts());
    }

    /** @param counts where sends and overflows are counted (shared by the services of every listener) */
    public EventsService(Function<String, EventHub> hubs, Function<String, Origins> origins,
                         Function<FileAttributes, Attr> toWire, Limits limits, Executor executor, EventCounts counts) {
        this.counts = counts;
        this.hubs = hubs;
        this.origins = origins;
        this.toWire = toWire;
        this.limits = limits;
        this.executor = executor;
    }

    @Override
    public StreamObserver<WatchRequest> watch(StreamObserver<WatchReply> responseObserver) {
        ServerCallStreamObserver<WatchReply> call = (ServerCallStreamObserver<WatchReply>) responseObserver;
        Client client = new Client(call, Origins.currentSession());
        call.setOnReadyHandler(client::drain);
        call.setOnCancelHandler(client::cancelled);
        return client;
    }

    static ChangeEvent toProto(Event e) {
        ChangeEvent.Builder b = ChangeEvent.newBuilder()
                .setSequence(e.sequence())
                .setKind(switch (e.kind()) {
                    case CREATED -> ChangeEvent.Kind.CREATED;
                    case DELETED -> ChangeEvent.Kind.DELETED;
                    case MODIFIED -> ChangeEvent.Kind.MODIFIED;
                    case ATTRIB -> ChangeEvent.Kind.ATTRIB;
                    case RENAMED -> ChangeEvent.Kind.RENAMED;
                    case OVERFLOW -> ChangeEvent.Kind.OVERFLOW;
                })
                .setPath(e.path().toString())
                .setDirectory(e.directory())
                .setSeenUnixNanos(e.seenUnixNanos())
                .setLostAfter(e.lostAfter())
                .setStorm(switch (e.storm()) {
                    case NONE -> ChangeEvent.Storm.STORM_NONE;
                    case BEGINS -> ChangeEvent.Storm.STORM_BEGINS;
                    case ENDS -> ChangeEvent.Storm.STORM_ENDS;
                });
        if (e.newPath() != null) {
            b.setNewPath(e.newPath().toString());
        }
        return b.build();
    }

    /**
     * One Watch stream. Locking: its monitor guards the queue and flow-control state and
     * serialises sends. It is taken inside the hub's lock (onEvents), never the other way round:
     * calls into the hub are made without holding it.
     */
    private final class Client implements StreamObserver<WatchRequest>, EventHub.Subscriber {
        private final ServerCallStreamObserver<WatchReply> call;
        /** The client's session: its own changes are not sent back (see {@link Origins}). */
        private final long session;
        private volatile Origins own;
        private final ArrayDeque<Event> queue = new ArrayDeque<>();
        /** Sent, not yet acked: {last sequence, count} per reply. */
        private final ArrayDeque<long[]> inFlight = new ArrayDeque<>();
        private volatile EventHub hub;
        private int inFlightCount;
        private long startSequence;
        private boolean subscribed;
        private boolean greeted;
        private boolean done;
        private boolean drainScheduled;
        private long dropped;
        private long skippedOwn;
        /** last_sequence of the last reply sent. */
        private long sentSequence;
        private boolean progressScheduled;

        Client(ServerCallStreamObserver<WatchReply> call, long session) {
            this.call = call;
            this.session = session;
        }

        @Override
        public void onNext(WatchRequest req) {
            switch (req.getKindCase()) {
                case SUBSCRIBE -> subscribe(req.getSubscribe().getShare(), req.getSubscribe().getResumeAfter());
                case ACK -> ack(req.getAck().getSequence());
                default -> fail(Status.INVALID_ARGUMENT.withDescription("empty WatchRequest").asRuntimeException());
            }
        }

        private void subscribe(String share, long resumeAfter) {
            if (hub != null) {
                fail(Status.INVALID_ARGUMENT.withDescription("already subscribed").asRuntimeException());
                return;
            }
            EventHub h = hubs.apply(share);
            if (h == null) {
                fail(StatusCodec.toStatus(Errno.ENOENT, "no share '" + share + "' to watch"));
                return;
            }
            hub = h;
            own = origins.apply(share);
            long last;
            try {
                last = h.subscribe(this, resumeAfter);
            } catch (IllegalStateException e) {
                fail(Status.UNAVAILABLE.withDescription("server shutting down").asRuntimeException());
                return;
            }
            synchronized (this) {
                startSequence = last;
                subscribed = true;
            }
            log.debug("watch of share {} from {} (resume after {})", share, last, resumeAfter);
            drain();
        }

        private void ack(long sequence) {
            synchronized (this) {
                while (!inFlight.isEmpty() && inFlight.peekFirst()[0] <= sequence) {
                    inFlightCount -= (int) inFlight.pollFirst()[1];
                }
            }
            drain();
        }

        @Override
        public void onEvents(List<Event> events) {
            synchronized (this) {
                if (done) {
                    return;
                }
                if (queue.size() + events.size() > limits.maxQueued()) {
                    // Too slow: forget what it has not been sent, tell it to rescan everything.
                    dropped += queue.size() + events.size();
                    // counted once per overflow the client gets: an unsent one may be replaced again
                    boolean pending = !queue.isEmpty() && queue.peekFirst().kind() == Change.Kind.OVERFLOW
                            && queue.peekFirst().path().equals(RelPath.ROOT);
                    counts.overflowed(queue.size() + events.size() - (pending ? 1 : 0), !pending);
                    // lost: from the first event it was not sent (or what an unsent overflow lost)
                    long lostAfter = pending ? queue.peekFirst().lostAfter()
                            : (queue.isEmpty() ? events.getFirst() : queue.peekFirst()).sequence() - 1;
                    // a storm's beginning among the dropped: the client must not cache until it ends
                    boolean storm = queue.stream().anyMatch(e -> e.storm() == EventHub.Storm.BEGINS)
                            || events.stream().anyMatch(e -> e.storm() == EventHub.Storm.BEGINS);
                    queue.clear();
                    queue.add(new Event(events.getLast().sequence(), Change.Kind.OVERFLOW,
                            RelPath.ROOT, null, true, events.getLast().seenUnixNanos(), lostAfter,
                            storm ? EventHub.Storm.BEGINS : EventHub.Storm.NONE));
                    log.info("watch client too slow: dropped its queue ({} events so far), sending overflow", dropped);
                } else {
                    Origins o = own;
                    for (Event e : events) {
                        // The client's own change, with nothing queued before it: passed over here,
                        // on the hub's thread, instead of waking a drain (a burst through the mount,
                        // such as an untar, is mostly such events). Anything else keeps its order.
                        if (queue.isEmpty() && greeted && subscribed && o != null
                                && o.judge(session, e) == Origins.Verdict.OWN) {
                            startSequence = Math.max(startSequence, e.sequence());
                            skippedOwn++;
                            progressLater();
                        } else {
                            queue.add(e);
                        }
                    }
                    if (queue.isEmpty()) {
                        return;
                    }
                }
                if (drainScheduled || !greeted) {
                    return; // the subscribe/first drain will send them
                }
                drainScheduled = true;
            }
            try {
                executor.execute(this::drain);
            } catch (RejectedExecutionException e) {
                synchronized (this) {
                    drainScheduled = false; // shutting down; the next ack or onReady retries
                }
            }
        }

        /**
         * Sends as much as flow control allows: the transport must be ready, the ack window open.
         * Events of the client's own changes are skipped (the reply's last_sequence still moves
         * past them); an event its client is still making waits, and the drain looks again shortly.
         */
        synchronized void drain() {
            drainScheduled = false;
            if (done || !subscribed) {
                return;
            }
            while (call.isReady()) {
                int room = limits.maxUnacked() - inFlightCount;
                if (greeted && (queue.isEmpty() || room <= 0)) {
                    return;
                }
                WatchReply.Builder reply = WatchReply.newBuilder();
                int max = Math.min(room, limits.maxBatch());
                int n = 0;
                long lastSeq = startSequence;
                boolean wait = false;
                Origins o = own;
                while (n < max && !queue.isEmpty()) {
                    Event e = queue.peekFirst();
                    Origins.Verdict v = o == null ? Origins.Verdict.FOREIGN : o.judge(session, e);
                    if (v == Origins.Verdict.WAIT) {
                        wait = true;
                        break;
                    }
                    queue.pollFirst();
                    lastSeq = Math.max(lastSeq, e.sequence());
                    if (v == Origins.Verdict.FOREIGN) {
                        reply.addEvents(withAttributes(toProto(e), e, o));
                        n++;
                    } else {
                        skippedOwn++;
                    }
                }
                boolean moved = lastSeq != startSequence;
                startSequence = lastSeq;
                reply.setLastSequence(lastSeq);
                if (n > 0) {
                    inFlight.addLast(new long[] {lastSeq, n});
                    inFlightCount += n;
                }
                if (n > 0 || !greeted) {
                    greeted = true;
                    sentSequence = lastSeq;
                    counts.sent(n); // before: a client that got them finds them counted
                    call.onNext(reply.build());
                } else if (moved) {
                    progressLater();
                }
                if (wait) {
                    retryLater();
                    return;
                }
            }
        }

        private ChangeEvent withAttributes(ChangeEvent proto, Event e, Origins o) {
            if (o == null || toWire == null
                    || !(e.kind() == Kind.CREATED || e.kind() == Kind.MODIFIED || e.kind() == Kind.ATTRIB)) {
                return proto;
            }
            FileAttributes a = o.current(e.path());
            if (a == null) {
                return proto;
            }
            ChangeEvent.Builder b = proto.toBuilder().setAttr(toWire.apply(a));
            long node = a.isDirectory() ? 0 : o.node(a);
            return node == 0 ? b.build() : b.setNode(node).build();
        }

        /** Called with this client's lock held. */
        private void progressLater() {
            if (progressScheduled) {
                return;
            }
            progressScheduled = true;
            try {
                CompletableFuture.delayedExecutor(PROGRESS_DELAY_MILLIS, TimeUnit.MILLISECONDS, executor)
                        .execute(this::sendProgress);
            } catch (RejectedExecutionException e) {
                progressScheduled = false;
            }
        }

        /** An empty reply that moves the client's resume cursor past the own events skipped since. */
        private synchronized void sendProgress() {
            progressScheduled = false;
            if (!done && greeted && startSequence > sentSequence && call.isReady()) {
                sentSequence = startSequence;
                call.onNext(WatchReply.newBuilder().setLastSequence(startSequence).build());
            }
        }

        /** Called with this client's lock held. */
        private void retryLater() {
            if (drainScheduled) {
                return;
            }
            drainScheduled = true;
            try {
                CompletableFuture.delayedExecutor(WAIT_FOR_CALL_MILLIS, TimeUnit.MILLISECONDS, executor).execute(this::drain);
            } catch (RejectedExecutionException e) {
                drainScheduled = false;
            }
        }

        private void fail(RuntimeException status) {
            boolean wasDone;
            synchronized (this) {
                wasDone = done;
            }
            finish();
            if (!wasDone) {
                synchronized (this) {
                    call.onError(status);
                }
            }
        }

        /** Server shutdown: end the stream so the client reconnects and resumes elsewhere/later. */
        @Override
        public void onHubClosed() {
            synchronized (this) {
                if (done) {
                    return;
                }
                done = true;
                queue.clear();
                call.onError(Status.UNAVAILABLE.withDescription("server shutting down").asRuntimeException());
            }
        }

        void cancelled() {
            log.debug("watch stream cancelled");
            finish();
        }

        @Override
        public void onError(Throwable t) {
            finish();
        }

        @Override
        public void onCompleted() {
            boolean wasDone;
            synchronized (this) {
                wasDone = done;
            }
            finish();
            if (!wasDone) {
                synchronized (this) {
                    call.onCompleted();
                }
            }
        }

        /** Leaves the hub (without holding our lock: hub, then client) and drops the queue. */
        private void finish() {
            EventHub h = hub;
            if (h != null) {
                h.unsubscribe(this);
            }
            synchronized (this) {
                if (!done) {
                    log.debug("watch stream ended; {} events of its own client's changes were not sent back", skippedOwn);
                }
                done = true;
                queue.clear();
            }
        }
    }
}
