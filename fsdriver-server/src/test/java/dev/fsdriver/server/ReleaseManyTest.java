package dev.fsdriver.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fsdriver.common.OpenFlags;
import dev.fsdriver.proto.v1.FilesGrpc;
import dev.fsdriver.proto.v1.HandleRequest;
import dev.fsdriver.proto.v1.LookupRequest;
import dev.fsdriver.proto.v1.NameRequest;
import dev.fsdriver.proto.v1.OpenRequest;
import dev.fsdriver.proto.v1.ReadRequest;
import dev.fsdriver.proto.v1.ReleaseManyRequest;
import dev.fsdriver.proto.v1.RenameRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ReleaseMany (issue 13): a client's closes in one call, each handle released as Release would,
 * one that is not the caller's or is unknown left alone, the rest released all the same; and
 * the same closes carried by an Unlink, Rmdir or Rename (release_first), released before it.
 */
class ReleaseManyTest {
    @TempDir
    Path dir;
    private InProcessShare share;
    private FilesGrpc.FilesBlockingStub files;
    private FilesGrpc.FilesBlockingStub other;

    @BeforeEach
    void start() throws Exception {
        share = InProcessShare.serve(dir);
        files = FilesGrpc.newBlockingStub(share.hello("").channel());
        other = FilesGrpc.newBlockingStub(share.hello("").channel());
        Files.writeString(dir.resolve("a"), "alpha");
        Files.writeString(dir.resolve("b"), "beta");
    }

    @AfterEach
    void stop() throws Exception {
        share.close();
    }

    private static long open(FilesGrpc.FilesBlockingStub by, String name) {
        long node = by.lookup(LookupRequest.newBuilder().setParent(1).setName(name).build()).getId();
        return by.open(OpenRequest.newBuilder().setNode(node).setFlags(OpenFlags.O_RDONLY).build()).getHandle();
    }

    /** Descriptors this process holds open on files of the share. */
    private long openHere() throws IOException {
        return InProcessShare.openUnder(dir);
    }

    @Test
    void theCallersHandlesAreClosedAndAnotherSessionsAreLeftAlone() throws Exception {
        long before = openHere();
        long a = open(files, "a");
        long b = open(files, "b");
        long theirs = open(other, "a");
        assertThat(openHere()).isEqualTo(before + 3);

        files.releaseMany(ReleaseManyRequest.newBuilder().addHandles(a).addHandles(theirs).addHandles(999_999)
                .addHandles(b).build());

        assertThat(openHere()).as("the caller's two closed, the other session's kept").isEqualTo(before + 1);
        assertThat(other.read(ReadRequest.newBuilder().setHandle(theirs).setSize(5).build()).getData().toStringUtf8())
                .isEqualTo("alpha");
        assertThatThrownBy(() -> files.read(ReadRequest.newBuilder().setHandle(a).setSize(5).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isNotEqualTo(Status.Code.OK));
        assertThatThrownBy(() -> files.release(HandleRequest.newBuilder().setHandle(b).build()))
                .as("released already").isInstanceOf(StatusRuntimeException.class);
    }

    @Test
    void theCapabilityIsListed() {
        assertThat(share.hello("").hello().getCapabilitiesList()).contains("release-many");
    }

    @Test
    void handlesSentWithANameChangeAreReleasedFirstAlsoWhenItFails() throws Exception {
        long before = openHere();
        long a = open(files, "a");
        long b = open(files, "b");
        long theirs = open(other, "b");
        files.unlink(NameRequest.newBuilder().setParent(1).setName("a").addReleaseFirst(a).addReleaseFirst(theirs).build());
        assertThat(openHere()).as("a's handle closed, the other session's kept").isEqualTo(before + 2);
        assertThat(Files.exists(dir.resolve("a"))).isFalse();

        assertThatThrownBy(() -> files.rename(RenameRequest.newBuilder().setParent(1).setName("nothing-here")
                .setNewParent(1).setNewName("c").addReleaseFirst(b).build()))
                .as("ENOENT").isInstanceOf(StatusRuntimeException.class);
        assertThat(openHere()).as("b's handle closed all the same").isEqualTo(before + 1);
    }
}
