package dev.fsdriver.client;

import dev.fsdriver.client.cache.CacheStats;
import dev.fsdriver.fuse.RequestListener;
import dev.fsdriver.proto.v1.EventsGrpc;
import dev.fsdriver.proto.v1.FilesGrpc;
import dev.fsdriver.proto.v1.SessionGrpc;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * What one connection's mount did, as plain counters (no metrics library: the CLI binds them):
 * calls started per gRPC method, reconnects (a new session after the server was unreachable or
 * restarted), and per FUSE opcode the requests answered by the server (a call was started on
 * the request's own thread while the file system served it) or locally (from caches, buffered
 * writes, answers kept from a prefetch).
 *
 * <p>Cheap on the request path: array slots, one ThreadLocal read per request and per call, no
 * strings built (the method is found by its descriptor's full name in a fixed map).
 */
public final class ClientCounters implements RequestListener {
    private static final List<MethodDescriptor<?, ?>> METHODS = new ArrayList<>();
    private static final Map<String, Integer> INDEX = new HashMap<>();

    static {
        for (ServiceDescriptor s : List.of(SessionGrpc.getServiceDescriptor(), FilesGrpc.getServiceDescriptor(),
                EventsGrpc.getServiceDescriptor())) {
            for (MethodDescriptor<?, ?> m : s.getMethods()) {
                INDEX.put(m.getFullMethodName(), METHODS.size());
                METHODS.add(m);
            }
        }
    }

    /** The FUSE request the current thread is serving: its opcode, and whether it called the server. */
    private static final class Serving {
        int opcode = -1;
        boolean called;
    }

    private static final ThreadLocal<Serving> SERVING = ThreadLocal.withInitial(Serving::new);
    private static final int OPCODES = 64;

    private final AtomicLongArray calls = new AtomicLongArray(METHODS.size());
    private final AtomicLongArray byServer = new AtomicLongArray(OPCODES);
    private final AtomicLongArray local = new AtomicLongArray(OPCODES);
    private final LongAdder reconnects = new LongAdder();
    private final CacheStats caches = new CacheStats();

    /** The gRPC methods a client calls, by their bare names ("Lookup", "Watch"), in index order. */
    public static List<String> methods() {
        return METHODS.stream().map(MethodDescriptor::getBareMethodName).toList();
    }

    /** Calls started of method number {@code index} of {@link #methods()}. */
    public long calls(int index) {
        return calls.get(index);
    }

    /** Requests with this opcode answered by the server (true) or locally (false). */
    public long answered(int opcode, boolean byTheServer) {
        if (opcode < 0 || opcode >= OPCODES) {
            return 0;
        }
        return byTheServer ? byServer.get(opcode) : local.get(opcode);
    }

    /** Hits and misses of the mount's own caches. */
    public CacheStats caches() {
        return caches;
    }

    public long reconnects() {
        return reconnects.sum();
    }

    void reconnected() {
        reconnects.increment();
    }

    @Override
    public void serving(int opcode) {
        Serving s = SERVING.get();
        s.opcode = opcode;
        s.called = false;
    }

    @Override
    public void served(int opcode) {
        Serving s = SERVING.get();
        if (opcode >= 0 && opcode < OPCODES) {
            (s.called ? byServer : local).incrementAndGet(opcode);
        }
        s.opcode = -1;
    }

    /** Counts every call started through the channel; marks the FUSE request being served on this thread, if any. */
    ClientInterceptor interceptor() {
        return new ClientInterceptor() {
            @Override
            public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
                Integer i = INDEX.get(method.getFullMethodName());
                if (i != null) {
                    calls.incrementAndGet(i);
                }
                Serving s = SERVING.get();
                if (s.opcode >= 0) {
                    s.called = true;
                }
                return next.newCall(method, options);
            }
        };
    }
}
