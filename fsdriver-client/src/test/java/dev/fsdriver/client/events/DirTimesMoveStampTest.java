package dev.fsdriver.client.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.fsdriver.backend.Backend;
import dev.fsdriver.backend.posix.PosixBackend;
import dev.fsdriver.client.ClientOptions;
import dev.fsdriver.client.Connection;
import dev.fsdriver.client.RemoteFileSystem;
import dev.fsdriver.fuse.FuseEntry;
import dev.fsdriver.fuse.FuseFileSystem;
import dev.fsdriver.fuse.FuseFileSystem.Reply;
import dev.fsdriver.server.FsServer;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.IOException;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Directory stamps (KernelView#stamp) are taken only from a share whose server lists
 * "dir-times-move": on one whose directory times do not move with its names (FAT, exFAT, most
 * network file systems), unchanged times would hide a loss with only creates.
 */
class DirTimesMoveStampTest {
    private final String name = InProcessServerBuilder.generateName();

    @TempDir
    Path served;
    FsServer server;
    Connection connection;
    RemoteFileSystem remote;
    ChangeEvents events;

    private KernelView connect(Backend backend) throws Exception {
        Files.createDirectory(served.resolve("d"));
        // only times older than the server's clock by RACY_NANOS are stamped (Hello's reading)
        Thread.sleep(DirStamps.RACY_NANOS / 1_000_000 + 100);
        server = FsServer.builder().serverBuilder(InProcessServerBuilder.forName(name)).share("s", backend, false).build();
        server.start();
        connection = Connection.over(InProcessChannelBuilder.forName(name).build(), "in-process:" + name, "s", null,
                false, ClientOptions.builder().callDeadline(Duration.ofSeconds(5)).build());
        remote = RemoteFileSystem.connect(connection);
        events = ChangeEvents.wrap(remote, served, new ChangeEvents.Options(Duration.ofHours(1), Duration.ofSeconds(1), false));
        Reply.<FuseEntry>await(r -> events.fileSystem().lookup(EventAwareFileSystemTest.OTHER, FuseFileSystem.ROOT_ID, "d", r));
        return events.view();
    }

    /** A ramfs mounted below the share by a test (null: none), unmounted after it. */
    Path mounted;

    @AfterEach
    void close() throws Exception {
        if (events != null) {
            events.close();
            remote.close();
            connection.close();
            server.close();
        }
        if (mounted != null) {
            new ProcessBuilder("umount", mounted.toString()).inheritIO().start().waitFor();
        }
    }

    /**
     * Skips the test (an assumption failure that says why) unless a backend of the temp dir says
     * its directory times move; the backend asked is closed either way.
     */
    private void assumeAllowListed() throws Exception {
        try (PosixBackend probe = PosixBackend.open(served, false)) {
            assumeTrue(probe.directoryTimesMove(), "the temp dir's file system (" + Files.getFileStore(served).type()
                    + ") is not allow-listed: no stamps to see here");
        }
    }

    /** Mounts a ramfs at {@code at} ({@link #mounted} only once it is), or skips the test saying why. */
    private void mountRamfs(Path at) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder("mount", "-t", "ramfs", "none", at.toString()).inheritIO().start();
        } catch (IOException e) {
            assumeTrue(false, "no mount program (" + e.getMessage() + "): this test does not run here");
            return;
        }
        assumeTrue(p.waitFor() == 0, "mounting a ramfs needs root (CAP_SYS_ADMIN): this test does not run here");
        mounted = at;
    }

    /** Failed before (seen: the root's and d's stamps taken though the share said nothing of its times). */
    @Test
    void withoutTheCapabilityNothingIsStamped() throws Exception {
        KernelView view = connect(still(PosixBackend.open(served, false)));
        assertThat(remote.directoryTimesMove()).isFalse();
        long d = view.child(FuseFileSystem.ROOT_ID, "d");
        assertThat(d).isNotZero();
        assertThat(view.stamp(FuseFileSystem.ROOT_ID)).as("the root's, from Hello").isNull();
        assertThat(view.stamp(d)).as("d's, from its lookup").isNull();
    }

    /** A posix share on an allow-listed file system (ext4 here): listed, and the stamps are taken. */
    @Test
    void withTheCapabilityDirectoriesAreStamped() throws Exception {
        assumeAllowListed();
        KernelView view = connect(PosixBackend.open(served, false));
        assertThat(remote.directoryTimesMove()).isTrue();
        assertThat(view.stamp(FuseFileSystem.ROOT_ID)).isNotNull();
        assertThat(view.stamp(view.child(FuseFileSystem.ROOT_ID, "d"))).isNotNull();
    }

    /**
     * A directory on another file system mounted below an allow-listed share (a ramfs here, not
     * allow-listed) gets no stamp: the share lists "dir-times-move", its own directories are
     * stamped, the mount's are not. Failed before (seen: m stamped, the verdict being the root's).
     */
    @Test
    void aDirectoryOnAnotherFileSystemBelowTheShareIsNotStamped() throws Exception {
        assumeAllowListed();
        mountRamfs(Files.createDirectory(served.resolve("m")));
        KernelView view = connect(PosixBackend.open(served, false));
        Reply.<FuseEntry>await(r -> events.fileSystem().lookup(EventAwareFileSystemTest.OTHER, FuseFileSystem.ROOT_ID, "m", r));
        long mNode = view.child(FuseFileSystem.ROOT_ID, "m");
        assertThat(mNode).isNotZero();
        assertThat(remote.directoryTimesMove()).isTrue();
        assertThat(view.stamp(view.child(FuseFileSystem.ROOT_ID, "d"))).as("d, on the share's file system").isNotNull();
        assertThat(view.stamp(mNode)).as("m, a ramfs").isNull();
    }

    /** {@code backend} whose directoryTimesMove says no (a FAT-like file system), all else its own. */
    private static Backend still(Backend backend) {
        InvocationHandler h = (p, m, args) -> {
            if (m.getName().equals("directoryTimesMove")) {
                return false;
            }
            try {
                return m.invoke(backend, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        };
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class}, h);
    }
}
