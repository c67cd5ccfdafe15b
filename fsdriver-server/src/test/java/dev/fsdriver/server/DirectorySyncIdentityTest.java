package dev.fsdriver.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fsdriver.backend.Backend;
import dev.fsdriver.backend.FileAttributes;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.OpenFile;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.backend.posix.PosixBackend;
import dev.fsdriver.common.Errno;
import dev.fsdriver.common.OpenFlags;
import dev.fsdriver.proto.v1.FsyncReply;
import dev.fsdriver.proto.v1.FsyncRequest;
import dev.fsdriver.server.HandleTable.OpenedFile;
import io.grpc.Context;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A directory's fsync syncs the directory its node is, or says it did not: here the backend's
 * syncDir first runs a hook, standing for what happens between the server's resolution of the
 * node's path and the open of the directory (a program on the server swaps two directories by
 * renames, not followed yet), or fails (EIO, or EACCES for a directory the server may not read).
 */
class DirectorySyncIdentityTest {
    @TempDir
    Path dir;
    private Share share;
    private final Object owner = new Object();
    private final OpenFileHandlers handlers = new OpenFileHandlers(false, new SetAttrHandler(false));
    /** Run (once) as syncDir starts. */
    private final AtomicReference<Hook> beforeSync = new AtomicReference<>();

    @FunctionalInterface
    private interface Hook {
        void run() throws Exception;
    }

    @BeforeEach
    void open() throws Exception {
        Backend posix = PosixBackend.open(dir, false);
        Backend hooked = (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                (proxy, method, args) -> {
                    Hook hook = method.getName().equals("syncDir") ? beforeSync.getAndSet(null) : null;
                    try {
                        if (hook != null) {
                            hook.run();
                        }
                        return method.invoke(posix, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        share = new Share("s", hooked, false);
        Files.createDirectories(dir.resolve("a"));
        Files.createDirectories(dir.resolve("b"));
        Files.writeString(dir.resolve("a/f"), "x");
    }

    @AfterEach
    void close() {
        share.close();
    }

    private long node(String path) throws FsException {
        FileAttributes a = share.backend.stat(RelPath.parse(path));
        return share.nodes.register(RelPath.parse(path), a.ino(), a.isDirectory());
    }

    /** a and b trade places on disk; the node table still has the old paths. */
    private void swap() throws Exception {
        Files.move(dir.resolve("a"), dir.resolve("t"));
        Files.move(dir.resolve("b"), dir.resolve("a"));
        Files.move(dir.resolve("t"), dir.resolve("b"));
    }

    /** The handler's answer (typed Object: it was Empty before FsyncReply). */
    private Object fsync(FsyncRequest req) throws Exception {
        return Context.current().withValue(CallContext.SHARE, share).withValue(CallContext.OWNER, owner)
                .call(() -> handlers.fsync(req));
    }

    private long openHandle(String path) throws Exception {
        OpenFile f = share.backend.open(RelPath.parse(path), OpenFlags.O_RDWR);
        return share.handles.add(owner, new OpenedFile(node(path), f, OpenFlags.O_RDWR, f.stat().ino()));
    }

    @Test
    void aDirectoryWhosePathHoldsAnotherOneNowIsNotSynced() throws Exception {
        long a = node("a");
        beforeSync.set(this::swap);
        assertThatThrownBy(() -> fsync(FsyncRequest.newBuilder().setDir(a).build()))
                .isInstanceOfSatisfying(FsException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ESTALE));
    }

    @Test
    void aFilesFsyncSaysItsDirectoryWasNotSyncedWhenAnotherIsThere() throws Exception {
        long a = node("a");
        long h = openHandle("a/f");
        beforeSync.set(this::swap);
        Object reply = fsync(FsyncRequest.newBuilder().setHandle(h).setAlsoDir(a).build());
        assertThat(reply).isInstanceOfSatisfying(FsyncReply.class, r -> assertThat(r.getDirSynced()).isFalse());
    }

    @Test
    void aDirectoryThatFailsToSyncFailsNotItsFilesFsync() throws Exception {
        long a = node("a");
        long h = openHandle("a/f");
        beforeSync.set(() -> {
            throw new FsException(Errno.EIO, "the directory's sync fails");
        });
        Object reply = fsync(FsyncRequest.newBuilder().setHandle(h).setAlsoDir(a).build());
        assertThat(reply).isInstanceOfSatisfying(FsyncReply.class, r -> assertThat(r.getDirSynced()).isFalse());
        beforeSync.set(() -> {
            throw new FsException(Errno.EACCES, "a directory the server may not read");
        });
        reply = fsync(FsyncRequest.newBuilder().setHandle(h).setAlsoDir(a).build());
        assertThat(reply).isInstanceOfSatisfying(FsyncReply.class, r -> assertThat(r.getDirSynced()).isFalse());
    }

    @Test
    void aFilesFsyncSaysItsDirectoryWasSynced() throws Exception {
        long a = node("a");
        long h = openHandle("a/f");
        Object reply = fsync(FsyncRequest.newBuilder().setHandle(h).setAlsoDir(a).build());
        assertThat(reply).isInstanceOfSatisfying(FsyncReply.class, r -> assertThat(r.getDirSynced()).isTrue());
    }
}
