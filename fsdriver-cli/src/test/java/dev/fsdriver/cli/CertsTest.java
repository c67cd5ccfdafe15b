package dev.fsdriver.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** certs init / certs client: what the files hold and who may read the keys. */
class CertsTest {
    @TempDir
    Path dir;

    private static Set<String> sans(X509Certificate c) throws Exception {
        return c.getSubjectAlternativeNames().stream().map(l -> l.get(0) + ":" + l.get(1)).collect(Collectors.toSet());
    }

    private static void assertKeyMatches(PrivateKey key, X509Certificate cert) throws Exception {
        Signature s = Signature.getInstance("SHA256withECDSA");
        s.initSign(key);
        s.update(new byte[] {1, 2, 3});
        byte[] sig = s.sign();
        Signature v = Signature.getInstance("SHA256withECDSA");
        v.initVerify(cert.getPublicKey());
        v.update(new byte[] {1, 2, 3});
        assertThat(v.verify(sig)).isTrue();
    }

    @Test
    void initWritesCaServerAndClientWithTheGivenNamesAndPrivateKeys() throws Exception {
        Certs.init(dir, List.of("fsd.example", "10.1.2.3", "::1", "[fe80::1]"));
        X509Certificate ca = Certs.readCert(dir.resolve("ca.pem"));
        X509Certificate server = Certs.readCert(dir.resolve("server.pem"));
        X509Certificate client = Certs.readCert(dir.resolve("client.pem"));
        // 2 = dNSName, 7 = iPAddress
        assertThat(sans(server)).containsExactlyInAnyOrder("2:fsd.example", "7:10.1.2.3", "7:0:0:0:0:0:0:0:1", "7:fe80:0:0:0:0:0:0:1");
        assertThat(ca.getBasicConstraints()).isGreaterThanOrEqualTo(0);
        assertThat(server.getBasicConstraints()).isEqualTo(-1);
        server.verify(ca.getPublicKey());
        client.verify(ca.getPublicKey());
        assertThat(server.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1"); // serverAuth
        assertThat(client.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2"); // clientAuth
        assertThat(client.getSubjectX500Principal().getName()).isEqualTo("O=fsdriver,CN=client");
        assertThat(client.getSubjectAlternativeNames()).isNull();
        for (String name : List.of("ca", "server", "client")) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(name + "-key.pem"))))
                    .isEqualTo("rw-------");
            assertThat(Files.readString(dir.resolve(name + "-key.pem"))).startsWith("-----BEGIN PRIVATE KEY-----");
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("ca.pem")))).startsWith("rw-r");
        assertKeyMatches(Certs.readKey(dir.resolve("server-key.pem")), server);
        assertKeyMatches(Certs.readKey(dir.resolve("client-key.pem")), client);
        assertThat(server.getNotAfter().toInstant()).isAfter(Instant.now().plus(Duration.ofDays(700)));
    }

    @Test
    void defaultNamesAreThisMachinesHostNameAndAddresses() throws Exception {
        Certs.init(dir, List.of());
        Set<String> sans = sans(Certs.readCert(dir.resolve("server.pem")));
        assertThat(sans).contains("2:localhost", "7:127.0.0.1", "2:" + java.net.InetAddress.getLocalHost().getHostName());
        assertThat(Certs.defaultHosts()).contains("localhost", "127.0.0.1", "::1");
    }

    @Test
    void initNeverOverwritesACaAndClientIssuesMore() throws Exception {
        Certs.init(dir, List.of("localhost"));
        String ca = Files.readString(dir.resolve("ca.pem"));
        assertThatThrownBy(() -> Certs.init(dir, List.of("localhost"))).isInstanceOf(FileAlreadyExistsException.class);
        assertThat(Files.readString(dir.resolve("ca.pem"))).isEqualTo(ca);

        Certs.open(dir).client("alice");
        X509Certificate alice = Certs.readCert(dir.resolve("alice.pem"));
        alice.verify(Certs.readCert(dir.resolve("ca.pem")).getPublicKey());
        assertThat(alice.getSubjectX500Principal().getName()).isEqualTo("O=fsdriver,CN=alice");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("alice-key.pem")))).isEqualTo("rw-------");
        assertThatThrownBy(() -> Certs.open(dir).client("alice")).isInstanceOf(FileAlreadyExistsException.class);
        assertThatThrownBy(() -> Certs.open(dir).client("../evil")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Certs.open(dir.resolve("nothing"))).hasMessageContaining("certs init");
    }
}
