package dev.fsdriver.cli;

import dev.fsdriver.backend.Backend;
import dev.fsdriver.protocol.Protocol;
import dev.fsdriver.server.FsServer;
import dev.fsdriver.server.ShareSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code fsdriver serve}: serves shares in the foreground until SIGTERM/SIGINT. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serve directories (shares) over gRPC, in the foreground. Logs one line per listener "
                + "and share; SIGTERM or SIGINT stop it cleanly.")
final class ServeCommand implements Callable<Integer> {
    static final String DEFAULT_LISTEN = "tcp://127.0.0.1:" + Protocol.DEFAULT_PORT;

    @Spec
    CommandSpec spec;

    @Option(names = "--listen", paramLabel = "URI",
            description = "tcp://HOST:PORT or unix:///path.sock; repeatable (default: " + DEFAULT_LISTEN + ").")
    List<String> listen = new ArrayList<>();

    @Option(names = "--share", paramLabel = "NAME=DIR[:ro]", required = true,
            description = "A directory to serve under NAME; ':ro' makes it read-only. Repeatable.")
    List<String> shares = new ArrayList<>();

    @Option(names = "--allow-setid",
            description = "Let clients make set-user-ID and set-group-ID files (off: EPERM). Only for clients you trust:"
                    + " a client could otherwise make programs that run as this server's user.")
    boolean allowSetId;

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "Clients must send the token in FILE's first line.")
    Path tokenFile;

    @Override
    public Integer call() throws Exception {
        List<ShareSpec> specs = new ArrayList<>();
        for (String s : shares) {
            try {
                specs.add(ShareSpec.parse(s));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "Invalid --share: " + e.getMessage());
            }
        }
        String token = TokenFile.read(tokenFile);
        FsServer.Builder builder = FsServer.builder().token(token).allowSetId(allowSetId);
        for (String uri : listen.isEmpty() ? List.of(DEFAULT_LISTEN) : listen) {
            try {
                builder.listen(uri);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "Invalid --listen: " + e.getMessage());
            }
        }
        for (ShareSpec s : specs) {
            if (!Files.isDirectory(s.dir())) {
                throw new CliException("share '" + s.name() + "': " + s.dir() + " is not a directory");
            }
            Backend backend;
            try {
                backend = Backends.open(s.dir(), s.readOnly());
            } catch (IOException e) {
                throw new CliException("share '" + s.name() + "': cannot open " + s.dir() + ": " + e.getMessage());
            }
            try {
                builder.share(s.name(), backend, s.readOnly());
            } catch (IllegalArgumentException e) {
                throw new CliException(e.getMessage());
            }
        }
        FsServer server = builder.build();
        try {
            server.start();
        } catch (IOException e) {
            throw new CliException("cannot listen: " + e.getMessage());
        }
        Signals.onTermination(server::close);
        server.awaitTermination();
        server.close();
        return 0;
    }
}
