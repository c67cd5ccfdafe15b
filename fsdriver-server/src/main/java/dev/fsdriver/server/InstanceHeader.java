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
 * Names this server process in every answer ({@link Protocol#INSTANCE}, in the headers, or in
 * the trailers of a call that fails before it sent headers, which then has only trailers): a
 * client sees from the first answer after a restart that the server's handles are gone and
 * reopens its open files. Not in both: one header less to encode and decode per call.
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
            /** A call's methods are called one at a time (ServerCall), not always on one thread. */
            private volatile boolean headersSent;

            @Override
            public void sendHeaders(Metadata h) {
                h.put(Protocol.INSTANCE, instance);
                headersSent = true;
                super.sendHeaders(h);
            }

            @Override
            public void close(Status status, Metadata trailers) {
                if (!headersSent) {
                    trailers.put(Protocol.INSTANCE, instance);
                }
                super.close(status, trailers);
            }
        }, headers);
    }
}
