package dev.fsdriver.server;

import dev.fsdriver.protocol.TlsFailure;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs the refusals that happen before any certificate is checked: a plaintext client at a TLS
 * listener, and a client without a certificate at a mutual-TLS one. grpc-java reports a failed
 * server handshake with its cause only in a FINE record of the pipeline's last handler ("Ignoring
 * duplicate failure", without the peer's address), so a JUL handler on that logger turns those two
 * causes into one warning each (TlsEndToEndTest notices if a grpc release moves that record); the
 * certificate refusals are logged by {@link RefusalLoggingTrustManager}.
 */
final class HandshakeRefusalLog extends Handler {
    private static final Logger LOG = LoggerFactory.getLogger(HandshakeRefusalLog.class);
    /** The logger of grpc-netty-shaded's last pipeline handler; held here so that its level stays set. */
    private static final java.util.logging.Logger GRPC_TLS =
            java.util.logging.Logger.getLogger("io.grpc.netty.shaded.io.grpc.netty.WriteBufferingAndExceptionHandler");
    private static final HandshakeRefusalLog INSTANCE = new HandshakeRefusalLog();

    private HandshakeRefusalLog() {
        setLevel(Level.FINE);
    }

    /** Idempotent: called by each TLS listener. */
    static synchronized void install() {
        for (Handler h : GRPC_TLS.getHandlers()) {
            if (h == INSTANCE) {
                return;
            }
        }
        if (!GRPC_TLS.isLoggable(Level.FINE)) {
            GRPC_TLS.setLevel(Level.FINE);
        }
        GRPC_TLS.addHandler(INSTANCE);
    }

    @Override
    public void publish(LogRecord r) {
        String line = line(r.getThrown());
        if (line != null) {
            LOG.warn(line);
        }
    }

    /** The warning for a failed handshake's cause, or null if it is not one of the two this class words. */
    static String line(Throwable cause) {
        TlsFailure.Cause c = cause == null ? null : TlsFailure.of(cause);
        if (c == TlsFailure.Cause.TLS_MISMATCH) {
            return "TLS: refused a plaintext client: it speaks no TLS (the mount needs --tls-ca)";
        }
        if (c == TlsFailure.Cause.PEER_NO_CERTIFICATE) {
            return "TLS: refused a client: " + c.words() + " (mutual TLS: the mount needs --tls-cert and --tls-key)";
        }
        return null;
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
}
