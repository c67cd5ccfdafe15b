package dev.fsdriver.client.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.backend.posix.PosixBackend;
import dev.fsdriver.client.ClientOptions;
import dev.fsdriver.client.Connection;
import dev.fsdriver.client.RemoteFileSystem;
import dev.fsdriver.fuse.FuseFileSystem;
import dev.fsdriver.fuse.FuseMount;
import dev.fsdriver.fuse.MountOptions;
import dev.fsdriver.proto.v1.ChangeEvent;
import dev.fsdriver.server.FsServer;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kernel in the loop (as in {@link InjectionThroughTheKernelTest}, events applied by hand):
 * a server-side DELETED of a name the server has since made again, while a program lists the
 * directory between the applier's decision and its injected unlink/rmdir. The program's
 * READDIRPLUS gives the kernel the server's new file at the name, and the injected delete must
 * not act on that one (issue 9), just as an injected rename does not
 * ({@code anExchangeNeverActsOnWhatAProgramLookedUpMeanwhile*}).
 */
class InjectedDeleteRaceTest {
    /** The calls that could change the server. */
    private static final Set<String> CHANGING = Set.of("setattr", "symlink", "mknod", "mkdir", "unlink", "rmdir",
            "rename", "link", "create", "write", "fallocate", "copyFileRange", "setxattr", "removexattr");

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
    final List<String> changes = Collections.synchronizedList(new ArrayList<>());
    /** Run once (on the caller's thread) before the next lookup of {@link #hookName} reaches the remote file system. */
    volatile Runnable beforeLookup;
    volatile String hookName = "";

    @BeforeEach
    void mount() throws Exception {
        Files.createDirectories(served.resolve("d/x"));
        Files.writeString(served.resolve("d/f"), "F");
        String name = InProcessServerBuilder.generateName();
        server = FsServer.builder().serverBuilder(InProcessServerBuilder.forName(name))
                .share("s", PosixBackend.open(served, false), false).build();
        server.start();
        connection = Connection.over(InProcessChannelBuilder.forName(name).build(), "in-process:" + name, "s", null,
                false, ClientOptions.defaults());
        remote = RemoteFileSystem.connect(connection);
        FuseFileSystem recorded = (FuseFileSystem) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {FuseFileSystem.class}, (proxy, m, args) -> {
                    if (CHANGING.contains(m.getName())) {
                        changes.add(m.getName() + " " + args[1] + " " + args[2]);
                    }
                    try {
                        return m.invoke(remote, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        injector = new Injector(mnt, remote.events().writes());
        policy.setLive(true); // long timeouts, as while events flow
        EchoFilter echo = new EchoFilter();
        EventAwareFileSystem fs = new EventAwareFileSystem(recorded, OwnReadsOver.beforeLookup(remote.events().reads(), looked -> {
            Runnable hook = beforeLookup;
            if (hook != null && hookName.equals(looked)) { // the applier's own lookup of it
                beforeLookup = null;
                hook.run();
            }
        }), view, echo, policy, injector);
        mount = FuseMount.mount(mnt, new InjectionAnswers(fs, injector), MountOptions.builder().fsName("fsdriver:test").build());
        applier = new EventApplier(fs, view, echo, injector, mount.notifier());
        // the kernel holds d, d/f and d/x (looked up, d not listed)
        assertThat(Files.readString(mnt.resolve("d/f"))).isEqualTo("F");
        assertThat(Files.isDirectory(mnt.resolve("d/x"))).isTrue();
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

    private static ChangeEvent event(ChangeEvent.Kind kind, String path, boolean directory) {
        return ChangeEvent.newBuilder().setKind(kind).setPath(path).setDirectory(directory).build();
    }

    /** A program lists d (and runs {@code then}) when the applier last asks the server about {@code name}. */
    private void programListsDWhenAskedAbout(String name, Runnable then) {
        hookName = name;
        beforeLookup = () -> {
            try (Stream<Path> l = Files.list(mnt.resolve("d"))) {
                l.forEach(p -> { });
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            then.run();
        };
    }

    private List<String> watched(WatchService ws, String until) throws InterruptedException {
        List<String> seen = new ArrayList<>();
        while (!seen.contains(until)) {
            WatchKey k = ws.poll(10, TimeUnit.SECONDS);
            assertThat(k).as("events so far: %s", seen).isNotNull();
            for (WatchEvent<?> e : k.pollEvents()) {
                seen.add(e.kind().name() + " " + e.context());
            }
            k.reset();
        }
        return seen;
    }

    /**
     * d/f deleted and made again on the server (another file), a program lists d meanwhile: the
     * injected unlink removed the kernel's entry of the new file, and what the mount knows of d
     * with it, so the mount said d/f did not exist until something else changed in d.
     */
    @Test
    void anInjectedUnlinkNeverRemovesTheFileAProgramLookedUpMeanwhile() throws Exception {
        long old = view.resolve("d/f");
        Files.writeString(served.resolve("d/f.new"), "F2");
        Files.move(served.resolve("d/f.new"), served.resolve("d/f"), StandardCopyOption.REPLACE_EXISTING);
        try (WatchService ws = mnt.getFileSystem().newWatchService()) {
            mnt.resolve("d").register(ws, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_DELETE);
            programListsDWhenAskedAbout("f", () -> { });
            applier.apply(event(ChangeEvent.Kind.DELETED, "d/f", false));
            assertThat(beforeLookup).as("the program listed during the delete").isNull();
            assertThat(view.resolve("d/f")).as("the old file is gone from the kernel").isNotEqualTo(old);
            assertThat(Files.readString(mnt.resolve("d/f"))).as("the server's new d/f on the mount").isEqualTo("F2");
            try (Stream<Path> l = Files.list(mnt.resolve("d"))) {
                assertThat(l.map(p -> p.getFileName().toString()).toList()).containsExactlyInAnyOrder("f", "x");
            }
            applier.apply(event(ChangeEvent.Kind.CREATED, "d/f", false));
            assertThat(Files.readString(mnt.resolve("d/f"))).isEqualTo("F2");
            // watchers were told of the delete, then of the create, as on the server
            assertThat(watched(ws, "ENTRY_CREATE f")).containsExactly("ENTRY_DELETE f", "ENTRY_CREATE f");
        }
        assertThat(changes).as("calls that reached the server").isEmpty();
    }

    /**
     * d/x deleted and made again on the server (another directory, with a file in it), a program
     * lists d and opens the new d/x meanwhile: the injected rmdir made the new directory dead in
     * the kernel, and held open it was found again at its name, dead: nothing in it could be
     * looked up (as in ConcurrentStress seed 19).
     */
    @Test
    void anInjectedRmdirNeverKillsTheDirectoryAProgramLookedUpMeanwhile() throws Exception {
        Files.delete(served.resolve("d/x"));
        Files.createDirectories(served.resolve("d/x"));
        Files.writeString(served.resolve("d/x/y"), "Y");
        List<DirectoryStream<Path>> held = new ArrayList<>();
        try {
            programListsDWhenAskedAbout("x", () -> {
                try {
                    held.add(Files.newDirectoryStream(mnt.resolve("d/x")));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            applier.apply(event(ChangeEvent.Kind.DELETED, "d/x", true));
            assertThat(beforeLookup).as("the program listed during the delete").isNull();
            assertThat(held).hasSize(1);
            applier.apply(event(ChangeEvent.Kind.CREATED, "d/x", true));
            assertThat(Files.readString(mnt.resolve("d/x/y"))).isEqualTo("Y");
            try (Stream<Path> l = Files.list(mnt.resolve("d/x"))) {
                assertThat(l.map(p -> p.getFileName().toString()).toList()).containsExactly("y");
            }
            Files.writeString(served.resolve("d/x/z"), "Z");
            applier.apply(event(ChangeEvent.Kind.CREATED, "d/x/z", false));
            assertThat(Files.readString(mnt.resolve("d/x/z"))).isEqualTo("Z");
        } finally {
            for (DirectoryStream<Path> s : held) {
                s.close();
            }
        }
        assertThat(changes).as("calls that reached the server").isEmpty();
    }
}
