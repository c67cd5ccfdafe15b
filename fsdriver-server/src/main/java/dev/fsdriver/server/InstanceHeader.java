package dev.fsdriver.server;

import dev.fsdriver.protocol.Protocol;
import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.security.SecureRandom;

/**
 * Names this server process in every answer ({@link Protocol#INSTANCE}, in the headers and in
 * the trailers, so a call that fails at once carries it too): a client sees from the first
 * answer after a restart that the server's handles are gone and reopens its open files.
 */
final class InstanceHeader implements ServerInterceptor {
    private final String instance;

    InstanceHeader() {
        long id;
        do {
            id = new SecureRandom().nextLong();
        } while (id == 0);
        this.instance = Long.toHexString(id);
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                      ServerCallHandler<Q, R> next) {
        return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void sendHeaders(Metadata h) {
                h.put(Protocol.INSTANCE, instance);
                super.sendHeaders(h);
            }

            @Override
            public void close(Status status, Metadata trailers) {
                trailers.put(Protocol.INSTANCE, instance);
                super.close(status, trailers);
            }
        }, headers);
    }
}
