package dev.fsdriver.it;

import static dev.fsdriver.it.MountEndToEndTest.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Windows server for real: {@code bin\fsdriver.cmd serve} runs under {@code wine64 cmd /c}
 * on the Windows Temurin 21 JRE and serves a Linux directory (Z:\...) through WindowsBackend;
 * a Linux {@code fsdriver mount} of it is used through the kernel. The served directory is
 * changed directly on Linux, which Wine reports to the server through ReadDirectoryChangesW.
 * One server and one mount for the class: the Windows JVM takes seconds to start.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WindowsServerUnderWineEndToEndTest {
    @TempDir
    static Path tmp;

    Path share;
    Path owned;
    Path metadata;
    Path outside;
    Path mnt;
    Fsdriver.Server server;
    Fsdriver.Mount mount;
    int metricsPort;

    @BeforeAll
    void start() throws Exception {
        Wine.setUp(tmp);
        share = Files.createDirectories(tmp.resolve("share"));
        outside = Files.createDirectories(tmp.resolve("outside"));
        mnt = Files.createDirectories(tmp.resolve("mnt"));
        Files.writeString(share.resolve("hello.txt"), "hello from the Windows side\n");
        metricsPort = Fsdriver.freePort();
        owned = Files.createDirectories(tmp.resolve("owned"));
        metadata = Files.createDirectories(tmp.resolve("metadata"));
        server = Wine.serve(tmp, Fsdriver.freePort(), "--share", "w=" + Wine.z(share), "--metrics-listen", "127.0.0.1:" + metricsPort,
                "--share", "owned=" + Wine.z(owned), "--share-option", "owned:uid=1234", "--share-option", "owned:gid=2345",
                "--share-option", "owned:umask=077", "--share-option", "owned:inode-store=" + Wine.z(tmp.resolve("inodes,owned.bin")),
                "--share", "md=" + Wine.z(metadata), "--share-option", "md:metadata");
        mount = Fsdriver.mount(tmp, server, "w", mnt);
    }

    @AfterAll
    void stop() throws Exception {
        try {
            if (mount != null) {
                mount.close();
            }
        } finally {
            Wine.killAll();
            if (server != null) {
                server.close();
            }
        }
    }

    /**
     * bin\fsdriver.cmd sizes the server's JVM as bin/fsdriver does (the shared bin/jvm argument
     * files): the serial collector and a heap of at most 448 MiB, on the Windows JRE 21.
     */
    @Test
    void theServerRunsInTheJvmSizedForItsRole() throws Exception {
        String body = MeteredMount.scrape(metricsPort);
        assertThat(body).contains("jvm_memory_max_bytes{area=\"heap\",id=\"Tenured Gen\"}");
        assertThat(MetricsEndToEndTest.heapMax(body)).isBetween(440.0 * (1 << 20), 448.0 * (1 << 20));
    }

    @Test
    void mvpOperationsThroughTheKernel() throws Exception {
        Path d = Files.createDirectories(share.resolve("mvp"));
        awaitTrue(() -> Files.isDirectory(mnt.resolve("mvp")));
        String out = Fsdriver.shOk(mnt.resolve("mvp"), String.join("\n",
                "set -e",
                "cat ../hello.txt",
                "echo one > f",
                "echo two >> f",
                "mkdir dir",
                "mv f dir/g",
                "ln dir/g hard",
                "stat -c 'links=%h' hard",
                "echo tmp > gone && rm gone",
                "mkdir empty && rmdir empty",
                "head -c 3000000 /dev/urandom > /tmp/fsd-wine-big.$$ && cp /tmp/fsd-wine-big.$$ big",
                "cmp /tmp/fsd-wine-big.$$ big && echo big-equal; rm -f /tmp/fsd-wine-big.$$",
                "truncate -s 2 dir/g",
                "ls -1 . dir"));
        assertThat(out).contains("hello from the Windows side", "links=2", "big-equal");
        assertThat(out.lines().toList()).containsSubsequence(".:", "big", "dir", "hard", "dir:", "g");
        // what the server made, seen on Linux directly
        assertThat(Files.readString(d.resolve("dir/g"))).isEqualTo("on");
        assertThat(Files.readString(d.resolve("hard"))).isEqualTo("on"); // same file: truncated too
        assertThat(Files.size(d.resolve("big"))).isEqualTo(3_000_000);
        assertThat(Files.exists(d.resolve("gone"))).isFalse();
        assertThat(Files.exists(d.resolve("empty"))).isFalse();
        assertThat(Files.exists(d.resolve("f"))).isFalse();
    }

    @Test
    void serverSideChangesArriveAsInotifyEvents() throws Exception {
        Path d = Files.createDirectories(share.resolve("events"));
        awaitTrue(() -> Files.isDirectory(mnt.resolve("events")));
        List<String> events = Collections.synchronizedList(new ArrayList<>());
        Process inotify = new ProcessBuilder("inotifywait", "-m", "-r", "--format", "%e|%w%f", mnt.resolve("events").toString())
                .redirectErrorStream(true).start();
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(inotify.getInputStream(), StandardCharsets.UTF_8));
            for (String l = r.readLine(); l != null && !l.contains("Watches established"); l = r.readLine()) {
                // "Setting up watches..." first
            }
            String prefix = mnt.resolve("events") + "/";
            Thread.ofPlatform().daemon().start(() -> {
                try {
                    for (String line; (line = r.readLine()) != null; ) {
                        events.add(line.replace(prefix, ""));
                    }
                } catch (java.io.IOException ignored) {
                    // inotifywait ended
                }
            });
            Files.writeString(d.resolve("a.txt"), "one");
            awaitEvent(events, "CREATE\\|a\\.txt");
            Files.writeString(d.resolve("a.txt"), "one and two");
            awaitEvent(events, "MODIFY\\|a\\.txt");
            Files.createDirectory(d.resolve("sub"));
            awaitEvent(events, "CREATE,ISDIR\\|sub");
            Files.move(d.resolve("a.txt"), d.resolve("b.txt"));
            awaitEvent(events, "MOVED_FROM\\|a\\.txt");
            awaitEvent(events, "MOVED_TO\\|b\\.txt");
            Files.delete(d.resolve("b.txt"));
            awaitEvent(events, "DELETE\\|b\\.txt");
            assertThat(mnt.resolve("events/b.txt")).doesNotExist();
            assertThat(mnt.resolve("events/sub")).isDirectory();
        } finally {
            inotify.destroy();
            inotify.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /**
     * serve --share-option reaches the Windows backend (issue 9): without metadata every file shows
     * the share's uid, gid and umask, as drvfs -o uid=,gid=,umask= does; the inode store (a value
     * with ':' and ',') is the file given.
     */
    @Test
    void shareOptionsReachTheBackend() throws Exception {
        Path m = Files.createDirectories(tmp.resolve("mnt-owned"));
        try (Fsdriver.Mount mo = Fsdriver.mount(tmp, server, "owned", m)) {
            String out = Fsdriver.shOk(m, "set -e\necho x > f\nmkdir d\nstat -c '%n %u %g %a' . f d");
            assertThat(out.lines().toList()).containsExactly(". 1234 2345 700", "f 1234 2345 700", "d 1234 2345 700");
        }
        assertThat(tmp.resolve("inodes,owned.bin")).isRegularFile();
    }

    /**
     * Issue 9: without metadata the Windows backend has nowhere to keep a FIFO's or socket's type
     * (WSL's LX reparse points need it), so mkfifo and a unix socket's bind fail with a clear EPERM
     * and nothing is left in the served directory. The share "w" has no metadata option.
     */
    @Test
    void withoutMetadataFifosAndSocketsAreRefusedWithEperm() throws Exception {
        Path d = Files.createDirectories(share.resolve("special"));
        awaitTrue(() -> Files.isDirectory(mnt.resolve("special")));
        Fsdriver.Result fifo = Fsdriver.sh(mnt.resolve("special"), "mkfifo p");
        assertThat(fifo.exitCode()).as(fifo.output()).isNotZero();
        assertThat(fifo.output()).contains("Operation not permitted");
        String sock = Fsdriver.shOk(mnt.resolve("special"), "python3 -c \"import socket,os\n"
                + "s=socket.socket(socket.AF_UNIX)\n"
                + "try:\n  s.bind('s'); print('bind=ok')\n"
                + "except OSError as e:\n  print('bind='+os.strerror(e.errno))\"");
        assertThat(sock).contains("bind=Operation not permitted");
        try (Stream<Path> left = Files.list(d)) {
            assertThat(left.toList()).isEmpty();
        }
        assertThat(mnt.resolve("special/p")).doesNotExist();
        assertThat(mnt.resolve("special/s")).doesNotExist();
    }

    /**
     * metadata under Wine: its volumes have no extended attributes, so there is nowhere to keep
     * $LXUID/$LXGID/$LXMOD. The server says so when the share opens and serves it as without
     * metadata (docs/windows.md, fallbacks) rather than failing; mkfifo is EPERM, as without metadata.
     */
    @Test
    void metadataWithoutExtendedAttributesIsAWarningAndTheDefaults() throws Exception {
        Path m = Files.createDirectories(tmp.resolve("mnt-md"));
        try (Fsdriver.Mount mo = Fsdriver.mount(tmp, server, "md", m)) {
            String out = Fsdriver.shOk(m, "set -e\necho x > f\nchown 4321:5432 f || echo chown-refused\nstat -c '%n %u %g %a' f");
            assertThat(out.lines().toList()).last().isEqualTo("f 1000 1000 755");
            // nowhere to keep a FIFO's type either: refused as without metadata
            Fsdriver.Result fifo = Fsdriver.sh(m, "mkfifo p");
            assertThat(fifo.exitCode()).as(fifo.output()).isNotZero();
            assertThat(fifo.output()).contains("Operation not permitted");
        }
        assertThat(metadata.resolve("p")).doesNotExist();
        assertThat(Files.readString(tmp.resolve("wine-serve-" + server.port() + ".log")))
                .contains("metadata requested but", "has no extended attributes; modes come from attributes");
    }

    private static void awaitEvent(List<String> events, String regex) throws Exception {
        Pattern p = Pattern.compile(regex);
        awaitTrue(() -> {
            synchronized (events) {
                return events.stream().anyMatch(e -> p.matcher(e).matches());
            }
        });
    }

    /**
     * B1: a link inside the share that points outside must never let anything be created,
     * moved, linked or removed outside, nor changed there (content, mode, times, xattrs), nor
     * listed or read, nor an outside file moved into the share. Under Wine a Linux symlink in the
     * served tree looks like a plain directory to the Windows side (a stand-in for a junction):
     * only the handle's final path shows where it leads. Links at the share root and deeper.
     */
    @Test
    void linksLeadingOutOfTheShareAreNeverWrittenOrListedThrough() throws Exception {
        Path secret = outside.resolve("secret");
        Files.writeString(secret, "outside the share");
        Files.createDirectories(outside.resolve("sub"));
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-r--r--"));
        FileTime mtime = FileTime.fromMillis(1_500_000_000_000L);
        Files.setLastModifiedTime(secret, mtime);
        Files.createDirectories(share.resolve("deep/er"));
        Files.createSymbolicLink(share.resolve("evil"), outside);
        Files.createSymbolicLink(share.resolve("deep/er/evil"), outside);
        Files.writeString(share.resolve("victim"), "mine");
        // events arrive in order: once victim shows, the links' creates have been seen too
        awaitTrue(() -> Files.exists(mnt.resolve("victim")));
        for (String link : List.of("evil", "deep/er/evil")) {
            for (String attempt : List.of(
                    "echo x > " + link + "/f",
                    "mkdir " + link + "/d",
                    "mv victim " + link + "/moved",
                    "ln victim " + link + "/hl",
                    "ln -s /etc/passwd " + link + "/sl",
                    "ls " + link + "/",
                    "cat " + link + "/secret",
                    "truncate -s 0 " + link + "/secret",
                    "rm " + link + "/secret",
                    "rmdir " + link + "/sub",
                    "chmod 600 " + link + "/secret",
                    "touch -d '2001-02-03 04:05:06' " + link + "/secret",
                    "python3 -c \"import os; os.setxattr('" + link + "/secret', 'user.x', b'1')\"",
                    "mv " + link + "/secret inside")) {
                Fsdriver.Result r = Fsdriver.sh(mnt, attempt);
                // fails, and not for want of the tool (127: command not found)
                assertThat(r.exitCode()).as("`%s` must fail, said: %s", attempt, r.output()).isNotZero().isNotEqualTo(127);
                assertThat(r.output()).as(attempt).doesNotContain("secret\n").doesNotContain("outside the share");
                try (Stream<Path> s = Files.list(outside)) {
                    assertThat(s.map(p -> p.getFileName().toString()).toList()).as("outside after `%s`", attempt)
                            .containsExactlyInAnyOrder("secret", "sub");
                }
                try (Stream<Path> s = Files.list(outside.resolve("sub"))) {
                    assertThat(s.toList()).as("outside/sub after `%s`", attempt).isEmpty();
                }
                assertThat(Files.readString(secret)).as(attempt).isEqualTo("outside the share");
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(secret))).as(attempt).isEqualTo("rw-r--r--");
                assertThat(Files.getLastModifiedTime(secret)).as(attempt).isEqualTo(mtime);
                assertThat(Files.getFileAttributeView(secret, UserDefinedFileAttributeView.class).list()).as(attempt).isEmpty();
                assertThat(mnt.resolve("inside")).as(attempt).doesNotExist();
            }
        }
        assertThat(Files.readString(share.resolve("victim"))).isEqualTo("mine");
        assertThat(share.resolve("inside")).doesNotExist();
    }
}
