package dev.fsdriver.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.fsdriver.backend.Backend;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.OpenFile;
import dev.fsdriver.backend.posix.PosixBackend;
import dev.fsdriver.common.Errno;
import dev.fsdriver.common.OpenFlags;
import dev.fsdriver.proto.v1.CreateReply;
import dev.fsdriver.proto.v1.CreateRequest;
import dev.fsdriver.proto.v1.FilesGrpc;
import dev.fsdriver.proto.v1.WriteReply;
import dev.fsdriver.proto.v1.WriteRequest;
import dev.fsdriver.protocol.Protocol;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * WriteRequest.set_mtime_ns is best effort (issue 17): the data has landed when the time is set,
 * so a refused time never fails the write, and the time is never set by name.
 */
class WriteMtimeTest {
    private static final long MTIME = 1_700_000_000_123_456_700L;
    @TempDir
    Path dir;
    private FsServer server;
    private ManagedChannel channel;

    @AfterEach
    void stop() throws Exception {
        if (channel != null) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        if (server != null) {
            server.close();
        }
    }

    private FilesGrpc.FilesBlockingStub serve(Backend backend) throws Exception {
        String name = InProcessServerBuilder.generateName();
        server = FsServer.builder().serverBuilder(InProcessServerBuilder.forName(name)).share("s", backend, false).build();
        server.start();
        channel = InProcessChannelBuilder.forName(name).build();
        Metadata md = new Metadata();
        md.put(Protocol.SHARE, "s");
        return FilesGrpc.newBlockingStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md));
    }

    private static CreateReply create(FilesGrpc.FilesBlockingStub files, String name) {
        return files.create(CreateRequest.newBuilder().setParent(1).setName(name).setMode(0644)
                .setFlags(OpenFlags.O_RDWR | OpenFlags.O_CREAT).build());
    }

    private static WriteReply write(FilesGrpc.FilesBlockingStub files, long handle, long offset, String data) {
        return files.write(WriteRequest.newBuilder().setHandle(handle).setOffset(offset)
                .setData(ByteString.copyFromUtf8(data)).setSetMtimeNs(MTIME).build());
    }

    /** EPERM from futimens (a server not the file's owner): the write stands, the reply has the file's real mtime. */
    @Test
    void aRefusedMtimeLeavesTheWriteDone() throws Exception {
        FilesGrpc.FilesBlockingStub files = serve(refusingMtime(PosixBackend.open(dir, false)));
        CreateReply c = create(files, "f");
        WriteReply r = write(files, c.getHandle(), 0, "data");
        assertThat(r.getWritten()).isEqualTo(4);
        assertThat(Files.readString(dir.resolve("f"))).isEqualTo("data");
        long real = Files.getLastModifiedTime(dir.resolve("f")).to(TimeUnit.NANOSECONDS);
        assertThat(real).isNotEqualTo(MTIME);
        assertThat(r.getAttr().getMtimeNs()).as("the file's real mtime").isEqualTo(real);
        assertThat(r.getAttr().getSize()).isEqualTo(4);
    }

    /**
     * java.nio (the portable posix mode) sets no time through a channel: not offered, and a
     * client's set_mtime_ns anyway neither fails the write of an unlinked file nor touches the
     * file now at the old name.
     */
    @Test
    void aBackendThatCannotSetsNoTimeAndNeverByName() throws Exception {
        PosixBackend portable = PosixBackend.openPortable(dir, false);
        assertThat(portable.setsMtimeThroughHandle()).isFalse();
        assertThat(PosixBackend.open(dir, false).setsMtimeThroughHandle()).isTrue();
        FilesGrpc.FilesBlockingStub files = serve(portable);

        CreateReply c = create(files, "f");
        Files.writeString(dir.resolve("other"), "other");
        FileTime otherTime = FileTime.from(1_000_000_000L, TimeUnit.SECONDS);
        Files.setLastModifiedTime(dir.resolve("other"), otherTime);
        Files.move(dir.resolve("other"), dir.resolve("f"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        WriteReply replaced = write(files, c.getHandle(), 0, "xy");
        assertThat(replaced.getWritten()).isEqualTo(2);
        assertThat(Files.getLastModifiedTime(dir.resolve("f"))).as("the other file at that name").isEqualTo(otherTime);
        assertThat(Files.readString(dir.resolve("f"))).isEqualTo("other");

        Files.delete(dir.resolve("f"));
        WriteReply gone = write(files, c.getHandle(), 2, "z");
        assertThat(gone.getWritten()).isEqualTo(1);
        assertThat(gone.getAttr().getSize()).isEqualTo(3);
    }

    /** {@code backend} whose open files refuse setMtime (EPERM), all else theirs. */
    private static Backend refusingMtime(Backend backend) {
        return proxy(Backend.class, backend, (m, args, result) ->
                result instanceof OpenFile f ? proxy(OpenFile.class, f, (m2, a2, r2) -> r2, "setMtime") : result, null);
    }

    private interface After {
        Object apply(Method m, Object[] args, Object result);
    }

    @SuppressWarnings("unchecked")
    private static <T> T proxy(Class<T> type, T target, After after, String refused) {
        InvocationHandler h = (p, m, args) -> {
            if (m.getName().equals(refused)) {
                throw new FsException(Errno.EPERM, "futimens: not the owner");
            }
            try {
                return after.apply(m, args, m.invoke(target, args));
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        };
        return (T) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, h);
    }
}
