package dev.fsdriver.client;

import dev.fsdriver.protocol.TlsFailure;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.FileNotFoundException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.Locale;

/**
 * The words of a failed Hello, for the person who mounts: which {@link HelloException.Reason},
 * and what went wrong in their terms (no such share, a refused token, which side of a TLS
 * handshake refused which certificate, the server not listening). Calls after the Hello fail
 * with an errno instead ({@link CallFailures}).
 *
 * <p>Immutable.
 */
final class HelloFailures {
    private final String address;
    private final String share;
    private final Duration callDeadline;
    /** Whether the channel speaks TLS, and shows a client certificate. */
    private final boolean tls;
    private final boolean tlsClientCert;

    HelloFailures(String address, String share, Duration callDeadline, boolean tls, boolean tlsClientCert) {
        this.address = address;
        this.share = share;
        this.callDeadline = callDeadline;
        this.tls = tls;
        this.tlsClientCert = tlsClientCert;
    }

    /** The exception a Hello that failed with {@code e} throws. */
    HelloException of(StatusRuntimeException e) {
        Status status = e.getStatus();
        String tlsWords = tlsFailure(e);
        if (tlsWords != null) {
            return new HelloException(HelloException.Reason.TLS, tlsWords, e);
        }
        return switch (status.getCode()) {
            case UNAVAILABLE -> new HelloException(HelloException.Reason.UNREACHABLE,
                    "cannot reach server " + address + ": " + transportReason(e), e);
            case DEADLINE_EXCEEDED -> new HelloException(HelloException.Reason.UNREACHABLE,
                    "cannot reach server " + address + ": no answer within " + callDeadline.toSeconds() + " s", e);
            case NOT_FOUND -> new HelloException(HelloException.Reason.NO_SUCH_SHARE,
                    "server has no share named '" + share + "'", e);
            case UNAUTHENTICATED -> new HelloException(HelloException.Reason.UNAUTHENTICATED,
                    "server refused the token (wrong or missing --token-file)", e);
            case UNIMPLEMENTED -> new HelloException(HelloException.Reason.INCOMPATIBLE,
                    "server " + address + " does not speak the fsdriver protocol", e);
            default -> new HelloException(HelloException.Reason.FAILED, "server " + address + " refused the mount: "
                    + status.getCode() + (status.getDescription() == null ? "" : " (" + status.getDescription() + ")"), e);
        };
    }

    /**
     * One line for a failed TLS handshake: which side refused which certificate and why, or
     * null when {@code e} is no TLS failure.
     */
    private String tlsFailure(StatusRuntimeException e) {
        TlsFailure.Cause cause = TlsFailure.of(e);
        if (cause == null && !tls && e.getStatus().getCode() == Status.Code.UNAVAILABLE) {
            cause = TlsFailure.plaintextRefused(e); // a TLS server's answer to our plaintext
            if (cause == null && "Network closed for unknown reason".equals(e.getStatus().getDescription())) {
                // a TLS server (BoringSSL) drops a plaintext client without a word; a plaintext
                // server would have answered HTTP/2 (its log says "it speaks plaintext")
                return "TLS: server " + address + " closed the connection of this plaintext client at once: "
                        + "it most likely requires TLS (give --tls-ca)";
            }
        }
        if (cause == null && tlsClientCert && String.valueOf(tlsText(e)).contains("alert_internal_error")) {
            // BoringSSL answers a client certificate its trust manager refuses (other than
            // expired) with internal_error; the server's log says exactly why
            return "TLS: server " + address + " refused this client's certificate: not signed by a CA the server trusts "
                    + "(unknown CA; TLS alert internal_error, the server's log says why)";
        }
        if (cause == null) {
            return null;
        }
        return switch (cause) {
            case PEER_UNKNOWN_CA, PEER_EXPIRED, PEER_NOT_YET_VALID, PEER_WRONG_HOST ->
                    "TLS: this client refused the certificate of server " + address + ": " + cause.words();
            case TLS_MISMATCH -> tls
                    ? "TLS: server " + address + " does not speak TLS (plaintext server; drop --tls-ca, or give the server --tls-cert)"
                    : "TLS: server " + address + " requires TLS and refused this plaintext client (give --tls-ca)";
            case WE_SENT_NO_CERTIFICATE, PEER_NO_CERTIFICATE ->
                    "TLS: server " + address + " refused this client: it requires a client certificate and got none "
                            + "(no client certificate; give --tls-cert and --tls-key)";
            case OUR_UNKNOWN_CA -> "TLS: server " + address + " refused this client's certificate: "
                    + "not signed by a CA the server trusts (unknown CA)";
            case OUR_EXPIRED -> "TLS: server " + address + " refused this client's certificate: it has expired";
            case OUR_BAD_CERTIFICATE -> "TLS: server " + address + " refused this client's certificate "
                    + "(bad certificate: expired, or not signed by the CA the server trusts)";
        };
    }

    private static String tlsText(Throwable t) {
        StringBuilder b = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            b.append(c.getMessage()).append('\n');
        }
        return b.toString().toLowerCase(Locale.ROOT);
    }

    /** "connection refused", "no such file or directory", ...: the innermost cause's words. */
    private static String transportReason(Throwable t) {
        String last = null;
        for (Throwable c = t.getCause(); c != null; c = c.getCause()) {
            if (c instanceof ConnectException && c.getMessage() != null && c.getMessage().contains("refused")) {
                return "connection refused";
            }
            if (c instanceof FileNotFoundException) {
                return "no such socket";
            }
            if (c.getMessage() != null) {
                last = c.getMessage();
            }
        }
        if (last == null) {
            Status s = Status.fromThrowable(t);
            last = s.getDescription() == null ? "unavailable" : s.getDescription();
        }
        String lower = last.toLowerCase();
        if (lower.contains("refused")) {
            return "connection refused";
        }
        if (lower.contains("no such file")) {
            return "no such socket";
        }
        return last;
    }
}
