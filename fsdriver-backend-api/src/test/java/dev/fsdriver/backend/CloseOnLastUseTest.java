package dev.fsdriver.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fsdriver.common.Errno;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** B8: a release while a read or write is in flight must not close the handle under it. */
class CloseOnLastUseTest {
    private final AtomicInteger closes = new AtomicInteger();
    private final CloseOnLastUse gate = new CloseOnLastUse(closes::incrementAndGet);

    @Test
    void closeWithNothingInFlightClosesAtOnceAndOnce() throws Exception {
        gate.close();
        gate.close();
        assertThat(closes).hasValue(1);
        assertThat(gate.isClosed()).isTrue();
    }

    @Test
    void closeDuringAnOperationWaitsForItsEndAndRefusesNewOnes() throws Exception {
        gate.enter();
        gate.enter();
        gate.close();
        assertThat(closes).as("handle still in use").hasValue(0);
        assertThatThrownBy(gate::enter).isInstanceOfSatisfying(FsException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EBADF));
        gate.exit();
        assertThat(closes).hasValue(0);
        gate.exit();
        assertThat(closes).as("closed by the last operation").hasValue(1);
    }

    /** A write on another thread, held inside the handle while release runs on this one. */
    @Test
    void concurrentWriteAndRelease() throws Exception {
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch proceed = new CountDownLatch(1);
        AtomicInteger closesSeenByWrite = new AtomicInteger(-1);
        Thread writer = Thread.ofPlatform().start(() -> {
            try {
                gate.enter();
                try {
                    inside.countDown();
                    proceed.await();
                    closesSeenByWrite.set(closes.get());
                } finally {
                    gate.exit();
                }
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        inside.await();
        gate.close();
        proceed.countDown();
        writer.join();
        assertThat(closesSeenByWrite).as("handle open for the whole write").hasValue(0);
        assertThat(closes).hasValue(1);
    }
}
