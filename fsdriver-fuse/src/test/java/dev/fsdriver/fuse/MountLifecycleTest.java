package dev.fsdriver.fuse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fsdriver.fuse.examples.MemoryFileSystem;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Mount points, both mount paths, unmounts from outside and by signal. */
class MountLifecycleTest {
    @TempDir
    Path tmp;

    private static boolean mounted(Path p) throws IOException {
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .anyMatch(l -> l.split(" ")[4].equals(p.toString()));
    }

    private static MountOptions opts() {
        return MountOptions.builder().fsName("lifecycle").subtype("memfs").threads(2).build();
    }

    @Test
    void badMountPointsGiveClearMessages() throws Exception {
        FuseFileSystem fs = new MemoryFileSystem();
        assertThatThrownBy(() -> FuseMount.mount(tmp.resolve("missing"), fs, opts()))
                .isInstanceOf(IOException.class).hasMessageContaining("does not exist");
        Path file = Files.writeString(tmp.resolve("file"), "x");
        assertThatThrownBy(() -> FuseMount.mount(file, fs, opts()))
                .isInstanceOf(IOException.class).hasMessageContaining("not a directory");
        Path mnt = Files.createDirectory(tmp.resolve("mnt")).toRealPath();
        try (FuseMount m = FuseMount.mount(mnt, fs, opts())) {
            assertThatThrownBy(() -> FuseMount.mount(mnt, new MemoryFileSystem(), opts()))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("already a mount point").hasMessageContaining("fuse.memfs");
        }
    }

    @Test
    void unmountFromOutsideIsDetected() throws Exception {
        Path mnt = Files.createDirectory(tmp.resolve("mnt")).toRealPath();
        FuseMount m = FuseMount.mount(mnt, new MemoryFileSystem(), opts());
        Files.writeString(mnt.resolve("x"), "x");
        assertThat(m.isUnmounted()).isFalse();
        Tools.ok(tmp, "umount", mnt.toString());
        assertThat(m.awaitUnmount(Duration.ofSeconds(10))).isTrue();
        assertThat(m.isUnmounted()).isTrue();
        Tools.ok(tmp, "mount", "-t", "tmpfs", "someone-else", mnt.toString());
        try {
            m.close();   // idempotent after an outside unmount, and leaves a later mount there alone
            assertThat(mounted(mnt)).isTrue();
        } finally {
            Tools.ok(tmp, "umount", mnt.toString());
        }
        assertThat(mounted(mnt)).isFalse();
    }

    /** An abort through fusectl (the way out of a hung file system) ends the session; close() removes the dead mount. */
    @Test
    void abortFromOutsideIsDetectedAndCloseRemovesTheDeadMount() throws Exception {
        Path mnt = Files.createDirectory(tmp.resolve("mnt")).toRealPath();
        FuseMount m = FuseMount.mount(mnt, new MemoryFileSystem(), opts());
        Files.writeString(mnt.resolve("x"), "x");
        int connection = dev.fsdriver.fuse.linux.FuseMounter.findMount(mnt).minor();
        Files.writeString(Path.of("/sys/fs/fuse/connections/" + connection + "/abort"), "1");
        assertThat(m.awaitUnmount(Duration.ofSeconds(10))).isTrue();
        assertThat(Tools.run(tmp, "stat", mnt.toString()).output()).contains("Transport endpoint is not connected");
        m.close();
        assertThat(mounted(mnt)).isFalse();
    }

    @Test
    void closeWhileBusyDetachesAndAbortsTheConnection() throws Exception {
        Path mnt = Files.createDirectory(tmp.resolve("mnt")).toRealPath();
        FuseMount m = FuseMount.mount(mnt, new MemoryFileSystem(), opts());
        Files.writeString(mnt.resolve("open"), "data");
        var ch = java.nio.channels.FileChannel.open(mnt.resolve("open"));
        m.close();   // EBUSY: lazy unmount, then abort via /sys/fs/fuse/connections/N/abort
        assertThat(m.isUnmounted()).isTrue();
        assertThat(mounted(mnt)).isFalse();
        assertThatThrownBy(() -> ch.read(java.nio.ByteBuffer.allocate(8), 0))
                .isInstanceOf(IOException.class).hasMessageContaining("not connected");
        try {
            ch.close();
        } catch (IOException expected) {
            // a FLUSH on the aborted connection may fail with ENOTCONN
        }
    }

    @Test
    void fusermountPathMountsServesAndDetectsFusermountU() throws Exception {
        Path mnt = Files.createDirectory(tmp.resolve("mnt")).toRealPath();
        FuseMount m = FuseSession.mount(mnt, new MemoryFileSystem(), opts(), true);
        try {
            Files.writeString(mnt.resolve("via-fusermount"), "yes");
            assertThat(Files.readString(mnt.resolve("via-fusermount"))).isEqualTo("yes");
            assertThat(Files.readAllLines(Path.of("/proc/self/mountinfo")))
                    .anyMatch(l -> l.contains(" " + mnt + " ") && l.contains("fuse.memfs lifecycle"));
            assertThat(((FuseSession) m).viaFusermount()).isTrue();
            Tools.ok(tmp, "fusermount3", "-u", mnt.toString());
            assertThat(m.awaitUnmount(Duration.ofSeconds(10))).isTrue();
        } finally {
            m.close();
        }
        assertThat(mounted(mnt)).isFalse();

        System.setProperty(FuseSession.FORCE_FUSERMOUNT_PROPERTY, "true");   // the switch for users
        FuseMount again;
        try {
            again = FuseMount.mount(mnt, new MemoryFileSystem(), opts());
        } finally {
            System.clearProperty(FuseSession.FORCE_FUSERMOUNT_PROPERTY);
        }
        assertThat(((FuseSession) again).viaFusermount()).isTrue();
        Files.writeString(mnt.resolve("again"), "a");
        again.close();
        assertThat(again.isUnmounted()).isTrue();
        assertThat(mounted(mnt)).isFalse();
    }

    @Test
    void sigtermOfOwningJvmUnmounts() throws Exception {
        signalToOwningJvmUnmounts("TERM");
    }

    @Test
    void sigintOfOwningJvmUnmounts() throws Exception {
        signalToOwningJvmUnmounts("INT");
    }

    private void signalToOwningJvmUnmounts(String signal) throws Exception {
        Path mnt = Files.createDirectory(tmp.resolve("mnt")).toRealPath();
        Process child = startChild(mnt);
        try {
            assertThat(Files.readString(mnt.resolve("hello"))).isEqualTo("from child");
            Tools.ok(tmp, "kill", "-s", signal, String.valueOf(child.pid()));
            assertThat(child.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(mounted(mnt)).isFalse();
        } finally {
            child.destroyForcibly();
            if (mounted(mnt)) {
                Tools.run(tmp, "umount", "-l", mnt.toString());
            }
        }
    }

    /** The documented way out of a mount whose process died (FuseMount's Javadoc). */
    @Test
    void killedOwnerLeavesStaleMountThatFusermountCleans() throws Exception {
        Path mnt = Files.createDirectory(tmp.resolve("mnt")).toRealPath();
        Process child = startChild(mnt);
        try {
            child.destroyForcibly();   // SIGKILL: no shutdown hook runs
            assertThat(child.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(Tools.run(tmp, "stat", mnt.toString()).output()).contains("Transport endpoint is not connected");
            assertThatThrownBy(() -> FuseMount.mount(mnt, new MemoryFileSystem(), opts()))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("already a mount point (not accessible, stale?)")
                    .hasMessageContaining("fusermount3 -u -z");

            Tools.ok(tmp, "fusermount3", "-u", "-z", mnt.toString());

            assertThat(mounted(mnt)).isFalse();
            try (FuseMount m = FuseMount.mount(mnt, new MemoryFileSystem(), opts())) {
                Files.writeString(mnt.resolve("fresh"), "ok");
                assertThat(Files.readString(mnt.resolve("fresh"))).isEqualTo("ok");
            }
        } finally {
            if (mounted(mnt)) {
                Tools.run(tmp, "umount", "-l", mnt.toString());
            }
        }
    }

    /**
     * A process killed while one of its threads waits for its own mount (a request a reader took,
     * which nothing will answer now) never closes /dev/fuse: that thread waits uninterruptibly, the
     * process stays a zombie and every caller of the mount hangs (seen after an OutOfMemoryError).
     * The DeathWatch aborts the connection: the process ends and callers get ENOTCONN.
     */
    @Test
    void aProcessKilledWhileWaitingForItsOwnMountFreesIt() throws Exception {
        Path mnt = Files.createDirectory(tmp.resolve("mnt")).toRealPath();
        Process child = startChild(mnt, "self-deadlock");
        try {
            assertThat(java.util.concurrent.CompletableFuture.supplyAsync(() -> readUntilUnchecked(child.getInputStream(), "HUNG"))
                    .get(60, TimeUnit.SECONDS)).endsWith("HUNG");
            child.destroyForcibly();
            assertThat(child.waitFor(20, TimeUnit.SECONDS)).as("the killed process ended").isTrue();
            assertThat(Tools.run(tmp, "stat", mnt.toString()).output()).contains("Transport endpoint is not connected");
        } finally {
            if (child.isAlive()) {
                dev.fsdriver.fuse.linux.FuseMounter.MountInfo m = dev.fsdriver.fuse.linux.FuseMounter.findMount(mnt);
                if (m != null) {
                    dev.fsdriver.fuse.linux.FuseMounter.abortConnection(m.minor()); // free what this test hung
                }
            }
            if (mounted(mnt)) {
                Tools.run(tmp, "umount", "-l", mnt.toString());
            }
        }
    }

    /**
     * The watch is stood down when the mount ends cleanly or is unmounted from outside: the
     * connection number is then free for a new mount, which the watch must never abort.
     */
    @Test
    void theDeathWatchEndsWithACleanCloseAndWithAnUnmountFromOutside() throws Exception {
        for (boolean fromOutside : new boolean[] {false, true}) {
            Path mnt = Files.createDirectories(tmp.resolve(fromOutside ? "mnt-outside" : "mnt-close")).toRealPath();
            Process child = startChild(mnt, "close-on-stdin");
            try {
                assertThat(watchShells(child)).as("the watch runs while mounted").isEqualTo(1);
                if (fromOutside) {
                    Tools.ok(tmp, "umount", mnt.toString());
                } else {
                    child.getOutputStream().write("close\n".getBytes(StandardCharsets.UTF_8));
                    child.getOutputStream().flush();
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (watchShells(child) > 0 && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                assertThat(watchShells(child)).as(fromOutside ? "after an unmount from outside" : "after close()").isZero();
                assertThat(child.isAlive()).as("the process lives on").isTrue();
            } finally {
                child.destroyForcibly();
                child.waitFor(20, TimeUnit.SECONDS);
                if (mounted(mnt)) {
                    Tools.run(tmp, "umount", "-l", mnt.toString());
                }
            }
        }
    }

    /** The child's live descendants that are a death watch (their command line names the abort file). */
    private static long watchShells(Process child) {
        return child.descendants().filter(ProcessHandle::isAlive)
                .filter(p -> p.info().arguments().map(a -> String.join(" ", a).contains("/abort")).orElse(false))
                .count();
    }

    private static String readUntilUnchecked(java.io.InputStream out, String marker) {
        try {
            return readUntil(out, marker);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * Starts {@link MountMain} in a JVM of its own and waits until it mounted. SIGINT is reset to
     * its default first: a child of a shell without job control inherits it ignored, and the JVM
     * then installs no handler for it.
     */
    private Process startChild(Path mnt, String... mode) throws IOException {
        List<String> command = new ArrayList<>(List.of("env", "--default-signal=INT"));
        List<String> args = new ArrayList<>(List.of(mnt.toString()));
        args.addAll(List.of(mode));
        command.addAll(javaCommand(System.getProperty("java.class.path"), args.toArray(String[]::new)));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        assertThat(readUntil(child.getInputStream(), "MOUNTED")).endsWith("MOUNTED");
        return child;
    }

    /**
     * A real unprivileged user (nobody): only fusermount3 can mount for it, the fd comes back over
     * the Unix socket, and close() unmounts with fusermount3 -u. fusermount3 opens /dev/fuse as the
     * calling user and it is root-only on this machine, so the child runs in a private mount
     * namespace with a world-usable node of the same device bound over /dev/fuse (nothing of it is
     * visible outside; the checks look into the child's namespace).
     */
    @Test
    void unprivilegedUserMountsAndUnmountsThroughFusermount3() throws Exception {
        Tools.ok(tmp, "chmod", "755", tmp.toString());   // nobody must reach the mount point
        Path mnt = Files.createDirectory(tmp.resolve("mnt")).toRealPath();
        Tools.ok(tmp, "chown", NOBODY + ":" + NOBODY, mnt.toString());
        Path dev = tmp.resolve("fuse");
        Tools.ok(tmp, "mknod", "-m", "666", dev.toString(), "c", "10", "229");
        List<String> command = new ArrayList<>(List.of("unshare", "--mount", "--propagation", "private",
                "sh", "-c", "mount --bind \"$0\" /dev/fuse && exec \"$@\"", dev.toString()));
        command.addAll(asNobody(javaCommand(classPathReadableByAll(), mnt.toString(), "close-on-stdin")));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            var out = child.getInputStream();
            assertThat(readUntil(out, "MOUNTED")).endsWith("MOUNTED");
            Path childMounts = Path.of("/proc/" + child.pid() + "/mountinfo");
            assertThat(Files.readAllLines(childMounts))
                    .anyMatch(l -> l.contains(" " + mnt + " ") && l.contains("fuse.memfs lifecycle")
                            && l.contains("user_id=" + NOBODY));
            // without allow_other only the mounting user gets in: ordinary tools, in the child's namespace
            String ns = "--mount=/proc/" + child.pid() + "/ns/mnt";
            List<String> cat = List.of("nsenter", ns, "cat", mnt.resolve("hello").toString());
            assertThat(Tools.run(tmp, cat.toArray(String[]::new)).output()).contains("Permission denied");
            List<String> catAsNobody = new ArrayList<>(List.of("nsenter", ns));
            catAsNobody.addAll(asNobody(cat.subList(2, 4)));
            assertThat(Tools.ok(tmp, catAsNobody.toArray(String[]::new))).isEqualTo("from child");

            child.getOutputStream().write("close\n".getBytes(StandardCharsets.UTF_8));
            child.getOutputStream().flush();
            assertThat(readUntil(out, "CLOSED")).endsWith("CLOSED");
            assertThat(Files.readAllLines(childMounts)).noneMatch(l -> l.contains(" " + mnt + " "));
            child.getOutputStream().close();
            assertThat(child.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(child.exitValue()).isZero();
        } finally {
            child.destroyForcibly();   // its namespace, and any mount left in it, dies with it
        }
    }

    private static final int NOBODY = 65534;

    private static List<String> asNobody(List<String> command) {
        List<String> c = new ArrayList<>(List.of("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups"));
        c.addAll(command);
        return c;
    }

    private static List<String> javaCommand(String classPath, String... args) {
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<String> c = new ArrayList<>(List.of(java, "-XX:-UsePerfData", "--enable-native-access=ALL-UNNAMED",
                "-cp", classPath, MountMain.class.getName()));
        c.addAll(List.of(args));
        return c;
    }

    /** The test class path copied where any user can read it (~/.m2 of root is not). */
    private String classPathReadableByAll() throws IOException, InterruptedException {
        Path dir = Files.createDirectory(tmp.resolve("cp"));
        List<String> entries = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            Path src = Path.of(e);
            if (Files.exists(src)) {
                Path dst = dir.resolve(entries.size() + "-" + src.getFileName());
                Tools.ok(tmp, "cp", "-r", src.toString(), dst.toString());
                entries.add(dst.toString());
            }
        }
        Tools.ok(tmp, "chmod", "-R", "a+rX", dir.toString());
        return String.join(java.io.File.pathSeparator, entries);
    }

    /**
     * Reads lines until one equals {@code marker}; returns everything read (for the failure
     * message). Byte by byte, unbuffered: a buffering reader would swallow the lines after the
     * marker (the child prints HUNG right after MOUNTED), and the next reader would never see them.
     */
    private static String readUntil(java.io.InputStream out, String marker) throws IOException {
        StringBuilder seen = new StringBuilder();
        var line = new java.io.ByteArrayOutputStream();
        for (int b; (b = out.read()) != -1; ) {
            if (b != '\n') {
                line.write(b);
                continue;
            }
            String text = line.toString(StandardCharsets.UTF_8);
            seen.append(text).append('\n');
            line.reset();
            if (text.equals(marker)) {
                return seen.toString().strip();
            }
        }
        return seen.append(line.toString(StandardCharsets.UTF_8)).toString().strip();
    }

    /**
     * The child JVM of the lifecycle tests. Args: MOUNTPOINT [await|close-on-stdin|self-deadlock]:
     * after mounting it either waits for an unmount (from outside or by signal), closes the mount
     * once a line arrives on stdin, or looks up "hang" on its own mount, whose lookup never
     * answers, and prints HUNG once that request is taken.
     */
    public static final class MountMain {
        public static void main(String[] args) throws Exception {
            Path mnt = Path.of(args[0]);
            boolean deadlock = args.length > 1 && args[1].equals("self-deadlock");
            FuseMount m = FuseMount.mount(mnt, deadlock ? new Hanging() : new MemoryFileSystem(), opts());
            Files.writeString(mnt.resolve("hello"), "from child");
            System.out.println(Files.readString(mnt.resolve("hello")).equals("from child") ? "MOUNTED" : "BROKEN");
            System.out.flush();
            if (args.length > 1 && args[1].equals("close-on-stdin")) {
                new java.io.BufferedReader(new java.io.InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
                m.close();
                System.out.println("CLOSED");
                System.out.flush();
                System.in.read();   // stay alive (and the mount namespace with us) until told to go
            } else {
                if (deadlock) {
                    Thread.ofPlatform().start(() -> Files.exists(mnt.resolve("hang")));
                }
                m.awaitUnmount();
            }
        }
    }

    /** Never answers a lookup of "hang". */
    static final class Hanging extends MemoryFileSystem {
        @Override
        public FuseEntry lookup(FuseRequest req, long parent, String name) throws FuseException {
            if (name.equals("hang")) {
                System.out.println("HUNG");
                System.out.flush();
                try {
                    new java.util.concurrent.CountDownLatch(1).await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                throw new FuseException(dev.fsdriver.common.Errno.EIO);
            }
            return super.lookup(req, parent, name);
        }
    }

}
