package dev.fsdriver.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * serve --allow: shares limited to named clients (certificate CN under mutual TLS, or a named
 * token), read-only for some; a hidden share answers exactly like a missing one.
 */
class ShareAccessEndToEndTest {
    private static final Duration RUN = Duration.ofSeconds(60);

    @TempDir
    Path tmp;

    private String[] client(Path pki, String name) {
        return new String[] {"--tls-ca", pki.resolve("ca.pem").toString(), "--tls-cert", pki.resolve(name + ".pem").toString(),
                "--tls-key", pki.resolve(name + "-key.pem").toString()};
    }

    /** The last line of a refused mount of {@code share}. */
    private String refused(Fsdriver.Server server, String share, String... extra) throws Exception {
        Path mnt = Files.createDirectories(tmp.resolve("mnt-refused"));
        List<String> args = new ArrayList<>(List.of("mount", "--server", server.address()));
        args.addAll(List.of(extra));
        args.add(share);
        args.add(mnt.toString());
        Fsdriver.Result r = Fsdriver.run(tmp.resolve("refused-" + System.nanoTime() + ".log"), RUN, args.toArray(String[]::new));
        assertThat(r.exitCode()).as(r.output()).isEqualTo(1);
        List<String> lines = r.output().strip().lines().toList();
        return lines.get(lines.size() - 1);
    }

    @Test
    void certificateNamesDecideWhichSharesAClientSeesAndMayWrite() throws Exception {
        Path pki = tmp.resolve("pki");
        assertThat(Fsdriver.run(tmp.resolve("init.log"), RUN, "certs", "init", pki.toString(), "--host", "127.0.0.1").exitCode()).isZero();
        for (String name : List.of("alice", "bob")) {
            Fsdriver.Result r = Fsdriver.run(tmp.resolve(name + ".log"), RUN, "certs", "client", pki.toString(), name);
            assertThat(r.exitCode()).as(r.output()).isZero();
        }
        Path team = Files.createDirectories(tmp.resolve("team"));
        Path secret = Files.createDirectories(tmp.resolve("secret"));
        Files.writeString(team.resolve("plan.txt"), "plan");
        Files.writeString(secret.resolve("key.txt"), "alice only");
        try (Fsdriver.Server server = Fsdriver.serve(tmp, "--share", "team=" + team, "--share", "secret=" + secret,
                "--tls-cert", pki.resolve("server.pem").toString(), "--tls-key", pki.resolve("server-key.pem").toString(),
                "--tls-client-ca", pki.resolve("ca.pem").toString(),
                "--allow", "team=alice:ro", "--allow", "team=bob", "--allow", "secret=alice")) {
            // bob may not see 'secret': the very answer a share that does not exist gets
            String hidden = refused(server, "secret", client(pki, "bob"));
            String missing = refused(server, "nosuch", client(pki, "bob"));
            assertThat(hidden).contains("no share named 'secret'");
            assertThat(hidden.replace("secret", "nosuch")).isEqualTo(missing);
            // the default client certificate (CN=client) is named by no rule: sees neither
            assertThat(refused(server, "team", client(pki, "client"))).contains("no share named 'team'");

            Path mnt = Files.createDirectories(tmp.resolve("mnt"));
            try (Fsdriver.Mount m = Fsdriver.mount(tmp, server, "secret", mnt, client(pki, "alice"))) {
                assertThat(Files.readString(mnt.resolve("key.txt"))).isEqualTo("alice only");
            }
            try (Fsdriver.Mount m = Fsdriver.mount(tmp, server, "team", mnt, client(pki, "alice"))) {
                assertThat(Files.readString(mnt.resolve("plan.txt"))).isEqualTo("plan");
                assertThatThrownBy(() -> Files.writeString(mnt.resolve("plan.txt"), "changed by alice"))
                        .isInstanceOf(FileSystemException.class).hasMessageContaining("Read-only file system");
            }
            try (Fsdriver.Mount m = Fsdriver.mount(tmp, server, "team", mnt, client(pki, "bob"))) {
                Files.writeString(mnt.resolve("plan.txt"), "changed by bob");
            }
            assertThat(Files.readString(team.resolve("plan.txt"))).isEqualTo("changed by bob");
        }
    }

    @Test
    void namedTokensNameClientsWithoutTls() throws Exception {
        Path open = Files.createDirectories(tmp.resolve("open"));
        Path carols = Files.createDirectories(tmp.resolve("carols"));
        Files.writeString(carols.resolve("c.txt"), "carol's");
        Path carol = Files.writeString(tmp.resolve("carol.token"), "carol-secret-token\n");
        Path dave = Files.writeString(tmp.resolve("dave.token"), "dave-secret-token\n");
        Path wrong = Files.writeString(tmp.resolve("wrong.token"), "carol-secret-tokeN\n");
        try (Fsdriver.Server server = Fsdriver.serve(tmp, "--share", "open=" + open, "--share", "carols=" + carols,
                "--client-token", "carol=" + carol, "--client-token", "dave=" + dave, "--allow", "carols=carol")) {
            assertThat(refused(server, "carols", "--token-file", dave.toString())).contains("no share named 'carols'");
            assertThat(refused(server, "carols", "--token-file", wrong.toString())).containsIgnoringCase("token");
            Path mnt = Files.createDirectories(tmp.resolve("mnt"));
            try (Fsdriver.Mount m = Fsdriver.mount(tmp, server, "carols", mnt, "--token-file", carol.toString())) {
                assertThat(Files.readString(mnt.resolve("c.txt"))).isEqualTo("carol's");
            }
            try (Fsdriver.Mount m = Fsdriver.mount(tmp, server, "open", mnt, "--token-file", dave.toString())) {
                Files.writeString(mnt.resolve("d.txt"), "dave's");
            }
            assertThat(Files.readString(open.resolve("d.txt"))).isEqualTo("dave's");
        }
    }
}
