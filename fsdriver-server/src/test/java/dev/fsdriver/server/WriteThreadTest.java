package dev.fsdriver.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.fsdriver.backend.Backend;
import dev.fsdriver.backend.OpenFile;
import dev.fsdriver.backend.posix.PosixBackend;
import dev.fsdriver.common.OpenFlags;
import dev.fsdriver.proto.v1.CreateReply;
import dev.fsdriver.proto.v1.CreateRequest;
import dev.fsdriver.proto.v1.FilesGrpc;
import dev.fsdriver.proto.v1.WriteRequest;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which thread a Write's data goes down on: a small one that waits for no disk on the thread
 * that took the call (as a Create), one that is large or syncs (or goes through a handle opened
 * O_DSYNC) on the io pool, so that a slow disk never holds up the connection.
 */
class WriteThreadTest {
    @TempDir
    Path dir;
    private InProcessShare share;
    /** The thread of each write the backend's open files did. */
    private final List<String> writers = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() throws Exception {
        share.close();
    }

    private static Object call(Object target, java.lang.reflect.Method m, Object[] args) throws Throwable {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private OpenFile recording(OpenFile real) {
        return (OpenFile) Proxy.newProxyInstance(OpenFile.class.getClassLoader(), new Class<?>[] {OpenFile.class},
                (p, m, args) -> {
                    if (m.getName().equals("write")) {
                        writers.add(Thread.currentThread().getName());
                    }
                    return call(real, m, args);
                });
    }

    private FilesGrpc.FilesBlockingStub serve() throws Exception {
        Backend real = PosixBackend.open(dir, false);
        share = InProcessShare.serve((Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(),
                new Class<?>[] {Backend.class}, (p, m, args) -> {
                    Object r = call(real, m, args);
                    return r instanceof OpenFile f ? recording(f) : r;
                }));
        return FilesGrpc.newBlockingStub(share.connection(null));
    }

    @Test
    void aSmallWriteRunsOnTheCallsThreadALargeOrSyncedOneOnTheIoPool() throws Exception {
        FilesGrpc.FilesBlockingStub files = serve();
        CreateReply c = files.create(CreateRequest.newBuilder().setParent(1).setName("f").setMode(0644)
                .setFlags(OpenFlags.O_WRONLY | OpenFlags.O_CREAT).build());
        ByteString small = ByteString.copyFrom(new byte[64 * 1024]);
        ByteString large = ByteString.copyFrom(new byte[64 * 1024 + 1]);
        WriteRequest.Builder w = WriteRequest.newBuilder().setHandle(c.getHandle());
        files.write(w.setOffset(0).setData(small).build());
        files.write(w.setOffset(0).setData(large).build());
        files.write(w.setOffset(0).setData(small).setSync(true).build());
        // each write through a handle opened O_DSYNC waits for the device
        CreateReply d = files.create(CreateRequest.newBuilder().setParent(1).setName("log").setMode(0644)
                .setFlags(OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_DSYNC).build());
        files.write(WriteRequest.newBuilder().setHandle(d.getHandle()).setOffset(0).setData(small).build());
        assertThat(writers).hasSize(4);
        assertThat(writers.get(0)).as("small").doesNotStartWith("fsdriver-io");
        assertThat(writers.get(1)).as("large").startsWith("fsdriver-io");
        assertThat(writers.get(2)).as("synced").startsWith("fsdriver-io");
        assertThat(writers.get(3)).as("through an O_DSYNC handle").startsWith("fsdriver-io");
        assertThat(Files.size(dir.resolve("f"))).isEqualTo(64 * 1024 + 1);
    }
}
