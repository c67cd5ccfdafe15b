package dev.fsdriver.client.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.backend.posix.PosixBackend;
import dev.fsdriver.client.ClientOptions;
import dev.fsdriver.client.Connection;
import dev.fsdriver.client.RemoteFileSystem;
import dev.fsdriver.fuse.FuseMount;
import dev.fsdriver.fuse.MountOptions;
import dev.fsdriver.proto.v1.ChangeEvent;
import dev.fsdriver.server.FsServer;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kernel in the loop (as in {@link InjectionThroughTheKernelTest}, events applied by hand):
 * a name the kernel looked up again after the server's change, before that change's event came.
 */
class LookedUpBeforeItsEventTest {
    @TempDir
    Path served;
    @TempDir
    Path mnt;

    FsServer server;
    Connection connection;
    RemoteFileSystem remote;
    FuseMount mount;
    final KernelView view = new KernelView();
    final CachePolicy policy = new CachePolicy(3_600_000_000_000L, 1_000_000_000L);
    Injector injector;
    EventApplier applier;

    @BeforeEach
    void mount() throws Exception {
        Files.createDirectories(served.resolve("d"));
        String name = InProcessServerBuilder.generateName();
        server = FsServer.builder().serverBuilder(InProcessServerBuilder.forName(name))
                .share("s", PosixBackend.open(served, false), false).build();
        server.start();
        connection = Connection.over(InProcessChannelBuilder.forName(name).build(), "in-process:" + name, "s", null,
                false, ClientOptions.defaults());
        remote = RemoteFileSystem.connect(connection);
        injector = new Injector(mnt, remote.events().writes());
        policy.setLive(true); // long timeouts, as while events flow
        EchoFilter echo = new EchoFilter();
        EventAwareFileSystem fs = new EventAwareFileSystem(remote, remote.events().reads(), view, echo, policy, injector);
        mount = FuseMount.mount(mnt, new InjectionAnswers(fs, injector), MountOptions.builder().fsName("fsdriver:test").build());
        applier = new EventApplier(fs, view, echo, injector, mount.notifier());
    }

    @AfterEach
    void unmount() throws Exception {
        if (mount != null) {
            mount.close();
        }
        injector.close();
        remote.close();
        connection.close();
        server.close();
    }

    /**
     * d/a has a second name, d/keep; on the server's side d/b is renamed over d/a, so keep's link
     * count drops to 1. The kernel looks d/a up before the event comes (the stress test's tree
     * walk) and gets b's file there: when the event comes, it holds one node at both names and
     * no longer knows which file the rename replaced. That file's link count stayed 2 in the
     * kernel for as long as its attributes were cached (ConcurrentStress seed 21: "'f0/d3/d1':
     * native nlink 1 | mount nlink 2"; issue 9).
     */
    @Test
    void aFileReplacedUnderANameLookedUpAgainGetsItsLinkCountRefreshed() throws Exception {
        long d = renameOverALinkOnTheServer();
        mount.notifier().invalEntry(d, "a"); // its entry expired, say: the kernel looks it up again
        assertThat(Files.readString(mnt.resolve("d/a"))).isEqualTo("BB");
        assertThat(view.child(d, "a")).as("one node at both names").isEqualTo(view.child(d, "b"));
        renamedEventAndCheck();
    }

    /**
     * The same without a lookup before the event: the injected rename's own lookup of d/a found
     * b's file there, so the kernel's rename replaced nothing (seed 21 again, with the fix above).
     */
    @Test
    void aFileReplacedByAnInjectedRenameGetsItsLinkCountRefreshed() throws Exception {
        renameOverALinkOnTheServer();
        renamedEventAndCheck();
    }

    /** d/a and d/keep one file, d/b another, all held by the kernel; then d/b renamed over d/a on the server. */
    private long renameOverALinkOnTheServer() throws Exception {
        Files.writeString(served.resolve("d/a"), "A");
        Files.createLink(served.resolve("d/keep"), served.resolve("d/a"));
        Files.writeString(served.resolve("d/b"), "BB");
        assertThat(links(mnt.resolve("d/keep"))).isEqualTo("2");
        assertThat(Files.readString(mnt.resolve("d/a"))).isEqualTo("A");
        assertThat(Files.readString(mnt.resolve("d/b"))).isEqualTo("BB");
        Files.move(served.resolve("d/b"), served.resolve("d/a"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        return view.resolve("d");
    }

    private void renamedEventAndCheck() throws Exception {
        applier.apply(ChangeEvent.newBuilder().setKind(ChangeEvent.Kind.RENAMED).setPath("d/b").setNewPath("d/a").build());
        assertThat(links(mnt.resolve("d/keep"))).isEqualTo("1");
        assertThat(Files.readString(mnt.resolve("d/keep"))).isEqualTo("A");
        assertThat(Files.readString(mnt.resolve("d/a"))).isEqualTo("BB");
        assertThat(Files.readString(served.resolve("d/keep"))).as("the server unchanged").isEqualTo("A");
        assertThat(served.resolve("d/b")).doesNotExist();
    }

    /**
     * The link count as stat(1) prints it: asks the kernel for it alone, which it answers from its
     * cache (Java's stat asks for the birth time too, and the kernel asked the file system then).
     */
    private static String links(Path p) throws Exception {
        Process stat = new ProcessBuilder("stat", "-c", "%h", p.toString()).redirectErrorStream(true).start();
        String out = new String(stat.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
        assertThat(stat.waitFor()).as(out).isZero();
        return out;
    }
}
