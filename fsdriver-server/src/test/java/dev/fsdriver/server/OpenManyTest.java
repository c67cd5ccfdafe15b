package dev.fsdriver.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.common.Errno;
import dev.fsdriver.proto.v1.FilesGrpc;
import dev.fsdriver.proto.v1.LookupRequest;
import dev.fsdriver.proto.v1.OpenManyReply;
import dev.fsdriver.proto.v1.OpenManyRequest;
import dev.fsdriver.proto.v1.OpenOutcome;
import dev.fsdriver.protocol.Protocol;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * OpenMany (issue 13): the small files of a directory read ahead in one call, each whole or not
 * at all, nothing left open on the server, the reply's data within max_io_bytes.
 */
class OpenManyTest {
    @TempDir
    Path dir;
    private InProcessShare share;
    private FilesGrpc.FilesBlockingStub files;

    @BeforeEach
    void start() throws Exception {
        share = InProcessShare.serve(dir);
        files = FilesGrpc.newBlockingStub(share.hello("").channel());
    }

    @AfterEach
    void stop() throws Exception {
        share.close();
    }

    private long node(String name) {
        return files.lookup(LookupRequest.newBuilder().setParent(1).setName(name).build()).getId();
    }

    /** Descriptors this process holds open on files of the share. */
    private long openHere() throws IOException {
        return InProcessShare.openUnder(dir);
    }

    @Test
    void smallFilesComeWholeInOrderAndNothingStaysOpen() throws Exception {
        Files.writeString(dir.resolve("a"), "alpha");
        Files.writeString(dir.resolve("b"), "");
        Files.writeString(dir.resolve("big"), "x".repeat(5000));
        Files.createDirectory(dir.resolve("d"));
        long a = node("a");
        long b = node("b");
        long big = node("big");
        long d = node("d");
        long before = openHere();
        OpenManyReply r = files.openMany(OpenManyRequest.newBuilder().addNodes(a).addNodes(big).addNodes(b)
                .addNodes(d).addNodes(999_999).setInlineMax(4096).build());
        assertThat(r.getOutcomesCount()).isEqualTo(5);
        OpenOutcome first = r.getOutcomes(0);
        assertThat(first.getOpened().getData().toStringUtf8()).isEqualTo("alpha");
        assertThat(first.getOpened().getHandle()).isZero();
        assertThat(first.getOpened().getAttr().getSize()).isEqualTo(5);
        assertThat(r.getOutcomes(1).hasOpened()).as("larger than inline_max: not read").isFalse();
        assertThat(r.getOutcomes(1).getErrno()).isZero();
        assertThat(r.getOutcomes(2).getOpened().hasData()).as("an empty file is whole too").isTrue();
        assertThat(r.getOutcomes(2).getOpened().getData().size()).isZero();
        assertThat(r.getOutcomes(3).hasOpened()).as("a directory").isFalse();
        assertThat(r.getOutcomes(3).getErrno()).isEqualTo(Errno.EISDIR);
        assertThat(r.getOutcomes(4).getErrno()).as("a node the server never gave").isEqualTo(Errno.ESTALE);
        assertThat(openHere()).isEqualTo(before);
    }

    @Test
    void theDataOfOneReplyStaysWithinMaxIoBytes() throws Exception {
        int size = Protocol.MAX_IO_BYTES * 2 / 5;
        OpenManyRequest.Builder req = OpenManyRequest.newBuilder().setInlineMax(Protocol.MAX_IO_BYTES);
        for (int i = 0; i < 4; i++) {
            Files.write(dir.resolve("f" + i), new byte[size]);
            req.addNodes(node("f" + i));
        }
        OpenManyReply r = files.openMany(req.build());
        assertThat(r.getOutcomesList()).extracting(OpenOutcome::hasOpened).containsExactly(true, true, false, false);
        assertThat(r.getOutcomes(2).getErrno()).isZero();
    }
}
