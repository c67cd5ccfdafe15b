package dev.fsdriver.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

/** The words of a failed handshake, from the chains the JDK and BoringSSL (through grpc) produce. */
class TlsFailureTest {
    private static Throwable unavailable(Throwable cause) {
        return Status.UNAVAILABLE.withDescription("io exception").withCause(cause).asRuntimeException();
    }

    @Test
    void peerCertificateProblemsFromTheJdkChain() {
        SSLHandshakeException expired = new SSLHandshakeException("PKIX path validation failed");
        expired.initCause(new CertificateException("validity", new CertPathValidatorException("validity check failed",
                new CertificateExpiredException("NotAfter: Mon Dec 01 16:14:13 UTC 2026"), null, -1,
                CertPathValidatorException.BasicReason.EXPIRED)));
        assertThat(TlsFailure.of(unavailable(expired))).isEqualTo(TlsFailure.Cause.PEER_EXPIRED);

        SSLHandshakeException unknown = new SSLHandshakeException("PKIX path building failed: "
                + "sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target");
        assertThat(TlsFailure.of(unavailable(unknown))).isEqualTo(TlsFailure.Cause.PEER_UNKNOWN_CA);

        SSLHandshakeException host = new SSLHandshakeException("General SSLEngine problem");
        host.initCause(new CertificateException("No subject alternative names matching IP address 127.0.0.1 found"));
        assertThat(TlsFailure.of(unavailable(host))).isEqualTo(TlsFailure.Cause.PEER_WRONG_HOST);
    }

    @Test
    void thePeersAlertAboutOurCertificate() {
        assertThat(TlsFailure.of(unavailable(new SSLHandshakeException(
                "error:10000410:SSL routines:OPENSSL_internal:SSLV3_ALERT_CERTIFICATE_EXPIRED"))))
                .isEqualTo(TlsFailure.Cause.OUR_EXPIRED);
        assertThat(TlsFailure.of(unavailable(new SSLHandshakeException(
                "error:1000045c:SSL routines:OPENSSL_internal:TLSV1_ALERT_CERTIFICATE_REQUIRED"))))
                .isEqualTo(TlsFailure.Cause.WE_SENT_NO_CERTIFICATE);
        assertThat(TlsFailure.of(unavailable(new SSLHandshakeException("Received fatal alert: bad_certificate"))))
                .isEqualTo(TlsFailure.Cause.OUR_BAD_CERTIFICATE);
    }

    @Test
    void aServerWhoseClientSentNoCertificate() {
        // BoringSSL's words on the server's side (grpc-netty-shaded), the JDK's
        assertThat(TlsFailure.of(unavailable(new SSLHandshakeException(
                "error:100000c0:SSL routines:OPENSSL_internal:PEER_DID_NOT_RETURN_A_CERTIFICATE"))))
                .isEqualTo(TlsFailure.Cause.PEER_NO_CERTIFICATE);
        assertThat(TlsFailure.of(unavailable(new SSLHandshakeException("Empty client certificate chain"))))
                .isEqualTo(TlsFailure.Cause.PEER_NO_CERTIFICATE);
    }

    @Test
    void plaintextAgainstTlsAndNoTlsAtAll() {
        assertThat(TlsFailure.plaintextRefused(Status.UNAVAILABLE.withDescription(
                "first received frame was not SETTINGS. Hex dump for first 5 bytes: 1503030002").asRuntimeException()))
                .isEqualTo(TlsFailure.Cause.TLS_MISMATCH);
        assertThat(TlsFailure.plaintextRefused(Status.UNAVAILABLE.withDescription(
                "first received frame was not SETTINGS. Hex dump for first 5 bytes: 485454502f").asRuntimeException()))
                .isNull();
        assertThat(TlsFailure.of(unavailable(new java.net.ConnectException("Connection refused")))).isNull();
    }
}
