package dev.fsdriver.protocol;

import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.util.Locale;

/**
 * Why a TLS connection failed, in words a user can act on: dug out of the cause chain of a
 * failed handshake (SSLHandshakeException, CertPathValidatorException, the peer's TLS alert;
 * the JDK's and BoringSSL's wording both) or of a gRPC status. One translation point for both
 * sides: the client says it for the mount, the server logs it per refused connection.
 */
public final class TlsFailure {
    /** What went wrong, from the point of view of the side that saw it. */
    public enum Cause {
        /** The peer's certificate is not signed by the CA we trust. */
        PEER_UNKNOWN_CA("its certificate is not signed by the trusted CA (unknown CA)"),
        /** The peer's certificate is past its notAfter. */
        PEER_EXPIRED("its certificate has expired"),
        /** The peer's certificate is not valid yet (clock?). */
        PEER_NOT_YET_VALID("its certificate is not valid yet (check the clocks)"),
        /** The server's certificate does not name the host we connected to. */
        PEER_WRONG_HOST("its certificate is not for the host name or address connected to (wrong host name)"),
        /** The client sent no certificate although the server requires one. */
        PEER_NO_CERTIFICATE("it sent no client certificate"),
        /** One side speaks TLS, the other plaintext. */
        TLS_MISMATCH("one side speaks TLS, the other plaintext"),
        /** The peer refused our certificate: it sent none... it wanted one. */
        WE_SENT_NO_CERTIFICATE("it requires a client certificate and got none (no client certificate)"),
        /** The peer refused our certificate: not signed by a CA it trusts. */
        OUR_UNKNOWN_CA("it does not trust the CA that signed our certificate (unknown CA)"),
        /** The peer refused our certificate as expired. */
        OUR_EXPIRED("our certificate has expired"),
        /** The peer refused our certificate for another reason. */
        OUR_BAD_CERTIFICATE("it refused our certificate (bad certificate)");

        private final String words;

        Cause(String words) {
            this.words = words;
        }

        public String words() {
            return words;
        }
    }

    private TlsFailure() {}

    /** The cause of a TLS failure somewhere in {@code t}'s chain (or its status text), or null if it is none. */
    public static Cause of(Throwable t) {
        StringBuilder all = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof CertificateExpiredException) {
                return Cause.PEER_EXPIRED;
            }
            if (c instanceof CertificateNotYetValidException) {
                return Cause.PEER_NOT_YET_VALID;
            }
            if (c instanceof CertPathValidatorException v) {
                if (v.getReason() == CertPathValidatorException.BasicReason.EXPIRED) {
                    return Cause.PEER_EXPIRED;
                }
                if (v.getReason() == CertPathValidatorException.BasicReason.NOT_YET_VALID) {
                    return Cause.PEER_NOT_YET_VALID;
                }
            }
            if (c.getClass().getSimpleName().equals("NotSslRecordException")) {
                return Cause.TLS_MISMATCH;
            }
            all.append(c.getClass().getName()).append(": ").append(c.getMessage()).append('\n');
        }
        return fromText(all.toString());
    }

    /**
     * A plaintext client's view of a TLS server: instead of HTTP/2 SETTINGS it gets a TLS record
     * (content type 0x15 alert or 0x16 handshake, version 0x03xx), which gRPC reports with a hex dump.
     */
    public static Cause plaintextRefused(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            String m = String.valueOf(c.getMessage()).toLowerCase(Locale.ROOT);
            int at = m.indexOf("first 5 bytes: ");
            if (at >= 0 && m.length() >= at + 19) {
                String bytes = m.substring(at + 15, at + 19);
                if (bytes.equals("1503") || bytes.equals("1603")) {
                    return Cause.TLS_MISMATCH;
                }
            }
        }
        return null;
    }

    /** Classifies by the words the JDK, BoringSSL and gRPC use (alert names, builder messages). */
    static Cause fromText(String text) {
        String s = text.toLowerCase(Locale.ROOT);
        // the peer's alert about our certificate comes first: it is the peer's verdict
        if (s.contains("certificate_required") || s.contains("certificate required")
                || s.contains("peer did not return a certificate") || s.contains("peer_did_not_return_a_certificate") || s.contains("handshake_failure_on_client_certificate")) {
            return s.contains("received") || s.contains("alert") ? Cause.WE_SENT_NO_CERTIFICATE : Cause.PEER_NO_CERTIFICATE;
        }
        if (s.contains("empty client certificate chain") || s.contains("peer sent no certificates")
                || s.contains("no client certificate")) {
            return Cause.PEER_NO_CERTIFICATE;
        }
        if (s.contains("alert")) {
            if (s.contains("certificate_expired") || s.contains("certificate expired")) {
                return Cause.OUR_EXPIRED;
            }
            if (s.contains("unknown_ca") || s.contains("unknown ca")) {
                return Cause.OUR_UNKNOWN_CA;
            }
            if (s.contains("bad_certificate") || s.contains("bad certificate")
                    || s.contains("certificate_unknown") || s.contains("certificate unknown")) {
                return Cause.OUR_BAD_CERTIFICATE;
            }
        }
        if (s.contains("no subject alternative") || s.contains("no name matching")
                || s.contains("hostname") && s.contains("verif")) {
            return Cause.PEER_WRONG_HOST;
        }
        if (s.contains("certificate expired") || s.contains("validity check failed")) {
            return Cause.PEER_EXPIRED;
        }
        if (s.contains("unable to find valid certification path") || s.contains("pkix path building failed")
                || s.contains("path does not chain") || s.contains("signature check failed")
                || s.contains("certificate_verify_failed")) {
            return Cause.PEER_UNKNOWN_CA;
        }
        if (s.contains("not an ssl/tls record") || s.contains("wrong_version_number") || s.contains("wrong version number")) {
            return Cause.TLS_MISMATCH;
        }
        return null;
    }
}
