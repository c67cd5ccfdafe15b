package dev.fsdriver.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code fsdriver certs init|client}: a private CA and TLS certificates ({@link Certs}). */
@Command(name = "certs", mixinStandardHelpOptions = true,
        description = "Make a private CA and the certificates for TLS (serve --tls-*, mount --tls-*).",
        subcommands = {CertsCommand.Init.class, CertsCommand.Client.class})
final class CertsCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing subcommand: init or client");
    }

    @Command(name = "init", mixinStandardHelpOptions = true,
            description = "Write a private CA (ca.pem, ca-key.pem), a server certificate (server.pem, server-key.pem) and "
                    + "a client certificate with CN 'client' (client.pem, client-key.pem) into DIR. Keys get mode 0600. "
                    + "The client machine needs ca.pem, client.pem and client-key.pem; ca-key.pem never leaves this one.")
    static final class Init implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "DIR", description = "Where to write the files (created if missing).")
        Path dir;

        @Option(names = "--host", paramLabel = "NAME|IP",
                description = "A host name or address clients connect to (the server certificate's subject alternative "
                        + "names). Repeatable. Default: this machine's host name and addresses, localhost, 127.0.0.1, ::1.")
        List<String> hosts = new ArrayList<>();

        @Override
        public Integer call() throws CliException {
            Certs certs;
            try {
                certs = Certs.init(dir, hosts);
            } catch (FileAlreadyExistsException e) {
                throw new CliException("certs init " + dir + ": " + e.getFile() + ": " + e.getReason());
            } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
                throw new CliException("certs init " + dir + ": " + e.getMessage());
            }
            PrintWriter out = spec.commandLine().getOut();
            out.println("wrote CA, server and client certificates to " + certs.dir().toAbsolutePath());
            out.println("server: serve --tls-cert server.pem --tls-key server-key.pem --tls-client-ca ca.pem");
            out.println("client: copy ca.pem, client.pem, client-key.pem; mount --tls-ca ca.pem --tls-cert client.pem --tls-key client-key.pem");
            out.flush();
            return 0;
        }
    }

    @Command(name = "client", mixinStandardHelpOptions = true,
            description = "Issue another client certificate, subject CN=NAME (NAME.pem, NAME-key.pem), with the CA in DIR.")
    static final class Client implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "DIR", description = "The directory of 'certs init'.")
        Path dir;

        @Parameters(index = "1", paramLabel = "NAME", description = "The client's name (its certificate's CN, for serve --allow).")
        String name;

        @Override
        public Integer call() throws CliException {
            Path cert;
            try {
                cert = Certs.open(dir).client(name);
            } catch (FileAlreadyExistsException e) {
                throw new CliException("certs client: " + e.getFile() + " " + e.getReason());
            } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
                throw new CliException("certs client: " + e.getMessage());
            }
            PrintWriter out = spec.commandLine().getOut();
            out.println("wrote " + cert.toAbsolutePath() + " and " + name + "-key.pem (CN=" + name + ")");
            out.flush();
            return 0;
        }
    }
}
