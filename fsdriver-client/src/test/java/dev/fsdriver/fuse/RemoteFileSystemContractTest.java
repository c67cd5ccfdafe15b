package dev.fsdriver.fuse;

import dev.fsdriver.backend.posix.PosixBackend;
import dev.fsdriver.client.ClientOptions;
import dev.fsdriver.client.Connection;
import dev.fsdriver.client.RemoteFileSystem;
import dev.fsdriver.server.FsServer;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The file system contract of fsdriver-fuse (from its test jar) on fsdriver's remote file
 * system: a real in-process server on the posix backend over a temp directory, mounted through
 * the kernel. In package dev.fsdriver.fuse to reach the contract's package-private hooks.
 */
class RemoteFileSystemContractTest extends FileSystemContractTest {
    FsServer server;
    Connection connection;
    RemoteFileSystem remote;

    @Override
    FuseFileSystem fileSystem(Path tmp) throws IOException {
        Path served = Files.createDirectory(tmp.resolve("served"));
        String name = InProcessServerBuilder.generateName();
        try {
            server = FsServer.builder().serverBuilder(InProcessServerBuilder.forName(name))
                    .share("s", PosixBackend.open(served, false), false).build();
            server.start();
            connection = Connection.over(InProcessChannelBuilder.forName(name).build(), "in-process:" + name, "s", null,
                    false, clientOptions());
            remote = RemoteFileSystem.connect(connection);
        } catch (Exception e) {
            throw new IOException("in-process server: " + e, e);
        }
        FuseFileSystem mounted = mounted(remote);
        // every lookup is recorded, for requestCarriesCallerPid
        return (FuseFileSystem) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {FuseFileSystem.class},
                (proxy, m, args) -> {
                    if (m.getName().equals("lookup")) {
                        RecordingFileSystem.record((String) args[2], (FuseRequest) args[0]);
                    }
                    try {
                        return m.invoke(mounted, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    /** The client's options: the defaults, as {@code fsdriver mount} without options. */
    ClientOptions clientOptions() {
        return ClientOptions.defaults();
    }

    /** What is mounted over {@code remote}: the remote file system itself here. */
    FuseFileSystem mounted(RemoteFileSystem remote) {
        return remote;
    }

    @Override
    void afterUnmount() {
        remote.close();
        connection.close();
        server.close();
    }

    /** renameat2 on the server. */
    @Override
    boolean exchangesNames() {
        return true;
    }

    /** mknodat on the server. */
    @Override
    boolean makesFifos() {
        return true;
    }
}
