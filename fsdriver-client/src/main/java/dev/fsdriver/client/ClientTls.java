package dev.fsdriver.client;

import io.grpc.ChannelCredentials;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The client's TLS files, PEM: the CA that must have signed the server's certificate and, for
 * mutual TLS, this client's certificate and private key (both or neither). grpc-java's
 * {@link TlsChannelCredentials} does the TLS, including the check that the server's
 * certificate names the host connected to.
 */
public record ClientTls(Path ca, Path cert, Path key) {
    public ClientTls {
        if (ca == null) {
            throw new IllegalArgumentException("TLS needs the CA certificate (--tls-ca)");
        }
        if ((cert == null) != (key == null)) {
            throw new IllegalArgumentException("a client certificate needs both --tls-cert and --tls-key");
        }
        for (Path p : cert == null ? new Path[] {ca} : new Path[] {ca, cert, key}) {
            if (!Files.isReadable(p)) {
                throw new IllegalArgumentException("TLS file " + p + " does not exist or cannot be read");
            }
        }
    }

    ChannelCredentials credentials() {
        try {
            TlsChannelCredentials.Builder b = TlsChannelCredentials.newBuilder().trustManager(ca.toFile());
            if (cert != null) {
                b.keyManager(cert.toFile(), key.toFile());
            }
            return b.build();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read TLS files: " + e.getMessage(), e);
        }
    }
}
