package dev.fsdriver.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.client.HelloException.Reason;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

/** The reason and the one line a person who mounts reads when the Hello fails. */
class HelloFailuresTest {
    private final HelloFailures plaintext = new HelloFailures("host:7000", "docs", Duration.ofSeconds(15), false, false);
    private final HelloFailures tls = new HelloFailures("host:7000", "docs", Duration.ofSeconds(15), true, false);
    private final HelloFailures tlsWithCert = new HelloFailures("host:7000", "docs", Duration.ofSeconds(15), true, true);

    private static StatusRuntimeException failed(Status status, Throwable cause) {
        return status.withCause(cause).asRuntimeException();
    }

    @Test
    void theServerAwaySaysWhyInTransportWords() {
        HelloException refused = plaintext.of(failed(Status.UNAVAILABLE,
                new IOException("io", new ConnectException("Connection refused: host/10.0.0.1:7000"))));
        assertThat(refused.reason()).isEqualTo(Reason.UNREACHABLE);
        assertThat(refused.getMessage()).isEqualTo("cannot reach server host:7000: connection refused");
        assertThat(plaintext.of(failed(Status.UNAVAILABLE, new FileNotFoundException("/run/fsdriver.sock"))).getMessage())
                .isEqualTo("cannot reach server host:7000: no such socket");
        assertThat(plaintext.of(Status.UNAVAILABLE.withDescription("io exception").asRuntimeException()).getMessage())
                .isEqualTo("cannot reach server host:7000: io exception");
        HelloException late = plaintext.of(Status.DEADLINE_EXCEEDED.asRuntimeException());
        assertThat(late.reason()).isEqualTo(Reason.UNREACHABLE);
        assertThat(late.getMessage()).isEqualTo("cannot reach server host:7000: no answer within 15 s");
    }

    @Test
    void theServersRefusalsHaveAReasonEach() {
        HelloException noShare = plaintext.of(Status.NOT_FOUND.asRuntimeException());
        assertThat(noShare.reason()).isEqualTo(Reason.NO_SUCH_SHARE);
        assertThat(noShare.getMessage()).isEqualTo("server has no share named 'docs'");
        assertThat(plaintext.of(Status.UNAUTHENTICATED.asRuntimeException()).reason()).isEqualTo(Reason.UNAUTHENTICATED);
        assertThat(plaintext.of(Status.UNIMPLEMENTED.asRuntimeException()).reason()).isEqualTo(Reason.INCOMPATIBLE);
        HelloException other = plaintext.of(Status.PERMISSION_DENIED.withDescription("read-only share").asRuntimeException());
        assertThat(other.reason()).isEqualTo(Reason.FAILED);
        assertThat(other.getMessage()).isEqualTo("server host:7000 refused the mount: PERMISSION_DENIED (read-only share)");
        assertThat(other.getCause()).isInstanceOf(StatusRuntimeException.class);
    }

    @Test
    void aPlaintextClientOfATlsServerIsToldToGiveTheCa() {
        StatusRuntimeException dropped = Status.UNAVAILABLE.withDescription("Network closed for unknown reason")
                .asRuntimeException();
        HelloException silent = plaintext.of(dropped);
        assertThat(silent.reason()).isEqualTo(Reason.TLS);
        assertThat(silent.getMessage()).contains("most likely requires TLS (give --tls-ca)");
        assertThat(tls.of(dropped).reason()).as("a TLS client: nothing to say about TLS").isEqualTo(Reason.UNREACHABLE);

        HelloException record = plaintext.of(failed(Status.UNAVAILABLE,
                new IOException("HTTP/2 client preface string missing; first 5 bytes: 1503010002")));
        assertThat(record.reason()).isEqualTo(Reason.TLS);
        assertThat(record.getMessage()).isEqualTo("TLS: server host:7000 requires TLS and refused this plaintext client (give --tls-ca)");
    }

    @Test
    void tlsFailuresSayWhichSideRefusedWhichCertificate() {
        HelloException mismatch = tls.of(failed(Status.UNAVAILABLE, new IOException("not an SSL/TLS record: 000012")));
        assertThat(mismatch.getMessage()).startsWith("TLS: server host:7000 does not speak TLS");
        HelloException unknownCa = tls.of(failed(Status.UNAVAILABLE,
                new SSLHandshakeException("PKIX path building failed: unable to find valid certification path")));
        assertThat(unknownCa.reason()).isEqualTo(Reason.TLS);
        assertThat(unknownCa.getMessage()).startsWith("TLS: this client refused the certificate of server host:7000: ");
        // BoringSSL's answer to a client certificate its trust manager refused
        HelloException ours = tlsWithCert.of(failed(Status.UNAVAILABLE, new IOException("SSLV3_ALERT_INTERNAL_ERROR")));
        assertThat(ours.getMessage()).startsWith("TLS: server host:7000 refused this client's certificate: not signed by a CA");
        assertThat(tls.of(failed(Status.UNAVAILABLE, new IOException("SSLV3_ALERT_INTERNAL_ERROR"))).reason())
                .as("no certificate shown: not about ours").isEqualTo(Reason.UNREACHABLE);
    }
}
