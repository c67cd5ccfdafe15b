package dev.fsdriver.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.cli.Certs;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS and mutual TLS between real `fsdriver serve` and `fsdriver mount` processes over TCP,
 * with certificates made by `fsdriver certs init` / `certs client`: the happy path, each
 * refusal with its one line, and what travels on the wire.
 */
class TlsEndToEndTest {
    private static final Duration RUN = Duration.ofSeconds(60);

    @TempDir
    Path tmp;
    Path pki;
    Path share;

    @BeforeEach
    void setUp() throws Exception {
        pki = tmp.resolve("pki");
        Fsdriver.Result init = Fsdriver.run(tmp.resolve("init.log"), RUN, "certs", "init", pki.toString(),
                "--host", "127.0.0.1", "--host", "localhost");
        assertThat(init.exitCode()).as(init.output()).isZero();
        share = Files.createDirectories(tmp.resolve("share"));
        Files.writeString(share.resolve("keep.txt"), "precious");
    }

    private String[] serverTls() {
        return new String[] {"--tls-cert", pki.resolve("server.pem").toString(), "--tls-key", pki.resolve("server-key.pem").toString(),
                "--tls-client-ca", pki.resolve("ca.pem").toString()};
    }

    private String[] clientTls(Path dir, String name) {
        return new String[] {"--tls-ca", pki.resolve("ca.pem").toString(), "--tls-cert", dir.resolve(name + ".pem").toString(),
                "--tls-key", dir.resolve(name + "-key.pem").toString()};
    }

    private Fsdriver.Server serveTls(String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("--share", "work=" + share));
        args.addAll(List.of(serverTls()));
        args.addAll(List.of(extra));
        return Fsdriver.serve(tmp, args.toArray(String[]::new));
    }

    /** `fsdriver mount` that must fail: its output. */
    private String refusedMount(String server, String name, String... extra) throws Exception {
        Path mnt = Files.createDirectories(tmp.resolve("mnt-" + name));
        List<String> args = new ArrayList<>(List.of("mount", "--server", server));
        args.addAll(List.of(extra));
        args.add("work");
        args.add(mnt.toString());
        Fsdriver.Result r = Fsdriver.run(tmp.resolve("refused-" + name + ".log"), RUN, args.toArray(String[]::new));
        assertThat(r.exitCode()).as(r.output()).isEqualTo(1);
        assertThat(Fsdriver.isMounted(mnt)).isFalse();
        return r.output();
    }

    @Test
    void mutualTlsMountsAndTheWireCarriesNoPlaintext() throws Exception {
        String marker = "MARKER-" + System.nanoTime() + "-fsdriver-secret";
        try (Fsdriver.Server server = serveTls(); TcpRelay wire = new TcpRelay(server.port())) {
            Path mnt = Files.createDirectories(tmp.resolve("mnt"));
            Fsdriver.Mount m = Fsdriver.mount(tmp, new Fsdriver.Server(server.proc(), wire.port()), "work", mnt, clientTls(pki, "client"));
            try (m) {
                assertThat(Files.readString(mnt.resolve("keep.txt"))).isEqualTo("precious");
                Files.writeString(mnt.resolve("secret.txt"), marker);
                Fsdriver.shOk(tmp, "sync " + mnt.resolve("secret.txt"));
                assertThat(Files.readString(share.resolve("secret.txt"))).isEqualTo(marker);
                assertThat(Files.readString(mnt.resolve("secret.txt"))).isEqualTo(marker);
            }
            byte[] seen = wire.seen();
            assertThat(seen.length).isGreaterThan(marker.length() * 4);
            assertThat(new String(seen, StandardCharsets.ISO_8859_1)).doesNotContain(marker).doesNotContain("secret.txt");
        }
        // the control: the same relay over a plaintext server does see the marker, so the check above can fail
        try (Fsdriver.Server plain = Fsdriver.serve(tmp, "--share", "work=" + share); TcpRelay wire = new TcpRelay(plain.port())) {
            Path mnt = Files.createDirectories(tmp.resolve("mnt-plain"));
            try (Fsdriver.Mount m = Fsdriver.mount(tmp, new Fsdriver.Server(plain.proc(), wire.port()), "work", mnt)) {
                assertThat(Files.readString(mnt.resolve("secret.txt"))).isEqualTo(marker);
            }
            assertThat(new String(wire.seen(), StandardCharsets.ISO_8859_1)).contains(marker);
        }
    }

    @Test
    void eachRefusalSaysWhichSideWhichCertificateAndWhy() throws Exception {
        Path other = tmp.resolve("other-pki");
        assertThat(Fsdriver.run(tmp.resolve("other.log"), RUN, "certs", "init", other.toString(), "--host", "127.0.0.1")
                .exitCode()).isZero();
        Certs.open(pki).issue("old", List.of(), false, Instant.now().minus(Duration.ofDays(30)),
                Instant.now().minus(Duration.ofDays(1)));
        try (Fsdriver.Server server = serveTls()) {
            String a = server.address();
            assertThat(refusedMount(a, "nocert", "--tls-ca", pki.resolve("ca.pem").toString()))
                    .contains("TLS: server " + a + " refused this client").contains("no client certificate");
            assertThat(refusedMount(a, "otherca", "--tls-ca", pki.resolve("ca.pem").toString(),
                    "--tls-cert", other.resolve("client.pem").toString(), "--tls-key", other.resolve("client-key.pem").toString()))
                    .contains("TLS: server " + a + " refused this client's certificate").contains("unknown CA");
            assertThat(refusedMount(a, "expired", clientTls(pki, "old")))
                    .contains("TLS: server " + a + " refused this client's certificate").contains("expired");
            assertThat(refusedMount(a, "plaintext"))
                    .contains("TLS: server " + a + " closed the connection of this plaintext client at once")
                    .contains("requires TLS (give --tls-ca)");
            assertThat(refusedMount(a, "serverca", "--tls-ca", other.resolve("ca.pem").toString(),
                    "--tls-cert", pki.resolve("client.pem").toString(), "--tls-key", pki.resolve("client-key.pem").toString()))
                    .contains("TLS: this client refused the certificate of server " + a).contains("unknown CA");
            // the server's side of each refusal
            assertThat(server.proc().output())
                    .contains("TLS: refused a plaintext client: it speaks no TLS (the mount needs --tls-ca)")
                    .contains("TLS: refused a client: it sent no client certificate (mutual TLS: the mount needs --tls-cert and --tls-key)")
                    .contains("TLS: refused a client (certificate O=fsdriver,CN=client): its certificate is not signed by the trusted CA (unknown CA)")
                    .contains("TLS: refused a client (certificate O=fsdriver,CN=old): its certificate has expired");
        }
        Path wrong = tmp.resolve("wrong-pki");
        assertThat(Fsdriver.run(tmp.resolve("wrong.log"), RUN, "certs", "init", wrong.toString(), "--host", "fsdriver.invalid")
                .exitCode()).isZero();
        try (Fsdriver.Server server = Fsdriver.serve(tmp, "--share", "work=" + share,
                "--tls-cert", wrong.resolve("server.pem").toString(), "--tls-key", wrong.resolve("server-key.pem").toString())) {
            assertThat(refusedMount(server.address(), "wronghost", "--tls-ca", wrong.resolve("ca.pem").toString()))
                    .contains("TLS: this client refused the certificate of server " + server.address())
                    .contains("wrong host name");
        }
    }

    @Test
    void plaintextOnANonLoopbackAddressNeedsInsecure() throws Exception {
        int port = Fsdriver.freePort();
        Fsdriver.Result r = Fsdriver.run(tmp.resolve("open.log"), RUN, "serve", "--listen", "tcp://0.0.0.0:" + port,
                "--share", "work=" + share);
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.output()).contains("tcp://0.0.0.0:" + port).contains("no TLS").contains("--insecure");
        try (Fsdriver.Proc p = Fsdriver.start(tmp.resolve("insecure.log"), "serve", "--listen", "tcp://0.0.0.0:" + port,
                "--share", "work=" + share, "--insecure")) {
            Fsdriver.awaitPort(p, port);
        }
    }
}
