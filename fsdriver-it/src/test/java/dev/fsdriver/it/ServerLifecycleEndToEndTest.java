package dev.fsdriver.it;

import static dev.fsdriver.it.Fsdriver.sh;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A dying server, a restarted server, unmounting from outside and with `fsdriver umount`. */
class ServerLifecycleEndToEndTest {
    @TempDir
    Path tmp;

    @Test
    void dyingServerFailsOperationsInBoundedTimeAndTheMountRecovers() throws Exception {
        Path s = Files.createDirectories(tmp.resolve("s"));
        Files.writeString(s.resolve("keep.txt"), "precious");
        Path mnt = Files.createDirectories(tmp.resolve("mnt"));
        int port = Fsdriver.freePort();
        Fsdriver.Server server = Fsdriver.serveOn(tmp, port, "--share", "work=" + s);
        try (Fsdriver.Mount m = Fsdriver.mount(tmp, server, "work", mnt)) {
            assertThat(Files.readString(mnt.resolve("keep.txt"))).isEqualTo("precious");
            server.proc().kill9();
            // A hang detector, not a speed test: the operation must come back with an error at all.
            Fsdriver.Result r = sh(mnt, "timeout 120 cat fresh-name-" + System.nanoTime() + "; echo rc=$?");
            assertThat(r.output()).doesNotContain("rc=124").doesNotContain("rc=0");
            assertThat(r.output()).containsAnyOf("Transport endpoint is not connected", "Input/output error",
                    "Connection timed out", "No such file");
            server = Fsdriver.serveOn(tmp, port, "--share", "work=" + s);
            MountEndToEndTest.awaitTrue(() -> {
                Files.writeString(mnt.resolve("after-restart.txt"), "back");
                return Files.readString(s.resolve("after-restart.txt")).equals("back");
            });
            assertThat(Files.readString(mnt.resolve("keep.txt"))).isEqualTo("precious");
        } finally {
            server.close();
        }
    }

    @Test
    void changesMadeWhileTheServerWasDownAreSeenOnceItIsBack() throws Exception {
        Path s = Files.createDirectories(tmp.resolve("s"));
        Files.writeString(s.resolve("f.txt"), "version one");
        Files.createDirectories(s.resolve("d"));
        Files.writeString(s.resolve("d/gone.txt"), "x");
        Path mnt = Files.createDirectories(tmp.resolve("mnt"));
        int port = Fsdriver.freePort();
        Fsdriver.Server server = Fsdriver.serveOn(tmp, port, "--share", "work=" + s);
        try (Fsdriver.Mount m = Fsdriver.mount(tmp, server, "work", mnt)) {
            // cached with long timeouts while events flow
            MountEndToEndTest.awaitTrue(() -> Files.readString(mnt.resolve("f.txt")).equals("version one"));
            assertThat(Files.exists(mnt.resolve("d/gone.txt"))).isTrue();
            assertThat(names(mnt.resolve("d"))).containsExactly("gone.txt"); // a listing the kernel keeps
            server.proc().kill9();
            Files.writeString(s.resolve("f.txt"), "version two, longer");
            Files.delete(s.resolve("d/gone.txt"));
            Files.writeString(s.resolve("d/new.txt"), "new");
            server = Fsdriver.serveOn(tmp, port, "--share", "work=" + s);
            // the new server's history cannot reach back: the client revalidates everything
            MountEndToEndTest.awaitTrue(() -> Files.readString(mnt.resolve("f.txt")).equals("version two, longer")
                    && !Files.exists(mnt.resolve("d/gone.txt"))
                    && Files.readString(mnt.resolve("d/new.txt")).equals("new")
                    && names(mnt.resolve("d")).equals(List.of("new.txt")));
        } finally {
            server.close();
        }
    }

    @Test
    void umountCommandAndOutsideUnmountEndTheMountProcess() throws Exception {
        Path s = Files.createDirectories(tmp.resolve("s"));
        Path mnt = Files.createDirectories(tmp.resolve("mnt"));
        try (Fsdriver.Server server = Fsdriver.serve(tmp, "--share", "work=" + s)) {
            Fsdriver.Mount m = Fsdriver.mount(tmp, server, "work", mnt);
            Fsdriver.Result r = Fsdriver.run(tmp.resolve("umount.log"), Duration.ofSeconds(60), "umount", mnt.toString());
            assertThat(r.exitCode()).as(r.output()).isZero();
            assertThat(m.proc().awaitExit(Duration.ofSeconds(30))).isZero();
            assertThat(Fsdriver.isMounted(mnt)).isFalse();

            Fsdriver.Mount m2 = Fsdriver.mount(tmp, server, "work", mnt);
            sh(tmp, "umount " + mnt);
            assertThat(m2.proc().awaitExit(Duration.ofSeconds(30))).isZero();
            assertThat(Fsdriver.isMounted(mnt)).isFalse();
            // an unmount is no trouble: nothing to warn of (it said the events were "interrupted")
            assertThat(m.proc().output() + m2.proc().output()).doesNotContain("WARN").doesNotContain("ERROR");

            Fsdriver.Result notMounted = Fsdriver.run(tmp.resolve("umount2.log"), Duration.ofSeconds(60), "umount", mnt.toString());
            assertThat(notMounted.exitCode()).isNotZero();
            assertThat(notMounted.output()).containsIgnoringCase("not");
        }
    }

    @Test
    void defaultMountPointIsCreatedUnderMntFsdriver() throws Exception {
        Path s = Files.createDirectories(tmp.resolve("s"));
        Files.writeString(s.resolve("hello"), "hi");
        String share = "it-default-" + ProcessHandle.current().pid();
        Path expected = Path.of("/mnt/fsdriver", share);
        try (Fsdriver.Server server = Fsdriver.serve(tmp, "--share", share + "=" + s)) {
            Fsdriver.Proc p = Fsdriver.start(tmp.resolve("default.log"), "mount", "--server", server.address(), share);
            try (Fsdriver.Mount m = new Fsdriver.Mount(p.awaitOutput("mounted", Fsdriver.START_TIMEOUT), expected)) {
                assertThat(p.output()).contains(expected.toString());
                assertThat(Files.readString(expected.resolve("hello"))).isEqualTo("hi");
            }
        } finally {
            Files.deleteIfExists(expected);
        }
    }

    private static List<String> names(Path dir) throws java.io.IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
