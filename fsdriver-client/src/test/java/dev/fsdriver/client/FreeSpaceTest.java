package dev.fsdriver.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.common.Errno;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.fuse.FuseStatfs;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** When writes turn synchronous: free space (bavail * frsize) below what is in flight plus one file's window. */
class FreeSpaceTest {
    private static FuseStatfs free(long bavail, int frsize) {
        return new FuseStatfs(1_000_000, bavail, bavail, 1000, 1000, 4096, 255, frsize);
    }

    @Test
    void shortWhenFreeSpaceIsBelowWhatIsInFlightPlusTheMargin() {
        FreeSpace space = new FreeSpace(() -> free(256, 4096), 512 << 10); // 1 MiB free, 512 KiB margin
        assertThat(space.lowFor(0)).isFalse();
        assertThat(space.lowFor(512 << 10)).isFalse();
        assertThat(space.lowFor((512 << 10) + 1)).isTrue();
        assertThat(new FreeSpace(() -> free(0, 4096), 0).lowFor(1)).as("a full share").isTrue();
    }

    @Test
    void aHugeShareNeverOverflowsAndAnUnansweredStatfsIsNotShort() {
        assertThat(new FreeSpace(() -> free(Long.MAX_VALUE / 2, 4096), 8 << 20).lowFor(1 << 30)).isFalse();
        assertThat(new FreeSpace(() -> {
            throw new FuseException(Errno.ENOTCONN, "away");
        }, 8 << 20).lowFor(1 << 30)).isFalse();
    }

    @Test
    void whileOneWriterAsksTheOthersTakeTheLastAnswerInsteadOfACallEach() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        CountDownLatch asking = new CountDownLatch(1);
        CountDownLatch answer = new CountDownLatch(1);
        FreeSpace space = new FreeSpace(() -> {
            if (calls.incrementAndGet() == 2) { // the server stopped answering
                asking.countDown();
                try {
                    answer.await();
                } catch (InterruptedException e) {
                    throw new FuseException(Errno.EINTR, "interrupted");
                }
            }
            return free(0, 4096);
        }, 0);
        assertThat(space.lowFor(1)).isTrue();
        Thread waiting = Thread.ofPlatform().start(() -> space.lowFor(1));
        asking.await();
        assertThat(space.lowFor(1)).as("the last answer: full").isTrue();
        assertThat(calls.get()).as("no call of its own while one is under way").isEqualTo(2);
        answer.countDown();
        waiting.join();
    }
}
