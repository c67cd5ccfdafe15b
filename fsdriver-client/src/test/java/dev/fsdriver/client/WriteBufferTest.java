package dev.fsdriver.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.proto.v1.SetAttrRequest;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * What one open file holds back, on its own: sequential writes gathered up to a block, a jump
 * kept apart as an earlier range only within the ranges and the block a call may carry and
 * overlapping nothing held, and everything taken as one chunk in the order written.
 */
class WriteBufferTest {
    private static final int BLOCK = 4096;

    private static ByteBuffer bytes(int n, char c) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) c);
        return ByteBuffer.wrap(b);
    }

    /** Failed before (seen: NullPointerException, buf not yet made): nothing held, nothing kept apart. */
    @Test
    void aJumpWithNothingHeldKeepsNothingApart() {
        WriteBuffer held = new WriteBuffer(BLOCK, 4);
        assertThat(held.holdApart(5000, 10)).isTrue();
        assertThat(held.isEmpty()).isTrue();
        assertThat(held.add(5000, bytes(10, 'a'), false)).isEqualTo(10);
        WriteChunk chunk = held.take(1, 0, null);
        assertThat(chunk.offset).isEqualTo(5000);
        assertThat(chunk.earlier).as("no empty range before the data").isEmpty();
    }

    @Test
    void sequentialWritesFillOneBlockAndNoMore() {
        WriteBuffer held = new WriteBuffer(BLOCK, 1);
        assertThat(held.isEmpty()).isTrue();
        assertThat(held.continues(1000)).isTrue(); // nothing held: any offset starts it

        assertThat(held.add(100, bytes(1000, 'a'), false)).isEqualTo(1000);
        assertThat(held.continues(1100)).isTrue();
        assertThat(held.continues(1101)).isFalse();
        assertThat(held.full()).isFalse();

        ByteBuffer more = bytes(BLOCK, 'b');
        assertThat(held.add(1100, more, false)).isEqualTo(BLOCK - 1000); // only the room left
        assertThat(more.remaining()).isEqualTo(1000);
        assertThat(held.full()).isTrue();
        assertThat(held.bytes()).isEqualTo(BLOCK);
        assertThat(held.end()).isEqualTo(100 + BLOCK);

        WriteChunk chunk = held.take(7, 0, null);
        assertThat(chunk.seq).isEqualTo(7);
        assertThat(chunk.offset).isEqualTo(100);
        assertThat(chunk.length).isEqualTo(BLOCK);
        assertThat(chunk.data[999]).isEqualTo((byte) 'a');
        assertThat(chunk.data[1000]).isEqualTo((byte) 'b');
        assertThat(chunk.earlier).isEmpty();
        assertThat(held.isEmpty()).isTrue();
        assertThat(held.bytes()).isZero();
    }

    @Test
    void aSmallFileNeverGetsABlockSizeBuffer() {
        WriteBuffer held = new WriteBuffer(1 << 20, 1);
        held.add(0, bytes(10, 'a'), false);
        assertThat(held.take(0, 0, null).data.length).isEqualTo(64 << 10);
    }

    @Test
    void aJumpIsKeptAsAnEarlierRangeAndGoesFirst() {
        WriteBuffer held = new WriteBuffer(BLOCK, 16);
        held.add(0, bytes(100, 'h'), false); // a header
        assertThat(held.holdApart(8192, 200)).isTrue();
        assertThat(held.isEmpty()).isTrue(); // the buffer is empty until the jump's own write
        held.add(8192, bytes(200, 'p'), true);

        assertThat(held.bytes()).isEqualTo(300);
        assertThat(held.end()).isEqualTo(8392);
        assertThat(held.overlaps(50, 10)).isTrue(); // the earlier range
        assertThat(held.overlaps(8300, 10)).isTrue(); // the buffer
        assertThat(held.overlaps(100, 8092)).isFalse(); // between them

        SetAttrRequest then = SetAttrRequest.newBuilder().setMode(0600).build();
        WriteChunk chunk = held.take(1, 5, then);
        assertThat(chunk.earlier).hasSize(1);
        WriteChunk.Range first = chunk.earlier.get(0);
        assertThat(first.offset()).isZero();
        assertThat(first.length()).isEqualTo(100);
        assertThat(first.data()).hasSize(100); // an array of its size, not the buffer's
        assertThat(chunk.offset).isEqualTo(8192);
        assertThat(chunk.length).isEqualTo(200);
        assertThat(chunk.bytes()).isEqualTo(300);
        assertThat(chunk.killSuidgid).isTrue();
        assertThat(chunk.mtimeNs).isEqualTo(5);
        assertThat(chunk.then).isSameAs(then);

        held.add(0, bytes(10, 'x'), false);
        assertThat(held.take(2, 0, null).killSuidgid).isFalse(); // the flag went with the chunk
    }

    @Test
    void aJumpIsNotKeptApartWhereOneCallCouldNotCarryIt() {
        WriteBuffer one = new WriteBuffer(BLOCK, 1);
        one.add(0, bytes(100, 'a'), false);
        assertThat(one.holdApart(8192, 10)).as("the server takes one range").isFalse();

        WriteBuffer held = new WriteBuffer(BLOCK, 3);
        held.add(1000, bytes(100, 'a'), false);
        assertThat(held.holdApart(1050, 100)).as("overlaps the buffer").isFalse();
        assertThat(held.holdApart(5000, 0)).as("an empty write").isFalse();
        assertThat(held.holdApart(5000, BLOCK - 100 + 1)).as("more than a block in all").isFalse();
        assertThat(held.holdApart(5000, 100)).isTrue();
        held.add(5000, bytes(100, 'b'), false);
        assertThat(held.holdApart(1090, 20)).as("overlaps an earlier range").isFalse();
        assertThat(held.holdApart(9000, 100)).isTrue();
        held.add(9000, bytes(100, 'c'), false);
        assertThat(held.holdApart(12000, 100)).as("a fourth range").isFalse();
        assertThat(held.bytes()).isEqualTo(300);
    }

    @Test
    void clearDropsEverythingHeld() {
        WriteBuffer held = new WriteBuffer(BLOCK, 16);
        held.add(0, bytes(100, 'a'), true);
        held.holdApart(8192, 10);
        held.add(8192, bytes(10, 'b'), false);
        held.clear();
        assertThat(held.isEmpty()).isTrue();
        assertThat(held.bytes()).isZero();
        assertThat(held.overlaps(0, 100)).isFalse();
        held.add(500, bytes(1, 'c'), false);
        WriteChunk chunk = held.take(0, 0, null);
        assertThat(chunk.earlier).isEmpty();
        assertThat(chunk.killSuidgid).isFalse();
        assertThat(chunk.offset).isEqualTo(500);
    }
}
