package dev.fsdriver.server;

import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;

/**
 * The server's TLS files, all PEM: its certificate chain, its private key (PKCS#8, as
 * {@code fsdriver certs init} writes it) and, for mutual TLS, the CA that signs client
 * certificates (null: no client certificate asked for). grpc-java's {@link TlsServerCredentials}
 * does the TLS and the JDK's PKIX trust manager checks client certificates; nothing here touches
 * a handshake (refusals are only logged: {@link RefusalLoggingTrustManager}, {@link HandshakeRefusalLog}).
 */
public record TlsFiles(Path cert, Path key, Path clientCa) {
    public TlsFiles {
        for (Path p : clientCa == null ? new Path[] {cert, key} : new Path[] {cert, key, clientCa}) {
            if (p == null || !Files.isReadable(p)) {
                throw new IllegalArgumentException("TLS file " + p + " does not exist or cannot be read");
            }
        }
    }

    ServerCredentials serverCredentials() {
        HandshakeRefusalLog.install();
        try {
            TlsServerCredentials.Builder b = TlsServerCredentials.newBuilder().keyManager(cert.toFile(), key.toFile());
            if (clientCa != null) {
                // the JDK's PKIX checks, wrapped only to log the refusals
                b.trustManager(RefusalLoggingTrustManager.forCa(clientCa)).clientAuth(TlsServerCredentials.ClientAuth.REQUIRE);
            }
            return b.build();
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("client CA " + clientCa + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read TLS files " + cert + ", " + key + ": " + e.getMessage(), e);
        }
    }
}
