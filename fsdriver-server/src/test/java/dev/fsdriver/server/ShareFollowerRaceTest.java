package dev.fsdriver.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.backend.Backend;
import dev.fsdriver.backend.Change;
import dev.fsdriver.backend.FileAttributes;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.backend.posix.PosixBackend;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The watcher's follower reads the node table and the disk, then updates the table; a client's
 * call (not a rename) changes the disk and the table without its lock. Here the follower is held
 * between its look at the disk and its update while a client unlinks a name and links it again
 * (ConcurrentStress seeds 2 and 3: a LINK through the mount answered ENOENT, the file's node had
 * lost the name the kernel still used).
 */
class ShareFollowerRaceTest {
    @TempDir
    Path dir;
    private Share share;
    /** The path whose next stat pauses (after reading the disk) until {@link #go}. */
    private final AtomicReference<RelPath> pauseAt = new AtomicReference<>();
    private final CountDownLatch paused = new CountDownLatch(1);
    private final CountDownLatch go = new CountDownLatch(1);

    @BeforeEach
    void open() throws Exception {
        Backend posix = PosixBackend.open(dir, false);
        Backend pausing = (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                (proxy, method, args) -> {
                    Object result;
                    Throwable failure = null;
                    try {
                        result = method.invoke(posix, args);
                    } catch (InvocationTargetException e) {
                        result = null;
                        failure = e.getCause();
                    }
                    if (method.getName().equals("stat") && args[0].equals(pauseAt.get()) && pauseAt.compareAndSet((RelPath) args[0], null)) {
                        paused.countDown();
                        go.await();
                    }
                    if (failure != null) {
                        throw failure;
                    }
                    return result;
                });
        share = new Share("s", pausing, false);
    }

    @AfterEach
    void close() {
        share.close();
    }

    private static RelPath p(String s) throws FsException {
        return RelPath.parse(s);
    }

    private long node(String path) throws FsException {
        FileAttributes a = share.backend.stat(p(path));
        return share.nodes.register(p(path), a.ino(), a.isDirectory());
    }

    @Test
    void aNameUnlinkedAndLinkedAgainWhileTheFollowerLooksStaysTheNodes() throws Exception {
        Files.writeString(dir.resolve("a"), "A");
        Files.createLink(dir.resolve("b"), dir.resolve("a"));
        long n = node("a");
        assertThat(node("b")).isEqualTo(n);

        // a client's unlink of a: on disk; its DELETED event is followed before the table update
        share.backend.unlink(p("a"));
        RelPath a = p("a");
        pauseAt.set(a);
        Thread follower = Thread.ofPlatform().start(
                () -> share.followExternalChange(new Change(Change.Kind.DELETED, a, null, false)));
        paused.await(); // the follower saw a in the table, and no a on the disk
        share.nodes.removed(p("a")); // the unlink's table update
        share.backend.link(p("b"), p("a")); // the client links a again
        assertThat(node("a")).isEqualTo(n);
        go.countDown();
        follower.join();

        // then unlinks b: the node must still be the file at a (before the fix: ENOENT, detached)
        share.backend.unlink(p("b"));
        share.nodes.removed(p("b"));
        assertThat(share.nodes.path(n)).isEqualTo(p("a"));
    }

}
